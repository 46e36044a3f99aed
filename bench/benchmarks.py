"""Measure Digitpad and print one table:  python -m bench.benchmarks [--quick]

Preprocessing, the model, start-up time and the app end to end beside a trivial Gradio app,
memory under 2,000 requests, and TEST accuracy beside the tutorial's CNN trained in this run.
Figures are medians over repeated runs. Nothing here is a pass/fail test.
"""

import functools
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.config import flag, parse

ROUNDS = 3  # each end-to-end figure is the median of this many rounds
APPS = (("digitpad", "app.py"), ("trivial", "bench/trivial_app.py"))  # name, script


PARTS = ("preprocessing", "model", "numbers", "startup", "serving", "accuracy")


@dataclass(frozen=True)
class Config:
    quick: bool = flag(False, "fewer repetitions, no baseline training: a smoke run")
    parts: tuple[str, ...] = flag(PARTS, "which measurements to run (default: all)", PARTS)
    against: Path | None = flag(None, "another checkout's app.py (a git worktree of an earlier "
                                "commit, say) to start and serve beside the two apps")


def apps(config: Config) -> tuple[tuple[str, str], ...]:
    """(name, script) of each app to measure."""
    return APPS + ((("against", str(config.against.resolve())),) if config.against else ())


def percentiles(seconds: list[float]) -> tuple[float, float, float]:
    """-> (p50, p90, p99) in milliseconds."""
    ms = np.asarray(seconds) * 1000
    return tuple(float(np.percentile(ms, q)) for q in (50, 90, 99))


def timed(fn, repeat: int) -> list[float]:
    fn()  # warm up
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


# ---------------------------------------------------------------------------- parts
def bench_preprocessing(rows: list, repeat: int) -> None:
    from model.ink import draw_strokes, strokes_from_json, strokes_to_json
    from model.preprocess import from_array, to_emnist
    from training.drawn_digits import STYLES, Pose, paper, place, render

    text = strokes_to_json([np.column_stack([s, np.arange(len(s))])
                     for s in place(STYLES[3][0], Pose(height=520))])
    photo = paper(render(STYLES[3][0], Pose(height=2400, aspect=0.6, x=2000, y=1500, brush=120),
                         canvas=4000))[:3000]
    def drawing():
        return draw_strokes(strokes_from_json(text))

    for name, fn in (("ink JSON -> 800x800 drawing", drawing),
                     ("ink JSON -> 28x28", lambda: to_emnist(drawing())),
                     ("preprocess 4000x3000 photo", lambda: from_array(photo))):
        p50, _, p99 = percentiles(timed(fn, repeat))
        rows.append((name, f"p50 {p50:.2f} ms, p99 {p99:.2f} ms", ""))


def bench_model(rows: list, repeat: int) -> None:
    from model.classifier import Classifier

    classifier = Classifier()
    one = np.random.rand(1, 28, 28).astype(np.float32)
    batch = np.random.rand(64, 28, 28).astype(np.float32)
    p50_one = percentiles(timed(lambda: classifier.probabilities(one), repeat))[0]
    p50_batch = percentiles(timed(lambda: classifier.probabilities(batch), repeat // 4 + 1))[0]
    rows.append(("model, 1 image", f"{p50_one:.2f} ms", ""))
    rows.append(("model, batch of 64", f"{p50_batch:.2f} ms ({p50_batch / 64:.3f} ms per image)",
                 ""))

    from model.explain import saliency

    image = np.random.default_rng(0).random((28, 28)).astype(np.float32)
    p50, _, p99 = percentiles(timed(lambda: saliency(classifier, image), repeat // 4 + 1))
    rows.append(("saliency map (one forward and backward pass)",
                 f"p50 {p50:.1f} ms, p99 {p99:.1f} ms", "p50 <= 30 ms"))

    from model.inside import look_inside, to_html
    from model.samples import load_samples

    digit = load_samples(classifier).images[0]  # a real digit: noise makes larger pictures

    def view():
        return to_html(look_inside(classifier, digit))

    p50, _, p99 = percentiles(timed(view, repeat // 4 + 1))
    rows.append(("inside view (the first network's layers, drawn as HTML)",
                 f"p50 {p50:.1f} ms, p99 {p99:.1f} ms; {len(view().encode()) / 1024:.0f} KiB",
                 "within 0.2 s of the label"))


def bench_numbers(rows: list, repeat: int) -> None:
    """Reading whole numbers: run it on one core with `taskset -c 0`."""
    from model.classifier import Classifier
    from model.reading import Drawing, read_number
    from training.drawn_digits import number_poses, render_many, written_numbers

    classifier = Classifier()
    poses, size = number_poses([1, 9, 8, 4], np.random.default_rng(0), 250, 0.2, brush=24)
    picture = Drawing(render_many(poses, size))
    p50 = percentiles(timed(lambda: read_number(classifier, picture), repeat // 4 + 1))[0]
    rows.append((f"read a 4-digit number ({size[0]}x{size[1]} picture)", f"p50 {p50:.1f} ms", ""))
    for pad in (False, True):
        six = [n for n in written_numbers(125, seed=2026, pad=pad) if len(n.digits) == 6]
        medians = []
        for number in six:
            drawing = Drawing.from_strokes(number.strokes()) if pad else Drawing(number.image())
            read = functools.partial(read_number, classifier, drawing)
            medians.append(percentiles(timed(read, repeat // 20 + 1))[0])
        what = "strokes on the pad" if pad else "picture"
        rows.append((f"read a 6-digit number ({what}; median of {len(six)} numbers' p50)",
                     f"p50 {np.median(medians):.1f} ms", "p50 <= 60 ms on one core"))


def visitor_client(url: str):
    """A gradio_client Client as a simulated visitor. The apps here serve plain HTTP, so it
    skips certificate checks: with them, gradio_client loads the CA bundle for every request,
    which took most of the simulated crowd's CPU and left the server short of cores."""
    from gradio_client import Client

    return Client(url, verbose=False, ssl_verify=False)


def cpu_seconds(pid: int) -> float:
    """A process's CPU time so far, user and system."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """`python <script>` on a free port, as a visitor's server would run."""

    def __init__(self, script: str, **env):
        from bench.servers import free_port, start_app

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.started = time.perf_counter()
        self.process = start_app(self.port, script, GRADIO_ANALYTICS_ENABLED="False", **env)

    def first_answer(self, image: str, timeout: float = 120) -> float:
        """Seconds from start until /classify first answers."""
        from gradio_client import Client, handle_file

        while time.perf_counter() - self.started < timeout:
            try:
                Client(self.url, verbose=False).predict(handle_file(image), api_name="/classify")
                return time.perf_counter() - self.started
            except Exception:
                time.sleep(0.2)
        raise RuntimeError(f"{self.url} did not answer within {timeout} s")

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmRSS"))
        return int(line.split()[1]) / 1024

    def cpu_seconds(self) -> float:
        """The server's CPU time so far, user and system."""
        return cpu_seconds(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


def load(url: str, images: list[str], clients: int, calls: int) -> tuple[list[float], int, float]:
    """`clients` threads, one Client each, `calls` requests each -> (latencies, errors, seconds)."""
    from gradio_client import handle_file

    latencies, errors, lock = [], [0], threading.Lock()

    def visitor(k: int) -> None:
        client = visitor_client(url)
        for i in range(calls):
            image = images[(k + i) % len(images)]
            start = time.perf_counter()
            try:
                client.predict(handle_file(image), api_name="/classify")
                ok = True
            except Exception as error:  # a refused bad file is an answer, anything else is not
                ok = "not an image file" in str(error)
            with lock:
                latencies.append(time.perf_counter() - start)
                errors[0] += not ok

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(visitor, range(clients)))
    return latencies, errors[0], time.perf_counter() - start


def bench_startup(rows: list, images: dict, config: Config) -> None:
    """Each app started ROUNDS times, one start at a time: the median start to first answer."""
    for name, script in apps(config):
        seconds = []
        for _ in range(ROUNDS):
            server = Server(script)
            try:
                seconds.append(server.first_answer(images["good"][0]))
            finally:
                server.stop()
        rows.append((f"start-up to first /classify ({name})",
                     f"{statistics.median(seconds):.1f} s (runs: "
                     + ", ".join(f"{s:.1f}" for s in seconds) + ")",
                     "<= 10 s" if name == "digitpad" else ""))


def bench_end_to_end(rows: list, images: dict, config: Config) -> None:
    scenarios = [(1, 20 if config.quick else 60), (8, 5 if config.quick else 25),
                 (32, 2 if config.quick else 8)]
    servers = {}
    try:
        for name, script in apps(config):
            servers[name] = Server(script)  # one after the other: each start has both cores
            servers[name].first_answer(images["good"][0])
        for clients, calls in scenarios:
            for name, server in servers.items():
                rounds = [load(server.url, images["good"], clients, calls) for _ in range(ROUNDS)]
                p50 = statistics.median(percentiles(r[0])[0] for r in rounds)
                p90 = statistics.median(percentiles(r[0])[1] for r in rounds)
                rate = statistics.median(len(r[0]) / r[2] for r in rounds)
                errors = sum(r[1] for r in rounds)
                rows.append((f"/classify, {clients} client(s), {name}",
                             f"p50 {p50:.0f} ms, p90 {p90:.0f} ms, {rate:.1f} req/s, "
                             f"{errors} errors", ""))
        app = servers["digitpad"]
        before = app.rss_mb()
        mixed = images["good"] + images["blank"] + images["bad"]
        total = 400 if config.quick else 2000
        for label in ("", "the same again, "):  # growth that goes on the second time is a leak
            latencies, errors, seconds = load(app.url, mixed, 16, total // 16)
            after = app.rss_mb()
            rows.append((f"{label}{len(latencies)} mixed requests, 16 clients",
                         f"{errors} errors, {len(latencies) / seconds:.1f} req/s, "
                         f"RSS {before:.0f} -> {after:.0f} MB ({(after / before - 1):+.1%})",
                         "0 errors, growth <= 5%"))
            before = after
    finally:
        for server in servers.values():
            server.stop()


def bench_accuracy(rows: list, config: Config) -> None:
    from model.classifier import Classifier
    from training.data import load_mnist_subset, to_model_format

    # TEST in float32, as training scores it (the app's copies in the samples file are uint8)
    _, (images, labels) = load_mnist_subset()
    predicted = Classifier().probabilities(to_model_format(images)).argmax(axis=1)
    shipped = float((predicted == labels).mean())
    rows.append(("TEST accuracy, shipped model", f"{shipped:.2%}", ">= 99.0%"))
    if config.quick:
        return
    from training.train import Config as TrainConfig
    from training.train import train

    summary = train(TrainConfig(network="baseline", members=1, epochs=25, batch_size=250,
                                augment=False, learning_rate=1e-3, patience=25, export=False))
    rows.append(("TEST accuracy, tutorial CNN (this run)", f"{summary['test_accuracy']:.2%}", ""))
    rows.append(("drawn digits, tutorial CNN (this run)", f"{summary['drawn_accuracy']:.2%}", ""))


def write_images(folder: Path) -> dict[str, list[str]]:
    from PIL import Image

    from bench.bad_uploads import digit_photo

    good = []
    for digit in range(10):
        path = folder / f"{digit}.png"
        digit_photo(digit).save(path)
        good.append(str(path))
    blank = folder / "blank.png"
    Image.new("RGB", (300, 300), "white").save(blank)
    bad = folder / "bad.png"
    bad.write_bytes(b"not an image at all")
    return {"good": good, "blank": [str(blank)], "bad": [str(bad)]}


def main(argv=None) -> int:
    config = parse(Config, argv, __doc__)
    rows = []
    repeat = 30 if config.quick else 200
    with tempfile.TemporaryDirectory() as folder:
        images = write_images(Path(folder))
        if "preprocessing" in config.parts:
            bench_preprocessing(rows, repeat)
        if "model" in config.parts:
            bench_model(rows, repeat)
        if "numbers" in config.parts:
            bench_numbers(rows, repeat)
        if "startup" in config.parts:
            bench_startup(rows, images, config)
        if "serving" in config.parts:
            bench_end_to_end(rows, images, config)
        if "accuracy" in config.parts:
            bench_accuracy(rows, config)
    cpu = next((line.split(":")[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    print(f"\nMachine: {len(os.sched_getaffinity(0))} of {os.cpu_count()} cores ({cpu}), "
          f"Python {platform.python_version()}\n")
    print("| measure | result | target |\n|---|---|---|")
    for name, result, target in rows:
        print(f"| {name} | {result} | {target} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
