"""The versions of the model that teaching keeps, and the one the app serves now.

Teaching (`training.teach`) writes each kept version as a model folder of its own, `v1`, `v2`,
..., in one folder that replicas share; its metadata names its parent (`shipped`: the model in
`model/digitpad`). A version rolled back is set aside with a marker file, never deleted, so
what a room taught can still be read. `Served` holds the model the app reads with, and swaps
it whole: a request that began with one version ends with it.
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path

from model.classifier import Classifier
from model.samples import Samples, load_samples
from model.spec import METADATA_FILE, MODEL_DIR, ROOT, SAMPLES_FILE

SHIPPED = "shipped"  # the model trained by `training.train`, never changed by teaching
TAUGHT_DIR = ROOT / "taught"
ROLLED_BACK = "ROLLED_BACK"  # a marker file in a version set aside
NAME = re.compile(r"v(\d+)")
WRITTEN = re.compile(r"\.?v(\d+)(?:-|$)")  # a version's folder, or one being exported


class Versions:
    """The kept versions in `folder`, and the shipped model they descend from."""

    def __init__(self, folder: Path = TAUGHT_DIR, shipped: Path = MODEL_DIR):
        self.folder, self.shipped = Path(folder), Path(shipped)

    def path(self, version: str) -> Path:
        return self.shipped if version == SHIPPED else self.folder / version

    def metadata(self, version: str) -> dict:
        return json.loads((self.path(version) / METADATA_FILE).read_text())

    def names(self) -> list[str]:
        """Every version written, set aside or not, oldest first."""
        found = [p.name for p in self.folder.glob("v*") if NAME.fullmatch(p.name)
                 and (p / METADATA_FILE).is_file()] if self.folder.is_dir() else []
        return sorted(found, key=lambda name: int(name[1:]))

    def kept(self) -> list[str]:
        """The versions not rolled back, oldest first."""
        return [name for name in self.names() if not (self.path(name) / ROLLED_BACK).exists()]

    def newest(self) -> str:
        """The newest version kept, or SHIPPED if there is none."""
        return (self.kept() or [SHIPPED])[-1]

    def next_name(self) -> str:
        """The name for the next version: one more than any written (or being written)."""
        numbers = [int(m.group(1)) for p in self.folder.glob("*v*")  # v3, and .v3-... staged
                   if (m := WRITTEN.match(p.name))] if self.folder.is_dir() else []
        return f"v{max(numbers, default=0) + 1}"

    def set_aside(self, version: str) -> None:
        """Mark a version rolled back: a restart no longer serves it."""
        (self.path(version) / ROLLED_BACK).touch()


@dataclass(frozen=True)
class ServedVersion:
    """What the app serves at one moment: a version, its classifier and its reading of the
    TEST samples."""
    version: str
    classifier: Classifier
    samples: Samples

    def to_json(self) -> dict:
        """-> {"version", and what its metadata says of where it comes from and how it did}."""
        about = ("network", "dataset", "test_accuracy", "trained_at", "parent", "rounds",
                 "drawings", "learnt", "held_out", "validation", "before", "after", "taught_at")
        metadata = self.classifier.metadata
        return {"version": self.version, **{k: metadata[k] for k in about if k in metadata}}


class Served:
    """The model being served; `now` is swapped in one assignment, never changed in place."""

    def __init__(self, versions: Versions, version: str = SHIPPED):
        self.versions = versions
        self.now = self.load(version)

    def load(self, version: str) -> ServedVersion:
        """Load a version, with the shipped samples read by it (ModelError if unusable)."""
        classifier = Classifier(self.versions.path(version))
        return ServedVersion(version, classifier,
                             load_samples(classifier, self.versions.shipped / SAMPLES_FILE))

    def swap(self, version: str) -> None:
        """Serve `version` from now on; requests already running finish with the old one."""
        self.now = self.load(version)
