"""Corrections from visitors ("Wrong? It was a ..."), stored safely for fine-tuning.

Each correction is one .npz file: the original drawing, its ink (strokes, when drawn on the
pad), its 28x28 form and the corrected label. Files are named by us (time and a random id,
never anything the visitor sent), written to a temporary name and renamed into place, and the
folder is bounded in count and size.
"""

import io
import os
import time
import uuid
from pathlib import Path

import numpy as np

from model.errors import FeedbackError
from model.spec import CLASSES, IMAGE_SIZE, MAX_SIDE, ROOT

FEEDBACK_DIR = ROOT / "feedback"
MAX_FILES = 2000  # corrections kept at most
MAX_BYTES = 200 * 1024 * 1024  # and at most this much disk


def save_correction(drawing: np.ndarray, image: np.ndarray, label: int,
                    folder: Path = FEEDBACK_DIR, ink: str = "") -> Path:
    """Store one correction -> its file. `drawing` (H, W[, C]) uint8, `image` (28, 28) float32,
    `ink` the pad's strokes as JSON ("" when the drawing did not come from the pad)."""
    if str(label) not in CLASSES:
        raise FeedbackError(f"The label must be one of {', '.join(CLASSES)}.")
    if image is None or np.shape(image) != (IMAGE_SIZE, IMAGE_SIZE):
        raise FeedbackError("There is no digit to store: draw one first.")
    folder.mkdir(parents=True, exist_ok=True)
    stored = list(folder.glob("*.npz"))
    if len(stored) >= MAX_FILES or sum(f.stat().st_size for f in stored) >= MAX_BYTES:
        raise FeedbackError("The feedback folder is full; thank you all the same.")
    drawing = np.asarray(drawing, np.uint8)[:MAX_SIDE, :MAX_SIDE]
    buffer = io.BytesIO()
    np.savez_compressed(buffer, drawing=drawing, image=np.asarray(image, np.float32),
                        label=np.int64(label), ink=np.str_(ink))
    name = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:12]}-{label}.npz"
    partial = folder / f".{name}.part"
    partial.write_bytes(buffer.getvalue())
    os.replace(partial, folder / name)
    return folder / name


def load_corrections(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """All stored corrections -> ((N, 28, 28) float32 images, (N,) int labels), oldest first."""
    images, labels = [], []
    for path in sorted(Path(folder).glob("*.npz")):
        try:
            with np.load(path) as data:
                image, label = data["image"], int(data["label"])
        except (OSError, ValueError, KeyError):
            continue  # a damaged file is skipped, not fatal
        if image.shape == (IMAGE_SIZE, IMAGE_SIZE) and str(label) in CLASSES:
            images.append(image.astype(np.float32))
            labels.append(label)
    return (np.stack(images) if images else np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), np.float32),
            np.array(labels, np.int64))
