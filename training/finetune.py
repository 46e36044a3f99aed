"""Fine-tune the current model on visitors' corrections:  python -m training.train --feedback DIR

A quarter of the corrections is held out to measure, and so is a validation part of TRAIN;
the rest of the corrections is mixed into the rest of TRAIN (repeated so it makes about a
tenth of it) and the model trains a few epochs at a low learning rate. The new model is
exported only if it reads at least as many of the validation digits, and at least as many of
the held-out corrections, as the current one did (the original networks trained on most of
that validation part, so it guards against forgetting rather than measuring). TEST is read
once, by the exported model, as training does: it takes no part in the decision.
`training.teach` uses the same steps on a room's drawings.
"""

import json

import numpy as np

from model.feedback import load_corrections
from model.spec import KERAS_FILE
from training.data import DatasetError, load, pipeline, validation_split

MIN_CORRECTIONS = 8  # fewer cannot be split into a part to learn from and a part to measure
FEEDBACK_SHARE = 0.1  # corrections make about this share of the fine-tuning data
LEARNING_RATE = 1e-4


def fine_tune(model, config, rehearsal, validation, lessons, held, callbacks=(),
              learning_rate: float = LEARNING_RATE, augment: bool = True,
              verbose: int = 1, traced: bool = False) -> dict:
    """Train `model` (compiled here, unless `trace` did) `config.epochs` epochs of
    `config.batch_size` images (shuffled and augmented with `config.seed`) on `rehearsal`
    (TRAIN's images and labels) with `lessons` mixed in, scoring it on `validation` and `held`
    before and after -> {"before", "after", "kept", "history"}; kept: neither score went down."""
    def score() -> dict:
        return {"validation_right": _right(model, *validation), "held_right": _right(model, *held)}

    before = score()
    repeat = max(1, round(FEEDBACK_SHARE * len(rehearsal[1]) / len(lessons[1])))
    x = np.concatenate([rehearsal[0], np.repeat(lessons[0], repeat, axis=0)])
    y = np.concatenate([rehearsal[1], np.repeat(lessons[1], repeat)])
    if not traced:
        _compile(model, learning_rate)
    history = model.fit(pipeline(x, y, config.batch_size, config.seed, training=True,
                                 augment=augment), epochs=config.epochs,
                        callbacks=list(callbacks), verbose=verbose)
    after = score()
    return {"before": before, "after": after, "history": history.history,
            "kept": all(after[k] >= before[k] for k in before)}


def trace(model, config, rehearsal, learning_rate: float = LEARNING_RATE) -> None:
    """Compile `model` for fine_tune and trace its training and reading steps on a few of the
    `rehearsal` images, leaving its weights as they were and its optimizer fresh: a process
    readied ahead (training.teach) then learns as soon as it has the drawings."""
    import keras

    _compile(model, learning_rate)
    weights = model.get_weights()  # the batch-norm statistics too
    images, labels = (part[:2 * config.batch_size] for part in rehearsal)
    model.fit(pipeline(images, labels, config.batch_size, config.seed, training=True),
              epochs=1, verbose=0)
    model.predict(images[:1], verbose=0)
    model.set_weights(weights)
    for variable in model.optimizer.variables:  # as a new optimizer starts: step 0, no moments
        variable.assign(keras.ops.zeros_like(variable))
    model.optimizer.learning_rate = learning_rate  # a variable among them, zeroed too


def _compile(model, learning_rate: float) -> None:
    import keras

    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])


def split_held(count: int, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` items -> (indices held out to measure: `share` of them, at least 2, chosen at
    random; the rest, to learn from)."""
    order = np.random.default_rng(seed).permutation(count)
    size = max(2, round(count * share))
    return order[:size], order[size:]


def finetune(config) -> dict:
    """Fine-tune `config.out`'s model on `config.feedback` (`config`: training.train's) -> the
    summary (with `exported` True or False)."""
    import keras

    from training.export import export_trained
    from training.network import seed_everything

    images, labels = load_corrections(config.feedback)
    if len(labels) < MIN_CORRECTIONS:
        raise DatasetError(f"{config.feedback} holds {len(labels)} usable corrections; "
                           f"fine-tuning needs at least {MIN_CORRECTIONS}.")
    held, tune = split_held(len(labels), 0.25, config.seed)
    seed_everything(config.seed)
    model = keras.models.load_model(config.out / KERAS_FILE)
    (x_train, y_train), (x_test, y_test) = load(config.dataset, config.emnist_zip, config.limit,
                                                config.seed)
    rehearsal, validation = validation_split(x_train, y_train, config.validation_fraction,
                                             config.seed)
    result = fine_tune(model, config, rehearsal, validation, (images[tune], labels[tune]),
                       (images[held], labels[held]), augment=config.augment)
    summary = {"corrections": len(labels), "held_out": len(held), "validation": len(validation[1]),
               "before": result["before"], "after": result["after"], "exported": result["kept"]}
    if summary["exported"]:
        probabilities = model.predict(x_test, verbose=0)
        summary["test_accuracy"] = round(float((probabilities.argmax(axis=1) == y_test).mean()), 4)
    print(json.dumps(summary, indent=2))
    if summary["exported"] and config.export:
        export_trained(config, model, {"network": "fine-tuned on feedback", **summary},
                       [result["history"]], (x_test, y_test, probabilities))
    elif not summary["exported"]:
        print("It read fewer validation digits or held-out corrections than the current "
              "model: not exported; the current one stays.")
    return summary


def _right(model, images, labels) -> int:
    """How many of `images` the model reads as their `labels`."""
    return int((model.predict(images, verbose=0).argmax(axis=1) == labels).sum())
