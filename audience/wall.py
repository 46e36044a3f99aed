"""The stage page's HTML: the invitation (QR code and short URL) and the live wall."""

import html
from urllib.parse import urlsplit

import numpy as np
import segno

from model.spec import CLASSES

REFRESH_SECONDS = 0.5  # how often the stage page fetches its wall: never 2 s stale under load


def audience_url(public_url: str, headers: dict) -> str:
    """The address the QR code sends phones to, the light phone page (ui/phone.py): on
    DIGITPAD_PUBLIC_URL if set, else on the host the stage was opened on (as a proxy forwards
    it)."""
    if not public_url:
        scheme = headers.get("x-forwarded-proto", "http").split(",")[0].strip()
        host = headers.get("x-forwarded-host") or headers.get("host", "localhost")
        public_url = f"{scheme}://{host.split(',')[0].strip()}"
    return public_url.rstrip("/") + "/phone"


def invite(url: str) -> str:
    """A QR code (SVG, from segno) and the short URL, for the projector."""
    qr = segno.make(url, error="m").svg_inline(scale=6, border=2, dark="#111", light="#fff",
                                               omitsize=True)  # sized by the page
    short = urlsplit(url)
    return (f'<div class="invite">{qr}<h1>Draw with us:<br><b>{html.escape(short.netloc)}'
            f'<wbr>{html.escape(short.path)}</b></h1></div>')  # breaks at "/"; the one h1


def verdict(entry: dict) -> str:
    """A drawing on the wall -> "right" or "wrong" if a digit was asked for, else ""."""
    if entry.get("asked") is None:
        return ""
    return "right" if entry["digit"] == entry["asked"] else "wrong"


def thumb(entry: dict) -> str:
    """One drawing as the wall shows it: its 28x28 form, the reading and the confidence."""
    asked = "" if entry.get("asked") is None else f'<i>asked {entry["asked"]}</i>'
    return (f'<figure class="{" ".join(filter(None, ("drawing", verdict(entry))))}" '
            f'data-seq="{entry["seq"]}">'
            f'<img src="data:image/png;base64,{entry["thumb"]}" width="28" height="28" alt="">'
            f'<figcaption><b>{entry["digit"]}</b> {entry["confidence"]:.0%}{asked}</figcaption>'
            "</figure>")


def confusion(matrix: np.ndarray) -> str:
    """(10, 10) counts, rows the digit asked for, columns the reading -> an HTML table."""
    head = "".join(f"<th>{c}</th>" for c in CLASSES)
    rows = "".join(
        f"<tr><th>{CLASSES[a]}</th>" + "".join(
            f'<td class="{"hit" if a == r else "miss" if n else ""}">{n or ""}</td>'
            for r, n in enumerate(row)) + "</tr>"
        for a, row in enumerate(matrix) if row.any())
    return (f'<table class="confusion"><caption>asked ↓ read →</caption><tr><th></th>{head}</tr>'
            f"{rows}</table>")


def stage(snapshot: dict) -> str:
    """Room.snapshot() -> the stage's HTML for the speaker's view: the wall with its running
    figures and the round's tally, a round's result (confusion matrix, most surprising
    misses), or the figures alone beside a large invitation."""
    view, shown, matrix = snapshot.get("view", "wall"), snapshot["shown"], snapshot["matrix"]
    figures = [f'<span class="count">{snapshot["count"]}</span> drawings so far']
    if snapshot["paused"]:
        figures.append("wall paused")
    if snapshot["collect"]:
        figures.append("collecting")
    parts = [f'<div class="figures">{" · ".join(figures)}</div>']
    if view == "result" and shown:
        parts.append(result(shown, matrix, snapshot["misses"], running=bool(snapshot["round"])))
    elif view == "hall":
        parts.append(hall(snapshot))
    elif snapshot["round"]:
        parts.append(tally(shown, matrix, running=True))
    if view == "teach":
        parts.append(teaching(snapshot.get("teaching"), snapshot.get("model")))
    if view == "wall":
        drawings = "".join(thumb(d) for d in snapshot["drawings"])
        parts.append(f'<div class="wall">'
                     f'{drawings or "<p>The wall is empty: draw on your phone.</p>"}</div>')
    return f'<div class="stage view-{view}">{"".join(parts)}</div>'


def hall(snapshot: dict) -> str:
    """The view for a hall, where a thousand drawings fit no wall: the round's share read right
    and its count, large; a mosaic of the latest drawings, outlined right or wrong; and the
    confusion matrix and the most surprising misses beside them."""
    shown, matrix = snapshot["shown"], snapshot["matrix"]
    total, right = int(matrix.sum()), int(np.trace(matrix))
    share = (f'<b class="share">{right / total:.0%}</b> read right of <b>{total}</b>'
             if total else "No drawings in this round yet")
    tiles = "".join(
        f'<img class="{verdict(d)}" '
        f'src="data:image/png;base64,{d["thumb"]}" width="28" height="28" alt="">'
        for d in snapshot["drawings"])
    misses = "".join(thumb(m) for m in snapshot["misses"])
    if misses:
        misses = f'<div class="misses"><b>Most surprising misses</b>{misses}</div>'
    asked = f"<small>{asked_for(shown)}</small>" if shown else ""
    return (f'<div class="hall"><div class="score">{share}{asked}</div>'
            f'<div class="mosaic" role="img" aria-label="The latest drawings">{tiles}</div>'
            f'<div class="tallies">{confusion(matrix) if total else ""}{misses}</div></div>')


def asked_for(shown: dict) -> str:
    """A round -> what it asks of the room."""
    return ("a random digit each" if shown["digit"] is None
            else f'everyone draws a {shown["digit"]}')


def tally(shown: dict, matrix: np.ndarray, running: bool) -> str:
    """A round and its (10, 10) counts -> one line: what was asked, and the share read right."""
    asked = asked_for(shown)
    total, right = int(matrix.sum()), int(np.trace(matrix))
    accuracy = f"{right / total:.0%} right ({right} of {total})" if total else "no drawings yet"
    return (f'<div class="round"><b>{"Round" if running else "Last round"}: {asked}</b> · '
            f'<span class="accuracy">{accuracy}</span></div>')


def result(shown: dict, matrix: np.ndarray, misses: list, running: bool) -> str:
    """A round, its tally, confusion matrix and most surprising misses -> their HTML."""
    total = int(matrix.sum())
    parts = [tally(shown, matrix, running)]
    if total:
        parts.append(confusion(matrix))
    if misses:
        shown_misses = "".join(
            thumb(m) + f'<small>p({m["asked"]}) = {m["p_asked"]:.0%}</small>' for m in misses)
        parts.append(f'<div class="misses"><b>Most surprising misses</b>{shown_misses}</div>')
    return "".join(parts)


def teaching(state: dict | None, model: str | None) -> str:
    """The teaching's state (`audience.teaching`) and the version served -> what the room sees:
    a progress bar while the network learns, then what it learnt, or why nothing changed."""
    status = (state or {}).get("status")
    serving = ("the shipped model" if model in (None, "shipped")
               else f"version {html.escape(model)}")
    serving = f'<p class="serving">Serving {serving}</p>'
    if status in ("starting", "learning", "saving"):
        done = float(state.get("done", 0))
        step = ("Saving the new version" if status == "saving" else
                f'Epoch {state["epoch"]} of {state["epochs"]}' if "epoch" in state else
                "Getting ready")
        return (f'<div class="teaching"><h2>Learning from your {state["drawings"]} drawings'
                f'</h2><progress max="1" value="{done:.3f}" aria-label="Learning">{done:.0%}'
                f"</progress><p>{step} · {done:.0%}</p>{serving}</div>")
    if status == "kept":
        before, after = (state[k]["held_right"] / state["held_out"] for k in ("before", "after"))
        return (f'<div class="teaching"><h2>Learnt from {state["learnt"]} of your drawings'
                f'</h2><p class="gain">{before:.0%} → {after:.0%} on {state["held_out"]} it '
                f"never saw</p>{serving}</div>")
    if status == "rolled-back":
        return (f'<div class="teaching"><h2>Rolled back to {html.escape(state["version"])}'
                f"</h2>{serving}</div>")
    if status in ("refused", "failed"):
        title = "Nothing learnt" if status == "refused" else "Teaching failed"
        return (f'<div class="teaching"><h2>{title}</h2><p>{html.escape(state["why"])}</p>'
                f"{serving}</div>")
    return f'<div class="teaching"><h2>Nothing taught yet</h2>{serving}</div>'
