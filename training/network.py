"""The networks `training.train` can build, and the augmentation used while training them.

Every network takes (N, 28, 28) float32 images in [0, 1] and returns (N, 10) probabilities,
so the exported SavedModel needs nothing around it but `model.preprocess`.
"""

import keras
from keras import layers

from model.spec import IMAGE_SIZE, NUM_CLASSES

BN_MOMENTUM = 0.9  # small datasets give few steps: Keras's 0.99 leaves the running stats stale


def baseline(name: str = "baseline") -> keras.Model:
    """The tutorial's CNN: Conv32-Pool-Dropout-Conv64-Pool-Dropout-Dense256-Dense10."""
    return keras.Sequential([
        keras.Input((IMAGE_SIZE, IMAGE_SIZE)),
        layers.Reshape((IMAGE_SIZE, IMAGE_SIZE, 1)),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Dropout(0.25),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(256, activation="relu"),
        layers.Dense(NUM_CLASSES, activation="softmax"),
    ], name=name)


def _conv_block(x, filters: int, convs: int, dropout: float):
    """`convs` x (3x3 conv, batch norm, ReLU), then 2x2 max pooling and dropout."""
    for _ in range(convs):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
        x = layers.ReLU()(x)
    x = layers.MaxPooling2D(2)(x)
    return layers.Dropout(dropout)(x)


def digitpad(name: str = "digitpad") -> keras.Model:
    """The default: three conv blocks (32, 64, 128 filters) with batch norm, a 128-unit head."""
    inputs = keras.Input((IMAGE_SIZE, IMAGE_SIZE))
    x = layers.Reshape((IMAGE_SIZE, IMAGE_SIZE, 1))(inputs)
    x = _conv_block(x, 32, convs=2, dropout=0.1)  # 28 -> 14
    x = _conv_block(x, 64, convs=2, dropout=0.2)  # 14 -> 7
    x = _conv_block(x, 128, convs=1, dropout=0.3)  # 7 -> 3
    x = layers.Flatten()(x)
    x = layers.Dense(128, use_bias=False)(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
    x = layers.ReLU()(x)
    x = layers.Dropout(0.4)(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax")(x)
    return keras.Model(inputs, outputs, name=name)


NETWORKS = {"digitpad": digitpad, "baseline": baseline}


def members(model: keras.Model) -> list[keras.Model]:
    """The networks whose probabilities `model` averages (`model` itself if it is one)."""
    if model.name != "ensemble":
        return [model]
    return [layer for layer in model.layers if isinstance(layer, keras.Model)]


def activations(network: keras.Model) -> list:
    """The symbolic outputs of `network`'s nonlinearities, layer by layer, ending with its
    probabilities: what the app's inside view shows."""
    linear = keras.activations.get("linear")
    shown = [layer.output for layer in network.layers[:-1] if isinstance(layer, layers.ReLU)
             or getattr(layer, "activation", linear) is not linear]
    return [*shown, network.outputs[0]]


def ensemble(members: list[keras.Model]) -> keras.Model:
    """Average the probabilities of several trained networks: one model, one SavedModel."""
    if len(members) == 1:
        return members[0]
    inputs = keras.Input((IMAGE_SIZE, IMAGE_SIZE))
    outputs = layers.Average()([member(inputs) for member in members])
    return keras.Model(inputs, outputs, name="ensemble")


# ---------------------------------------------------------------------------- augmentation
class RandomDistortion(layers.Layer):
    """Per image: a random affine map (rotation, slant, width and height, shift) plus a smooth
    elastic wobble, sampled bilinearly. Takes and returns (N, H, W, 1) float32 (TensorFlow)."""

    def __init__(self, rotation=0.1, shear=0.3, zoom=0.12, shift=0.06, wobble=1.2,
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rotation, self.shear, self.zoom = rotation, shear, zoom  # radians, x per y, +-share
        self.shift, self.wobble = shift, wobble  # share of the side, pixels
        self.generator = keras.random.SeedGenerator(seed)

    def compute_output_shape(self, input_shape):
        return input_shape

    def _uniform(self, shape, bound):
        return keras.random.uniform(shape, -bound, bound, seed=self.generator)

    def call(self, images, training=True):
        if not training:
            return images
        ops = keras.ops
        n, h, w = ops.shape(images)[0], images.shape[1], images.shape[2]
        ys, xs = ops.meshgrid(ops.arange(h, dtype="float32") - (h - 1) / 2,
                              ops.arange(w, dtype="float32") - (w - 1) / 2, indexing="ij")
        angle = self._uniform((n, 1, 1), self.rotation)
        slant = self._uniform((n, 1, 1), self.shear)
        scale_x = ops.exp(self._uniform((n, 1, 1), self.zoom))
        scale_y = ops.exp(self._uniform((n, 1, 1), self.zoom))
        cos, sin = ops.cos(angle), ops.sin(angle)
        wobble = ops.image.resize(self._uniform((n, 4, 4, 2), self.wobble), (h, w),
                                  interpolation="bicubic")  # smooth displacement field
        src_x = ((cos * xs - sin * ys) / scale_x + slant * ys + (w - 1) / 2
                 + self._uniform((n, 1, 1), self.shift * w) + wobble[..., 0])
        src_y = ((sin * xs + cos * ys) / scale_y + (h - 1) / 2
                 + self._uniform((n, 1, 1), self.shift * h) + wobble[..., 1])
        return _bilinear(images[..., 0], src_y, src_x)[..., None]


def _bilinear(images, ys, xs):
    """Sample (N, H, W) images at (N, H, W) float coordinates; zero outside the image."""
    import tensorflow as tf  # training runs on TensorFlow; this needs a dynamic batch size

    h, w = images.shape[1], images.shape[2]
    batch = tf.broadcast_to(tf.range(tf.shape(images)[0])[:, None, None], tf.shape(ys))
    y0, x0 = tf.floor(ys), tf.floor(xs)
    total = tf.zeros_like(ys)
    for dy in (0, 1):
        for dx in (0, 1):
            y, x = y0 + dy, x0 + dx
            weight = (1 - tf.abs(ys - y)) * (1 - tf.abs(xs - x))
            inside = (y >= 0) & (y <= h - 1) & (x >= 0) & (x <= w - 1)
            index = tf.stack([batch, tf.cast(tf.clip_by_value(y, 0, h - 1), tf.int32),
                              tf.cast(tf.clip_by_value(x, 0, w - 1), tf.int32)], axis=-1)
            total += tf.where(inside, weight * tf.gather_nd(images, index), 0.0)
    return total


class RandomStrokeWidth(layers.Layer):
    """Thickens or thins each image's strokes by up to `factor` of a 3x3 dilation or erosion."""

    def __init__(self, factor: float = 0.5, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=True):
        if not training:
            return images
        thick = keras.ops.max_pool(images, 3, strides=1, padding="same")
        thin = -keras.ops.max_pool(-images, 3, strides=1, padding="same")
        amount = keras.random.uniform((keras.ops.shape(images)[0], 1, 1, 1), -self.factor,
                                      self.factor, seed=self.generator)
        target = keras.ops.where(amount > 0, thick, thin)
        return images + keras.ops.abs(amount) * (target - images)


def augmenter(seed: int) -> keras.Sequential:
    """Random changes a visitor's drawing may show: slant, rotation, size, shift, wobble, width.

    Takes and returns (N, 28, 28, 1) float32 in [0, 1]; used only in the training pipeline.
    (Our own layers: Keras 3.15's RandomShear and RandomElasticTransform mix up the images
    of a batch inside tf.data, so labels no longer match.)
    """
    return keras.Sequential([RandomDistortion(seed=seed), RandomStrokeWidth(0.5, seed=seed + 1)],
                            name="augment")


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow, and make TensorFlow's ops deterministic: without
    that, tf.data's parallel augmentation draws random numbers in a racy order and one seed
    does not give one network."""
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
