"""Two replicas behind nginx, sharing one audience through Redis, all on loopback ports:
redis-server, two `python app.py` processes and nginx with deploy/nginx.conf. Visitors draw
through nginx; one stage page sees every drawing, and stopping a replica loses none."""

import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from gradio_client import Client

from model.spec import ROOT
from tests.conftest import free_port
from tests.test_audience import start_redis
from tests.test_stage import seven

VISITORS = 12
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
KEY_LINE = re.compile(r"Speaker key: (\S+)")


def start_app(port: int, redis_url: str, log, key: str = "") -> subprocess.Popen:
    """`python app.py` in audience mode; with no key, each replica makes one, the first stored
    wins."""
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1",
           "DIGITPAD_STAGE": "1", "DIGITPAD_REDIS_URL": redis_url, "DIGITPAD_SPEAKER_KEY": key}
    return subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, text=True)


def wait_for(url: str, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer")


def start_nginx(folder, port: int, replicas: list[int]) -> subprocess.Popen:
    """nginx with deploy/nginx.conf as shipped, its ports moved, inside a minimal main config
    that logs which replica served each request."""
    assert os.path.exists(NGINX), "nginx is missing: bash tests/run.sh installs it"
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    site = site.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    site = site.replace("127.0.0.1:7861", f"127.0.0.1:{replicas[0]}")
    site = site.replace("127.0.0.1:7862", f"127.0.0.1:{replicas[1]}")
    (folder / "digitpad.conf").write_text(site)
    (folder / "nginx.conf").write_text(f"""
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 4096; }}  # each visitor holds up to 4: to it and to its replica
http {{
    log_format replica '$request_uri $upstream_addr $status';
    access_log {folder}/access.log replica;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/digitpad.conf;
}}
""")
    return subprocess.Popen([NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"),
                             "-g", "daemon off;"], stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    folder = tmp_path_factory.mktemp("replicas")
    redis_port, front, replicas = free_port(), free_port(), [free_port(), free_port()]
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    processes = [start_redis(redis_port)]
    logs = [open(folder / f"app{k}.log", "w+") for k in range(2)]
    apps = [start_app(port, redis_url, log) for port, log in zip(replicas, logs)]
    processes += apps
    try:
        for port in replicas:
            wait_for(f"http://127.0.0.1:{port}/")
        processes.append(start_nginx(folder, front, replicas))
        wait_for(f"http://127.0.0.1:{front}/")
        yield {"url": f"http://127.0.0.1:{front}/", "apps": apps, "logs": logs,
               "replicas": replicas, "access": folder / "access.log"}
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=30)


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
    assert "Round:" in Client(cluster["url"], verbose=False).predict(api_name="/wall")
