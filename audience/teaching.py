"""Teaching: the room's drawings fine-tune the served model, and every replica then serves it.

The speaker's Teach (`Room.control`) claims the one teaching slot in the store, so that one
teaching runs across all replicas. `Teacher.start` writes the drawings to a file for
`python -m training.teach`, run in a process of its own at a lower CPU priority so readings
stay fast, and copies its progress lines into the store, where the stage and the speaker read
them. The process is started ahead, as a round starts (`Teacher.warm`): it loads TensorFlow, the
served version and TRAIN while the room draws, so that Teach begins learning at once.
A kept version is named in the store ("model"): each replica's follower sees the name within
a second and swaps its model whole (`model.versions.Served`). A refused or failed teaching
leaves the served model as it is and says why.
"""

import base64
import io
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

from model.errors import ModelError
from model.spec import ROOT, TEACH_EPOCHS, TEACH_NICE, TEACH_REHEARSE
from model.versions import SHIPPED, Served

TEACH_SECONDS = 900  # a teaching still running after this is stopped, and its claim lapses
FOLLOW_SECONDS = 1.0  # how often each replica checks which version the room serves
log = logging.getLogger("digitpad")


def first_version(store, versions, serve: str = "newest") -> str:
    """The version a starting replica serves, named in the store for the others: the shipped
    one if `serve` says so; else the one the replicas already serve, or the newest kept."""
    named = SHIPPED if serve == SHIPPED else store.get("model")
    if named is None or not versions.path(named).is_dir():
        named = versions.newest()
    store.put("model", named)
    return named


def lessons_file(lessons: list[dict], about: dict, folder: Path) -> Path:
    """The store's lessons ({"thumb": 28x28 PNG as base64, "asked": digit}) -> an .npz of
    (N, 28, 28) float32 images in [0, 1], (N,) labels and `about` (JSON), for training.teach."""
    images = [np.asarray(Image.open(io.BytesIO(base64.b64decode(d["thumb"]))), np.float32) / 255
              for d in lessons]
    handle, name = tempfile.mkstemp(suffix=".npz", prefix=".lessons-", dir=folder)
    os.close(handle)
    file = Path(name)
    np.savez(file, images=np.stack(images), labels=np.array([d["asked"] for d in lessons]),
             about=json.dumps(about))
    return file


class Teacher:
    """Runs teachings for this replica, and keeps its served model the one the room names."""

    def __init__(self, store, served: Served, epochs: int = TEACH_EPOCHS,
                 rehearse: int = TEACH_REHEARSE, nice: int = TEACH_NICE, ahead: bool = True):
        """`ahead`: start each teaching's process as a round starts (`warm`), not at Teach."""
        self.store, self.served, self.versions = store, served, served.versions
        self.ahead = ahead
        self.options = ["--epochs", str(epochs), "--rehearse", str(rehearse), "--nice", str(nice)]
        self.unusable = set()  # versions this replica failed to load: said once, not retried
        self.swapping = threading.Lock()  # one load at a time: follower, teaching, rollback
        self.ready, self.readying = None, threading.Lock()  # (parent, process, its stderr)

    def serving(self) -> str:
        """The version the room serves: the one named in the store, else this replica's."""
        return self.store.get("model") or self.served.now.version

    # ------------------------------------------------------------------------ teaching
    def start(self, lessons: list[dict], rounds: list[str]) -> str:
        """Teach the served version these drawings in the background (the caller holds the
        "teaching" claim, released when it ends) -> the name the new version will have."""
        parent, version = self.serving(), self.versions.next_name()
        self.versions.folder.mkdir(parents=True, exist_ok=True)
        about = {"version": version, "parent": parent, "rounds": rounds}
        file = lessons_file(lessons, about, self.versions.folder)
        with self.readying:  # the process started ahead, if it readied the version served
            ready, self.ready = self.ready, None
        if ready is None or ready[0] != parent or ready[1].poll() is not None:
            self._drop(ready)
            try:
                ready = self._started(parent)
            except OSError:
                file.unlink(missing_ok=True)
                raise
        _, process, errors = ready
        try:
            process.stdin.write(json.dumps({"lessons": str(file),
                                            "out": str(self.versions.path(version))}) + "\n")
            process.stdin.close()
        except OSError:  # it ended meanwhile: _watch says why
            pass
        self.store.put("teaching", {**about, "status": "starting", "done": 0.0,
                                    "drawings": len(lessons), "started": time.time()})
        threading.Thread(target=self._run, args=(process, errors, file, about),
                         daemon=True).start()
        return version

    def warm(self) -> None:
        """Start the next teaching's process ahead, for the version served now, unless one
        waits already: a round has started, and Teach may follow."""
        if not self.ahead:
            return
        parent = self.serving()
        with self.readying:
            if self.ready and self.ready[0] == parent and self.ready[1].poll() is None:
                return
            stale, self.ready = self.ready, None
        self._drop(stale)
        try:
            started = self._started(parent)
        except OSError as error:  # Teach will start one, or say why it cannot
            log.warning("could not start a teaching ahead: %s", error)
            return
        with self.readying:
            stale, self.ready = self.ready, started
        self._drop(stale)

    def _started(self, parent: str) -> tuple:
        """-> (parent, `python -m training.teach - -` readying it, the file of its stderr)."""
        command = [sys.executable, "-m", "training.teach", "-", "-", "--model",
                   str(self.versions.path(parent)), *self.options]
        errors = tempfile.TemporaryFile("w+")
        process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=errors, text=True,
                                   env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
        return parent, process, errors

    @staticmethod
    def _drop(ready: tuple | None) -> None:
        """End a process started ahead that no teaching will use: its input ends, it exits."""
        if ready is not None:
            ready[1].stdin.close()
            ready[2].close()

    def _run(self, process, errors, file: Path, about: dict) -> None:
        state = self.store.get("teaching")
        with errors:
            try:
                state = {**state, **self._ended(self._watch(process, state, errors), about)}
            except Exception as error:  # the store or the process: the room must hear of it
                state = {**state, "status": "failed", "why": f"{type(error).__name__}: {error}"}
            try:  # said, and the slot freed, as the replicas swap: not after the process exits
                self.store.put("teaching", {**state, "ended": time.time()})
                self.store.release("teaching")
            except Exception as error:
                log.warning("teaching %s: the store is unreachable (%s)", about["version"],
                            error)
            log.warning("teaching %s: %s", about["version"], state.get("why") or state["status"])
            self.catch_up()  # this replica at once; the others within FOLLOW_SECONDS
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        file.unlink(missing_ok=True)

    def _watch(self, process, state: dict, errors) -> dict:
        """Copy training.teach's progress into the store -> its last line ("done", or why it
        did not get there)."""
        watchdog = threading.Timer(TEACH_SECONDS, process.kill)
        watchdog.start()
        last = {}
        for line in process.stdout:
            last = _event(line) or last
            if last.get("event") in ("done", "failed"):
                break  # served at once, not after the process has wound down
            if last.get("event") in ("learning", "progress", "saving"):
                state = {**state, **{k: v for k, v in last.items() if k != "event"},
                         "status": "saving" if last["event"] == "saving" else "learning"}
                self.store.put("teaching", state)
        if last.get("event") != "done":
            code = process.wait()
            errors.seek(0)
            last["why"] = last.get("why") or _last_line(errors.read()) or f"exit code {code}"
        watchdog.cancel()
        return last

    def _ended(self, last: dict, about: dict) -> dict:
        """The last line of training.teach -> the teaching's final state; a kept version is
        named in the store, and the rounds it learnt from count as taught."""
        if last.get("event") != "done":
            return {"status": "failed", "why": f"Teaching stopped: {last['why']}"}
        figures = {k: last[k] for k in ("before", "after", "learnt", "held_out", "validation")}
        if not last["kept"]:
            return {"status": "refused", **figures, "why": refusal(last)}
        self.store.put("model", about["version"])
        untaught = self.store.get("untaught", [])
        self.store.put("untaught", [r for r in untaught if r not in about["rounds"]])
        return {"status": "kept", **figures, "why": ""}

    # ------------------------------------------------------------------------ versions
    def rollback(self) -> str:
        """Serve the served version's parent again; the version left is set aside (the caller
        holds the "teaching" claim) -> what happened."""
        current = self.serving()
        if current == SHIPPED:
            return "The shipped model is served: there is no earlier version to go back to."
        parent = self.versions.metadata(current).get("parent", SHIPPED)
        self.versions.set_aside(current)
        self.store.put("model", parent)
        self.store.put("teaching", {"status": "rolled-back", "version": parent, "left": current,
                                    "ended": time.time()})
        self.catch_up()
        return f"Rolled back: every replica serves {parent} again ({current} is set aside)."

    def follow(self) -> threading.Thread:
        """Start this replica's follower: it serves the version the store names, within about
        FOLLOW_SECONDS."""
        def loop():
            while True:
                time.sleep(FOLLOW_SECONDS)
                self.catch_up()

        thread = threading.Thread(target=loop, daemon=True, name="digitpad-follower")
        thread.start()
        return thread

    def catch_up(self) -> None:
        """Swap to the version the store names, if it is another one and loads."""
        try:
            wanted = self.store.get("model")
        except Exception:  # the store is away: keep serving what is loaded
            return
        if not wanted or wanted == self.served.now.version or wanted in self.unusable:
            return
        with self.swapping:
            if wanted == self.served.now.version:  # another thread loaded it meanwhile
                return
            try:
                self.served.swap(wanted)
                log.warning("serving %s", wanted)
            except (ModelError, OSError, ValueError) as error:
                self.unusable.add(wanted)
                log.warning("cannot serve %s: %s", wanted, error)


def refusal(summary: dict) -> str:
    """training.teach's summary of a version the gate refused -> why, for the speaker."""
    before, after = summary["before"], summary["after"]
    return (f"The new version was not kept: it read {after['validation_right']} of "
            f"{summary['validation']} validation digits (before: {before['validation_right']}) "
            f"and {after['held_right']} of {summary['held_out']} held-out drawings (before: "
            f"{before['held_right']}). The served model stays.")


def _event(line: str) -> dict | None:
    try:
        event = json.loads(line)
    except ValueError:
        return None  # a library's own print
    return event if isinstance(event, dict) else None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


