"""The README's model card says what the shipped model's own metadata says."""

import json
import re

from model.spec import METADATA_FILE, MODEL_DIR, ROOT


def model_card() -> dict[str, str]:
    """The README's model card table -> {row name: its text}."""
    readme = (ROOT / "README.md").read_text()
    card = readme.split("## Model card", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"^\| ([^|]+?) \| (.+) \|$", card, re.MULTILINE))


def test_the_readmes_model_card_agrees_with_the_models_metadata():
    meta = json.loads((MODEL_DIR / METADATA_FILE).read_text())
    card = model_card()
    total = int(re.search(r"TEST (\d+)", meta["split"]).group(1))
    right = round(meta["test_accuracy"] * total)
    low, high = meta["test_accuracy_95_interval"]
    assert f"{meta['parameters'] / 1e6:.2f}M parameters" in card["Model"]
    assert card["Validation accuracy"].startswith(f"{meta['validation_accuracy']:.2%} ")
    assert card["TEST accuracy"].startswith(
        f"{meta['test_accuracy']:.1%} ({right:,} of {total:,}; 95% interval {low:.1%} to "
        f"{high:.1%})")
    assert card["Drawn digits"].startswith(f"{meta['drawn_accuracy']:.1%} of 252 drawings")
    assert card["Drawn styles"].startswith(f"{meta['style_accuracy']:.1%} of ")
