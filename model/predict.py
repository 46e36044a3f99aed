"""Predict the digit in image files.

    python -m model.predict digit.png scan.jpg
    python -m model.predict --json drawings/*.png > predictions.jsonl
    python -m model.predict --number year.png             # a whole number, digit by digit

Prints, per image, the digit and the ten probabilities; with --json one JSON object per line:
{"path", "digit" (int or null for a blank image), "probabilities" (10 floats or null)}, plus
"error" for a file that could not be read. With --number each file is read as a whole number:
{"path", "number" ("" if blank), "digits": [{"digit", "confidence", "probabilities", "box"}]}.
Exits 1 if any file failed, 2 if the model could not be loaded.
"""

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.spec import MODEL_DIR

CHUNK = 512  # files read and classified per model call


@dataclass(frozen=True)
class Config:
    paths: tuple[Path, ...]  # image files to read
    json: bool = False  # one JSON object per line instead of text
    number: bool = False  # read each file as a whole number
    model: Path = MODEL_DIR  # exported model folder


def parse_args(argv=None) -> Config:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", type=Path, help="image files (PNG, JPEG, ...)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per line")
    parser.add_argument("--number", action="store_true",
                        help="read each file as a whole number (digits left to right)")
    parser.add_argument("--model", type=Path, default=MODEL_DIR, help="exported model folder")
    args = parser.parse_args(argv)
    return Config(tuple(args.paths), args.json, args.number, args.model)


def read(path: Path) -> tuple[np.ndarray | None, str | None]:
    """A file -> (its 28x28 image or None if blank, None) or (None, error message)."""
    from model.imagefile import read_image
    from model.preprocess import InputError, from_array

    try:
        return from_array(read_image(path)), None
    except InputError as error:
        return None, str(error)


def predict(paths, classifier) -> list[dict]:
    """Paths -> one result dict per path, classifying each chunk in one batched call."""
    results = []
    for start in range(0, len(paths), CHUNK):
        chunk = paths[start:start + CHUNK]
        read_back = [read(path) for path in chunk]
        inked = [i for i, (image, _) in enumerate(read_back) if image is not None]
        probabilities = classifier.probabilities(
            np.stack([read_back[i][0] for i in inked])) if inked else []
        by_index = dict(zip(inked, probabilities))
        for i, (path, (_, error)) in enumerate(zip(chunk, read_back)):
            p = by_index.get(i)
            result = {"path": str(path), "digit": None if p is None else int(p.argmax()),
                      "probabilities": None if p is None else [round(float(v), 6) for v in p]}
            if error:
                result["error"] = error
            results.append(result)
    return results


def read_numbers(paths, classifier) -> list[dict]:
    """Paths -> one result per path: the number it shows, each number's digits in one call."""
    from model.imagefile import read_image
    from model.preprocess import InputError, ink_map
    from model.segment import segment

    results = []
    for path in paths:
        try:
            result = {"path": str(path), **classifier.read_number(segment(ink_map(read_image(path))))}
        except InputError as error:
            result = {"path": str(path), "number": None, "digits": [], "error": str(error)}
        results.append(result)
    return results


def show(result: dict) -> str:
    """One result -> a line of text for people."""
    if "error" in result:
        return f"{result['path']}: error: {result['error']}"
    if "number" in result:
        digits = ", ".join(f"{d['digit']} {d['confidence']:.0%}" for d in result["digits"])
        return f"{result['path']}: {result['number'] or 'blank'}" + (f"   ({digits})" if digits else "")
    if result["digit"] is None:
        return f"{result['path']}: blank (no digit found)"
    p = result["probabilities"]
    bars = "  ".join(f"{d}:{v:.2f}" for d, v in enumerate(p))
    return f"{result['path']}: {result['digit']} ({p[result['digit']]:.1%})   {bars}"


def main(argv=None) -> int:
    config = parse_args(argv)
    from model.classifier import Classifier, ModelError

    try:
        classifier = Classifier(config.model)
    except ModelError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    read = read_numbers if config.number else predict
    results = read(list(config.paths), classifier)
    for result in results:
        print(json.dumps(result) if config.json else show(result))
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
