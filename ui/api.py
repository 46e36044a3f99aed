"""The public API: one image file, the pad's ink, or a TEST sample in; a reading's JSON out
(`model.reading`'s `to_json()`, the same everywhere)."""

import gradio as gr

from model.errors import InputError
from model.reading import Drawing, read_drawings, read_each_as_digit, read_number
from ui.common import path_of, refusing


class Api:
    """The endpoints, around the served model (`model.versions.Served`)."""

    def __init__(self, served):
        self.served = served

    @refusing(InputError)
    def classify(self, image: gr.FileData) -> dict:
        """Read the digit in one image file -> DigitReading.to_json() ("label" None: no digit)."""
        drawing = Drawing.from_file(path_of(image))
        return read_each_as_digit(self.served.now.classifier, [drawing])[0].to_json()

    @refusing(InputError)
    def read_number(self, image: gr.FileData) -> dict:
        """Read a whole number in one image file -> NumberReading.to_json() ("number" "" if
        blank)."""
        return read_number(self.served.now.classifier, Drawing.from_file(path_of(image))).to_json()

    @refusing(InputError)
    def read_ink(self, ink: str) -> dict:
        """Read ink JSON ([[[x, y, t], ...], ...] on the 800x800 pad) -> what /classify returns
        for one digit, or NumberReading.to_json() for several."""
        return read_drawings(self.served.now.classifier, [Drawing.from_json(ink)])[0].to_json()

    def sample(self, index: int) -> dict:
        """One held-out TEST sample by index -> its true label, whether it was read right, and
        the model's reading (DigitReading.to_json())."""
        return self.served.now.samples.to_json(index)

    def model(self) -> dict:
        """The model being served: its version ("shipped", or v1, v2, ... as the room taught
        it), where it comes from and how it did (`model.versions.ServedVersion.to_json()`)."""
        return self.served.now.to_json()

    def render(self) -> None:
        """Add the endpoints to the Blocks being built."""
        for endpoint in (self.classify, self.read_number, self.read_ink, self.sample, self.model):
            gr.api(endpoint, api_name=endpoint.__name__)
