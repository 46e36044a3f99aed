"""Put Digitpad on a Hugging Face Space, or write the static Digitpad to a folder:

    python -m deploy OWNER/SPACE [--dry-run] [--private]   # the app (a Gradio Space)
    python -m deploy OWNER/SPACE --static [--dry-run]      # the static page (free for everyone)
    python -m deploy --static --out DIR                    # the static page, for any host

Creates the Space if it is missing and uploads only what it needs with `upload_folder`, which
stores the binaries (the model, the samples, the pictures) the way the Hub wants them, whatever
this repository's git history holds. `--dry-run` lists the files and checks the README's front
matter without touching the network.
"""

import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from deploy.static import write_site
from model.config import flag, parse
from model.spec import ROOT

SPACE_FILES = ("app.py", "requirements.txt", "README.md", ".gitattributes", "model", "audience",
               "ui", "assets")
LEFT_OUT = ("__pycache__", ".pyc", "model.keras")  # caches; the .keras copy is for fine-tuning
HARDWARE = ("cpu-basic", "cpu-upgrade")  # the app runs TensorFlow on the CPU
REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}$")


@dataclass(frozen=True)
class Config:
    space: str = flag("", "the Space, as OWNER/SPACE (e.g. someone/digitpad)", positional=True)
    static: bool = flag(False, "the static page, read in the browser: no server, no Python")
    out: Path | None = flag(None, "with --static: write the page to this folder, upload nothing")
    dry_run: bool = flag(False, "list the files and check the front matter; upload nothing")
    private: bool = flag(False, "create the Space private")
    hardware: str = flag(HARDWARE[0], "hardware asked for when the Space is created", HARDWARE)


def space_files(root: Path = ROOT) -> list[Path]:
    """-> the files the Space needs, relative to `root`, sorted: no tests, no training code."""
    found = []
    for name in SPACE_FILES:
        path = root / name
        found += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return [p.relative_to(root) for p in found
            if p.is_file() and not any(part in str(p) for part in LEFT_OUT)]


def front_matter(readme: str) -> dict[str, str]:
    """The `key: value` lines between the README's opening `---` lines -> a dict of strings."""
    match = re.match(r"---\n(.*?)\n---\n", readme, re.S)
    pairs = (line.split(":", 1) for line in (match.group(1).splitlines() if match else [])
             if ":" in line)
    return {key.strip(): value.strip().strip('"') for key, value in pairs}


def pinned(requirements: str, package: str) -> str | None:
    """The version `package==X` pins in a requirements file's text, or None."""
    match = re.search(rf"^{re.escape(package)}==([^\s;#]+)", requirements, re.M | re.I)
    return match.group(1) if match else None


def problems(root: Path = ROOT) -> list[str]:
    """What would stop the Space from building or starting; [] when none."""
    meta = front_matter((root / "README.md").read_text())
    if meta.get("sdk") == "static":
        entry = meta.get("app_file", "index.html")
        return [] if (root / entry).is_file() else [
            f"README front matter: app_file {entry!r} is not a file."]
    gradio = pinned((root / "requirements.txt").read_text(), "gradio")
    found = []
    if meta.get("sdk") != "gradio":
        found.append(f"README front matter: sdk is {meta.get('sdk')!r}, expected 'gradio'.")
    if meta.get("sdk_version") != gradio:
        found.append(f"README front matter: sdk_version is {meta.get('sdk_version')!r}, but "
                     f"requirements.txt pins gradio=={gradio}.")
    if not re.fullmatch(r"3\.\d+", meta.get("python_version", "")):
        found.append("README front matter: python_version should be a Python 3 version "
                     f"such as \"3.11\", not {meta.get('python_version')!r}.")
    if not meta.get("app_file") or not (root / meta["app_file"]).is_file():
        found.append(f"README front matter: app_file {meta.get('app_file')!r} is not a file.")
    return found


def main(argv=None) -> int:
    config = parse(Config, argv, __doc__)
    if config.static and config.out:
        files = write_site(config.out)
        listing(config.out, files)
        print(f"Wrote the static Digitpad to {config.out}: serve it with `python -m http.server "
              f"--directory {config.out}`, or from any static host.")
        return 0
    if not REPO_ID.match(config.space):
        print(f"error: {config.space!r} is not a Space name; write it as OWNER/SPACE "
              "(or give --static --out DIR to write the static page to a folder).",
              file=sys.stderr)
        return 2
    if not config.static:
        return check_and_upload(config, ROOT, space_files(), "gradio")
    with tempfile.TemporaryDirectory(prefix="digitpad-static-") as folder:
        return check_and_upload(config, Path(folder), write_site(Path(folder)), "static")


def listing(root: Path, files: list[Path]) -> None:
    for path in files:
        print(f"{(root / path).stat().st_size / 1e6:9.2f} MB  {path}")
    print(f"{sum((root / p).stat().st_size for p in files) / 1e6:9.2f} MB  in {len(files)} files")


def check_and_upload(config: "Config", root: Path, files: list[Path], sdk: str) -> int:
    """List `files` under `root`, check its front matter, and upload unless it is a dry run."""
    listing(root, files)
    found = problems(root)
    for problem in found:
        print(f"error: {problem}", file=sys.stderr)
    if found or config.dry_run:
        return 1 if found else 0
    return upload(config, root, files, sdk)


def upload(config: Config, root: Path, files: list[Path], sdk: str) -> int:
    """Create the Space if needed (with `sdk`) and upload `files` under `root` -> exit status,
    with a message on failure."""
    from huggingface_hub import HfApi, get_token

    token = get_token()
    if not token:
        print("error: no Hugging Face token. Set HF_TOKEN, or run `hf auth login` once.",
              file=sys.stderr)
        return 2
    api = HfApi(token=token)
    try:
        hardware = {"space_hardware": config.hardware} if sdk == "gradio" else {}
        api.create_repo(config.space, repo_type="space", space_sdk=sdk, exist_ok=True,
                        private=config.private, **hardware)
        api.upload_folder(repo_id=config.space, repo_type="space", folder_path=root,
                          allow_patterns=[p.as_posix() for p in files],
                          commit_message="Deploy Digitpad")
    except Exception as error:  # the Hub's refusal, or no network: its own words, no traceback
        detail = " ".join(str(error).split())[:300]
        print(f"error: could not deploy to {config.space}: {detail}", file=sys.stderr)
        return 1
    print(f"Deployed: https://huggingface.co/spaces/{config.space}")
    return 0
