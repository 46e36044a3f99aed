"""Write a trained model as a folder that describes itself, all at once or not at all.

The folder holds `saved_model/` (what the app and CLI serve), `model.keras` (for fine-tuning)
and `metadata.json`. It is written beside its target under a temporary name and moved into
place only when complete, so a crash never leaves a half model and the old one stays intact.

    python -m training.export [--folder model/digitpad]   # rewrite a folder's SavedModel only
"""

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from model.config import flag, parse
from model.spec import IMAGE_SIZE, KERAS_FILE, METADATA_FILE, MODEL_DIR, SAMPLES_FILE, SAVED_MODEL
from training.network import activations, members


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
    """Write `model` as a SavedModel whose `serve(images)` maps (N, 28, 28) float32 to (N, 10),
    and whose `inside(images)` gives (the first network's activations, layer by layer; each
    network's probabilities, (N, networks, 10)) for the app's inside view.

    What `model.export(folder)` writes, with each weight stored once: Keras 3 stores every
    weight twice there (keras-team/keras#23553), doubling the file and the memory of whoever
    loads it. Here the SavedModel tracks the very `tf.Variable`s its functions read.
    """
    served = tf.Module()
    served.weights = [variable.value for variable in model.variables]  # the raw tf.Variables
    first, *others = members(model)
    layer_by_layer = keras.Model(first.inputs[0], activations(first))
    images_spec = tf.TensorSpec([None, IMAGE_SIZE, IMAGE_SIZE], tf.float32, name="images")

    @tf.function(input_signature=[images_spec])
    def serve(images):
        return model(images, training=False)

    @tf.function(input_signature=[images_spec])
    def inside(images):
        shown = layer_by_layer(images, training=False)
        each = [shown[-1], *(network(images, training=False) for network in others)]
        return shown, tf.stack(each, axis=1)

    served.serve, served.inside = serve, inside
    tf.saved_model.save(served, str(folder), signatures={"serving_default": serve})


def reexport(folder: Path) -> None:
    """Write `folder`'s SavedModel anew from its Keras file, with the functions this version
    of `save_served` writes, and swap it in only if it reads the folder's TEST samples exactly
    as the old one did."""
    folder = Path(folder).resolve()
    model = keras.saving.load_model(folder / KERAS_FILE, compile=False)
    staging = Path(tempfile.mkdtemp(prefix=f".{SAVED_MODEL}-", dir=folder))
    try:
        save_served(model, staging / SAVED_MODEL)
        images = np.load(folder / SAMPLES_FILE)["images"].astype(np.float32)
        old, new = (tf.saved_model.load(str(path / SAVED_MODEL)) for path in (folder, staging))
        old, new = old.serve(images).numpy(), new.serve(images).numpy()
        if not np.allclose(old, new, atol=1e-6):
            raise SystemExit(f"error: the new SavedModel reads differently (largest change "
                             f"{np.abs(old - new).max():.2g}); {folder} is unchanged")
        _swap_in(staging / SAVED_MODEL, folder / SAVED_MODEL)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _swap_in(staging: Path, target: Path) -> None:
    """Replace `target` by `staging` with two renames; the old folder is removed last."""
    retired = target.with_name(f".{target.name}-old")
    shutil.rmtree(retired, ignore_errors=True)
    if target.exists():
        target.rename(retired)
    staging.rename(target)
    shutil.rmtree(retired, ignore_errors=True)


@dataclass(frozen=True)
class Config:
    folder: Path = flag(MODEL_DIR, "a model folder (saved_model/, model.keras, metadata.json, "
                        "test_samples.npz) whose SavedModel to write anew from its Keras file")


def main(argv=None) -> int:
    config = parse(Config, argv, __doc__)
    reexport(config.folder)
    print(f"Re-exported {config.folder / SAVED_MODEL}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
