"""Set-up, hooks and the fixtures several modules share (helpers live in tests/helpers.py).
Keras's cache goes to a temporary folder before anything imports Keras, so the EMNIST tests
never touch the user's ~/.keras."""

import os
import tempfile

from tests.helpers import FIGURES, SENDS_PER_ADDRESS, SPEAKER_KEY

os.environ["KERAS_HOME"] = tempfile.mkdtemp(prefix="digitpad-keras-")
os.environ["DIGITPAD_FEEDBACK_DIR"] = tempfile.mkdtemp(prefix="digitpad-feedback-")  # the app's
os.environ["DIGITPAD_TAUGHT_DIR"] = tempfile.mkdtemp(prefix="digitpad-taught-")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["DIGITPAD_STAGE"] = "1"  # the tests' app has audience mode on, with a known key
os.environ["DIGITPAD_SPEAKER_KEY"] = SPEAKER_KEY
os.environ["DIGITPAD_SENDS_PER_ADDRESS"] = str(SENDS_PER_ADDRESS)
# The tests' apps start rounds by the dozen and never teach; test_teaching's apps do, ahead.
os.environ["DIGITPAD_TEACH_AHEAD"] = "0"
os.environ.pop("DIGITPAD_REDIS_URL", None)


import playwright.sync_api as playwright  # a missing Playwright fails the run
import pytest

from bench.servers import CHROMIUM, CHROMIUM_ARGS, free_port, serve_folder

# The slowest modules first (their total durations in a run of the suite, most first): the
# workers (`pytest -n 3 --dist loadfile`, as tests/run.sh runs it) take a module at a time, and
# a slow one taken last would run on alone.
SLOWEST_FIRST = ("test_training", "test_teaching", "test_browser", "test_stage", "test_numbers",
                 "test_photos", "test_replicas", "test_phone", "test_pictures", "test_reader",
                 "test_model", "test_accessibility", "test_offline", "test_app", "test_audience",
                 "test_load", "test_predict_cli", "test_inside")


def pytest_collection_modifyitems(items):
    rank = {name: k for k, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.module.__name__.rpartition(".")[2], len(rank)))


def pytest_sessionfinish(session):
    if hasattr(session.config, "workeroutput"):  # a worker hands its figures to the controller
        session.config.workeroutput["figures"] = FIGURES


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    FIGURES.update(getattr(node, "workeroutput", {}).get("figures", {}))


def pytest_terminal_summary(terminalreporter):
    for name, figure in FIGURES.items():
        terminalreporter.write_line(f"{name}: {figure}")


@pytest.fixture(scope="session")
def app_url():
    """The real app, launched once in this process as `python app.py` would launch it."""
    import app

    port = free_port()
    app.demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True,
                    quiet=True, **app.LAUNCH)
    yield f"http://127.0.0.1:{port}/"
    app.demo.close()


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The static Digitpad (`python -m deploy --static`), written and served by `python -m
    http.server`: -> (its folder, its URL)."""
    from deploy.static import write_site

    folder = tmp_path_factory.mktemp("static") / "site"
    write_site(folder)
    port = free_port()
    server = serve_folder(folder, port)
    yield folder, f"http://127.0.0.1:{port}/"
    server.terminate()
    server.wait()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright: one for the whole run."""
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
