"""Write a trained model as a folder that describes itself, all at once or not at all.

The folder holds `saved_model/` (what the app and CLI serve), `model.keras` (for fine-tuning)
and `metadata.json`. It is written beside its target under a temporary name and moved into
place only when complete, so a crash never leaves a half model and the old one stays intact.
"""

import json
import shutil
import tempfile
from pathlib import Path

import keras

from model.spec import KERAS_FILE, METADATA_FILE, SAVED_MODEL


def export_model(model: keras.Model, out_dir: Path, metadata: dict, extra=None) -> Path:
    """Export `model` with `metadata` to `out_dir`; `extra(folder)` may add files before the move."""
    out_dir = Path(out_dir).resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        model.export(str(staging / SAVED_MODEL), format="tf_saved_model", verbose=False)
        model.save(staging / KERAS_FILE)
        (staging / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n")
        if extra is not None:
            extra(staging)
        _swap_in(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out_dir


def _swap_in(staging: Path, target: Path) -> None:
    """Replace `target` by `staging` with two renames; the old folder is removed last."""
    retired = target.with_name(f".{target.name}-old")
    shutil.rmtree(retired, ignore_errors=True)
    if target.exists():
        target.rename(retired)
    staging.rename(target)
    shutil.rmtree(retired, ignore_errors=True)
