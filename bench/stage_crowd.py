"""A room of phones during a talk:  python -m bench.stage_crowd [--visitors 20 40] [--seconds 60]

Each simulated audience member (a gradio_client Client on its own thread) takes a prompt, draws
the digit asked for in 2 or 3 strokes at human pace (each stroke's ink goes through the audience
page's own event), sends it to the stage, and starts again every 5 s. The speaker runs challenge
rounds (a new one every 20 s, fixed and random digits in turn) and one stage page polls the wall
as often as its timer does. The clients share the machine's cores with the server(s).

Reports, per crowd: the readings' and sends' p50/p90, errors, and the wall's worst staleness
(the longest time one wall stayed on screen, from the poll that fetched it to the next one's
answer). With --replicas 2, the app runs as two processes behind nginx, sharing a redis-server.
With --soak, the largest crowd served then draws that long while the server's memory is sampled.
"""

import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audience.wall import REFRESH_SECONDS
from bench.benchmarks import Server, percentiles, visitor_client
from model.config import flag, parse
from model.ink import strokes_to_json
from training.drawn_digits import STYLES, place, random_pose

CYCLE = 5.0  # seconds between one visitor's drawings
ROUND = 20.0  # seconds a challenge round lasts
GOAL, STALE = 1.0, 2.0  # served: p90 of readings and sends <= 1 s, the wall never > 2 s stale
KEY = "crowd-benchmark"
PHONES = {"DIGITPAD_SENDS_PER_ADDRESS": "1000000"}  # the simulated phones share one address


@dataclass(frozen=True)
class Config:
    visitors: tuple[int, ...] = flag((10, 20, 40, 60), "crowd sizes to try, smallest first")
    seconds: float = flag(60, "how long each crowd draws (s)")
    soak: float = flag(0, "then draw this long at the largest crowd served, sampling RSS (s)")
    replicas: int = flag(1, "1: one `python app.py`; 2: two processes behind nginx sharing "
                         "Redis", (1, 2))


def strokes_of(digit: int, rng: np.random.Generator) -> list[str]:
    """A drawing of `digit` in 2 or 3 strokes -> the ink JSON sent after each stroke."""
    style = STYLES[digit][rng.integers(len(STYLES[digit]))]
    strokes = place(style, random_pose(rng))
    if len(strokes) == 1:  # split a one-stroke digit where a hand would lift
        s = strokes[0]
        strokes = [s[: len(s) // 2 + 1], s[len(s) // 2:]]
    timed = [np.column_stack([s, np.zeros(len(s))]) for s in strokes[:3]]
    return [strokes_to_json(timed[:k]) for k in range(1, len(timed) + 1)]


def crowd(url: str, visitors: int, seconds: float, sample=None) -> dict:
    """The audience, the speaker and one stage page for `seconds` -> their figures."""
    clients = [visitor_client(url) for _ in range(visitors + 2)]
    speaker, stage = clients[-2:]
    figures = {"read": [], "send": [], "errors": [], "walls": []}
    lock = threading.Lock()
    end = time.perf_counter() + seconds

    def timed(kind: str, client, *args, api_name: str):
        start = time.perf_counter()
        try:
            return client.predict(*args, api_name=api_name)
        except Exception as failure:
            with lock:
                figures["errors"].append(f"{api_name}: {type(failure).__name__}: {failure}"[:200])
        finally:
            with lock:
                figures[kind].append((start, time.perf_counter()))

    def visitor(k: int) -> None:
        rng = np.random.default_rng(k)
        time.sleep(rng.uniform(0, CYCLE))  # visitors do not start in step
        text, token = timed("send", clients[k], api_name="/prompt") or ("", "")
        while time.perf_counter() < end:
            cycle = time.perf_counter()
            asked = [int(c) for c in text if c.isdigit()]
            for ink in strokes_of(asked[0] if asked else int(rng.integers(10)), rng):
                time.sleep(rng.uniform(0.4, 0.9))  # the stroke being drawn
                answer = timed("read", clients[k], ink, token, api_name="/audience_read")
                if answer and isinstance(answer[2], str):  # a round began or ended: a new prompt
                    text, token = answer[1], answer[2]
            time.sleep(rng.uniform(0.5, 1.5))  # a look at the answer, then Send
            sent = timed("send", clients[k], ink, token, api_name="/send")
            text, token = (sent[2:] if sent else
                           timed("send", clients[k], api_name="/prompt") or (text, token))
            time.sleep(max(0.0, cycle + CYCLE - time.perf_counter()))

    def run_rounds() -> None:
        for k in range(int(seconds // ROUND) + 1):
            timed("send", speaker, KEY, "start", "random" if k % 2 else str(k % 10),
                  api_name="/control")
            time.sleep(max(0.0, min(ROUND, end - time.perf_counter())))
        timed("send", speaker, KEY, "stop", "random", api_name="/control")

    def poll() -> None:
        while time.perf_counter() < end:
            start = time.perf_counter()
            timed("walls", stage, api_name="/wall")
            time.sleep(max(0.0, start + REFRESH_SECONDS - time.perf_counter()))

    with ThreadPoolExecutor(visitors + 3) as pool:
        runs = [pool.submit(visitor, k) for k in range(visitors)]
        runs += [pool.submit(run_rounds), pool.submit(poll)]
        if sample:
            pool.submit(sample, end)
        for run in runs:
            run.result()
    walls = figures["walls"]
    stale = max((b[1] - a[0] for a, b in zip(walls, walls[1:])), default=float("inf"))
    return {"read": [b - a for a, b in figures["read"]],
            "send": [b - a for a, b in figures["send"]], "stale": stale,
            "errors": len(figures["errors"]),
            "first_error": sorted(set(e.split(": ", 1)[0] + ": " + e.split(": ")[-1]
                                      for e in figures["errors"]))[:3]}


class Cluster:
    """Two `python app.py` replicas behind nginx (deploy/nginx.conf), sharing a redis-server."""

    def __init__(self):
        from bench.servers import free_port, start_app, start_nginx, start_redis, wait_for

        folder = Path(tempfile.mkdtemp(prefix="digitpad-cluster-"))
        redis_port, front, ports = free_port(), free_port(), [free_port(), free_port()]
        self.processes = [start_redis(redis_port)]
        self.apps = [start_app(port, log=open(folder / f"app{port}.log", "w"),
                               DIGITPAD_STAGE="1", DIGITPAD_SPEAKER_KEY=KEY, **PHONES,
                               DIGITPAD_REDIS_URL=f"redis://127.0.0.1:{redis_port}/0")
                     for port in ports]
        self.processes += self.apps
        for port in ports:
            wait_for(f"http://127.0.0.1:{port}/")
        self.processes.append(start_nginx(folder, front, ports))
        self.url = f"http://127.0.0.1:{front}/"
        wait_for(self.url)

    def rss_mb(self) -> float:
        return sum(float(Path(f"/proc/{p.pid}/status").read_text().split("VmRSS:")[1].split()[0])
                   for p in self.apps) / 1024

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
            process.wait(30)


def main(argv=None) -> int:
    config = parse(Config, argv, __doc__)
    server = (Cluster() if config.replicas == 2 else
              Server("app.py", DIGITPAD_STAGE="1", DIGITPAD_SPEAKER_KEY=KEY, **PHONES))
    rows, served = [], 0
    try:
        if config.replicas == 1:
            from bench.crowd import _blank_png
            server.first_answer(str(_blank_png()))
        for visitors in config.visitors:
            result = crowd(server.url, visitors, config.seconds)
            row = (visitors, len(result["read"]), *percentiles(result["read"])[:2],
                   len(result["send"]), *percentiles(result["send"])[:2], result["stale"],
                   result["errors"])
            rows.append(row)
            print(*row, *result["first_error"], flush=True)
            ok = max(row[3], row[6]) <= GOAL * 1000 and row[7] <= STALE and row[8] == 0
            if not ok:
                break
            served = visitors
        if config.soak and served:
            rss = []

            def sample(end):
                while time.perf_counter() < end:
                    rss.append((time.perf_counter(), server.rss_mb()))
                    time.sleep(10)

            result = crowd(server.url, served, config.soak, sample)
            first = [mb for t, mb in rss if t - rss[0][0] >= 60][0]
            p50, p90, _ = percentiles(result["read"])
            print(f"soak: {served} visitors for {config.soak:.0f} s: readings p50 {p50:.0f} ms, "
                  f"p90 {p90:.0f} ms, wall at most {result['stale']:.2f} s stale, "
                  f"{result['errors']} errors; RSS {rss[0][1]:.0f} MB at start, {first:.0f} MB "
                  f"after 1 min, {rss[-1][1]:.0f} MB at the end "
                  f"({(rss[-1][1] - first) / first:+.1%} after the first minute)", flush=True)
    finally:
        server.stop()
    print(f"\nreplicas: {config.replicas}\n| visitors | readings | p50 | p90 | sends | p50 | p90 "
          "| wall at most | errors |\n|---|---|---|---|---|---|---|---|---|")
    for visitors, reads, r50, r90, sends, s50, s90, stale, errors in rows:
        print(f"| {visitors} | {reads} | {r50:.0f} ms | {r90:.0f} ms | {sends} | {s50:.0f} ms "
              f"| {s90:.0f} ms | {stale:.2f} s stale | {errors} |")
    print(f"largest crowd served: {served} visitors")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
