"""A crowd drawing at once:  python -m bench.crowd [--visitors 10 20 40] [--seconds 60] [--soak 600]

Each simulated visitor (a gradio_client Client on its own thread) draws a digit of 2 or 3
strokes every 5 s, at human pace: each stroke takes 0.4 to 0.9 s. It uses the page's own event
(/draw) as the page does: when the stroke ends, the ink, once any reading in flight has
answered (the reader in the browser reads while the pen moves). With --live, as the page does
where that reader cannot load: while the pen moves it also sends the ink so far every
LIVE_READING_MS unless a reading is in flight or the last answer took over LIVE_SLOW_MS. The
time from the pen lifting to that last answer is the one that counts. Digitpad and the trivial
app (the same event, a constant answer) are measured in the same run; the clients share the
machine's cores with the server.
Prints a table; with --soak, the server's memory over a long run at the largest crowd served.
"""

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from bench.benchmarks import APPS, Server, percentiles, visitor_client
from model.config import flag, parse
from model.ink import IN_STROKE, strokes_to_json
from model.spec import LIVE_READING_MS, LIVE_SLOW_MS
from training.drawn_digits import STYLES, place, random_pose

CYCLE = 5.0  # seconds between one visitor's digits
GOAL = 1.0  # a crowd is served when the readings' p90 is at most this (s), with no errors


@dataclass(frozen=True)
class Config:
    visitors: tuple[int, ...] = flag((10, 20, 40, 60, 80), "crowd sizes to try, smallest first")
    seconds: float = flag(60, "how long each crowd draws (s)")
    soak: float = flag(0, "then draw this long at the largest crowd served, sampling RSS (s)")
    apps: tuple[str, ...] = flag(("digitpad", "trivial"), "which apps to measure",
                                 ("digitpad", "trivial"))
    live: bool = flag(False, "also ask for readings while each stroke is drawn, as the main "
                      "page does where its reader in the browser cannot load")


def digits(rng: np.random.Generator) -> list[list[np.ndarray]]:
    """Drawings of 2 or 3 strokes, each stroke (N, 3) points (x, y, 0) on the pad."""
    out = []
    for styles in STYLES.values():
        for style in styles:
            strokes = place(style, random_pose(rng))
            if len(strokes) == 1:  # split a one-stroke digit where a hand would lift
                s = strokes[0]
                strokes = [s[: len(s) // 2 + 1], s[len(s) // 2:]]
            out.append([np.column_stack([s, np.zeros(len(s))]) for s in strokes[:3]])
    return out


class Tally:
    """Latencies and errors of one kind of reading, from many threads."""

    def __init__(self):
        self.latencies, self.errors, self.lock = [], [], threading.Lock()

    def timed(self, read, *args, since: float | None = None, **kwargs) -> None:
        """Call `read`, and keep the time from `since` (default: now) to its answer."""
        start = time.perf_counter() if since is None else since
        try:
            read(*args, **kwargs)
            error = None
        except Exception as failure:
            error = f"{type(failure).__name__}: {failure}"[:200]
        with self.lock:
            self.latencies.append(time.perf_counter() - start)
            self.errors.extend([error] if error else [])


def crowd(url: str, visitors: int, seconds: float, sample=None, live: bool = False) -> dict:
    """`visitors` drawing for `seconds` -> the final readings' and the in-stroke readings'
    Tally."""
    clients = [visitor_client(url) for _ in range(visitors)]
    final, during = Tally(), Tally()
    end = time.perf_counter() + seconds
    asking = ThreadPoolExecutor(visitors)  # readings while the pen moves, off the pen's thread

    def visitor(k: int) -> None:
        rng = np.random.default_rng(k)
        drawings, in_flight, took = digits(rng), None, [0.0]  # the last answer's time (s)

        def read(value: str, tally: Tally, since: float | None = None) -> None:  # as the page
            sent = time.perf_counter()
            tally.timed(clients[k].predict, value, False, "its answer", api_name="/draw",
                        since=since)
            took[0] = time.perf_counter() - sent

        time.sleep(rng.uniform(0, CYCLE))  # visitors do not start in step
        while time.perf_counter() < end:
            cycle = time.perf_counter()
            drawn = []
            for stroke in drawings[rng.integers(len(drawings))]:
                began, takes = time.perf_counter(), rng.uniform(0.4, 0.9)
                while live and (moved := (time.perf_counter() - began) / takes) < 1:
                    if ((in_flight is None or in_flight.done())
                            and took[0] <= LIVE_SLOW_MS / 1000):
                        so_far = stroke[: max(2, math.ceil(moved * len(stroke)))]
                        value = IN_STROKE + strokes_to_json([*drawn, so_far]) + "}"
                        in_flight = asking.submit(read, value, during)
                    time.sleep(LIVE_READING_MS / 1000)
                time.sleep(max(0.0, began + takes - time.perf_counter()))  # the pen lifts
                lifted = time.perf_counter()
                drawn.append(stroke)
                if in_flight is not None:  # the page sends the ink once that one answered
                    in_flight.result()
                read(strokes_to_json(drawn), final, since=lifted)
            time.sleep(max(0.0, cycle + CYCLE - time.perf_counter()))

    with ThreadPoolExecutor(visitors + 1) as pool:
        runs = [pool.submit(visitor, k) for k in range(visitors)]
        if sample:
            pool.submit(sample, end)
        for run in runs:
            run.result()
    asking.shutdown()
    return {"final": final, "during": during}


def main(argv=None) -> int:
    config = parse(Config, argv, __doc__)
    rows, served = [], {}
    for name, script in APPS:
        if name not in config.apps:
            continue
        server = Server(script)
        try:
            server.first_answer(str(_blank_png()))
            for visitors in config.visitors:
                cpu = server.cpu_seconds()
                result = crowd(server.url, visitors, config.seconds, live=config.live)
                final, during = result["final"], result["during"]
                answered = len(final.latencies) + len(during.latencies)
                cpu = (server.cpu_seconds() - cpu) / max(1, answered)
                p50, p90, _ = percentiles(final.latencies)
                live50, live90, _ = percentiles(during.latencies or [0.0])
                errors = len(final.errors) + len(during.errors)
                rows.append((name, visitors, len(final.latencies), p50, p90,
                             len(during.latencies), live50, live90, errors, cpu))
                print(*rows[-1], *(final.errors + during.errors)[:1], flush=True)
                if p90 <= GOAL * 1000 and errors == 0:
                    served[name] = visitors
                else:
                    break
            if name == "digitpad" and config.soak and served.get(name):
                rss = []

                def sample(end, rss=rss, server=server):
                    while time.perf_counter() < end:
                        rss.append((time.perf_counter(), server.rss_mb()))
                        time.sleep(10)

                result = crowd(server.url, served[name], config.soak, sample, config.live)
                final = result["final"]
                first = [mb for t, mb in rss if t - rss[0][0] >= 60][0]
                p50, p90, _ = percentiles(final.latencies)
                print(f"soak: {served[name]} visitors for {config.soak:.0f} s: p50 {p50:.0f} ms, "
                      f"p90 {p90:.0f} ms, {len(final.errors) + len(result['during'].errors)} "
                      f"errors; RSS {rss[0][1]:.0f} MB at start, {first:.0f} MB after 1 min, "
                      f"{rss[-1][1]:.0f} MB at the end "
                      f"({(rss[-1][1] - first) / first:+.1%} after the first minute)", flush=True)
        finally:
            server.stop()
    print("\n| app | visitors | final readings | p50 | p90 | in-stroke readings | p50 | p90 | "
          "errors | server CPU per reading |\n|---|---|---|---|---|---|---|---|---|---|")
    for name, visitors, count, p50, p90, live, live50, live90, errors, cpu in rows:
        print(f"| {name} | {visitors} | {count} | {p50:.0f} ms | {p90:.0f} ms | {live} | "
              f"{live50:.0f} ms | {live90:.0f} ms | {errors} | {cpu * 1000:.1f} ms |")
    for name in dict(APPS):
        print(f"largest crowd served ({name}): {served.get(name, 0)} visitors")
    return 0


def _blank_png():
    import tempfile

    from PIL import Image

    path = tempfile.NamedTemporaryFile(suffix=".png", delete=False).name
    Image.new("RGB", (64, 64), "white").save(path)
    return path


if __name__ == "__main__":
    raise SystemExit(main())
