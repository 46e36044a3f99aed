"""Write a trained model as a folder that describes itself, all at once or not at all.

The folder holds `saved_model/` (what the app and CLI serve), `model.keras` (for fine-tuning)
and `metadata.json`. It is written beside its target under a temporary name and moved into
place only when complete, so a crash never leaves a half model and the old one stays intact.
"""

import json
import shutil
import tempfile
from pathlib import Path

import keras
import tensorflow as tf

from model.spec import IMAGE_SIZE, KERAS_FILE, METADATA_FILE, SAVED_MODEL


def export_model(model: keras.Model, out_dir: Path, metadata: dict, extra=None) -> Path:
    """Export `model` with `metadata` to `out_dir`; `extra(folder)` may add files before the
    move."""
    out_dir = Path(out_dir).resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        save_served(model, staging / SAVED_MODEL)
        model.save(staging / KERAS_FILE)
        (staging / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n")
        if extra is not None:
            extra(staging)
        _swap_in(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out_dir


def save_served(model: keras.Model, folder: Path) -> None:
    """Write `model` as a SavedModel whose `serve(images)` maps (N, 28, 28) float32 to (N, 10).

    What `model.export(folder)` writes, with each weight stored once: Keras 3 stores every
    weight twice there (keras-team/keras#23553), doubling the file and the memory of whoever
    loads it. Here the SavedModel tracks the very `tf.Variable`s its function reads.
    """
    served = tf.Module()
    served.weights = [variable.value for variable in model.variables]  # the raw tf.Variables

    @tf.function(input_signature=[tf.TensorSpec([None, IMAGE_SIZE, IMAGE_SIZE], tf.float32,
                                                name="images")])
    def serve(images):
        return model(images, training=False)

    served.serve = serve
    tf.saved_model.save(served, str(folder), signatures={"serving_default": serve})


def _swap_in(staging: Path, target: Path) -> None:
    """Replace `target` by `staging` with two renames; the old folder is removed last."""
    retired = target.with_name(f".{target.name}-old")
    shutil.rmtree(retired, ignore_errors=True)
    if target.exists():
        target.rename(retired)
    staging.rename(target)
    shutil.rmtree(retired, ignore_errors=True)
