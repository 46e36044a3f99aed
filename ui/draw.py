"""The main page: draw on the pad, pick a held-out TEST sample or upload a photo, and see
what the network reads, why, the 28x28 image it saw, and what its layers computed."""

from pathlib import Path
from typing import Any, NamedTuple

import gradio as gr
import numpy as np

from model.errors import FeedbackError, InputError, ModelError
from model.explain import overlay, saliency
from model.feedback import save_correction
from model.ink import pad_value
from model.inside import look_inside, to_html
from model.present import (
    announcement,
    chart,
    label,
    model_card,
    number_note,
    number_preview,
    photo_preview,
    pixels,
    sample_note,
    verdict,
)
from model.reading import (
    BLANK,
    DigitReading,
    Drawing,
    NumberReading,
    read_drawings,
    read_each_as_digit,
)
from model.spec import CLASSES, TRAIN_COMMAND
from ui.common import READOUT, answered, ink_pad, live_region, path_of, refused

TITLE = ("# ✍️ Digitpad\nDraw a digit or a whole number, pick a real handwritten sample or upload "
         "a photo, and watch a convolutional network read it.")
GALLERY_SIZE = 40  # samples shown at once
DRAW_PROMPT = ("✏️ **Draw a digit** (0-9), or a whole number, on the pad: the network reads "
               "it as you draw.")
AUTO = "its answer"  # the saliency map explains the model's own answer unless a digit is picked


class Answer(NamedTuple):
    """What the page shows for one reading: one field per output component. `render` makes an
    Answer of the components themselves, and the events list them in this order."""
    label: Any  # the top three digits
    chart: Any  # all ten probabilities
    preview: Any  # the 28x28 image the network saw, its saliency map, or a number's boxes
    note: Any  # the verdict, a sample's true label or what went wrong, under the pad
    reading: Any  # the reading itself, kept for the preview and the inside view
    said: Any  # what the live region tells a screen reader
    inside: Any  # the inside view

    @classmethod
    def unchanged(cls) -> "Answer":
        return cls(*(gr.skip() for _ in cls._fields))


class Samples(NamedTuple):
    """The samples tab's components."""
    digit: gr.Dropdown  # which digit's samples
    mistakes: gr.Checkbox  # only those the model reads wrong
    lucky: gr.Button  # a random one
    picker: gr.Gallery
    shown: gr.State  # the sample indices the gallery shows


class Asked(NamedTuple):
    """What every reading is asked with, beside its input (a handler's last three inputs)."""
    why: gr.Checkbox  # show the saliency map rather than the 28x28 input
    focus: gr.Radio  # the digit that map explains
    looking: gr.State  # whether the inside panel is open: closed, nothing is computed for it


class Correction(NamedTuple):
    """'Wrong? It was a ...': the digit meant, Save, and the thanks."""
    meant: gr.Dropdown
    save: gr.Button
    thanks: gr.Markdown


class DrawPage:
    """The page's handlers, around the served model (`model.versions.Served`: a classifier and
    its reading of the TEST samples) and the folder that keeps visitors' corrections."""

    def __init__(self, served, corrections: Path):
        self.served, self.corrections = served, corrections
        self.first = served.now.classifier.folder  # the model whose browser copy pages load
        self.swapped = False  # whether another has been served since: then pages may hold any

    # ------------------------------------------------------------------------ readings
    def show(self, reading, note: str = "", why: bool = False, focus: str = AUTO,
             looking: bool = False):
        """A reading -> its Answer, the inside view left as it is while its panel is closed."""
        said, inside = announcement(reading), self.inside_view(reading) if looking else gr.skip()
        if reading.blank:
            return Answer(label=None, chart=None, preview=None, note=note or DRAW_PROMPT,
                          reading=BLANK, said=said, inside=inside)
        number = isinstance(reading, NumberReading)
        return Answer(label=label(reading),
                      chart=chart((reading.digits[0] if number else reading).probabilities),
                      preview=self.preview(reading, why, focus),
                      note=note or (number_note(reading) if number
                                    else verdict(reading.probabilities)),
                      reading=reading, said=said, inside=inside)

    def inside_view(self, reading) -> str:
        """A reading -> the inside view's HTML: the first network's layers for its (first)
        digit."""
        if reading.blank:
            return '<p class="inside-note">Draw a digit to see inside the network.</p>'
        number = isinstance(reading, NumberReading)
        try:
            inside = look_inside(self.served.now.classifier,
                                 (reading.digits[0] if number else reading).image)
        except ModelError as error:
            return f'<p class="inside-note">{refused("the inside view", error)}</p>'
        return to_html(inside, "the number's first digit" if number else "this digit")

    def open_inside(self, reading):
        """The inside panel opened -> (it is open, its view of the reading shown, the pad asks
        the server while the pen moves: only the server looks inside)."""
        return True, self.inside_view(reading), gr.update(server_live=True)

    def preview(self, reading, why: bool = False, focus: str = AUTO):
        """The image beside the chart: the 28x28 input, its saliency map, or a number's boxes."""
        if reading.blank:
            return None
        if isinstance(reading, NumberReading):
            return number_preview(reading)
        if not why:
            return pixels(reading.image)
        _, heat = saliency(self.served.now.classifier, reading.image,
                           None if focus == AUTO else int(focus))
        return overlay(reading.image, heat)

    def read_pads(self, values: list, whys: list, focuses: list,
                  lookings: list) -> tuple[list, ...]:
        """A batch of ink pad values -> a batch of Answers and of the pad's `answered`,
        every digit of every drawing classified in one model call. A value sent while the pen
        moves (`model.ink.pad_value`) updates only the label, chart and inside view: it is
        never announced, and the reading as the pen lifts is the one that counts."""
        rows, drawings, moving = {}, {}, {}
        for k, value in enumerate(values):
            ink, moving[k] = pad_value(value)
            try:
                drawings[k] = Drawing.from_json(ink)
            except InputError as error:
                note = f"⚠️ {refused('the pad', error)}"
                rows[k] = self.show_moving(BLANK) if moving[k] else self.show(
                    BLANK, note, looking=lookings[k])
        readings = read_drawings(self.served.now.classifier, list(drawings.values()))
        for k, reading in zip(drawings, readings):
            rows[k] = self.show_moving(reading, lookings[k]) if moving[k] else self.show(
                reading, why=whys[k], focus=focuses[k], looking=lookings[k])
        # The browser copy to read with, once another version is served than pages load with.
        now = self.served.now.classifier.folder
        self.swapped = self.swapped or now != self.first  # and a rollback must reach them too
        done = answered(now if self.swapped else None)
        return tuple(map(list, zip(*((*rows[k], done) for k in range(len(values))))))

    def show_moving(self, reading, looking: bool = False):
        """A reading while the pen moves -> its Answer, only the label, chart and inside view
        changed (the preview is a file to fetch); nothing readable yet changes none."""
        if reading.blank:
            return Answer.unchanged()
        digit = reading.digits[0] if isinstance(reading, NumberReading) else reading
        return Answer.unchanged()._replace(
            label=label(reading), chart=chart(digit.probabilities),
            inside=self.inside_view(reading) if looking else gr.skip())

    def read_upload(self, file, why: bool, focus: str, looking: bool):
        """The upload tab: an image file -> its Answer, or a clear message."""
        if file is None:
            return self.show(BLANK, looking=looking)
        try:
            drawing = Drawing.from_file(path_of(file))
            reading = read_each_as_digit(self.served.now.classifier, [drawing])[0]
        except InputError as error:
            gr.Warning(refused("an upload", error))
            return self.show(BLANK, f"⚠️ {error}", looking=looking)
        if reading.blank:
            return self.show(BLANK, "No digit found in this image: try dark ink on light paper.",
                             looking=looking)
        answer = self.show(reading, why=why, focus=focus, looking=looking)
        if why or drawing.sheet.gray is None:
            return answer
        # The photo as read beside the 28x28 input, so a visitor sees what was read and why.
        return answer._replace(preview=photo_preview(drawing, reading.image))

    def correct(self, ink: str, meant: str) -> str:
        """'Wrong? It was a ...': store the pad's drawing, its ink and its 28x28 form with the
        visitor's label. Read from the pad itself: the reading shown may be a sample's."""
        if not meant:
            return "Pick the digit you meant first."
        try:
            drawing = Drawing.from_json(ink)
            reading = read_drawings(self.served.now.classifier, [drawing])[0]
            if reading.blank:
                return "Draw the digit on the pad first: corrections are for drawings."
            if not isinstance(reading, DigitReading):
                return "Corrections are for one drawn digit at a time."
            save_correction(drawing.picture, reading.image, int(meant), folder=self.corrections,
                            ink=ink)
        except (FeedbackError, InputError) as error:
            return f"⚠️ {refused('a correction', error)}"
        return f"🙏 Thank you! Saved as a **{meant}**: it will help the next model."

    # ------------------------------------------------------------------------ samples
    def gallery(self, digit: str, mistakes: bool):
        """-> (gallery items, their sample indices) for the chosen digit and view."""
        samples = self.served.now.samples
        indices = samples.spread(None if digit == "All" else int(digit), mistakes, GALLERY_SIZE)
        items = [(np.round(samples.images[i] * 255).astype(np.uint8),
                  f"{samples.labels[i]} → {samples.predicted[i]}") for i in indices]
        return items, indices.tolist()

    def sample(self, index: int, why: bool = False, focus: str = AUTO, looking: bool = False):
        """One TEST sample by index -> its Answer, with its true label in the note."""
        samples = self.served.now.samples
        i, reading = samples.reading(index)
        return self.show(reading, sample_note(i, samples.labels[i], reading), why, focus,
                         looking)

    def pick_sample(self, indices: list, why: bool, focus: str, looking: bool,
                    event: gr.SelectData):
        return self.sample(indices[event.index], why, focus, looking)

    def random_sample(self, digit: str, mistakes: bool, why: bool, focus: str, looking: bool):
        pool = self.served.now.samples.pick(None if digit == "All" else int(digit), mistakes)
        index = int(np.random.default_rng().choice(pool)) if len(pool) else 0
        return self.sample(index, why, focus, looking)

    # ------------------------------------------------------------------------ layout
    def render(self) -> None:
        """Lay the page out inside the Blocks being built: the inputs' tabs beside the answer,
        the inside view and the model card below; then wire each part's events."""
        gr.Markdown(TITLE, elem_classes="digitpad-title")
        with gr.Row(equal_height=False):
            with gr.Column(scale=5, min_width=320), gr.Tabs():
                with gr.Tab("Draw", id="draw"):
                    pad = ink_pad(live=True, model=self.first)
                with gr.Tab("Dataset samples", id="samples"):
                    samples = self.samples_tab()
                with gr.Tab("Upload", id="upload"):
                    upload = gr.Image(type="filepath", image_mode=None, elem_id="upload",
                                      alt_text="The uploaded photo",
                                      label="Photo or scan of one handwritten digit",
                                      sources=["upload", "clipboard"], height=420)
            with gr.Column(scale=4, min_width=300):
                answer, asked, correction = self.answer_column()
        with gr.Accordion("Inside the network", open=False, elem_id="inside") as panel:
            inside = gr.HTML("", elem_id="inside-view", js_on_load=None)
        with gr.Accordion("Model card", open=False, elem_id="model-card"):
            gr.Markdown(model_card(self.served.now.classifier.metadata)
                        + f"\n\nRetrain with `{TRAIN_COMMAND}`.")
        answer = answer._replace(said=live_region(), inside=inside)  # heard, not seen
        self.wire_pad(pad, answer, asked)
        self.wire_samples(samples, answer, asked)
        self.wire_upload(upload, answer, asked)
        self.wire_answer(answer, asked, pad, correction)
        self.wire_inside(panel, answer, asked, pad)

    def samples_tab(self) -> Samples:
        with gr.Row():
            digit = gr.Dropdown(["All", *CLASSES], value="All", label="Digit",
                                elem_id="sample-digit", min_width=100)
            mistakes = gr.Checkbox(label="Only the model's mistakes", elem_id="sample-mistakes")
            lucky = gr.Button("🎲 Random sample", elem_id="random-sample")
        items, indices = self.gallery("All", False)
        picker = gr.Gallery(items, label="Held-out TEST digits ("
                            f"{self.served.now.samples.dataset}): true → read", columns=6,
                            height=420, allow_preview=False, elem_id="samples", buttons=[])
        return Samples(digit, mistakes, lucky, picker, shown=gr.State(indices))

    def answer_column(self) -> tuple[Answer, Asked, Correction]:
        """The answer (its live region and inside view are placed below), what readings are
        asked with, and the correction form: after the answer, not between the pad and it,
        since on a phone the columns stack."""
        note = gr.Markdown(DRAW_PROMPT, elem_id="note")
        shown_label = gr.Label(num_top_classes=3, label="Prediction", elem_id="prediction")
        bars = gr.BarPlot(None, x="digit", y="probability", color="reading",
                          color_map={"prediction": "#ea580c", "other": "#94a3b8"},
                          y_lim=[0, 1], sort="x", label="All ten probabilities",
                          x_title="digit", y_title="probability", show_label=True,
                          elem_id="chart")
        with gr.Row():
            meant = gr.Dropdown(list(CLASSES), value=None, min_width=120,
                                label="Wrong? It was a …", elem_id="meant")
            save = gr.Button("Save correction", elem_id="save-correction")
        thanks = gr.Markdown(elem_id="thanks")
        with gr.Row():
            why = gr.Checkbox(label="Why? Show which pixels pushed it", elem_id="why")
            focus = gr.Radio([AUTO, *CLASSES], value=AUTO, elem_id="focus",
                             label="What would make it a …")
        picture = gr.Image(label="What the network saw (28x28)", elem_id="preview",
                           interactive=False, height=260, buttons=[], format="png",
                           alt_text="The 28x28 image the network read")
        answer = Answer(label=shown_label, chart=bars, preview=picture, note=note,
                        reading=gr.State(BLANK), said=None, inside=None)
        return answer, Asked(why, focus, looking=gr.State(False)), Correction(meant, save, thanks)

    # ------------------------------------------------------------------------ events
    def wire_pad(self, pad, answer: Answer, asked: Asked) -> None:
        # One batch at a time: under load, readings wait and batch up rather than fight over
        # the cores, and one visitor has one in flight, the latest held back (always_last): so
        # readings while the pen moves thin out by themselves, and the one as it lifts comes
        # last. Callable (undocumented) for the crowd benchmark.
        pad.change(self.read_pads, [pad, *asked], [*answer, pad], batch=True,
                   max_batch_size=8, concurrency_limit=1, concurrency_id="read",
                   trigger_mode="always_last", show_progress="hidden", api_name="draw",
                   api_visibility="undocumented")
        # While the pen moves, the reader in the browser (once loaded) reads the pad: its
        # reading shown with no request to the server.
        pad.input(None, None, [answer.label, answer.chart], js=READOUT, queue=False,
                  show_progress="hidden", api_visibility="private")

    def wire_samples(self, samples: Samples, answer: Answer, asked: Asked) -> None:
        for control in (samples.digit, samples.mistakes):
            control.change(self.gallery, [samples.digit, samples.mistakes],
                           [samples.picker, samples.shown], api_visibility="private")
        samples.picker.select(self.pick_sample, [samples.shown, *asked], list(answer),
                              api_visibility="private")
        samples.lucky.click(self.random_sample, [samples.digit, samples.mistakes, *asked],
                            list(answer), api_visibility="private")

    def wire_upload(self, upload, answer: Answer, asked: Asked) -> None:
        upload.upload(self.read_upload, [upload, *asked], list(answer), preprocess=False,
                      api_visibility="private")
        upload.clear(lambda looking: self.show(BLANK, looking=looking), asked.looking,
                     list(answer), api_visibility="private")

    def wire_answer(self, answer: Answer, asked: Asked, pad, correction: Correction) -> None:
        for control in (asked.why, asked.focus):
            control.change(self.preview, [answer.reading, asked.why, asked.focus],
                           answer.preview, api_visibility="private", show_progress="hidden")
        correction.save.click(self.correct, [pad, correction.meant], correction.thanks,
                              api_visibility="private")

    def wire_inside(self, panel, answer: Answer, asked: Asked, pad) -> None:
        panel.expand(self.open_inside, answer.reading, [asked.looking, answer.inside, pad],
                     api_visibility="private", show_progress="hidden")
        panel.collapse(lambda: (False, gr.update(server_live=False)), None,
                       [asked.looking, pad], api_visibility="private")

