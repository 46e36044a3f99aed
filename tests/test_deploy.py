"""Deploying to a Hugging Face Space: LFS rules, the file selection, the dry run, and every
step up to the network call (the Hub itself cannot be reached from the test machine)."""

import ast
import os
import subprocess
import sys

from deploy.space import front_matter, pinned, problems, space_files
from model.spec import ROOT


def deploy(*args, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "deploy", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=120, env={**os.environ, **env})


def tracked_binaries() -> list[str]:
    """Tracked files git itself would call binary (a NUL byte in the first 8,000 bytes)."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    return [f for f in files if f and b"\0" in (ROOT / f).read_bytes()[:8000]]


def test_every_tracked_binary_has_an_lfs_rule():
    binaries = tracked_binaries()
    assert "model/digitpad/saved_model/variables/variables.data-00000-of-00001" in binaries
    out = subprocess.run(["git", "check-attr", "filter", "--", *binaries], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(out) == len(binaries)
    assert all(line.endswith(": filter: lfs") for line in out), out
    text = subprocess.run(["git", "check-attr", "filter", "--", "app.py"], cwd=ROOT,
                          capture_output=True, text=True).stdout
    assert text.strip().endswith("unspecified")


def local_imports(path) -> set[str]:
    """The packages of this repository that a file imports."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
    return {n for n in names if (ROOT / n / "__init__.py").exists()}


def test_the_space_gets_the_app_and_the_model_not_the_tests_or_training():
    files = {p.as_posix() for p in space_files()}
    for needed in ("app.py", "requirements.txt", "README.md", "model/classifier.py",
                   "model/digitpad/metadata.json", "model/digitpad/saved_model/saved_model.pb",
                   "model/digitpad/test_samples.npz"):
        assert needed in files, needed
    assert not any(f.startswith(("tests/", "training/", ".git/", "deploy/")) for f in files)
    for source in (f for f in files if f.endswith(".py")):  # every module the Space runs ...
        for package in local_imports(ROOT / source):  # ... finds what it imports
            assert any(f.startswith(f"{package}/") for f in files), (source, package)
    assert not any("__pycache__" in f or f.endswith((".pyc", ".keras")) for f in files)


def test_the_shipped_front_matter_passes_and_a_wrong_one_is_named(tmp_path):
    assert problems() == []
    meta = front_matter((ROOT / "README.md").read_text())
    assert meta["sdk_version"] == pinned((ROOT / "requirements.txt").read_text(), "gradio")
    (tmp_path / "README.md").write_text("---\nsdk: gradio\nsdk_version: 5.0.0\n"
                                        "app_file: main.py\n---\n# x\n")
    (tmp_path / "requirements.txt").write_text("gradio==6.31.0\n")
    found = " ".join(problems(tmp_path))
    assert "sdk_version" in found and "python_version" in found and "main.py" in found


def test_dry_run_lists_files_with_sizes_and_passes():
    result = deploy("someone/digitpad", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "MB  model/digitpad/saved_model/saved_model.pb" in result.stdout
    assert "tests/" not in result.stdout and result.stderr == ""


def test_a_bad_name_and_a_missing_token_get_clear_messages(tmp_path):
    bad = deploy("digitpad", "--dry-run")
    assert bad.returncode == 2 and "OWNER/SPACE" in bad.stderr
    home = {"HF_HOME": str(tmp_path), "HF_TOKEN": "", "HF_HUB_OFFLINE": "0"}
    missing = deploy("someone/digitpad", **home)
    assert missing.returncode == 2 and "HF_TOKEN" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_an_unreachable_hub_is_reported_without_a_traceback(tmp_path):
    closed = {"HF_HOME": str(tmp_path), "HF_TOKEN": "hf_not_a_real_token",
              "HF_ENDPOINT": "http://127.0.0.1:9"}  # port 9 (discard): nothing listens
    for static in ((), ("--static",)):  # the app, and the static page
        result = deploy("someone/digitpad", *static, **closed)
        assert result.returncode == 1
        assert "could not deploy to someone/digitpad" in result.stderr
        assert "Traceback" not in result.stderr


def test_deploy_writes_the_static_page_and_dry_runs_a_static_space(tmp_path):
    written = deploy("--static", "--out", str(tmp_path / "site"))
    assert written.returncode == 0, written.stderr
    assert (tmp_path / "site" / "index.html").is_file() and "http.server" in written.stdout
    dry = deploy("someone/digitpad", "--static", "--dry-run")
    assert dry.returncode == 0 and dry.stderr == ""
    assert "MB  model/weights.bin" in dry.stdout and "MB  index.html" in dry.stdout
    nameless = deploy("--static")
    assert nameless.returncode == 2 and "--out" in nameless.stderr
