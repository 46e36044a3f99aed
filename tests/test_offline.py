"""A talk without internet: `python app.py` attempts no outbound connection, at start-up, on a
reading, or idle. Every client library honours HTTP(S)_PROXY, so the app is started with a
local proxy that records each request and refuses it."""

import socket
import threading
import time

import pytest
from gradio_client import Client, handle_file

from bench.bad_uploads import digit_photo
from bench.servers import free_port, start_app, wait_for

IDLE = 5  # seconds the app is left alone after a reading


@pytest.fixture
def proxy():
    """A proxy on loopback: -> (its URL, the list of request lines it was sent)."""
    server = socket.create_server(("127.0.0.1", 0))
    seen = []

    def serve():
        while True:
            try:
                connection, _ = server.accept()
            except OSError:  # closed: the test is over
                return
            with connection:
                connection.settimeout(5)
                try:
                    seen.append(connection.recv(4096).split(b"\r\n")[0].decode(errors="replace"))
                    connection.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    pass

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", seen
    server.close()


def test_the_app_makes_no_outbound_connection(proxy, tmp_path):
    url, seen = proxy
    port = free_port()
    proxies = {name: url for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy",
                                      "https_proxy", "all_proxy")}
    log = (tmp_path / "app.log").open("w")
    app = start_app(port, log=log, NO_PROXY="127.0.0.1,localhost", **proxies,
                    GRADIO_ANALYTICS_ENABLED=None,  # the app's own setting is what is tested
                    TF_CPP_MIN_LOG_LEVEL=None)  # and its own quiet start
    try:
        home = f"http://127.0.0.1:{port}/"
        wait_for(home)
        path = tmp_path / "seven.png"
        digit_photo(7).save(path)
        result = Client(home, verbose=False).predict(handle_file(str(path)), api_name="/classify")
        assert result["label"] == "7"
        time.sleep(IDLE)
    finally:
        app.terminate()
        app.wait(30)
        log.close()
    assert seen == [], f"outbound connection attempts: {seen}"
    printed = (tmp_path / "app.log").read_text()
    assert f"http://127.0.0.1:{port}" in printed  # the address, and no TensorFlow start-up log
    assert not any(word in printed for word in ("cuInit", "absl", "cuda", "Traceback")), printed
