"""Load the exported model once and classify batches of 28x28 images with it.

Serving needs only TensorFlow's SavedModel loader, not Keras or the training code.
"""

import functools
import json
import os
import sys
from pathlib import Path

import numpy as np

from model.errors import ModelError
from model.spec import CLASSES, IMAGE_SIZE, METADATA_FILE, MODEL_DIR, SAVED_MODEL, TRAIN_COMMAND

BATCH = 256  # images per model call


def tensorflow():
    """TensorFlow, imported without its C++ start-up log on the terminal: on a machine without
    a GPU it probes for CUDA and logs "failed call to cuInit: ... CUDA error", which reads as a
    crash. TF_CPP_MIN_LOG_LEVEL set to 0-2 shows TensorFlow's later log again."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    terminal, silent = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(silent, 2)  # the log written before TensorFlow's own settings are read
    try:
        import tensorflow as tf
    finally:
        os.dup2(terminal, 2)
        os.close(terminal)
        os.close(silent)
    return tf


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
            tf = tensorflow()
            self._saved = tf.saved_model.load(str(self.folder / SAVED_MODEL))  # keep it alive
            # Its one traced graph, called directly: the restored function would first match
            # every call's arguments against its signatures, which costs a small batch dearly.
            self._forward = self._saved.serve.get_concrete_function(
                tf.TensorSpec([None, IMAGE_SIZE, IMAGE_SIZE], tf.float32))
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
        return np.concatenate([np.asarray(self._forward(images[i:i + BATCH]))
                               for i in range(0, len(images), BATCH)])

    def inside(self, image: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        """(28, 28) float32 in [0, 1] -> (the first network's activations, layer by layer, each
        without the batch axis, ending with its (10,) probabilities; (networks, 10) float32,
        each network's probabilities), for `model.inside`."""
        if not hasattr(self._saved, "inside"):
            raise ModelError(f"The model at {self.folder} was exported without its inside view:"
                             f" `python -m training.export --folder {self.folder}` adds it.")
        shown, networks = self._inside(np.asarray(image, np.float32)[None])
        return [np.asarray(values)[0] for values in shown], np.asarray(networks)[0]

    @functools.cached_property
    def _inside(self):
        tf = tensorflow()
        return self._saved.inside.get_concrete_function(
            tf.TensorSpec([None, IMAGE_SIZE, IMAGE_SIZE], tf.float32))

    @functools.cached_property
    def gradient(self):
        """A function traced once: ((1, 28, 28) image, digit (-1: the answer)) -> (p, d p[digit]
        / d image), for `model.explain`."""
        tf = tensorflow()

        @tf.function(input_signature=[tf.TensorSpec([1, IMAGE_SIZE, IMAGE_SIZE], tf.float32),
                                      tf.TensorSpec([], tf.int32)])
        def gradient(batch, digit):
            with tf.GradientTape() as tape:
                tape.watch(batch)
                p = self._saved.serve(batch)
                chosen = tf.where(digit < 0, tf.argmax(p[0], output_type=tf.int32), digit)
                score = p[0, chosen]
            return p, tape.gradient(score, batch)

        return gradient
