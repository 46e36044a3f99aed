"""Write a trained model as a folder that describes itself, all at once or not at all.

The folder holds `saved_model/` (what the app and CLI serve), `model.keras` (for fine-tuning),
`metadata.json` and `browser/` (the network the reader in the browser runs, `assets/reader/`).
It is written beside its target under a temporary name and moved into place only when
complete, so a crash never leaves a half model and the old one stays intact.

    python -m training.export [--folder model/digitpad]   # rewrite its SavedModel and browser copy
"""

import dataclasses
import json
import platform
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from model.config import flag, parse
from model.spec import (
    BROWSER_DIR,
    CLASSES,
    IMAGE_SIZE,
    INPUT_FORMAT,
    KERAS_FILE,
    METADATA_FILE,
    MODEL_DIR,
    SAMPLES_FILE,
    SAVED_MODEL,
)
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
        save_browser(model, staging / BROWSER_DIR, metadata.get("member_validation_accuracy"))
        if extra is not None:
            extra(staging)
        _swap_in(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out_dir


def export_trained(config, model: keras.Model, summary: dict, histories: list[dict],
                   test) -> None:
    """A trained or fine-tuned model (`training.train`'s `config`) -> `config.out`: the model,
    its metadata, report and the TEST samples the app shows. `test`: (images, labels, the
    model's probabilities)."""
    from model.classifier import Classifier
    from model.samples import write_samples
    from training.report import write_report

    x_test, y_test, probabilities = test
    metadata = {
        "classes": list(CLASSES),
        "input_format": INPUT_FORMAT,
        "output": "probabilities of the classes, in order, summing to 1",
        **summary,
        "config": {k: str(v) for k, v in dataclasses.asdict(config).items()},
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": {"python": platform.python_version(), "tensorflow": tf.__version__,
                     "keras": keras.__version__, "numpy": np.__version__},
    }

    def extra(folder: Path) -> None:
        write_report(folder / "report", histories, y_test, probabilities, x_test, summary)
        write_samples(folder / SAMPLES_FILE, x_test, y_test, config.dataset,
                      Classifier(folder).probabilities)  # the exported model's own reading

    out = export_model(model, config.out, metadata, extra=extra)
    print(f"Exported {out}")


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


# ---------------------------------------------------------------------------- browser copy
BROWSER_MEMBERS = 1  # networks the browser runs: one reads a digit in 4 ms, the five in 16 ms
BROWSER_FORMAT = "digitpad-browser/1"


def save_browser(model: keras.Model, folder: Path, validation: list | None = None) -> None:
    """Write the network(s) the browser reader runs: `network.json` (the layers, in order) and
    `weights.bin` (each layer's per-channel float32 scales and biases, then its int8 kernel).

    Batch norm is folded into the layer before it, so the browser runs convolutions, pooling
    and dense layers only. Of an ensemble, the BROWSER_MEMBERS networks best on validation
    (`validation`: each member's accuracy) are kept: the browser follows the pen, the server
    answers as the pen lifts.
    """
    networks = members(model)
    order = sorted(range(len(networks)), key=lambda k: -(validation or [0] * len(networks))[k])
    kept = sorted(order[:BROWSER_MEMBERS])
    blob, layout = bytearray(), []
    for k in kept:
        layers_out = []
        for op in _folded(networks[k]):
            if op["op"] == "pool":
                layers_out.append(op)
                continue
            kernel, bias = op.pop("kernel"), op.pop("bias")
            peak = np.abs(kernel.reshape(-1, kernel.shape[-1])).max(axis=0)
            scale = np.where(peak > 0, peak / 127, 1).astype(np.float32)
            quantised = np.round(kernel / scale).astype(np.int8)
            layers_out.append(op | {"shape": list(kernel.shape), "offset": len(blob)})
            blob += scale.astype("<f4").tobytes() + bias.astype("<f4").tobytes()
            blob += quantised.tobytes() + bytes(-quantised.size % 4)  # 4-byte aligned
        layout.append(layers_out)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "weights.bin").write_bytes(bytes(blob))
    about = {"format": BROWSER_FORMAT, "members": kept, "of": len(networks),
             "input": "(28, 28) float32 in [0, 1], white ink on black, row by row",
             "weights": "weights.bin: per layer, float32 scales[out], float32 bias[out], "
                        "int8 kernel (Keras order), 4-byte aligned; kernel = int8 x scale",
             "networks": layout}
    (folder / "network.json").write_text(json.dumps(about, indent=1) + "\n")


def _folded(network: keras.Model) -> list[dict]:
    """A network -> its layers as {"op": "conv" | "pool" | "dense", "kernel", "bias", "relu",
    "padding"}, batch norm folded into the convolution or dense layer before it."""
    ops = []
    for layer in network.layers:
        if isinstance(layer, (layers.Conv2D, layers.Dense)):
            kernel = layer.kernel.numpy()
            bias = layer.bias.numpy() if layer.use_bias else np.zeros(kernel.shape[-1], np.float32)
            kind = "conv" if isinstance(layer, layers.Conv2D) else "dense"
            ops.append({"op": kind, "kernel": kernel, "bias": bias,
                        "relu": layer.activation.__name__ == "relu"}
                       | ({"padding": layer.padding} if kind == "conv" else {}))
        elif isinstance(layer, layers.BatchNormalization):
            gamma, beta, mean, variance = (w.numpy() for w in layer.weights)
            scale = gamma / np.sqrt(variance + layer.epsilon)
            ops[-1]["kernel"] = ops[-1]["kernel"] * scale
            ops[-1]["bias"] = (ops[-1]["bias"] - mean) * scale + beta
        elif isinstance(layer, layers.ReLU):
            ops[-1]["relu"] = True
        elif isinstance(layer, layers.MaxPooling2D):
            ops.append({"op": "pool"})
        elif not isinstance(layer, (layers.InputLayer, layers.Reshape, layers.Dropout,
                                    layers.Flatten)):
            raise ValueError(f"The browser reader cannot run a {type(layer).__name__} layer.")
    return ops


# ---------------------------------------------------------------------------- re-export
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
        metadata = json.loads((folder / METADATA_FILE).read_text())
        save_browser(model, staging / BROWSER_DIR, metadata.get("member_validation_accuracy"))
        _swap_in(staging / BROWSER_DIR, folder / BROWSER_DIR)
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
    print(f"Re-exported {config.folder / SAVED_MODEL} and {config.folder / BROWSER_DIR}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
