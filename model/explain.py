"""Why did the model say that? Occlusion saliency with the served model, in one batched call.

Each 4x4 patch of the 28x28 input is blacked out in turn (stride 2: 169 copies); how much the
probability of a digit falls when a patch is hidden says how much that patch pushed the model
toward the digit (it rises: the patch pushed away). One call gives the map for all ten digits.
"""

import numpy as np

from model.spec import IMAGE_SIZE

PATCH = 4  # occluded square (px)
STRIDE = 2  # step between patches (px)
STARTS = np.arange(0, IMAGE_SIZE - PATCH + 1, STRIDE)
MASKS = np.stack([np.pad(np.ones((PATCH, PATCH), np.float32),
                         ((y, IMAGE_SIZE - PATCH - y), (x, IMAGE_SIZE - PATCH - x)))
                  for y in STARTS for x in STARTS])  # (169, 28, 28), 1 = hidden
COVER = MASKS.sum(axis=0)  # how many patches cover each pixel


def saliency(classifier, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(28, 28) float32 image -> (probabilities (10,), maps (10, 28, 28) float32).

    maps[d] > 0 where the ink pushed the model toward digit d, < 0 where it pushed away.
    """
    batch = np.concatenate([image[None], image[None] * (1 - MASKS)])
    p = classifier.probabilities(batch)
    drop = p[0] - p[1:]  # (169, 10): the fall of each digit's probability per hidden patch
    maps = np.einsum("kd,khw->dhw", drop, MASKS) / COVER
    return p[0], maps.astype(np.float32)


def overlay(image: np.ndarray, heat: np.ndarray, scale: int = 8) -> np.ndarray:
    """(28, 28) image and one (28, 28) map -> (28*scale, 28*scale, 3) uint8 RGB.

    The digit in grey; orange where it pushed toward the digit, blue where it pushed away.
    """
    peak = max(float(np.abs(heat).max()), 1e-6)
    toward, away = np.clip(heat / peak, 0, 1), np.clip(-heat / peak, 0, 1)
    grey = 0.35 + 0.45 * image
    rgb = np.stack([grey + toward * (1 - grey) - away * grey * 0.6,
                    grey + toward * (0.55 - grey) * 0.9 + away * (0.6 - grey) * 0.6,
                    grey - toward * grey * 0.9 + away * (1 - grey)], axis=-1)
    rgb = np.round(np.clip(rgb, 0, 1) * 255).astype(np.uint8)
    return np.repeat(np.repeat(rgb, scale, axis=0), scale, axis=1)
