"""Inside the network: the layers the app shows are the SavedModel's own numbers (checked
against Keras and, for the first convolution, by hand), drawn faithfully, and an older export
says how to add them."""

import base64
import io

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from scipy import signal

from model.classifier import Classifier
from model.errors import ModelError
from model.imagefile import png_base64
from model.inside import PALETTE, look_inside, picture, shades, tile, to_html
from model.samples import load_samples
from model.spec import CLASSES, KERAS_FILE, MODEL_DIR, SAMPLES_FILE, SAVED_MODEL
from training import export
from training.network import activations, baseline, ensemble, members


@pytest.fixture(scope="module")
def classifier():
    return Classifier(MODEL_DIR)


@pytest.fixture(scope="module")
def first_network():
    """The shipped model's first network, from its Keras file."""
    return members(keras.saving.load_model(MODEL_DIR / KERAS_FILE, compile=False))[0]


def test_the_layers_shown_are_the_first_networks_and_average_to_the_answer(classifier,
                                                                            first_network):
    layer_by_layer = keras.Model(first_network.inputs[0], activations(first_network))
    for image in load_samples(classifier).images[:6]:
        inside = look_inside(classifier, image)
        expected = [np.asarray(values)[0] for values in layer_by_layer(image[None])]
        assert [layer.values.shape for layer in inside.layers] == [
            (28, 28, 32), (28, 28, 32), (14, 14, 64), (14, 14, 64), (7, 7, 128), (128,)]
        for layer, values in zip(inside.layers, expected):
            np.testing.assert_allclose(layer.values, values, atol=1e-4)
        np.testing.assert_allclose(inside.networks[0], expected[-1], atol=1e-5)
        # The five networks' outputs average to the very probabilities the app shows.
        assert inside.networks.shape == (5, 10)
        np.testing.assert_allclose(inside.networks.mean(axis=0),
                                   classifier.probabilities(image[None])[0], atol=1e-6)


def test_the_first_convolutions_maps_equal_a_convolution_done_by_hand(classifier, first_network):
    conv, norm = (next(layer for layer in first_network.layers if isinstance(layer, kind))
                  for kind in (keras.layers.Conv2D, keras.layers.BatchNormalization))
    (kernel,), (gamma, beta, mean, variance) = conv.get_weights(), norm.get_weights()
    image = load_samples(classifier).images[7]
    maps = np.stack([signal.correlate2d(image, kernel[:, :, 0, k], mode="same")
                     for k in range(kernel.shape[-1])], axis=-1)
    by_hand = np.maximum(gamma * (maps - mean) / np.sqrt(variance + norm.epsilon) + beta, 0)
    np.testing.assert_allclose(look_inside(classifier, image).layers[0].values, by_hand,
                               atol=1e-4)


def test_maps_are_tiled_in_a_grid_scaled_by_the_layers_largest_value():
    values = np.zeros((2, 2, 3), np.float32)
    values[0, 0, 0], values[1, 1, 1], values[0, 1, 2] = 4, 2, 1
    grid = tile(values, columns=2)
    assert grid.shape == (5, 5)  # two rows of two 2x2 maps, a gap of 1 between
    np.testing.assert_array_equal(np.isnan(grid), [[0, 0, 1, 0, 0], [0, 0, 1, 0, 0],
                                                   [1, 1, 1, 1, 1], [0, 0, 1, 1, 1],
                                                   [0, 0, 1, 1, 1]])
    assert grid[0, 0] == 1 and grid[1, 4] == 0.5 and grid[3, 1] == 0.25 and grid[4, 0] == 0
    assert shades(grid)[0, 0] == 14 and shades(grid)[4, 0] == 0 and shades(grid)[2, 2] == 15


def test_a_layers_picture_round_trips_through_its_4_bit_png(classifier):
    layer = look_inside(classifier, load_samples(classifier).images[0]).layers[0]
    indices = picture(layer)
    png = Image.open(io.BytesIO(base64.b64decode(png_base64(indices, PALETTE))))
    assert png.mode == "P" and png.info["transparency"] == len(PALETTE) - 1
    np.testing.assert_array_equal(np.asarray(png), indices)
    assert indices.shape == (4 * 29 - 1, 8 * 29 - 1)  # 32 maps of 28x28, 8 to a row


def test_the_view_names_each_layer_and_tabulates_every_networks_outputs(classifier):
    inside = look_inside(classifier, load_samples(classifier).images[0])
    view = to_html(inside, "this digit")
    assert view.count("<figure>") == 6 and view.count('alt="Convolution') == 5
    assert view.count("<tr>") == 1 + 5 + 1  # the digits, five networks, their average
    average = inside.networks.mean(axis=0)
    assert f"{round(100 * average.max())}</td>" in view.split("Average")[1]


def test_an_export_without_the_inside_view_says_how_to_add_it(tmp_path, capsys):
    model = ensemble([baseline("one"), baseline("two")])
    folder = tmp_path / "model"
    export.export_model(model, folder, {"classes": list(CLASSES)})
    images = np.random.default_rng(0).random((20, 28, 28)).astype(np.float32)
    np.savez(folder / SAMPLES_FILE, images=images)
    served = tf.Module()  # an export from before the inside view: `serve` only
    served.weights = [variable.value for variable in model.variables]
    served.serve = tf.function(lambda x: model(x, training=False),
                               input_signature=[tf.TensorSpec([None, 28, 28], tf.float32)])
    tf.saved_model.save(served, str(tmp_path / "old"))
    (folder / SAVED_MODEL).rename(tmp_path / "new")
    (tmp_path / "old").rename(folder / SAVED_MODEL)

    old = Classifier(folder)
    with pytest.raises(ModelError, match="python -m training.export --folder"):
        old.inside(images[0])
    assert export.main(["--folder", str(folder)]) == 0
    assert "Re-exported" in capsys.readouterr().out
    new = Classifier(folder)
    np.testing.assert_array_equal(new.probabilities(images), old.probabilities(images))
    inside = look_inside(new, images[0])
    assert inside.networks.shape == (2, 10)
    np.testing.assert_allclose(inside.networks.mean(axis=0), new.probabilities(images[:1])[0],
                               atol=1e-6)
