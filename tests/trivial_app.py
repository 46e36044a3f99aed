"""The ceiling Gradio allows on this machine: Digitpad's /classify and /draw endpoints and queue
settings, with functions that return a constant. The benchmarks run it beside the app."""

import gradio as gr

ANSWER = {"label": "7", "confidences": [{"label": str(d), "confidence": 0.1} for d in range(10)]}


def classify(image: gr.FileData) -> dict:
    """Return a constant."""
    return ANSWER


def draw(ink: str, why: bool, focus: str) -> dict:
    """The ink pad's event, as the page sends it: return a constant."""
    return ANSWER


with gr.Blocks(title="trivial") as demo:
    gr.Markdown("A constant answer.")
    gr.api(classify, api_name="classify")
    gr.api(draw, api_name="draw")
    demo.queue(default_concurrency_limit=4, max_size=256)

if __name__ == "__main__":
    demo.launch(max_file_size="10mb")
