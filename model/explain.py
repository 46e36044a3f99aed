"""Why did the model say that? Gradient x input saliency from the served model, in one call.

One forward and backward pass through the SavedModel gives how much each pixel's ink raised
the probability of a digit (the model's answer, or any digit the visitor asks about). Ink that
raised it pushed the model toward the digit (> 0); ink that lowered it pushed away (< 0).
"""

import numpy as np
from scipy import ndimage

SMOOTH = 0.7  # a light blur (px) so the map reads as regions, not single pixels


def saliency(classifier, image: np.ndarray,
             digit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(28, 28) float32 image -> (probabilities (10,), map (28, 28) float32) for `digit`
    (None: the model's answer), from one forward and backward pass.

    The map is > 0 where the ink pushed the model toward the digit, < 0 where it pushed away.
    """
    gradient = classifier.gradient
    batch = image[None].astype(np.float32)
    p, grad = (t.numpy() for t in gradient(batch, np.int32(-1 if digit is None else digit)))
    return p[0], ndimage.gaussian_filter(grad[0] * image, SMOOTH).astype(np.float32)


def overlay(image: np.ndarray, heat: np.ndarray, scale: int = 8) -> np.ndarray:
    """(28, 28) image and one (28, 28) map -> (28*scale, 28*scale, 3) uint8 RGB.

    The digit in grey; orange where it pushed toward the digit, blue where it pushed away.
    """
    peak = max(float(np.abs(heat).max()), 1e-9)
    toward, away = np.clip(heat / peak, 0, 1), np.clip(-heat / peak, 0, 1)
    grey = 0.35 + 0.45 * image
    rgb = np.stack([grey + toward * (1 - grey) - away * grey * 0.6,
                    grey + toward * (0.55 - grey) * 0.9 + away * (0.6 - grey) * 0.6,
                    grey - toward * grey * 0.9 + away * (1 - grey)], axis=-1)
    rgb = np.round(np.clip(rgb, 0, 1) * 255).astype(np.uint8)
    return np.repeat(np.repeat(rgb, scale, axis=0), scale, axis=1)
