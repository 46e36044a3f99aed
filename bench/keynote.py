"""A keynote hall of phones:  python -m bench.keynote --phones 1000 [--replicas 2]

Each simulated phone is one asyncio task with one HTTP/1.1 connection, as light as a phone is
to the server and no lighter: it loads the phone page once (/phone, gzipped), takes a prompt,
waits for the round by long polls, then draws the digit asked for (the ink the page would
send: a drawn style at a random pose) and sends it once, at a random moment within --burst
seconds of the round's start. The speaker starts the round; one stage page polls the wall as
often as its timer does. Everything runs from one network address, as a hall behind its Wi-Fi.
With --allow, the speaker limits the drawings a minute from one address (and the phones it may
seat in a round), as for a hall; with --flood, a script on the same address sends from fresh
sessions all through the round (a line before the last says how many it got on the stage).
With --teach, the speaker then clicks Teach on the round while every phone goes on sending,
once every --burst seconds or so, until the new version serves (a line before the last).

The last line: phones=N sent=N on_stage=N lost=N send_p50_ms=N send_p90_ms=N stage_stale_s=N
errors=N cpu_ms_per_send=N page_bytes=N (the server processes' CPU over the round, per send;
the page and its first prompt, as one phone loads them).
"""

import asyncio
import json
import re
import resource
import tempfile
import time
from dataclasses import dataclass

import numpy as np

from audience.wall import REFRESH_SECONDS
from bench.benchmarks import Server, cpu_seconds, percentiles, visitor_client
from bench.stage_crowd import KEY, PHONES, Cluster
from model.config import flag, parse
from model.ink import strokes_to_json
from training.drawn_digits import STYLES, place, random_pose

INKS_PER_DIGIT = 100  # drawings made beforehand; each phone sends one of its digit's


@dataclass(frozen=True)
class Config:
    phones: tuple[int, ...] = flag((1000,), "hall sizes to try, smallest first (one round each)")
    burst: float = flag(20, "seconds after the round's start within which every phone sends")
    replicas: int = flag(1, "1: one `python app.py`; 2: two processes behind nginx sharing "
                         "Redis", (1, 2))
    allow: int = flag(0, "drawings a minute one address may send, as the speaker sets it "
                      "before the round (0: no limit)")
    flood: float = flag(0, "drawings a second a script tries to send during the round, each "
                        "from a fresh session on the hall's own address (0: none)")
    teach: bool = flag(False, "after the round, the speaker clicks Teach on it while the phones "
                       "go on drawing; one process only")


class Connection:
    """One keep-alive HTTP/1.1 connection, reopened when the server has closed it."""

    def __init__(self, host: str, port: int):
        self.host, self.port, self.reader, self.writer = host, port, None, None

    async def request(self, method: str, path: str, body: dict | None = None) -> tuple:
        """-> (status, the body's bytes, bytes received in all)."""
        for attempt in (0, 1):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            try:
                return await self._exchange(method, path, body)
            except (ConnectionError, asyncio.IncompleteReadError):
                self.writer = None  # closed while idle: once more, on a new connection
                if attempt:
                    raise

    async def _exchange(self, method: str, path: str, body: dict | None) -> tuple:
        data = json.dumps(body).encode() if body is not None else b""
        self.writer.write(f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
                          f"Accept-Encoding: gzip\r\nContent-Type: application/json\r\n"
                          f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
        content = await self.reader.readexactly(length)
        return int(head.split()[1]), content, len(head) + length


def inks(rng: np.random.Generator) -> dict[int, list[str]]:
    """INKS_PER_DIGIT drawings of each digit, as the pad's ink JSON."""
    out = {}
    for digit in range(10):
        out[digit] = []
        for _ in range(INKS_PER_DIGIT):
            style = STYLES[digit][rng.integers(len(STYLES[digit]))]
            strokes = place(style, random_pose(rng))
            out[digit].append(strokes_to_json(
                [np.column_stack([s, 10 * np.arange(len(s))]) for s in strokes]))
    return out


async def teach(speaker, figures: dict) -> dict:
    """The speaker clicks Teach on the round -> how it went: what the speaker was told, the
    seconds from the click to the new version serving, and the version's own figures."""
    clicked = time.perf_counter()
    said = await asyncio.to_thread(speaker.predict, KEY, "teach", "round", api_name="/control")
    version = said.split()[1]  # "Teaching v1 on 200 of 1000 drawings: ..."
    while time.perf_counter() - clicked < 600:
        model = await asyncio.to_thread(speaker.predict, api_name="/model")
        if model["version"] == version:
            return {"said": said, "seconds": time.perf_counter() - clicked, "model": model}
        shown = figures["walls"][-1][2] if figures["walls"] else ""
        if "Nothing learnt" in shown or "Teaching failed" in shown:
            why = re.sub(r"<[^>]+>", " ", shown.split("teaching")[-1])
            said += " " + re.sub(r"\s+", " ", why)[:300]  # what the stage says
            break
        await asyncio.sleep(0.25)
    return {"said": said, "seconds": float("nan"), "model": None}


async def hall(url: str, phones: int, config: Config, cpu) -> dict:
    """One round in a hall of `phones` (and its teaching, with --teach) -> its figures."""
    host, port = re.match(r"http://([^:/]+):(\d+)", url).groups()
    drawings, rng = inks(np.random.default_rng(0)), np.random.default_rng(1)
    speaker, stage = visitor_client(url), visitor_client(url)
    await asyncio.to_thread(speaker.predict, KEY, "stop", "random", api_name="/control")
    await asyncio.to_thread(speaker.predict, KEY, "allow", str(config.allow or 10**9),
                            api_name="/control")
    figures = {"send": [], "errors": [], "page": [], "sent": 0, "walls": [],
               "flood": {True: 0, False: 0}, "answered": 0, "taught_sends": [], "refused": 0}
    loaded = asyncio.Semaphore(50)  # phones arrive over a few seconds, not in one instant
    answered, taught = asyncio.Event(), asyncio.Event()  # every phone has sent; teaching ended

    async def send(connection, session: str, prompt: dict, k: int) -> tuple[float, dict | None]:
        """-> (seconds the send took, the next prompt; None if over the network's limit)."""
        ink = drawings[prompt["digit"] or 0][k % INKS_PER_DIGIT]
        start = time.perf_counter()
        status, content, _ = await connection.request(
            "POST", "/phone/send", {"session": session, "token": prompt["token"], "ink": ink})
        if status not in (200, 429):
            raise RuntimeError(f"{status} {content[:120]!r}")
        return time.perf_counter() - start, status == 200 and json.loads(content)["prompt"]

    async def phone(k: int) -> None:
        connection = Connection(host, int(port))
        try:
            async with loaded:
                _, _, page = await connection.request("GET", "/phone")
                status, content, first = await connection.request("POST", "/phone/prompt", {})
                figures["page"].append(page + first)
            answer = json.loads(content)
            session, prompt = answer["session"], answer["prompt"]
            while prompt["round"] is None:  # wait for the round, as the page does
                _, content, _ = await connection.request(
                    "POST", "/phone/prompt",
                    {"session": session, "token": prompt["token"], "wait": True})
                prompt = json.loads(content)["prompt"] or prompt
            await asyncio.sleep(rng.uniform(0, config.burst))  # draws, then sends
            took, prompt = await send(connection, session, prompt, k)
            if not prompt:
                raise RuntimeError("refused: over the network's limit")
            figures["send"].append(took)
            figures["sent"] += 1
            answer_once()
            await answered.wait()
            while config.teach and not taught.is_set():  # the hall draws on while it learns
                await asyncio.sleep(rng.uniform(0.5, 1.5) * config.burst)
                took, sent = await send(connection, session, prompt, k + 1)
                figures["taught_sends"].append(took)
                figures["refused"] += not sent
                prompt = sent or prompt
        except Exception as failure:
            figures["errors"].append(f"{type(failure).__name__}: {failure}"[:200])
            if not answered.is_set():
                answer_once()
        finally:
            if connection.writer:
                connection.writer.close()

    def answer_once() -> None:  # a phone's part in the round is over, sent or failed
        figures["answered"] += 1
        if figures["answered"] == phones:
            answered.set()

    async def flood(until: asyncio.Event) -> None:  # fresh sessions, one address, all along
        connection = Connection(host, int(port))
        while not until.is_set():
            start = time.perf_counter()
            try:
                status, content, _ = await connection.request("POST", "/phone/prompt", {})
                answer = json.loads(content)
                if status == 200:  # else refused a seat in the round
                    status, _, _ = await connection.request("POST", "/phone/send", {
                        "session": answer["session"], "token": answer["prompt"]["token"],
                        "ink": drawings[answer["prompt"]["digit"] or 0][0]})
                figures["flood"][status == 200] += 1
            except Exception as failure:
                figures["errors"].append(f"flood: {type(failure).__name__}: {failure}"[:200])
            await asyncio.sleep(max(0.0, start + 1 / config.flood - time.perf_counter()))

    async def poll(until: asyncio.Event) -> None:  # the stage page's timer
        while not until.is_set():
            start = time.perf_counter()
            try:
                wall = await asyncio.to_thread(stage.predict, api_name="/wall")
                figures["walls"].append((start, time.perf_counter(), wall))
            except Exception as failure:
                figures["errors"].append(f"wall: {failure}"[:200])
            await asyncio.sleep(max(0.0, start + REFRESH_SECONDS - time.perf_counter()))

    tasks = [asyncio.create_task(phone(k)) for k in range(phones)]
    while len(figures["page"]) + len(figures["errors"]) < phones:  # every phone is waiting
        await asyncio.sleep(0.2)
    done = asyncio.Event()
    polling = asyncio.create_task(poll(done))
    cpu_before = cpu()
    await asyncio.to_thread(speaker.predict, KEY, "start", "random", api_name="/control")
    flooded = asyncio.Event()
    flooding = asyncio.create_task(flood(flooded)) if config.flood else None
    await answered.wait()
    flooded.set()
    if flooding:
        await flooding
    cpu_used = cpu() - cpu_before
    await asyncio.sleep(2 * REFRESH_SECONDS)  # the stage's next poll shows the last sends
    last = figures["walls"][-1][2] if figures["walls"] else ""
    taught_by = await teach(speaker, figures) if config.teach else None
    taught.set()
    await asyncio.gather(*tasks)
    done.set()
    await polling
    walls = figures["walls"]
    tally = re.search(r"right \((\d+) of (\d+)\)", last)
    flood_kept = figures["flood"][True]
    return {"sent": figures["sent"], "flood": figures["flood"],
            "on_stage": (int(tally.group(2)) if tally else 0) - flood_kept,
            "send": figures["send"], "errors": figures["errors"],
            "stale": max((b[1] - a[0] for a, b in zip(walls, walls[1:])), default=float("inf")),
            "cpu_ms_per_send": 1000 * cpu_used / max(1, figures["sent"]),
            "taught": taught_by, "taught_sends": figures["taught_sends"],
            "refused": figures["refused"],
            "page_bytes": int(np.median(figures["page"])) if figures["page"] else 0}


def print_teaching(taught: dict, sends: list[float], refused: int) -> None:
    p50, p90, _ = percentiles(sends or [0])
    print(taught["said"], flush=True)
    model = taught["model"]
    if model is None:
        print("teaching: no version served", flush=True)
        return
    held = "->".join(f"{model[k]['held_right'] / model['held_out']:.0%}"
                     for k in ("before", "after"))
    print(f"teaching: click_to_serving_s={taught['seconds']:.1f} sends_meanwhile={len(sends)} "
          f"refused={refused} "
          f"send_p50_ms={p50:.0f} send_p90_ms={p90:.0f} held_out={held} validation="
          f"{model['before']['validation_right']}->{model['after']['validation_right']}"
          f"/{model['validation']}", flush=True)


def main(argv=None) -> int:
    config = parse(Config, argv, __doc__)
    if config.teach and config.replicas != 1:
        raise SystemExit("error: --teach runs on one process (bench.teach has replicas)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # a connection per phone, here
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # and in the server it starts
    server = (Cluster() if config.replicas == 2 else
              Server("app.py", DIGITPAD_STAGE="1", DIGITPAD_SPEAKER_KEY=KEY, **PHONES,
                     DIGITPAD_TAUGHT_DIR=tempfile.mkdtemp(prefix="digitpad-keynote-")))
    try:
        if config.replicas == 1:
            from bench.crowd import _blank_png
            server.first_answer(str(_blank_png()))
        apps = server.apps if config.replicas == 2 else [server.process]
        print(f"replicas={config.replicas}", flush=True)
        for phones in config.phones:
            result = asyncio.run(hall(server.url, phones, config,
                                      lambda: sum(cpu_seconds(app.pid) for app in apps)))
            p50, p90, _ = percentiles(result["send"] or [0])
            if config.flood:
                print(f"flood: {sum(result['flood'].values())} tried from fresh sessions, "
                      f"{result['flood'][True]} on the stage, {result['flood'][False]} refused",
                      flush=True)
            print(f"phones={phones} sent={result['sent']} "
                  f"on_stage={result['on_stage']} lost={result['sent'] - result['on_stage']} "
                  f"send_p50_ms={p50:.0f} send_p90_ms={p90:.0f} "
                  f"stage_stale_s={result['stale']:.2f} errors={len(result['errors'])} "
                  f"cpu_ms_per_send={result['cpu_ms_per_send']:.1f} "
                  f"page_bytes={result['page_bytes']}", flush=True)
            if config.teach:
                print_teaching(result["taught"], result["taught_sends"], result["refused"])
            for error in sorted(set(result["errors"]))[:3]:
                print("  error:", error, flush=True)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    main()
