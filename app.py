"""Digitpad: draw a digit and watch a neural network read it.

    python app.py    # http://127.0.0.1:7860; GRADIO_SERVER_PORT and GRADIO_SERVER_NAME change it

This file only builds the interface; the model, its preprocessing and what is shown for a
reading live in `model/`.
"""

import os
import sys
from pathlib import Path

import gradio as gr
import numpy as np

from model.classifier import Classifier, ModelError
from model.explain import overlay, saliency
from model.feedback import FEEDBACK_DIR, FeedbackError, save_correction
from model.imagefile import read_image
from model.preprocess import InputError, from_array, ink_map, sketch_ink
from model.present import chart, model_card, number_preview, pixels, verdict
from model.samples import load_samples
from model.segment import segment
from model.spec import CLASSES, TRAIN_COMMAND

GALLERY_SIZE = 40  # samples shown at once
DRAW_PROMPT = "✏️ **Draw a digit** (0-9), or a whole number, on the pad: the network reads it as you draw."
MAX_FILE_SIZE = "10mb"
AUTO = "its answer"  # the saliency map explains the model's own answer unless a digit is picked
CORRECTIONS = Path(os.environ.get("DIGITPAD_FEEDBACK_DIR", FEEDBACK_DIR))  # visitors' corrections

try:  # load once, at start-up
    classifier = Classifier()
    samples = load_samples(classifier)
except (ModelError, FileNotFoundError) as error:
    sys.exit(f"error: {error}")


# ---------------------------------------------------------------------------- readings
def show(image, probabilities, note: str = "", why: bool = False, focus: str = AUTO):
    """-> (label, chart, preview, note, reading) for one 28x28 image, or a blank (None)."""
    if image is None:
        return None, None, None, note or DRAW_PROMPT, None
    reading = {"image": image, "probabilities": probabilities}
    return (dict(zip(CLASSES, map(float, probabilities))), chart(probabilities),
            preview(reading, why, focus), note or verdict(probabilities), reading)


def show_number(ink, digits, why: bool, focus: str):
    """-> the same five outputs for a drawing of several digits: the number, boxes, first digit."""
    number = classifier.read_number(digits)
    confidence = float(np.prod([d["confidence"] for d in number["digits"]]))
    shaky = [str(k + 1) for k, d in enumerate(number["digits"]) if d["confidence"] < 0.8]
    note = (f"🔢 Reads the number **{number['number']}** ({len(digits)} digits"
            + (f"; not sure of digit {', '.join(shaky)}" if shaky else "") + ").")
    reading = {"ink": ink, "number": number}
    return ({number["number"]: confidence}, chart(number["digits"][0]["probabilities"]),
            number_preview(ink, number), note, reading)


def preview(reading, why: bool, focus: str):
    """The image beside the chart: the 28x28 input, or with `why` its saliency map."""
    if reading is None:
        return None
    if "number" in reading:
        return number_preview(reading["ink"], reading["number"])
    if not why:
        return pixels(reading["image"])
    _, heat = saliency(classifier, reading["image"], None if focus == AUTO else int(focus))
    return overlay(reading["image"], heat)


def read_sketches(sketches: list, whys: list, focuses: list) -> tuple[list, ...]:
    """A batch of Sketchpad values -> a batch of (label, chart, preview, note, reading).

    One digit is framed as a whole (as always); several digits are read as a number. The
    batch's single digits go through the model in one call.
    """
    rows, single = [], {}  # single: row -> its one digit's image, read below
    for k, (sketch, why, focus) in enumerate(zip(sketches, whys, focuses)):
        try:
            ink = sketch_ink(sketch) if sketch else None
            digits = segment(ink) if ink is not None else []
        except InputError as error:
            rows.append(show(None, None, f"⚠️ {error}"))
            continue
        if len(digits) > 1:
            rows.append(show_number(ink, digits, why, focus))
            continue
        if digits:
            single[k] = digits[0].image
        rows.append(show(None, None))
    if single:
        found = classifier.probabilities(np.stack(list(single.values())))
        for (k, image), probabilities in zip(single.items(), found):
            rows[k] = show(image, probabilities, why=whys[k], focus=focuses[k])
    return tuple(map(list, zip(*rows)))


def read_file(file) -> np.ndarray:
    """An uploaded image (a Gradio file payload) -> its pixels, or a gr.Error saying why not."""
    path = file.get("path") if isinstance(file, dict) else getattr(file, "path", file)
    if not path:
        raise gr.Error("No image was uploaded.")
    try:
        return read_image(path)
    except InputError as error:
        raise gr.Error(str(error), title="Can't read this image") from None


def classify(image: gr.FileData) -> dict:
    """Read the digit in one image file -> {"label": digit or None if blank, "confidences": [...]}."""
    try:
        picture = from_array(read_file(image))
    except InputError as error:
        raise gr.Error(str(error), title="Can't read this image") from None
    if picture is None:
        return {"label": None, "confidences": []}
    probabilities = classifier.probabilities(picture[None])[0]
    order = np.argsort(probabilities)[::-1]
    return {"label": CLASSES[order[0]], "confidences": [
        {"label": CLASSES[i], "confidence": float(probabilities[i])} for i in order]}


def read_number(image: gr.FileData) -> dict:
    """Read a whole number in one image file -> {"number": "1984" ("" if blank), "digits":
    [{"digit", "confidence", "probabilities", "box": [left, top, right, bottom]}, ...]}."""
    try:
        return classifier.read_number(segment(ink_map(read_file(image))))
    except InputError as error:
        raise gr.Error(str(error), title="Can't read this image") from None


def read_upload(file, why: bool, focus: str):
    """The upload tab: an image file -> the five outputs, or a clear message."""
    if file is None:
        return show(None, None)
    try:
        image = from_array(read_file(file))
    except (gr.Error, InputError) as error:
        message = getattr(error, "message", str(error))
        gr.Warning(message)
        return show(None, None, f"⚠️ {message}")
    if image is None:
        return show(None, None, "No digit found in this image: try dark ink on light paper.")
    return show(image, classifier.probabilities(image[None])[0], why=why, focus=focus)


def explain(reading, why: bool, focus: str):
    """The 'why' toggle or the digit to explain changed: redraw the preview only."""
    return preview(reading, why, focus)


def correct(sketch, reading, label: str) -> str:
    """'Wrong? It was a ...': store the drawing with the visitor's label, only when asked."""
    if not label:
        return "Pick the digit you meant first."
    if reading is None or "image" not in reading:
        return "Corrections are for one drawn digit at a time."
    try:
        drawing = np.asarray(sketch["composite"]) if sketch and sketch.get("composite") is not None \
            else pixels(reading["image"])
        save_correction(drawing, reading["image"], int(label), folder=CORRECTIONS)
    except (FeedbackError, InputError) as error:
        return f"⚠️ {error}"
    return f"🙏 Thank you! Saved as a **{label}**: it will help the next model."


# ---------------------------------------------------------------------------- samples
def gallery(digit: str, mistakes: bool):
    """-> (gallery items, their sample indices) for the chosen digit and view."""
    pool = samples.pick(None if digit == "All" else int(digit), mistakes)
    indices = pool[np.linspace(0, len(pool) - 1, min(GALLERY_SIZE, len(pool))).astype(int)]
    items = [(np.round(samples.images[i] * 255).astype(np.uint8),
              f"{samples.labels[i]} → {samples.predicted[i]}") for i in indices]
    return items, indices.tolist()


def sample(index: int, why: bool = False, focus: str = AUTO):
    """One TEST sample by index -> the five outputs, with its true label in the note."""
    i = int(np.clip(index, 0, len(samples.labels) - 1))
    truth, guess = samples.labels[i], samples.predicted[i]
    mark = "✅ right" if truth == guess else "❌ wrong"
    note = (f"TEST sample #{i}: true label **{truth}**, the model read **{guess}** "
            f"({samples.probabilities[i, guess]:.0%}) — {mark}.")
    return show(samples.images[i], samples.probabilities[i], note, why, focus)


def sample_reading(index: int) -> dict:
    """One held-out TEST sample by index (0-999) -> its true label and the model's reading."""
    i = int(np.clip(index, 0, len(samples.labels) - 1))
    p = samples.probabilities[i]
    return {"index": i, "true_label": CLASSES[samples.labels[i]], "label": CLASSES[p.argmax()],
            "correct": bool(samples.labels[i] == p.argmax()),
            "confidences": [{"label": c, "confidence": float(v)} for c, v in zip(CLASSES, p)]}


def pick_sample(indices: list, why: bool, focus: str, event: gr.SelectData):
    return sample(indices[event.index], why, focus)


def random_sample(digit: str, mistakes: bool, why: bool, focus: str):
    pool = samples.pick(None if digit == "All" else int(digit), mistakes)
    return sample(int(np.random.default_rng().choice(pool)) if len(pool) else 0, why, focus)


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

with gr.Blocks(title="Digitpad", delete_cache=(3600, 3600),
               analytics_enabled=False) as demo:  # a talk may have no internet
    gr.Markdown("# ✍️ Digitpad\nDraw a digit or a whole number, pick a real handwritten sample "
                "or upload a photo, and watch a convolutional network read it.",
                elem_classes="digitpad-title")
    reading = gr.State(None)
    with gr.Row(equal_height=False):
        with gr.Column(scale=5, min_width=320):
            with gr.Tabs():
                with gr.Tab("Draw", id="draw"):
                    sketchpad = gr.Sketchpad(
                        elem_id="sketchpad", label="Draw here", canvas_size=(800, 800),
                        fixed_canvas=True, layers=False, transforms=(), type="numpy",
                        brush=gr.Brush(default_size=20, colors=["#000000"], color_mode="fixed"),
                        eraser=gr.Eraser(default_size=30), buttons=[], height=560)
                    with gr.Row():
                        clear = gr.Button("🧹 Clear", variant="secondary", elem_id="clear")
                        meant = gr.Dropdown(list(CLASSES), value=None, label="Wrong? It was a …",
                                            elem_id="meant", min_width=120)
                        save = gr.Button("Save correction", elem_id="save-correction")
                    thanks = gr.Markdown(elem_id="thanks")
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
                              elem_id="chart")
            with gr.Row():
                why = gr.Checkbox(label="Why? Show which pixels pushed it", elem_id="why")
                focus = gr.Radio([AUTO, *CLASSES], value=AUTO, label="What would make it a …",
                                 elem_id="focus")
            picture = gr.Image(label="What the network saw (28x28)", elem_id="preview",
                               interactive=False, height=260, buttons=[], format="png")
    with gr.Accordion("Model card", open=False, elem_id="model-card"):
        gr.Markdown(model_card(classifier.metadata) + f"\n\nRetrain with `{TRAIN_COMMAND}`.")

    outputs = [label, bars, picture, note, reading]
    sketchpad.change(read_sketches, [sketchpad, why, focus], outputs, api_name="read_sketch",
                     batch=True, max_batch_size=8, trigger_mode="always_last",
                     show_progress="hidden")
    clear.click(None, js=CLEAR)  # the editor's own clear: its change event resets the outputs
    save.click(correct, [sketchpad, reading, meant], thanks, api_visibility="private")
    for control in (why, focus):
        control.change(explain, [reading, why, focus], picture, api_visibility="private",
                       show_progress="hidden")
    upload.upload(read_upload, [upload, why, focus], outputs, preprocess=False,
                  api_visibility="private")
    upload.clear(lambda: show(None, None), None, outputs, api_visibility="private")
    for control in (digit, mistakes):
        control.change(gallery, [digit, mistakes], [picker, shown], api_visibility="private")
    picker.select(pick_sample, [shown, why, focus], outputs, api_visibility="private")
    lucky.click(random_sample, [digit, mistakes, why, focus], outputs, api_visibility="private")
    gr.api(classify, api_name="classify")
    gr.api(read_number, api_name="read_number")
    gr.api(sample_reading, api_name="sample")
    demo.load(None, js=KEEP_BRUSH)
    demo.queue(default_concurrency_limit=4, max_size=256)

LAUNCH = dict(max_file_size=MAX_FILE_SIZE, css=CSS,  # tests launch with these too
              theme=gr.themes.Soft(primary_hue="orange", secondary_hue="slate"))

if __name__ == "__main__":
    demo.launch(**LAUNCH)
