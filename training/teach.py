"""Teach a model a room's drawings, in a process of its own (the app runs it on "Teach"):

    python -m training.teach LESSONS.npz taught/v1 [--model model/digitpad]
    python -m training.teach - - [--model ...]   ready first, then {"lessons", "out"} on stdin

LESSONS holds the drawings in the model's format (`images`, (N, 28, 28) float32 in [0, 1]),
the digits they were asked for (`labels`) and what the app says of them (`about`, JSON: the
version's name, its parent, the rounds). A fifth of the drawings, chosen at random, is held
out; the rest is fine-tuned on as `training.finetune` does, with TRAIN rehearsed alongside so
the model does not forget. The new version is written to the out folder, with its metadata,
only if it reads the validation part of TRAIN and the held-out drawings at least as well as
before. With `- -` it loads TensorFlow, the model and TRAIN first, then waits for one JSON line
naming both: the app starts a teaching so while a round runs, and Teach learns at once (at the
end of input instead, it exits having done nothing). Progress goes to stdout as JSON lines
({"event": "progress", "done": 0.4, ...}); the last line is the summary ({"event": "done",
"kept": ..., "before": ..., "after": ...}).
"""

import json
import os
import platform
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import keras
import numpy as np

from model.config import flag, parse
from model.spec import (
    HELD_SHARE,
    KERAS_FILE,
    METADATA_FILE,
    MIN_LESSONS,
    MODEL_DIR,
    TEACH_EPOCHS,
    TEACH_REHEARSE,
)
from training import data
from training.data import DatasetError
from training.export import export_model
from training.finetune import LEARNING_RATE, fine_tune, split_held, trace
from training.network import seed_everything

UPDATES = 20  # progress lines per epoch, at most


@dataclass(frozen=True)
class Config:
    lessons: Path = flag(help="the drawings: an .npz with images, labels and about (JSON); "
                         "-: named on stdin once ready")
    out: Path = flag(help="the folder to write the new version to, if it is kept; -: named on "
                     "stdin once ready")
    model: Path = flag(MODEL_DIR, "the model folder to start from (its model.keras)")
    epochs: int = flag(TEACH_EPOCHS, "epochs over TRAIN's rehearsal part and the drawings")
    rehearse: int = flag(TEACH_REHEARSE, "TRAIN images rehearsed alongside the drawings (0 = "
                         "all of its training part): fewer is faster, more guards better "
                         "against forgetting")
    batch_size: int = flag(128, "images per training step")
    learning_rate: float = flag(LEARNING_RATE, "Adam's learning rate")
    seed: int = flag(2017, "the random seed for the held-out part, shuffling and augmentation")
    nice: int = flag(0, "lower this process's CPU priority by this much (the app gives "
                     "DIGITPAD_TEACH_NICE, 5 unless set, so "
                     "that readings stay fast while it learns)")


def say(event: str, **fields) -> None:
    """One JSON line on stdout, for whoever runs this (the app's teacher)."""
    print(json.dumps({"event": event, **fields}), flush=True)


@dataclass(frozen=True)
class Ready:
    """What a teaching needs before the drawings: the model to tune (compiled, its step
    traced) and TRAIN's parts."""
    model: keras.Model
    parent: dict  # the model's metadata
    rehearsal: tuple  # (images, labels) of TRAIN's training part
    validation: tuple  # (images, labels) of TRAIN's validation part


def prepare(config: Config) -> Ready:
    """Load `config.model` and the TRAIN images it rehearses and is validated on, and trace
    its training step."""
    seed_everything(config.seed)
    parent = json.loads((config.model / METADATA_FILE).read_text())
    model = keras.models.load_model(config.model / KERAS_FILE)
    rehearsal, validation = train_part(parent.get("dataset", "mnist-subset"), config)
    trace(model, config, rehearsal, config.learning_rate)
    return Ready(model, parent, rehearsal, validation)


def teach(config: Config, ready: Ready) -> dict:
    """Fine-tune the ready model on `config.lessons`; export to `config.out` if kept -> the
    summary."""
    started = time.time()
    with np.load(config.lessons) as data:
        images, labels = data["images"].astype(np.float32), data["labels"].astype(np.int64)
        about = json.loads(str(data["about"]))
    if len(labels) < MIN_LESSONS:
        raise DatasetError(f"{len(labels)} drawings are too few to teach: at least "
                           f"{MIN_LESSONS} are needed.")
    held, learn = split_held(len(labels), HELD_SHARE, config.seed)
    model, validation = ready.model, ready.validation
    say("learning", epochs=config.epochs, drawings=len(labels), held_out=len(held))
    result = fine_tune(model, config, ready.rehearsal, validation,
                       (images[learn], labels[learn]), (images[held], labels[held]),
                       callbacks=[Progress(config.epochs)], learning_rate=config.learning_rate,
                       verbose=0, traced=True)  # stdout carries the progress lines only
    summary = {"drawings": len(labels), "learnt": len(learn), "held_out": len(held),
               "validation": len(validation[1]), "before": result["before"],
               "after": result["after"], "kept": result["kept"], "epochs": config.epochs}
    if result["kept"]:
        say("saving")
        summary["seconds"] = round(time.time() - started, 1)
        export_model(model, config.out, metadata(ready.parent, about, summary))
    return summary


def train_part(dataset: str, config: Config):
    """-> (`config.rehearse` images of TRAIN's training part to rehearse, TRAIN's validation
    part), each as (images, labels) in the model's format. TEST is dropped unread."""
    (x, y), _ = data.load_emnist() if dataset == "emnist" else data.load_mnist_subset()
    (x, y), (x_val, y_val) = data.validation_split(x, y, data.VALIDATION_FRACTION, config.seed)
    pick = np.random.default_rng(config.seed).permutation(len(y))[:config.rehearse or None]
    return ((data.to_model_format(x[pick]), y[pick]), (data.to_model_format(x_val), y_val))


def metadata(parent: dict, about: dict, summary: dict) -> dict:
    """The new version's metadata: its parent's format, what it was taught, and how it did."""
    import tensorflow as tf

    kept = ("classes", "input_format", "output", "network", "parameters", "dataset")
    return {**{k: parent[k] for k in kept if k in parent}, **about, **summary,
            "taught_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": {"python": platform.python_version(), "tensorflow": tf.__version__,
                         "keras": keras.__version__, "numpy": np.__version__}}


class Progress(keras.callbacks.Callback):
    """Says how far the fine-tuning is, a few times an epoch."""

    def __init__(self, epochs: int):
        super().__init__()
        self.epochs, self.epoch = epochs, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        steps = self.params.get("steps") or 1
        if (batch + 1) % max(1, steps // UPDATES) == 0 or batch + 1 == steps:
            say("progress", epoch=self.epoch + 1, epochs=self.epochs,
                done=round((self.epoch + (batch + 1) / steps) / self.epochs, 3))


def main(argv=None) -> int:
    config = parse(Config, argv, __doc__)
    if config.nice:
        os.nice(config.nice)
    try:
        ready = prepare(config)
        if str(config.lessons) == "-":
            named = sys.stdin.readline()
            if not named:
                return 0  # the app went on without teaching
            named = json.loads(named)
            config = replace(config, lessons=Path(named["lessons"]), out=Path(named["out"]))
        summary = teach(config, ready)
    except (DatasetError, OSError, KeyError, ValueError) as error:
        say("failed", why=f"{type(error).__name__}: {error}")
        return 2
    say("done", **summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
