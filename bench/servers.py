"""Start the app, redis-server and nginx on loopback ports, and wait for them: the servers the
tests and the benchmarks run against, started one way."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from model.spec import ROOT

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"  # Debian's, headless, for Playwright
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
STARTUP_SECONDS = 240  # a cold start on a busy 2-core machine, TensorFlow included


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(port: int, script: str = "app.py", log=subprocess.DEVNULL, **env) -> subprocess.Popen:
    """`python <script>` on 127.0.0.1:`port`, with `env` added to this process's environment
    (a value of None removes that variable)."""
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1",
           "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT), **env}  # bench/'s apps too
    env = {name: value for name, value in env.items() if value is not None}
    return subprocess.Popen([sys.executable, script], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, text=True)


def wait_for(url: str, seconds: float = STARTUP_SECONDS) -> None:
    """Return once `url` answers 200; TimeoutError after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {seconds} s")


def serve_folder(folder: Path, port: int) -> subprocess.Popen:
    """`python -m http.server` serving `folder` (the static Digitpad) on 127.0.0.1:`port`;
    returns once it answers."""
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind",
                               "127.0.0.1", "--directory", str(folder)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(f"http://127.0.0.1:{port}/", seconds=30)
    return server


def start_redis(port: int) -> subprocess.Popen:
    """redis-server on 127.0.0.1:`port`, in memory only; returns once it answers."""
    import redis

    server = shutil.which("redis-server")
    assert server, "redis-server is missing: bash tests/run.sh installs it"
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no"], stdout=subprocess.DEVNULL)
    for _ in range(100):
        try:
            redis.Redis(port=port).ping()
            return process
        except redis.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def start_nginx(folder: Path, port: int, replicas: list[int]) -> subprocess.Popen:
    """nginx with deploy/nginx.conf as shipped, its ports moved, inside a minimal main config
    that logs which replica served each request (`folder`/access.log)."""
    assert os.path.exists(NGINX), "nginx is missing: bash tests/run.sh installs it"
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    site = site.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    site = site.replace("127.0.0.1:7861", f"127.0.0.1:{replicas[0]}")
    site = site.replace("127.0.0.1:7862", f"127.0.0.1:{replicas[1]}")
    (folder / "digitpad.conf").write_text(site)
    (folder / "nginx.conf").write_text(f"""
pid {folder}/nginx.pid;
error_log {folder}/error.log;
worker_rlimit_nofile 20000;
events {{ worker_connections 8192; }}  # a browser holds up to 4 (each to nginx and on to its
                                       # replica); a keynote's phone page 1: 2 each
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


def stop(processes: list[subprocess.Popen]) -> None:
    """Stop processes, last started first."""
    for process in reversed(processes):
        process.terminate()
        process.wait(timeout=30)
