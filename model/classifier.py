"""Load the exported model once and classify batches of 28x28 images with it.

Serving needs only TensorFlow's SavedModel loader, not Keras or the training code.
"""

import json
from pathlib import Path

import numpy as np

from model.spec import (CLASSES, IMAGE_SIZE, METADATA_FILE, MODEL_DIR, SAVED_MODEL,
                        TRAIN_COMMAND)

BATCH = 256  # images per model call


class ModelError(RuntimeError):
    """The model folder is missing or unusable; the message names the path and the fix."""


class Classifier:
    """The exported digit classifier: `probabilities(images)` for (N, 28, 28) float32 batches."""

    def __init__(self, folder: Path = MODEL_DIR):
        self.folder = Path(folder)
        fix = f"Train one with `{TRAIN_COMMAND} --out {self.folder}`."
        metadata = self.folder / METADATA_FILE
        if not (self.folder / SAVED_MODEL / "saved_model.pb").is_file() or not metadata.is_file():
            raise ModelError(f"No exported model at {self.folder}. {fix}")
        try:
            self.metadata = json.loads(metadata.read_text())
            import tensorflow as tf

            self._saved = tf.saved_model.load(str(self.folder / SAVED_MODEL))  # keep it alive
            self.probabilities(np.zeros((1, IMAGE_SIZE, IMAGE_SIZE), np.float32))  # warm up
        except Exception as error:  # corrupt protobuf, missing variables, bad JSON, ...
            detail = " ".join(str(error).split())[:200]  # one line, whatever TensorFlow says
            raise ModelError(f"The model at {self.folder} is unusable ({type(error).__name__}: "
                             f"{detail}). {fix}") from None
        if self.metadata.get("classes") != list(CLASSES):
            raise ModelError(f"The model at {self.folder} has classes "
                             f"{self.metadata.get('classes')}, expected {list(CLASSES)}. {fix}")

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """(N, 28, 28) float32 in [0, 1] -> (N, 10) float32 probabilities, rows summing to 1."""
        images = np.asarray(images, np.float32).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
        if len(images) == 0:
            return np.zeros((0, len(CLASSES)), np.float32)
        return np.concatenate([np.asarray(self._saved.serve(images[i:i + BATCH]))
                               for i in range(0, len(images), BATCH)])

    def serve(self, images):
        """The SavedModel's own function: (N, 28, 28) float32 tensor -> (N, 10) tensor."""
        return self._saved.serve(images)

    def label(self, image: np.ndarray | None) -> dict[str, float]:
        """One (28, 28) image -> {digit: probability} for a gr.Label; {} for a blank (None)."""
        if image is None:
            return {}
        return dict(zip(CLASSES, self.probabilities(image[None])[0].tolist()))

    def read_number(self, digits: list) -> dict:
        """Segmented digits (`model.segment.Digit`, left to right) -> the number they write.

        -> {"number": "42" ("" if none), "digits": [{"digit", "confidence", "probabilities",
        "box": [left, top, right, bottom]}, ...]}, all digits classified in one batched call.
        """
        if not digits:
            return {"number": "", "digits": []}
        found = self.probabilities(np.stack([d.image for d in digits]))
        read = [{"digit": CLASSES[int(p.argmax())], "confidence": round(float(p.max()), 6),
                 "probabilities": [round(float(v), 6) for v in p], "box": list(d.box)}
                for d, p in zip(digits, found)]
        return {"number": "".join(r["digit"] for r in read), "digits": read}
