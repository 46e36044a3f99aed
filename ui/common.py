"""What every page shares: the ink pad, and how a refused request is answered."""

import functools
import logging
import time
from pathlib import Path

import gradio as gr

from model.errors import InputError
from model.spec import (
    BROWSER_DIR,
    BRUSH_WIDTH,
    CANVAS_SIZE,
    LIVE_READING_MS,
    LIVE_SLOW_MS,
    READER_SCRIPTS,
    ROOT,
)

ASSETS = ROOT / "assets"
VENDOR = "vendor/tfjs"  # TensorFlow.js, which runs the browser copy
READOUT = (ASSETS / "readout.js").read_text()  # the pad's own reading -> label and chart
PAD = (ASSETS / "inkpad.html").read_text().format(canvas=CANVAS_SIZE)  # also the static page's
log = logging.getLogger("digitpad")


def ink_pad(live: bool = False, model: Path | None = None) -> gr.HTML:
    """The ink pad (assets/inkpad.js): its value is the ink JSON of what is drawn on it, set
    as each stroke ends. `live`: while the pen moves, it is also set to `{"drawing": the ink so
    far}` at most every LIVE_READING_MS (`model.ink.pad_value` tells them apart), one awaiting
    its answer at most, and none while answers take over LIVE_SLOW_MS; or, once the reader in
    the browser has loaded `model`'s browser copy, read by it each frame instead (its 'input'
    event), except while its `server_live` is set.
    The handler answers each value with `answered()` as an update of the pad."""
    return gr.HTML("[]", html_template=PAD, elem_id="sketchpad",
                   css_template=(ASSETS / "inkpad.css").read_text(),
                   js_on_load=(ASSETS / "inkpad.js").read_text(), brush=BRUSH_WIDTH,
                   live=LIVE_READING_MS if live else 0, slow=LIVE_SLOW_MS, answered=0,
                   reader=reader_url(model) if live else "", vendor=file_url(ASSETS / VENDOR),
                   scripts=" ".join(file_url(ASSETS / script) for script in READER_SCRIPTS),
                   server_live=False,
                   apply_default_css=False)


def answered(model: Path | None = None) -> dict:
    """The update that tells the pad its value was answered (it times the answers), and, with
    `model`, the browser copy to read with (the served version's)."""
    follow = {} if model is None else {"reader": reader_url(model)}
    return gr.update(answered=time.monotonic(), **follow)


def file_url(path: Path) -> str:
    """A file or folder the app serves (`STATIC_PATHS`) -> its URL, relative to any page."""
    return f"gradio_api/file={path}"


def reader_url(model: Path | None) -> str:
    """A model folder -> the URL of its browser copy ("" if it has none: the server reads)."""
    return file_url(model / BROWSER_DIR) if model and (model / BROWSER_DIR).is_dir() else ""


def live_region() -> gr.HTML:
    """A polite live region (assets/announce.js): a screen reader says each value it is given,
    one final reading at a time, while the page shows nothing of it."""
    return gr.HTML("", html_template='<p class="sr-only" role="status" aria-live="polite"></p>',
                   js_on_load=(ASSETS / "announce.js").read_text(), elem_id="announce",
                   apply_default_css=False)


def address(request) -> str:
    """A Gradio or Starlette request -> the visitor's network address (behind a proxy: as it
    says), which the room's limits count by."""
    return request.client.host if request.client else ""


def refused(where: str, error: Exception) -> str:
    """Log a refused request as one line -> its message, for the person who sent it."""
    log.warning("refused %s: %s", where, error)
    return str(error)


def refusing(*errors: type[Exception], title: str = "Can't read this input"):
    """A handler whose `errors` become the caller's message and one line in the server's
    log, never a traceback."""
    def wrap(fn):
        @functools.wraps(fn)
        def call(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except errors as error:
                raise gr.Error(refused(fn.__name__, error), title=title,
                               print_exception=False) from None
        return call
    return wrap


def path_of(file) -> str:
    """A Gradio file payload (FileData, its dict, or a path) -> its path on the server."""
    path = file.get("path") if isinstance(file, dict) else getattr(file, "path", file)
    if not path:
        raise InputError("No image was uploaded.")
    return path
