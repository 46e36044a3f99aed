"""A room teaches the network while it keeps drawing:  python -m bench.teach [--phones 50]

The app runs in audience mode (with --replicas 2: two processes behind nginx, sharing a
redis-server and the taught folder). The speaker runs a round of "everyone draws a 1", then
one of random digits; simulated phones (gradio_client Clients, one thread each) draw the digit
each is asked for in the ink pad's format, stroke by stroke (each stroke read as the audience
page reads it), and send it: 1s with a long flag (`training.styles`), the other digits in the
hand-drawn styles. Once the rounds hold --drawings drawings the speaker clicks Teach (every
round since the last teaching), and the phones go on drawing.

Prints: seconds from the click to the new version serving (every replica's /model names it),
the phones' readings during the fine-tune (p50, p90), the share of the held-out drawings read
right before and after, and the teaching's own figures.
"""

import re
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.benchmarks import percentiles, visitor_client
from bench.servers import free_port, start_app, start_nginx, start_redis, stop, wait_for
from bench.stage_crowd import strokes_of
from model.config import flag, parse
from model.ink import strokes_to_json
from model.spec import TEACH_EPOCHS, TEACH_REHEARSE
from training.styles import flagged_one, random_hand

KEY = "teach-benchmark"
CYCLE = 5.0  # seconds between one phone's drawings


@dataclass(frozen=True)
class Config:
    phones: int = flag(50, "simulated phones drawing all along")
    drawings: int = flag(180, "drawings in the rounds (half of them 1s) before the speaker "
                         "clicks Teach")
    replicas: int = flag(1, "1: one `python app.py`; 2: two behind nginx sharing Redis", (1, 2))
    epochs: int = flag(TEACH_EPOCHS, "the teaching's epochs (DIGITPAD_TEACH_EPOCHS)")
    rehearse: int = flag(TEACH_REHEARSE, "TRAIN images rehearsed (DIGITPAD_TEACH_REHEARSE)")


def inks_of(digit: int, rng: np.random.Generator) -> list[str]:
    """A phone's drawing of `digit` -> the ink JSON after each stroke. This room writes its 1s
    with a long, flat flag (a quarter to half the height, 5-25 degrees below horizontal),
    flatter than the styles the shipped model was trained with."""
    if digit != 1:
        return strokes_of(digit, rng)
    base = rng.uniform(0.3, 0.7) if rng.random() < 0.4 else 0
    strokes = flagged_one(rng.uniform(0.25, 0.45), rng.uniform(5, 25), base, random_hand(rng))
    return [strokes_to_json(strokes[:k]) for k in range(1, len(strokes) + 1)]


class Room:
    """The app (one process, or two behind nginx) on loopback ports, in a folder of its own."""

    def __init__(self, config: Config):
        folder = Path(tempfile.mkdtemp(prefix="digitpad-teach-"))
        ports = [free_port() for _ in range(config.replicas)]
        env = {"DIGITPAD_STAGE": "1", "DIGITPAD_SPEAKER_KEY": KEY,
               "DIGITPAD_SENDS_PER_ADDRESS": "1000000",  # the phones share one address
               "DIGITPAD_TAUGHT_DIR": str(folder / "taught"),
               "DIGITPAD_TEACH_EPOCHS": str(config.epochs),
               "DIGITPAD_TEACH_REHEARSE": str(config.rehearse)}
        self.processes = []
        if config.replicas == 2:
            redis_port = free_port()
            self.processes.append(start_redis(redis_port))
            env["DIGITPAD_REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
        self.processes += [start_app(port, log=open(folder / f"app{port}.log", "w"), **env)
                           for port in ports]
        self.replicas = [f"http://127.0.0.1:{port}/" for port in ports]
        for url in self.replicas:
            wait_for(url)
        self.url = self.replicas[0]
        if config.replicas == 2:
            front = free_port()
            self.processes.append(start_nginx(folder, front, ports))
            self.url = f"http://127.0.0.1:{front}/"
            wait_for(self.url)

    def close(self) -> None:
        stop(self.processes)


def run(config: Config) -> dict:
    room = Room(config)
    try:
        return teach_while_drawing(room, config)
    finally:
        room.close()


def teach_while_drawing(room: Room, config: Config) -> dict:
    """The round, the click and the fine-tune, with the phones drawing all along -> figures."""
    phones = [visitor_client(room.url) for _ in range(config.phones)]
    speaker, watchers = visitor_client(room.url), [visitor_client(u) for u in room.replicas]
    readings, errors, sent, lock = [], [], [0], threading.Lock()
    done = threading.Event()

    def phone(k: int) -> None:
        rng = np.random.default_rng(k)
        time.sleep(rng.uniform(0, CYCLE))  # phones do not start in step
        text, token = phones[k].predict(api_name="/prompt")
        while not done.is_set():
            cycle = time.perf_counter()
            try:
                asked = [int(c) for c in text if c.isdigit()]
                for ink in inks_of(asked[0] if asked else int(rng.integers(10)), rng):
                    time.sleep(rng.uniform(0.4, 0.9))  # the stroke being drawn
                    start = time.perf_counter()
                    answer = phones[k].predict(ink, token, api_name="/audience_read")
                    with lock:
                        readings.append((start, time.perf_counter()))
                    if isinstance(answer[2], str):  # a round began: a new prompt
                        text, token = answer[1], answer[2]
                time.sleep(rng.uniform(0.5, 1.5))  # a look at the answer, then Send
                _, _, text, token = phones[k].predict(ink, token, api_name="/send")
                with lock:
                    sent[0] += 1
            except Exception as failure:
                with lock:
                    errors.append(f"{type(failure).__name__}: {failure}"[:200])
                text, token = phones[k].predict(api_name="/prompt")
            time.sleep(max(0.0, cycle + CYCLE - time.perf_counter()))

    speaker.predict(KEY, "start", "1", api_name="/control")  # everyone draws a 1 ...
    with ThreadPoolExecutor(config.phones) as pool:
        running = [pool.submit(phone, k) for k in range(config.phones)]
        while sent[0] < config.drawings // 2:
            time.sleep(0.2)
        speaker.predict(KEY, "start", "random", api_name="/control")  # ... then any digit
        while sent[0] < config.drawings:
            time.sleep(0.2)
        clicked = time.perf_counter()
        said = speaker.predict(KEY, "teach", "all", api_name="/control")
        print(said, flush=True)
        version = said.split()[1]
        swapped = {}
        while len(swapped) < len(watchers) and time.perf_counter() - clicked < 600:
            for k, watcher in enumerate(watchers):
                if k not in swapped and watcher.predict(api_name="/model")["version"] == version:
                    swapped[k] = time.perf_counter()
            state = watchers[0].predict(api_name="/wall")
            if "Nothing learnt" in state or "Teaching failed" in state:
                print(f"teaching ended after {time.perf_counter() - clicked:.1f} s, no version "
                      f"kept: {re.sub(r'<[^>]+>', ' ', state.split('teaching')[-1])[:300]}",
                      flush=True)
                break
            time.sleep(0.25)
        serving = max(swapped.values(), default=float("nan"))
        time.sleep(3)  # the phones read with the new version a while
        done.set()
        for phone_run in running:
            phone_run.result()
    during = [b - a for a, b in readings if clicked <= a <= serving]
    model = watchers[0].predict(api_name="/model")
    return {"said": said, "seconds": serving - clicked, "readings": len(during),
            "p50_p90": percentiles(during)[:2] if during else (float("nan"),) * 2,
            "errors": errors, "model": model}


def main(argv=None) -> int:
    config = parse(Config, argv, __doc__)
    figures = run(config)
    model = figures["model"]
    print(f"{config.phones} phones, {config.replicas} replica(s), {config.epochs} epochs, "
          f"{config.rehearse} TRAIN images rehearsed")
    if model.get("parent") is None:
        print(f"No new version served: {figures['said']}")
        return 1
    before, after = (model[k]["held_right"] / model["held_out"] for k in ("before", "after"))
    validation = (model["before"]["validation_right"], model["after"]["validation_right"])
    print(f"click -> every replica serving {model['version']}: {figures['seconds']:.1f} s")
    print(f"readings during the fine-tune: {figures['readings']}, p50 "
          f"{figures['p50_p90'][0]:.0f} ms, p90 {figures['p50_p90'][1]:.0f} ms")
    print(f"learnt from {model['learnt']} drawings; held-out {model['held_out']}: "
          f"{before:.0%} -> {after:.0%}; validation {validation[0]} -> {validation[1]} of "
          f"{model['validation']}")
    print(f"errors: {len(figures['errors'])} {figures['errors'][:3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
