"""Mixed load on the running app: good drawings, blanks and broken files from 16 clients at
once (10 calls each, 20 with DIGITPAD_FULL=1). Every request gets a well-formed answer or a
clear refusal, and new visitors are served during the load. (`python -m bench.benchmarks`
runs 2,000 requests and measures memory.)"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from gradio_client import Client, handle_file
from PIL import Image

from bench.bad_uploads import digit_photo
from tests.helpers import FULL

CLIENTS, CALLS = 16, 20 if FULL else 10  # 320 or 160 requests


def test_mixed_load_gets_only_wellformed_answers(app_url, tmp_path):
    files = []
    for digit in range(10):
        files.append((tmp_path / f"{digit}.png", str(digit)))
        digit_photo(digit).save(files[-1][0])
    files.append((tmp_path / "blank.png", None))
    Image.new("RGB", (300, 300), "white").save(files[-1][0])
    files.append((tmp_path / "broken.png", "error"))
    files[-1][0].write_bytes(b"\x89PNG\r\n\x1a\n broken")

    problems, answered, lock, loaded = [], [0], threading.Lock(), threading.Event()

    def visitor(k: int) -> None:
        client = Client(app_url, verbose=False)
        for i in range(CALLS):
            path, expected = files[(k + i) % len(files)]
            try:
                result = client.predict(handle_file(str(path)), api_name="/classify")
                ok = (expected != "error" and result["label"] == expected
                      and len(result["confidences"]) == (0 if expected is None else 10))
            except Exception as error:
                ok = expected == "error" and "Traceback" not in str(error)
            with lock:
                answered[0] += 1
                if answered[0] == CLIENTS:
                    loaded.set()
                if not ok:
                    problems.append((path.name, expected))

    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(visitor, k) for k in range(CLIENTS)]
        assert loaded.wait(120)  # the load is on (as many answers as clients): a new visitor
        start = time.perf_counter()
        newcomer = Client(app_url, verbose=False).predict(handle_file(str(files[7][0])),
                                                          api_name="/classify")
        waited = time.perf_counter() - start
        for future in futures:
            future.result()
    assert problems == []
    assert answered[0] == CLIENTS * CALLS
    assert newcomer["label"] == "7" and waited < 30
