"""Two replicas behind nginx, sharing one audience through Redis, all on loopback ports:
redis-server, two `python app.py` processes and nginx with deploy/nginx.conf. Visitors draw
through nginx; one stage page sees every drawing, and stopping a replica loses none."""

import re
from concurrent.futures import ThreadPoolExecutor

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


def test_one_stage_sees_every_drawing_and_a_stopped_replica_loses_none(cluster):
    keys = set()
    for log in cluster["logs"]:
        log.seek(0)
        keys.update(KEY_LINE.findall(log.read()))
    assert len(keys) == 1  # both replicas print the one key they share
    key = keys.pop()
    speaker = Client(cluster["url"], verbose=False)
    speaker.predict(key, "start", "7", api_name="/control")

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda k: visit(cluster["url"], k), range(VISITORS)))
    served = re.findall(r"/queue/join\S* 127\.0\.0\.1:(\d+) 200",
                        cluster["access"].read_text())
    assert {int(p) for p in served} == set(cluster["replicas"])  # both replicas took visitors
    assert wall_seqs(cluster["url"]) == set(range(1, VISITORS + 1))
    wall = Client(cluster["url"], verbose=False).predict(api_name="/wall")
    assert f"{VISITORS}</span> drawings so far" in wall and "right" in wall

    cluster["apps"][0].terminate()  # one replica stops
    cluster["apps"][0].wait(timeout=30)
    for _ in range(4):  # each stage visitor, wherever its cookie points, sees every drawing
        assert wall_seqs(cluster["url"]) == set(range(1, VISITORS + 1))
    visit(cluster["url"], VISITORS)  # and visitors still draw
    assert wall_seqs(cluster["url"]) == set(range(1, VISITORS + 2))
    Client(cluster["url"], verbose=False).predict(key, "remove", "1",
                                                  api_name="/control")  # a prankster's scribble
    for _ in range(4):  # gone from every stage, whichever replica serves it
        assert wall_seqs(cluster["url"]) == set(range(2, VISITORS + 2))
    assert "Round:" in Client(cluster["url"], verbose=False).predict(api_name="/wall")
