"""Training end to end (a short run, then fine-tuning what it exported), export safety, and
failure without litter."""

import dataclasses
import json
import shutil
from pathlib import Path

import keras
import numpy as np
import pytest

from bench import crowd, keynote
from deploy import space
from model import predict
from model.classifier import Classifier
from model.config import parse
from model.feedback import save_correction
from model.samples import load_samples
from model.spec import CLASSES, KERAS_FILE, METADATA_FILE, SAMPLES_FILE
from training import data, export, train
from training.export import export_model
from training.finetune import finetune
from training.network import baseline
from training.report import wilson_interval


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[int, Path]:
    """A short training run, shared by the tests of what it exports and of fine-tuning what it
    exported -> (its exit status, its out folder)."""
    out = tmp_path_factory.mktemp("trained") / "model"
    code = train.main(["--limit", "1000", "--epochs", "3", "--members", "2", "--batch-size", "32",
                       "--out", str(out)])
    return code, out


def test_short_training_run_exports_a_model_that_reloads_and_predicts(trained):
    code, out = trained
    assert code == 0
    assert sorted(p.name for p in out.parent.iterdir()) == ["model"]  # it writes nothing else

    classifier = Classifier(out)  # the SavedModel, loaded without Keras
    meta = classifier.metadata
    assert meta["classes"] == list(CLASSES)
    assert meta["input_format"]["shape"] == [None, 28, 28]
    assert meta["dataset"] == "mnist-subset" and "TEST 1000" in meta["split"]
    assert meta["network"] == "digitpad x2 (averaged)"
    assert len(meta["member_validation_accuracy"]) == 2
    assert len(meta["member_drawn_accuracy"]) == 2 and 0 <= meta["drawn_accuracy"] <= 1
    assert "each network validated on its own" in meta["split"]
    assert 0 <= meta["test_accuracy"] <= 1 and "tensorflow" in meta["versions"]
    low, high = meta["test_accuracy_95_interval"]
    assert 0 <= low < meta["test_accuracy"] < high <= 1

    with np.load(out / SAMPLES_FILE) as data:
        images, labels, stored = data["images"] / 255, data["labels"], data["probabilities"]
    assert images.shape == (1000, 28, 28) and np.bincount(labels).tolist() == [100] * 10
    probabilities = classifier.probabilities(images)
    np.testing.assert_allclose(stored, probabilities, atol=1e-5)  # the exported model's reading
    assert probabilities.shape == (1000, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-4)
    accuracy = (probabilities.argmax(axis=1) == labels).mean()
    assert accuracy == pytest.approx(meta["test_accuracy"], abs=0.002)  # metadata tells the truth
    assert accuracy > 0.85  # 900 images, 3 epochs (measured 94.9%): short of the shipped model

    reloaded = keras.models.load_model(out / KERAS_FILE)  # the .keras file, for fine-tuning
    np.testing.assert_allclose(reloaded.predict(images[:8], verbose=0), probabilities[:8],
                               atol=1e-4)
    for name in ("report.md", "confusion.png", "curves.png", "mistakes.png"):
        assert (out / "report" / name).stat().st_size > 0


def test_finetuning_on_corrections_reports_before_and_after(tmp_path, trained):
    model = tmp_path / "model"
    shutil.copytree(trained[1], model)
    original = (model / METADATA_FILE).read_text()
    folder = tmp_path / "feedback"
    samples = load_samples(Classifier(model))
    for i in range(0, 1000, 100):  # ten corrections, one per digit (TEST images stand in)
        save_correction(np.zeros((50, 50), np.uint8), samples.images[i], int(samples.labels[i]),
                        folder=folder)
    config = parse(train.Config, ["--feedback", str(folder), "--out", str(model), "--epochs",
                                  "1", "--limit", "300"])
    summary = finetune(config)
    assert summary["corrections"] == 10 and summary["held_out"] == 2
    assert 25 <= summary["validation"] <= 35  # a tenth of each digit's of --limit 300
    for when in ("before", "after"):
        assert set(summary[when]) == {"validation_right", "held_right"}  # TEST: not here
        assert 0.9 * summary["validation"] <= summary[when]["validation_right"]
    metadata = json.loads((model / METADATA_FILE).read_text())
    if summary["exported"]:
        assert metadata["network"] == "fine-tuned on feedback"
        assert metadata["after"] == summary["after"]
        assert 0.9 < metadata["test_accuracy"] == summary["test_accuracy"] <= 1
        assert load_samples(Classifier(model)).dataset  # the new model serves, with its samples
    else:
        assert "test_accuracy" not in summary  # TEST is read only by a model that is kept
        assert (model / METADATA_FILE).read_text() == original  # the old model stays
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feedback", "model"]


def test_one_seed_gives_the_same_network_twice():
    config = train.Config(limit=300, epochs=1, members=1, export=False)
    split, _ = data.load(config.dataset, limit=config.limit, seed=config.seed)
    first, _, _ = train.fit_member(config, 0, split)
    second, _, _ = train.fit_member(config, 0, split)
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_failed_export_leaves_the_previous_model_intact(tmp_path):
    model = baseline()
    out = tmp_path / "model"
    export_model(model, out, {"version": 1})

    def crash(folder):
        raise KeyboardInterrupt  # the run is stopped while exporting

    with pytest.raises(KeyboardInterrupt):
        export_model(model, out, {"version": 2}, extra=crash)
    assert json.loads((out / METADATA_FILE).read_text()) == {"version": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # no half-written folders


def test_the_saved_model_stores_each_weight_once_and_serves_like_keras(tmp_path):
    import tensorflow as tf

    from model.spec import SAVED_MODEL
    from training.network import digitpad

    model = digitpad()
    export_model(model, tmp_path / "model", {})
    checkpoint = str(tmp_path / "model" / SAVED_MODEL / "variables" / "variables")
    stored = sum(int(np.prod(shape)) for name, shape in tf.train.list_variables(checkpoint)
                 if "VARIABLE_VALUE" in name)
    weights = sum(int(np.prod(v.shape)) for v in model.variables)
    assert stored == weights  # keras' own model.export stores 2 x weights (keras#23553)
    images = np.random.default_rng(0).random((5, 28, 28)).astype(np.float32)
    served = tf.saved_model.load(str(tmp_path / "model" / SAVED_MODEL))
    np.testing.assert_allclose(served.serve(images).numpy(), model.predict(images, verbose=0),
                               atol=1e-5)


def test_training_on_a_corrupt_dataset_file_fails_clearly_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "matlab.zip"
    bad.write_bytes(b"<html>not found</html>")
    out = tmp_path / "model"
    code = train.main(["--dataset", "emnist", "--emnist-zip", str(bad), "--out", str(out)])
    assert code == 2
    assert "is not a zip file" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["matlab.zip"]


@pytest.mark.parametrize("config", [train.Config, predict.Config, space.Config, crowd.Config,
                                    export.Config, keynote.Config])
def test_every_flag_has_help(capsys, config):
    with pytest.raises(SystemExit):
        parse(config, ["--help"])
    text = capsys.readouterr().out
    for field in dataclasses.fields(config):
        assert field.metadata["help"] and field.name.replace("_", "-") in text


def test_flags_fill_the_config_with_typed_values():
    config = parse(train.Config, ["--epochs", "3", "--no-augment", "--network", "baseline",
                                  "--emnist-zip", "m.zip", "--styles", "0.25"])
    assert config.epochs == 3 and config.augment is False and config.network == "baseline"
    assert config.emnist_zip == Path("m.zip") and config.styles == 0.25 and config.feedback is None
    paths = parse(predict.Config, ["a.png", "b.png", "--json"])
    assert paths.paths == (Path("a.png"), Path("b.png")) and paths.json and not paths.number
    assert parse(crowd.Config, ["--visitors", "5", "7"]).visitors == (5, 7)
    with pytest.raises(SystemExit):
        parse(train.Config, ["--network", "resnet"])  # not one of its choices


def test_the_test_accuracy_interval_is_wilsons_score_interval():
    z = 1.959963984540054  # the normal distribution's 97.5% point
    for right, total in [(989, 1000), (990, 1000), (1000, 1000), (0, 10), (1350, 1500)]:
        p = right / total  # Wilson (1927), written out: an oracle apart from SciPy's code
        centre = (p + z**2 / (2 * total)) / (1 + z**2 / total)
        half = z * np.sqrt(p * (1 - p) / total + z**2 / (4 * total**2)) / (1 + z**2 / total)
        np.testing.assert_allclose(wilson_interval(right, total), (centre - half, centre + half),
                                   atol=1e-9)
    low, high = wilson_interval(989, 1000)  # the shipped model's TEST: 98.9% of 1,000
    assert round(low, 4) == 0.9804 and round(high, 4) == 0.9938  # 99.0% lies inside it
