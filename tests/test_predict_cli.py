"""`python -m model.predict` on real image files, good and broken: in this process through
its main(), and once as the command, for its exit status."""

import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
from PIL import Image

from model import predict
from model.spec import ROOT
from training.drawn_digits import STYLES, Pose, paper, render


@pytest.fixture
def run(capsys):
    """-> run(*args): the CLI's main() on `args` -> its returncode, stdout and stderr."""
    def run(*args):
        code = predict.main([str(a) for a in args])
        out = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out.out, stderr=out.err)
    return run


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Drawn digits saved as PNG and JPEG like a user would, a blank, and broken files."""
    folder = tmp_path_factory.mktemp("images")
    paths = {}
    for digit in range(10):
        composite = paper(render(STYLES[digit][0], Pose(height=480, brush=30)))
        path = folder / f"digit{digit}.{'png' if digit % 2 else 'jpg'}"
        Image.fromarray(composite).convert("RGB").save(path)
        paths[digit] = path
    paths["blank"] = folder / "blank.png"
    Image.new("RGB", (200, 200), "white").save(paths["blank"])
    paths["text"] = folder / "notes.png"
    paths["text"].write_text("not an image")
    paths["empty"] = folder / "empty.png"
    paths["empty"].write_bytes(b"")
    paths["truncated"] = folder / "truncated.png"
    paths["truncated"].write_bytes(paths[1].read_bytes()[:300])
    return paths


def test_cli_reads_drawn_digits_and_reports_broken_files_as_json(files, run):
    digits = [files[d] for d in range(10)]
    broken = [files["text"], files["empty"], files["truncated"],
              files["text"].with_name("gone.png")]
    result = run("--json", *digits, files["blank"], *broken)
    assert result.returncode == 1  # some files failed
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["path"] for line in lines] == [str(p) for p in [*digits, files["blank"], *broken]]
    for digit, line in enumerate(lines[:10]):
        assert line["digit"] == digit, line
        assert len(line["probabilities"]) == 10
        assert sum(line["probabilities"]) == pytest.approx(1, abs=1e-3)
        assert "error" not in line
    assert lines[10] == {"path": str(files["blank"]), "label": None, "digit": None,
                         "confidence": 0.0, "probabilities": None, "confidences": []}
    for line in lines[11:]:
        assert line["digit"] is None and line["error"]
    assert "empty" in lines[12]["error"] and "No such file" in lines[14]["error"]
    assert "Traceback" not in result.stderr


def test_the_command_prints_text_and_exits_with_its_status(files):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}  # as a user has it
    result = subprocess.run([sys.executable, "-m", "model.predict", files[3], files[7],
                             files["blank"]], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env=env)
    assert result.returncode == 0
    assert result.stderr == ""  # no TensorFlow start-up log (CUDA probing reads as a crash)
    out = result.stdout.splitlines()
    assert out[0].startswith(f"{files[3]}: 3 (") and out[1].startswith(f"{files[7]}: 7 (")
    assert out[2].endswith("blank (no digit found)")


def test_cli_reads_many_paths_in_chunks(files, run):
    many = [files[d] for d in range(10)] * 3  # 30 paths in one call: chunks of 4, the last 2
    result = run("--json", "--chunk", "4", *many)
    assert result.returncode == 0
    digits = [json.loads(line)["digit"] for line in result.stdout.splitlines()]
    assert digits == list(range(10)) * 3


def test_cli_without_a_model_says_how_to_train_one(files, tmp_path, run):
    result = run("--model", tmp_path / "missing", files[1])
    assert result.returncode == 2
    assert "No exported model" in result.stderr and "python -m training.train" in result.stderr
    assert "Traceback" not in result.stderr
