"""Digitpad: draw a digit and watch a neural network read it.

    python app.py    # http://127.0.0.1:7860; GRADIO_SERVER_PORT and GRADIO_SERVER_NAME change it

This file only builds the interface; the model and its preprocessing live in `model/`.
"""

import sys

import gradio as gr
import numpy as np
import pandas as pd

from model.classifier import Classifier, ModelError
from model.imagefile import read_image
from model.preprocess import InputError, from_array, from_sketch
from model.samples import load_samples
from model.spec import CLASSES, TRAIN_COMMAND

PREVIEW_SCALE = 8  # the 28x28 input is shown 224x224, each pixel a visible square
SURE = 0.80  # below this top probability ...
CLOSE = 0.25  # ... or with the runner-up this close behind, the app says it is unsure
GALLERY_SIZE = 40  # samples shown at once
DRAW_PROMPT = "✏️ **Draw a digit** (0-9) on the pad: the network reads it as you draw."
MAX_FILE_SIZE = "10mb"

try:  # load once, at start-up
    classifier = Classifier()
    samples = load_samples(classifier)
except (ModelError, FileNotFoundError) as error:
    sys.exit(f"error: {error}")


# ---------------------------------------------------------------------------- outputs
def chart(probabilities) -> pd.DataFrame | None:
    """(10,) probabilities -> the bar chart's rows (digit, probability, which is the guess).

    None (an empty chart) when there is nothing to show: a chart's first data fixes its colour
    scale, so a blank chart of grey bars alone would leave the predicted bar undrawn.
    """
    if probabilities is None:
        return None
    p = np.asarray(probabilities)
    return pd.DataFrame({"digit": list(CLASSES), "probability": p.round(4),
                         "reading": ["prediction" if i == p.argmax() else "other"
                                     for i in range(len(CLASSES))]})


def verdict(p: np.ndarray) -> str:
    """(10,) probabilities -> one line saying what the network read, and how sure it is."""
    first, second = np.argsort(p)[::-1][:2]
    if p[first] < SURE or p[first] - p[second] < CLOSE:
        return (f"🤔 **Not sure**: a {CLASSES[first]} ({p[first]:.0%}) "
                f"or a {CLASSES[second]} ({p[second]:.0%})?")
    return f"✅ Reads a **{CLASSES[first]}** ({p[first]:.0%} sure)."


def show(image, probabilities, note: str = ""):
    """-> (label, chart, preview, note) for a 28x28 image and its probabilities, or a blank."""
    if image is None:
        return None, chart(None), None, note or DRAW_PROMPT
    preview = np.kron(np.round(image * 255).astype(np.uint8),
                      np.ones((PREVIEW_SCALE, PREVIEW_SCALE), np.uint8))
    return (dict(zip(CLASSES, map(float, probabilities))), chart(probabilities), preview,
            note or verdict(probabilities))


def read_sketches(sketches: list) -> tuple[list, ...]:
    """A batch of Sketchpad values -> a batch of (label, chart, preview, note)."""
    images, notes = [], []
    for sketch in sketches:
        try:
            images.append(from_sketch(sketch) if sketch else None)
            notes.append("")
        except InputError as error:
            images.append(None)
            notes.append(f"⚠️ {error}")
    inked = [i for i, image in enumerate(images) if image is not None]
    found = classifier.probabilities(np.stack([images[i] for i in inked])) if inked else []
    probabilities = dict(zip(inked, found))
    rows = [show(image, probabilities.get(i), notes[i]) for i, image in enumerate(images)]
    return tuple(map(list, zip(*rows)))


def read_file(file) -> tuple:
    """An uploaded image (a Gradio file payload) -> (28x28 image or None, probabilities or None)."""
    path = file.get("path") if isinstance(file, dict) else getattr(file, "path", file)
    if not path:
        raise gr.Error("No image was uploaded.")
    try:
        image = from_array(read_image(path))
    except InputError as error:
        raise gr.Error(str(error), title="Can't read this image") from None
    return image, None if image is None else classifier.probabilities(image[None])[0]


def classify(image: gr.FileData) -> dict:
    """Read the digit in one image file -> {"label": digit or None if blank, "confidences": [...]}."""
    picture, probabilities = read_file(image)
    if picture is None:
        return {"label": None, "confidences": []}
    order = np.argsort(probabilities)[::-1]
    return {"label": CLASSES[order[0]], "confidences": [
        {"label": CLASSES[i], "confidence": float(probabilities[i])} for i in order]}


def read_upload(file):
    """The upload tab: an image file -> (label, chart, preview, note), or a clear message."""
    if file is None:
        return show(None, None)
    try:
        image, probabilities = read_file(file)
    except gr.Error as error:
        gr.Warning(error.message)
        return show(None, None, f"⚠️ {error.message}")
    return show(image, probabilities, "" if image is not None else
                "No digit found in this image: try a photo of dark ink on light paper.")


# ---------------------------------------------------------------------------- samples
def gallery(digit: str, mistakes: bool):
    """-> (gallery items, their sample indices) for the chosen digit and view."""
    pool = samples.pick(None if digit == "All" else int(digit), mistakes)
    indices = pool[np.linspace(0, len(pool) - 1, min(GALLERY_SIZE, len(pool))).astype(int)]
    items = [(np.round(samples.images[i] * 255).astype(np.uint8),
              f"{samples.labels[i]} → {samples.predicted[i]}") for i in indices]
    return items, indices.tolist()


def sample(index: int):
    """One TEST sample by index -> (label, chart, preview, note with its true label)."""
    i = int(np.clip(index, 0, len(samples.labels) - 1))
    truth, guess = samples.labels[i], samples.predicted[i]
    mark = "✅ right" if truth == guess else "❌ wrong"
    note = (f"TEST sample #{i}: true label **{truth}**, the model read **{guess}** "
            f"({samples.probabilities[i, guess]:.0%}) — {mark}.")
    return show(samples.images[i], samples.probabilities[i], note)


def sample_reading(index: int) -> dict:
    """One held-out TEST sample by index (0-999) -> its true label and the model's reading."""
    i = int(np.clip(index, 0, len(samples.labels) - 1))
    p = samples.probabilities[i]
    return {"index": i, "true_label": CLASSES[samples.labels[i]], "label": CLASSES[p.argmax()],
            "correct": bool(samples.labels[i] == p.argmax()),
            "confidences": [{"label": c, "confidence": float(v)} for c, v in zip(CLASSES, p)]}


def pick_sample(indices: list, event: gr.SelectData):
    return sample(indices[event.index])


def random_sample(digit: str, mistakes: bool):
    pool = samples.pick(None if digit == "All" else int(digit), mistakes)
    return sample(int(np.random.default_rng().choice(pool)) if len(pool) else 0)


# ---------------------------------------------------------------------------- layout
KEEP_BRUSH = """() => {  // Gradio 6's Sketchpad ignores strokes until a tool is picked and drops
  // the tool on every clear: whenever neither the brush nor the eraser is picked, pick the brush.
  const start = () => {
    const pad = document.querySelector('#sketchpad');
    if (!pad?.querySelector('button[aria-label="Brush"]')) return setTimeout(start, 100);
    const keep = () => {
      const tools = [...pad.querySelectorAll('button[aria-label="Brush"], button[aria-label="Erase"]')];
      if (!tools.some(tool => tool.classList.contains('highlight'))) tools[0]?.click();
    };
    new MutationObserver(keep).observe(pad, {subtree: true, attributes: true, attributeFilter: ['class']});
    keep();
  };
  start();
}"""
CLEAR = """() => document.querySelector('#sketchpad button[aria-label="Clear canvas"]')?.click()"""
CSS = """
#preview img { image-rendering: pixelated; }
#sketchpad { touch-action: none; }
.digitpad-title { text-align: center; }
"""

with gr.Blocks(title="Digitpad", delete_cache=(3600, 3600)) as demo:
    gr.Markdown("# ✍️ Digitpad\nDraw a digit, pick a real handwritten sample or upload a "
                "photo, and watch a convolutional network read it.",
                elem_classes="digitpad-title")
    with gr.Row(equal_height=False):
        with gr.Column(scale=5, min_width=320):
            with gr.Tabs():
                with gr.Tab("Draw", id="draw"):
                    sketchpad = gr.Sketchpad(
                        elem_id="sketchpad", label="Draw here", canvas_size=(800, 800),
                        fixed_canvas=True, layers=False, transforms=(), type="numpy",
                        brush=gr.Brush(default_size=20, colors=["#000000"], color_mode="fixed"),
                        eraser=gr.Eraser(default_size=30), buttons=[], height=560)
                    clear = gr.Button("🧹 Clear", variant="secondary", elem_id="clear")
                with gr.Tab("Dataset samples", id="samples"):
                    with gr.Row():
                        digit = gr.Dropdown(["All", *CLASSES], value="All", label="Digit",
                                            elem_id="sample-digit", min_width=100)
                        mistakes = gr.Checkbox(label="Only the model's mistakes",
                                               elem_id="sample-mistakes")
                        lucky = gr.Button("🎲 Random sample", elem_id="random-sample")
                    items, indices = gallery("All", False)
                    shown = gr.State(indices)
                    picker = gr.Gallery(items, label=f"Held-out TEST digits ({samples.dataset}): "
                                        "true → read", columns=6, height=420,
                                        allow_preview=False, elem_id="samples", buttons=[])
                with gr.Tab("Upload", id="upload"):
                    upload = gr.Image(type="filepath", image_mode=None, label="Photo or scan "
                                      "of one handwritten digit", sources=["upload", "clipboard"],
                                      elem_id="upload", height=420)
        with gr.Column(scale=4, min_width=300):
            note = gr.Markdown(DRAW_PROMPT, elem_id="note")
            label = gr.Label(num_top_classes=3, label="Prediction", elem_id="prediction")
            bars = gr.BarPlot(None, x="digit", y="probability", color="reading",
                              color_map={"prediction": "#f97316", "other": "#94a3b8"},
                              y_lim=[0, 1], sort="x", label="All ten probabilities",
                              x_title="digit", y_title="probability", show_label=True,
                              elem_id="chart", height=240)
            preview = gr.Image(label="What the network saw (28x28)", elem_id="preview",
                               interactive=False, height=240, buttons=[], format="png")
    gr.Markdown("Trained on MNIST digits converted to the EMNIST format. Retrain with "
                f"`{TRAIN_COMMAND}`. [Source and model card](README.md).")

    outputs = [label, bars, preview, note]
    sketchpad.change(read_sketches, sketchpad, outputs, api_name="read_sketch", batch=True,
                     max_batch_size=8, trigger_mode="always_last", show_progress="hidden")
    clear.click(None, js=CLEAR)  # the editor's own clear: its change event resets the outputs
    upload.upload(read_upload, upload, outputs, preprocess=False, api_visibility="private")
    upload.clear(lambda: show(None, None), None, outputs, api_visibility="private")
    for control in (digit, mistakes):
        control.change(gallery, [digit, mistakes], [picker, shown], api_visibility="private")
    picker.select(pick_sample, shown, outputs, api_visibility="private")
    lucky.click(random_sample, [digit, mistakes], outputs, api_visibility="private")
    gr.api(sample_reading, api_name="sample")
    gr.api(classify, api_name="classify")
    demo.load(None, js=KEEP_BRUSH)
    demo.queue(default_concurrency_limit=4, max_size=256)

LAUNCH = dict(max_file_size=MAX_FILE_SIZE, css=CSS,  # tests launch with these too
              theme=gr.themes.Soft(primary_hue="orange", secondary_hue="slate"))

if __name__ == "__main__":
    demo.launch(**LAUNCH)
