"""Digitpad: draw a digit and watch a neural network read it.

    python app.py    # http://127.0.0.1:7860; GRADIO_SERVER_PORT and GRADIO_SERVER_NAME change it

Components and wiring only: what a reading is and how it is shown live in `model/`.
"""

import functools
import os
import sys
from pathlib import Path

import gradio as gr
import numpy as np

from audience.room import Room, RoomError, StageSettings, StoreError
from audience.store import open_store
from audience.wall import REFRESH_SECONDS, audience_url, invite, stage
from model.classifier import Classifier, ModelError
from model.explain import overlay, saliency
from model.feedback import FEEDBACK_DIR, FeedbackError, save_correction
from model.ink import draw_ink, parse_ink
from model.preprocess import InputError
from model.present import (chart, label, model_card, number_note, number_preview, pixels,
                           sample_note, verdict)
from model.reading import (BLANK, NumberReading, file_ink, read_digits, read_drawings,
                           read_number)
from model.samples import load_samples
from model.spec import BRUSH_WIDTH, CANVAS_SIZE, CLASSES, ROOT, TRAIN_COMMAND

GALLERY_SIZE = 40  # samples shown at once
DRAW_PROMPT = "✏️ **Draw a digit** (0-9), or a whole number, on the pad: the network reads it as you draw."
AUTO = "its answer"  # the saliency map explains the model's own answer unless a digit is picked
CORRECTIONS = Path(os.environ.get("DIGITPAD_FEEDBACK_DIR", FEEDBACK_DIR))  # visitors' corrections
ASSETS = ROOT / "assets"
STAGE = StageSettings.from_env()

# A reading is a few small images: one thread per TensorFlow op is as fast, and leaves the
# other cores to the web server instead of to threads that spin between ops.
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")

try:  # load once, at start-up
    classifier = Classifier()
    samples = load_samples(classifier)
    room = Room(open_store(STAGE.redis_url, STAGE.wall_size),
                STAGE.speaker_key) if STAGE.enabled else None
except (ModelError, FileNotFoundError, StoreError) as error:
    sys.exit(f"error: {error}")


# ---------------------------------------------------------------------------- the API
def refusing_bad_input(fn):
    """A bad input becomes the caller's error message, not a traceback."""
    @functools.wraps(fn)
    def call(*args):
        try:
            return fn(*args)
        except InputError as error:
            raise gr.Error(str(error), title="Can't read this input") from None
    return call


def path_of(file) -> str:
    """A Gradio file payload (FileData, its dict, or a path) -> its path on the server."""
    path = file.get("path") if isinstance(file, dict) else getattr(file, "path", file)
    if not path:
        raise InputError("No image was uploaded.")
    return path


def file_digit(file):
    """A Gradio file payload -> the DigitReading of the one digit in it (BLANK if none)."""
    return read_digits(classifier, [file_ink(path_of(file))])[0]


@refusing_bad_input
def classify(image: gr.FileData) -> dict:
    """Read the digit in one image file -> DigitReading.to_json() ("label" None: no digit)."""
    return file_digit(image).to_json()


@refusing_bad_input
def read_number_file(image: gr.FileData) -> dict:
    """Read a whole number in one image file -> NumberReading.to_json() ("number" "" if blank)."""
    return read_number(classifier, file_ink(path_of(image))).to_json()


@refusing_bad_input
def read_ink(ink: str) -> dict:
    """Read ink JSON ([[[x, y, t], ...], ...] on the 800x800 pad) -> what /classify returns
    for one digit, or NumberReading.to_json() for several."""
    strokes = parse_ink(ink)
    return read_drawings(classifier, [draw_ink(strokes)], [strokes])[0].to_json()


def sample_reading(index: int) -> dict:
    """One held-out TEST sample by index -> its true label, whether it was read right, and the
    model's reading (DigitReading.to_json())."""
    return samples.to_json(index)


# ---------------------------------------------------------------------------- the page
def show(reading, note: str = "", why: bool = False, focus: str = AUTO):
    """A reading -> the five outputs: label, chart, preview, note, and the reading kept."""
    if reading is BLANK:
        return None, None, None, note or DRAW_PROMPT, None
    if isinstance(reading, NumberReading):
        return (label(reading), chart(reading.digits[0].probabilities), preview(reading),
                note or number_note(reading), reading)
    return (label(reading), chart(reading.probabilities), preview(reading, why, focus),
            note or verdict(reading.probabilities), reading)


def preview(reading, why: bool = False, focus: str = AUTO):
    """The image beside the chart: the 28x28 input, its saliency map, or a number's boxes."""
    if reading is None:
        return None
    if isinstance(reading, NumberReading):
        return number_preview(reading)
    if not why:
        return pixels(reading.image)
    _, heat = saliency(classifier, reading.image, None if focus == AUTO else int(focus))
    return overlay(reading.image, heat)


def read_pads(inks: list, whys: list, focuses: list) -> tuple[list, ...]:
    """A batch of ink pad values (ink JSON) -> a batch of the five outputs, every digit of
    every drawing classified in one model call."""
    rows, strokes = {}, {}
    for k, text in enumerate(inks):
        try:
            strokes[k] = parse_ink(text)
        except InputError as error:
            rows[k] = show(BLANK, f"⚠️ {error}")
    readings = read_drawings(classifier, [draw_ink(s) for s in strokes.values()],
                             list(strokes.values()))
    for k, reading in zip(strokes, readings):
        rows[k] = show(reading, why=whys[k], focus=focuses[k])
    return tuple(map(list, zip(*(rows[k] for k in range(len(inks))))))


def read_upload(file, why: bool, focus: str):
    """The upload tab: an image file -> the five outputs, or a clear message."""
    if file is None:
        return show(BLANK)
    try:
        reading = file_digit(file)
    except InputError as error:
        gr.Warning(str(error))
        return show(BLANK, f"⚠️ {error}")
    if reading is BLANK:
        return show(BLANK, "No digit found in this image: try dark ink on light paper.")
    return show(reading, why=why, focus=focus)


def correct(ink: str, reading, meant: str) -> str:
    """'Wrong? It was a ...': store the ink and its 28x28 form with the visitor's label."""
    if not meant:
        return "Pick the digit you meant first."
    if reading is None or isinstance(reading, NumberReading):
        return "Corrections are for one drawn digit at a time."
    try:
        strokes = parse_ink(ink) if ink else []
        drawing = draw_ink(strokes) if strokes else pixels(reading.image)
        save_correction(drawing, reading.image, int(meant), folder=CORRECTIONS, ink=ink or "")
    except (FeedbackError, InputError) as error:
        return f"⚠️ {error}"
    return f"🙏 Thank you! Saved as a **{meant}**: it will help the next model."


def gallery(digit: str, mistakes: bool):
    """-> (gallery items, their sample indices) for the chosen digit and view."""
    indices = samples.spread(None if digit == "All" else int(digit), mistakes, GALLERY_SIZE)
    items = [(np.round(samples.images[i] * 255).astype(np.uint8),
              f"{samples.labels[i]} → {samples.predicted[i]}") for i in indices]
    return items, indices.tolist()


def sample(index: int, why: bool = False, focus: str = AUTO):
    """One TEST sample by index -> the five outputs, with its true label in the note."""
    i, reading = samples.reading(index)
    return show(reading, sample_note(i, samples.labels[i], reading), why, focus)


def pick_sample(indices: list, why: bool, focus: str, event: gr.SelectData):
    return sample(indices[event.index], why, focus)


def random_sample(digit: str, mistakes: bool, why: bool, focus: str):
    pool = samples.pick(None if digit == "All" else int(digit), mistakes)
    return sample(int(np.random.default_rng().choice(pool)) if len(pool) else 0, why, focus)


# ---------------------------------------------------------------------------- audience mode
def refusing_room_errors(fn):
    """A refused audience request becomes the caller's error message."""
    @functools.wraps(fn)
    def call(*args):
        try:
            return fn(*args)
        except (RoomError, StoreError, InputError) as error:
            raise gr.Error(str(error), title="Refused") from None
    return call


def prompt_outputs(prompt) -> tuple[str, str]:
    """A Prompt -> the audience page's heading and the token it keeps."""
    return f"## ✏️ {prompt.text}", prompt.token


@refusing_room_errors
def new_prompt(request: gr.Request) -> tuple[str, str]:
    """-> (what to draw, the one-use token that answers it) for this visitor."""
    return prompt_outputs(room.prompt(request.session_hash))


def read_audience(ink: str, token: str, request: gr.Request):
    """An audience pad's ink -> (its reading as a Label, and a new prompt and token if a round
    began or ended since this visitor's prompt was handed out)."""
    try:
        answer = label(read_digits(classifier, [draw_ink(parse_ink(ink))])[0])
    except InputError:
        answer = None
    try:
        prompt = room.refresh(request.session_hash, token)
    except (RoomError, StoreError):
        prompt = None  # keep the prompt shown; the next stroke asks again
    return answer, *(prompt_outputs(prompt) if prompt else (gr.skip(), gr.skip()))


@refusing_room_errors
def send_drawing(ink: str, token: str, request: gr.Request) -> tuple[str, str, str, str]:
    """Send the visitor's drawing to the stage as the answer to their prompt -> (a note, the
    pad emptied, and the next prompt and its token)."""
    drawing = draw_ink(parse_ink(ink))
    reading = read_digits(classifier, [drawing])[0]
    entry = room.send(request.session_hash, token, reading)
    note = f"📺 Sent: the screen shows your **{entry['digit']}** ({entry['confidence']:.0%})."
    if entry["asked"] is not None and room.collecting():
        try:
            save_correction(drawing, reading.image, entry["asked"], folder=CORRECTIONS, ink=ink)
        except FeedbackError as error:
            note += f" Not saved: {error}"
    return note, "[]", *new_prompt(request)


@refusing_room_errors
def speaker_control(key: str, action: str, digit: str = "random") -> str:
    """The speaker's controls: start, stop, pause, resume, clear, collect, keep."""
    return room.control(key, action, digit)


def stage_invite(request: gr.Request) -> str:
    return invite(audience_url(STAGE.public_url, dict(request.headers)))


@refusing_room_errors
def stage_wall() -> str:
    return stage(room.snapshot())


# ---------------------------------------------------------------------------- layout
PAD = f"""<div class="inkpad">
  <canvas width="{CANVAS_SIZE}" height="{CANVAS_SIZE}" aria-label="Drawing pad"></canvas>
  <div class="tools">
    <button id="undo" type="button" title="Undo the last stroke (Ctrl+Z)">↶ Undo</button>
    <button id="clear" type="button" title="Clear the pad (Esc)">🧹 Clear</button>
  </div>
</div>"""
CSS = (ASSETS / "app.css").read_text()

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
                    pad = gr.HTML("[]", html_template=PAD, elem_id="sketchpad",
                                  css_template=(ASSETS / "inkpad.css").read_text(),
                                  js_on_load=(ASSETS / "inkpad.js").read_text(),
                                  brush=BRUSH_WIDTH, apply_default_css=False)
                    with gr.Row():
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
            shown_label = gr.Label(num_top_classes=3, label="Prediction", elem_id="prediction")
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

    outputs = [shown_label, bars, picture, note, reading]
    # One batch at a time: under load, readings wait and batch up rather than fight over the
    # cores. Callable (undocumented) for the crowd benchmark.
    pad.change(read_pads, [pad, why, focus], outputs, batch=True, max_batch_size=8,
               concurrency_limit=1, trigger_mode="always_last", show_progress="hidden",
               api_name="draw", api_visibility="undocumented")
    save.click(correct, [pad, reading, meant], thanks, api_visibility="private")
    for control in (why, focus):
        control.change(preview, [reading, why, focus], picture, api_visibility="private",
                       show_progress="hidden")
    upload.upload(read_upload, [upload, why, focus], outputs, preprocess=False,
                  api_visibility="private")
    upload.clear(lambda: show(BLANK), None, outputs, api_visibility="private")
    for control in (digit, mistakes):
        control.change(gallery, [digit, mistakes], [picker, shown], api_visibility="private")
    picker.select(pick_sample, [shown, why, focus], outputs, api_visibility="private")
    lucky.click(random_sample, [digit, mistakes, why, focus], outputs, api_visibility="private")
    gr.api(classify, api_name="classify")
    gr.api(read_number_file, api_name="read_number")
    gr.api(read_ink, api_name="read_ink")
    gr.api(sample_reading, api_name="sample")

if STAGE.enabled:
    with demo.route("Audience", "/audience", show_in_navbar=False) as audience_page:
        prompt = gr.Markdown("## ✏️ Draw any digit", elem_id="prompt")
        token = gr.Textbox(visible=False)
        apad = gr.HTML("[]", html_template=PAD, elem_id="sketchpad",
                       css_template=(ASSETS / "inkpad.css").read_text(),
                       js_on_load=(ASSETS / "inkpad.js").read_text(),
                       brush=BRUSH_WIDTH, apply_default_css=False)
        with gr.Row():
            read_as = gr.Label(num_top_classes=1, show_label=False, elem_id="prediction")
            send = gr.Button("📺 Send to the screen", variant="primary", elem_id="send")
        sent = gr.Markdown(elem_id="sent")
        audience_page.load(new_prompt, None, [prompt, token], api_name="prompt")
        apad.change(read_audience, [apad, token], [read_as, prompt, token],
                    trigger_mode="always_last", show_progress="hidden", api_name="audience_read",
                    api_visibility="undocumented")  # callable, for the crowd benchmark
        send.click(send_drawing, [apad, token], [sent, apad, prompt, token], api_name="send")

    with demo.route("Stage", "/stage", show_in_navbar=False) as stage_page:
        with gr.Row(equal_height=False):
            invitation = gr.HTML(elem_id="invite", min_width=260, scale=1)
            wall = gr.HTML(elem_id="wall", min_width=600, scale=3)
        with gr.Accordion("Speaker", open=False, elem_id="speaker"):
            with gr.Row():
                key = gr.Textbox(label="Speaker key", type="password", elem_id="speaker-key")
                asked = gr.Dropdown(["random", *CLASSES], value="random", label="Round: draw …",
                                    elem_id="round-digit")
            with gr.Row():
                actions = {a: gr.Button(text, elem_id=f"speaker-{a}") for a, text in (
                    ("start", "▶ Start round"), ("stop", "■ Stop round"), ("pause", "⏸ Pause wall"),
                    ("resume", "⏵ Resume wall"), ("clear", "🧹 Clear wall"),
                    ("collect", "● Collect drawings"), ("keep", "○ Stop collecting"))}
            said = gr.Markdown(elem_id="speaker-said")
        for action, button in actions.items():
            button.click(lambda k, d, a=action: speaker_control(k, a, d), [key, asked], said,
                         api_visibility="private").then(stage_wall, None, wall,
                                                        api_visibility="private")
        gr.api(speaker_control, api_name="control")
        stage_page.load(stage_invite, None, invitation, api_visibility="private")
        stage_page.load(stage_wall, None, wall, api_visibility="private")
        gr.Timer(REFRESH_SECONDS).tick(stage_wall, None, wall, api_name="wall", queue=False,
                                    show_progress="hidden")  # never waits behind readings

# After every event Gradio tabulates its last 10,000 events with pandas, for a monitoring page
# this app turns off, and the cost grows with the count: keep a few, tabulate rarely.
os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "100")
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000000")
demo.queue(default_concurrency_limit=4, max_size=256)

LAUNCH = dict(max_file_size="10mb", css=CSS, enable_monitoring=False,  # tests use these too
              theme=gr.themes.Soft(primary_hue="orange", secondary_hue="slate"))

if __name__ == "__main__":
    if STAGE.enabled:
        print(f"Audience mode: the stage is at /stage, the audience draws at /audience. "
              f"Speaker key: {room.speaker_key}", flush=True)
    demo.launch(**LAUNCH)
