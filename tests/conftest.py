"""Shared test set-up. Keras's cache goes to a temporary folder before anything imports Keras,
so the EMNIST tests never touch the user's ~/.keras."""

import os
import tempfile

os.environ["KERAS_HOME"] = tempfile.mkdtemp(prefix="digitpad-keras-")
os.environ["DIGITPAD_FEEDBACK_DIR"] = tempfile.mkdtemp(prefix="digitpad-feedback-")  # the app's
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["DIGITPAD_STAGE"] = "1"  # the tests' app has audience mode on, with a known key
os.environ["DIGITPAD_SPEAKER_KEY"] = SPEAKER_KEY = "test-speaker-key"
os.environ.pop("DIGITPAD_REDIS_URL", None)

import socket  # noqa: E402

import pytest  # noqa: E402


FIGURES = {}  # measured by tests (latency, sizes), printed at the end of the run


def pytest_terminal_summary(terminalreporter):
    for name, figure in FIGURES.items():
        terminalreporter.write_line(f"{name}: {figure}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_url():
    """The real app, launched once in this process as `python app.py` would launch it."""
    import app

    port = free_port()
    app.demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True,
                    quiet=True, **app.LAUNCH)
    yield f"http://127.0.0.1:{port}/"
    app.demo.close()
