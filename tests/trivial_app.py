"""The ceiling Gradio allows on this machine: Digitpad's /classify endpoint and queue settings,
with a function that returns a constant. `python -m tests.benchmarks` runs it beside the app."""

import gradio as gr

ANSWER = {"label": "7", "confidences": [{"label": str(d), "confidence": 0.1} for d in range(10)]}


def classify(image: gr.FileData) -> dict:
    """Return a constant."""
    return ANSWER


with gr.Blocks(title="trivial") as demo:
    gr.Markdown("A constant answer.")
    gr.api(classify, api_name="classify")
    demo.queue(default_concurrency_limit=4, max_size=256)

if __name__ == "__main__":
    demo.launch(max_file_size="10mb")
