"""Two replicas behind nginx, sharing one audience through Redis, all on loopback ports:
redis-server, two `python app.py` processes and nginx with deploy/nginx.conf. Visitors draw
through nginx; one stage page sees every drawing, and stopping a replica loses none. A phone on
/phone may wait on one replica and send through the other: its session lives in Redis."""

import re
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from gradio_client import Client

from bench.servers import free_port, start_app, start_nginx, start_redis, stop, wait_for
from tests.helpers import seven

VISITORS = 12
KEY_LINE = re.compile(r"Speaker key: (\S+)")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    folder = tmp_path_factory.mktemp("replicas")
    redis_port, front, replicas = free_port(), free_port(), [free_port(), free_port()]
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    processes = [start_redis(redis_port)]
    logs = [open(folder / f"app{k}.log", "w+") for k in range(2)]
    # no key: each replica makes one and the first stored wins
    apps = [start_app(port, log=log, DIGITPAD_STAGE="1", DIGITPAD_REDIS_URL=redis_url,
                      DIGITPAD_SPEAKER_KEY="") for port, log in zip(replicas, logs)]
    processes += apps
    try:
        for port in replicas:
            wait_for(f"http://127.0.0.1:{port}/")
        processes.append(start_nginx(folder, front, replicas))
        wait_for(f"http://127.0.0.1:{front}/")
        yield {"url": f"http://127.0.0.1:{front}/", "apps": apps, "logs": logs,
               "replicas": replicas, "access": folder / "access.log"}
    finally:
        stop(processes)


def visit(url: str, k: int) -> int:
    """One visitor through nginx: a prompt, then a 7 -> the drawing's number on the wall."""
    visitor = Client(url, verbose=False)
    _, token = visitor.predict(api_name="/prompt")
    note, *_ = visitor.predict(seven(), token, api_name="/send")
    assert "the screen shows your" in note, note
    return k


def wall_seqs(url: str) -> set[int]:
    html = Client(url, verbose=False).predict(api_name="/wall")
    return {int(s) for s in re.findall(r'data-seq="(\d+)"', html)}


def speaker_key(cluster) -> str:
    keys = set()
    for log in cluster["logs"]:
        log.seek(0)
        keys.update(KEY_LINE.findall(log.read()))
    assert len(keys) == 1  # both replicas print the one key they share
    return keys.pop()


def test_a_phone_waits_on_one_replica_and_sends_through_the_other(cluster):
    key = speaker_key(cluster)
    first, second = (f"http://127.0.0.1:{port}/phone/" for port in cluster["replicas"])
    speaker = Client(cluster["url"], verbose=False)
    speaker.predict(key, "stop", "random", api_name="/control")
    hello = httpx.post(first + "prompt", json={}, timeout=60).json()
    with ThreadPoolExecutor(1) as pool:  # its long poll on the second, which reads Redis
        waiting = pool.submit(httpx.post, second + "prompt", timeout=120,
                              json={"session": hello["session"], "wait": True,
                                    "token": hello["prompt"]["token"]})
        speaker.predict(key, "start", "7", api_name="/control")
        prompt = waiting.result(timeout=120).json()["prompt"]
    assert prompt["digit"] == 7 and prompt["round"]
    sent = httpx.post(first + "send", timeout=60, json={
        "session": hello["session"], "token": prompt["token"], "ink": seven()}).json()
    assert sent["sent"]["digit"] == 7
    assert f'data-seq="{sent["sent"]["seq"]}"' in speaker.predict(api_name="/wall")


def test_one_stage_sees_every_drawing_and_a_stopped_replica_loses_none(cluster):
    key = speaker_key(cluster)
    speaker = Client(cluster["url"], verbose=False)
    speaker.predict(key, "start", "7", api_name="/control")
    before = max(wall_seqs(cluster["url"]), default=0)  # the phone's, if it ran first

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda k: visit(cluster["url"], k), range(VISITORS)))
    served = re.findall(r"/queue/join\S* 127\.0\.0\.1:(\d+) 200",
                        cluster["access"].read_text())
    assert {int(p) for p in served} == set(cluster["replicas"])  # both replicas took visitors
    assert wall_seqs(cluster["url"]) == set(range(1, before + VISITORS + 1))
    wall = Client(cluster["url"], verbose=False).predict(api_name="/wall")
    assert f"{before + VISITORS}</span> drawings so far" in wall and "right" in wall

    cluster["apps"][0].terminate()  # one replica stops
    cluster["apps"][0].wait(timeout=30)
    every = set(range(1, before + VISITORS + 1))
    for _ in range(4):  # each stage visitor, wherever its cookie points, sees every drawing
        assert wall_seqs(cluster["url"]) == every
    visit(cluster["url"], VISITORS)  # and visitors still draw
    every.add(before + VISITORS + 1)
    assert wall_seqs(cluster["url"]) == every
    Client(cluster["url"], verbose=False).predict(key, "remove", "1",
                                                  api_name="/control")  # a prankster's scribble
    for _ in range(4):  # gone from every stage, whichever replica serves it
        assert wall_seqs(cluster["url"]) == every - {1}
    assert "Round:" in Client(cluster["url"], verbose=False).predict(api_name="/wall")
