"""Fine-tune the current model on visitors' corrections:  python -m training.train --feedback DIR

A quarter of the corrections is held out to measure, and so is a validation part of TRAIN;
the rest of the corrections is mixed into the rest of TRAIN (repeated so it makes about a
tenth of it) and the model trains a few epochs at a low learning rate. The new model is
exported only if it reads at least as many of the validation digits and held-out corrections
as the current one did (the original networks trained on most of that validation part, so it
guards against forgetting rather than measuring). TEST is read once, by the exported model,
as training does: it takes no part in the decision.
"""

import json

import numpy as np

from model.feedback import load_corrections
from model.spec import KERAS_FILE
from training.data import DatasetError, validation_split

MIN_CORRECTIONS = 8  # fewer cannot be split into a part to learn from and a part to measure
FEEDBACK_SHARE = 0.1  # corrections make about this share of the fine-tuning data
LEARNING_RATE = 1e-4


def finetune(config, load, pipeline, export) -> dict:
    """Fine-tune `config.out`'s model on `config.feedback`; `load`, `pipeline` and `export`
    are training.train's own stages -> the summary (with `exported` True or False)."""
    import keras

    from training.network import seed_everything

    images, labels = load_corrections(config.feedback)
    if len(labels) < MIN_CORRECTIONS:
        raise DatasetError(f"{config.feedback} holds {len(labels)} usable corrections; "
                           f"fine-tuning needs at least {MIN_CORRECTIONS}.")
    order = np.random.default_rng(config.seed).permutation(len(labels))
    held, tune = order[: max(2, len(order) // 4)], order[max(2, len(order) // 4):]
    seed_everything(config.seed)
    model = keras.models.load_model(config.out / KERAS_FILE)
    (x_train, y_train), (x_test, y_test) = load(config)
    (x_train, y_train), (x_val, y_val) = validation_split(x_train, y_train,
                                                          config.validation_fraction, config.seed)

    def score() -> dict:
        return {"validation_right": _right(model, x_val, y_val),
                "feedback_right": _right(model, images[held], labels[held])}

    before = score()
    repeat = max(1, round(FEEDBACK_SHARE * len(y_train) / len(tune)))
    x = np.concatenate([x_train, np.repeat(images[tune], repeat, axis=0)])
    y = np.concatenate([y_train, np.repeat(labels[tune], repeat)])
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(pipeline(x, y, config, training=True), epochs=config.epochs, verbose=1)
    after = score()
    summary = {"corrections": len(labels), "held_out": len(held), "validation": len(y_val),
               "before": before, "after": after,
               "exported": sum(after.values()) >= sum(before.values())}
    if summary["exported"]:
        probabilities = model.predict(x_test, verbose=0)
        summary["test_accuracy"] = round(float((probabilities.argmax(axis=1) == y_test).mean()), 4)
    print(json.dumps(summary, indent=2))
    if summary["exported"] and config.export:
        export(config, model, {"network": "fine-tuned on feedback", **summary},
               [history.history], (x_test, y_test, probabilities))
    elif not summary["exported"]:
        print("It read fewer validation digits and held-out corrections than the current "
              "model: not exported; the current one stays.")
    return summary


def _right(model, images, labels) -> int:
    """How many of `images` the model reads as their `labels`."""
    return int((model.predict(images, verbose=0).argmax(axis=1) == labels).sum())
