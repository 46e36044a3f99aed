"""A crowd drawing at once:  python -m bench.crowd [--visitors 10 20 40] [--seconds 60] [--soak 600]

Each simulated visitor (a gradio_client Client on its own thread) draws a digit of 2 or 3
strokes every 5 s, at human pace: each stroke takes 0.4 to 0.9 s, and when it ends the ink so
far goes through the queue as the page's own event (/draw) sends it. Digitpad and the trivial
app (the same event, a constant answer) are measured in the same run; the clients share the
machine's cores with the server. Prints a table; with --soak, the server's memory over a long
run at the largest crowd served.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from bench.benchmarks import APPS, Server, percentiles, visitor_client
from model.config import flag, parse
from model.ink import strokes_to_json
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


def digits(rng: np.random.Generator) -> list[list[str]]:
    """Drawings of 2 or 3 strokes -> for each, the ink JSON sent after each of its strokes."""
    out = []
    for styles in STYLES.values():
        for style in styles:
            strokes = place(style, random_pose(rng))
            if len(strokes) == 1:  # split a one-stroke digit where a hand would lift
                s = strokes[0]
                strokes = [s[: len(s) // 2 + 1], s[len(s) // 2:]]
            strokes = strokes[:3]
            timed = [np.column_stack([s, np.zeros(len(s))]) for s in strokes]
            inks = [strokes_to_json(timed[:k]) for k in range(1, len(timed) + 1)]
            out.append(inks)
    return out


def crowd(url: str, visitors: int, seconds: float, sample=None) -> dict:
    """`visitors` drawing for `seconds` -> {"latencies", "errors", "readings"}."""
    clients = [visitor_client(url) for _ in range(visitors)]
    latencies, errors, lock = [], [], threading.Lock()
    end = time.perf_counter() + seconds

    def visitor(k: int) -> None:
        rng = np.random.default_rng(k)
        drawings = digits(rng)
        time.sleep(rng.uniform(0, CYCLE))  # visitors do not start in step
        while time.perf_counter() < end:
            cycle = time.perf_counter()
            for ink in drawings[rng.integers(len(drawings))]:
                time.sleep(rng.uniform(0.4, 0.9))  # the stroke being drawn
                start = time.perf_counter()
                try:
                    clients[k].predict(ink, False, "its answer", api_name="/draw")
                    error = None
                except Exception as failure:
                    error = f"{type(failure).__name__}: {failure}"[:200]
                with lock:
                    latencies.append(time.perf_counter() - start)
                    errors.extend([error] if error else [])
            time.sleep(max(0.0, cycle + CYCLE - time.perf_counter()))

    with ThreadPoolExecutor(visitors + 1) as pool:
        runs = [pool.submit(visitor, k) for k in range(visitors)]
        if sample:
            pool.submit(sample, end)
        for run in runs:
            run.result()
    return {"latencies": latencies, "errors": len(errors), "first_error": errors[:1]}


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
                result = crowd(server.url, visitors, config.seconds)
                cpu = (server.cpu_seconds() - cpu) / max(1, len(result["latencies"]))
                p50, p90, _ = percentiles(result["latencies"])
                rows.append((name, visitors, len(result["latencies"]), p50, p90, result["errors"],
                             cpu))
                print(*rows[-1], *result["first_error"], flush=True)
                if p90 <= GOAL * 1000 and result["errors"] == 0:
                    served[name] = visitors
                else:
                    break
            if name == "digitpad" and config.soak and served.get(name):
                rss = []

                def sample(end, rss=rss, server=server):
                    while time.perf_counter() < end:
                        rss.append((time.perf_counter(), server.rss_mb()))
                        time.sleep(10)

                result = crowd(server.url, served[name], config.soak, sample)
                first = [mb for t, mb in rss if t - rss[0][0] >= 60][0]
                p50, p90, _ = percentiles(result["latencies"])
                print(f"soak: {served[name]} visitors for {config.soak:.0f} s: p50 {p50:.0f} ms, "
                      f"p90 {p90:.0f} ms, {result['errors']} errors; RSS {rss[0][1]:.0f} MB at "
                      f"start, {first:.0f} MB after 1 min, {rss[-1][1]:.0f} MB at the end "
                      f"({(rss[-1][1] - first) / first:+.1%} after the first minute)", flush=True)
        finally:
            server.stop()
    print("\n| app | visitors | readings | p50 | p90 | errors | server CPU per reading |\n"
          "|---|---|---|---|---|---|---|")
    for name, visitors, count, p50, p90, errors, cpu in rows:
        print(f"| {name} | {visitors} | {count} | {p50:.0f} ms | {p90:.0f} ms | {errors} | "
              f"{cpu * 1000:.1f} ms |")
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
