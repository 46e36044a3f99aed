"""Predict the digit in image files.

    python -m model.predict digit.png scan.jpg
    python -m model.predict --json drawings/*.png > predictions.jsonl
    python -m model.predict --number year.png             # a whole number, digit by digit

Prints, per image, the digit and the ten probabilities; with --json one JSON object per line:
{"path", "digit" (int, or null for a blank image), "label", "confidence", "probabilities"
(10 floats or null), "confidences" (most likely first)}, plus "error" for a file that could
not be read. With --number: {"path", "number" ("" if blank), "confidence", "digits": [the same
fields for each digit, plus its "box"]}. Exits 1 if any file failed, 2 if the model could not
be loaded.
"""

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from model.config import flag, parse
from model.spec import MODEL_DIR

CHUNK = 512  # files read and classified per model call


@dataclass(frozen=True)
class Config:
    paths: tuple[Path, ...] = flag(help="image files (PNG, JPEG, ...)")
    json: bool = flag(False, "print one JSON object per line")
    number: bool = flag(False, "read each file as a whole number (digits left to right)")
    model: Path = flag(MODEL_DIR, "exported model folder")
    chunk: int = flag(CHUNK, "files read and classified per model call (fewer: less memory)")


def predict(paths, classifier, chunk: int = CHUNK) -> list[dict]:
    """Paths -> one result per path, {"path", **DigitReading.to_json()} (plus "error" for a
    file that could not be read), each `chunk` files classified in one batched call."""
    from model.errors import InputError
    from model.reading import BLANK, Drawing, read_each_as_digit

    results = []
    for start in range(0, len(paths), chunk):
        drawings, errors = [], {}
        for i, path in enumerate(paths[start:start + chunk]):
            try:
                drawings.append(Drawing.from_file(path))
            except InputError as error:
                errors[i] = str(error)
        readings = iter(read_each_as_digit(classifier, drawings))
        for i, path in enumerate(paths[start:start + chunk]):
            error = errors.get(i)
            results.append({"path": str(path), **(BLANK if error else next(readings)).to_json()}
                           | ({"error": error} if error else {}))
    return results


def read_numbers(paths, classifier) -> list[dict]:
    """Paths -> one result per path, {"path", **NumberReading.to_json()}."""
    from model.errors import InputError
    from model.reading import Drawing, read_number

    results = []
    for path in paths:
        try:
            reading = read_number(classifier, Drawing.from_file(path))
            results.append({"path": str(path), **reading.to_json()})
        except InputError as error:
            results.append({"path": str(path), "number": None, "confidence": 0.0, "digits": [],
                            "error": str(error)})
    return results


def show(result: dict) -> str:
    """One result -> a line of text for people."""
    if "error" in result:
        return f"{result['path']}: error: {result['error']}"
    if "number" in result:
        digits = ", ".join(f"{d['label']} {d['confidence']:.0%}" for d in result["digits"])
        return (f"{result['path']}: {result['number'] or 'blank'}"
                + (f"   ({digits})" if digits else ""))
    if result["digit"] is None:
        return f"{result['path']}: blank (no digit found)"
    p = result["probabilities"]
    bars = "  ".join(f"{d}:{v:.2f}" for d, v in enumerate(p))
    return f"{result['path']}: {result['digit']} ({p[result['digit']]:.1%})   {bars}"


def main(argv=None) -> int:
    config = parse(Config, argv, __doc__)
    from model.classifier import Classifier
    from model.errors import ModelError

    try:
        classifier = Classifier(config.model)
    except ModelError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    paths = list(config.paths)
    results = (read_numbers(paths, classifier) if config.number
               else predict(paths, classifier, max(1, config.chunk)))
    for result in results:
        print(json.dumps(result) if config.json else show(result))
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
