"""The ceiling Gradio allows on this machine: Digitpad's /classify endpoint, and its pad's /draw
event with the same inputs, outputs and queue settings, answered with constants. The benchmarks
run it beside the app."""

import os
import time

import gradio as gr
import numpy as np
import pandas as pd

from model.ink import IN_STROKE
from ui.draw import Answer  # the main page's outputs, in its order

ANSWER = {"label": "7", "confidences": [{"label": str(d), "confidence": 0.1} for d in range(10)]}
CHART = pd.DataFrame({"digit": [str(d) for d in range(10)], "probability": [0.1] * 10,
                      "reading": ["prediction"] + ["other"] * 9})
PREVIEW = np.zeros((224, 224), np.uint8)


def classify(image: gr.FileData) -> dict:
    """Return a constant."""
    return ANSWER


def draw(inks: list, whys: list, focuses: list, lookings: list) -> tuple[list, ...]:
    """The pad's event, as the page sends it: the same outputs, constant but for the preview
    (a picture of its own each time, as Digitpad's are: one file shared by all is a race in
    Gradio's cache). A value sent while the pen moves updates the label and chart only, as
    Digitpad's do."""
    rows = []
    for ink in inks:
        if ink.startswith(IN_STROKE):
            rows.append(Answer.unchanged()._replace(label={"7": 1.0}, chart=CHART))
            continue
        preview = PREVIEW.copy()
        preview.flat[np.random.randint(preview.size)] = 255  # each its own
        rows.append(Answer(label={"7": 1.0}, chart=CHART, preview=preview, note="A constant.",
                           reading=None, said="", inside=gr.skip()))
    return tuple(map(list, zip(*((*row, gr.update(answered=time.monotonic())) for row in rows))))


with gr.Blocks(title="trivial", analytics_enabled=False) as demo:
    pad = gr.HTML("[]", answered=0)
    why, focus = gr.Checkbox(), gr.Radio(["its answer"], value="its answer")
    looking = gr.State(False)
    outputs = Answer(label=gr.Label(),
                     chart=gr.BarPlot(None, x="digit", y="probability", color="reading"),
                     preview=gr.Image(format="png"), note=gr.Markdown(), reading=gr.State(None),
                     said=gr.HTML(), inside=gr.HTML())
    pad.change(draw, [pad, why, focus, looking], [*outputs, pad], batch=True, max_batch_size=8,
               concurrency_limit=1, concurrency_id="read", trigger_mode="always_last",
               api_name="draw", api_visibility="undocumented")
    gr.api(classify, api_name="classify")
    os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "100")  # as app.py's queue
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000000")
    demo.queue(default_concurrency_limit=4, max_size=256)

if __name__ == "__main__":
    demo.launch(max_file_size="10mb", enable_monitoring=False)
