"""The running app through gradio_client: every public endpoint, bad uploads, and what it serves."""

import httpx
import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from model.imagefile import read_image
from model.preprocess import from_array
from tests.bad_uploads import digit_photo, write_corpus
from training.drawn_digits import STYLES, Pose, render


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("uploads"))


def save(tmp_path, name, array) -> str:
    path = tmp_path / name
    Image.fromarray(array).save(path)
    return str(path)


def test_public_endpoints_are_the_named_ones(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert set(endpoints) == {"/classify", "/read_number", "/read_sketch", "/sample"}


@pytest.mark.parametrize("digit", [0, 3, 7, 9])
def test_classify_reads_a_drawn_digit_file(client, tmp_path, digit):
    path = tmp_path / f"{digit}.png"
    digit_photo(digit).save(path)
    result = client.predict(handle_file(str(path)), api_name="/classify")
    assert result["label"] == str(digit)
    confidences = result["confidences"]
    assert [c["label"] for c in confidences][0] == str(digit) and len(confidences) == 10
    assert sum(c["confidence"] for c in confidences) == pytest.approx(1, abs=1e-3)


def test_classify_blank_image_says_no_digit(client, tmp_path):
    path = save(tmp_path, "white.png", np.full((200, 200, 3), 255, np.uint8))
    assert client.predict(handle_file(path), api_name="/classify") == {"label": None,
                                                                       "confidences": []}


def test_bad_uploads_get_clear_messages_and_the_server_keeps_serving(client, corpus):
    for name, (path, expect) in corpus.items():
        if expect == "error":
            with pytest.raises(Exception) as error:
                client.predict(handle_file(str(path)), api_name="/classify")
            message = str(error.value)
            assert any(word in message for word in ("image", "px", "empty", "decode")), (name, message)
            assert "Traceback" not in message
        else:
            result = client.predict(handle_file(str(path)), api_name="/classify")
            assert result["label"] == (None if expect == "blank" else expect), (name, result)
    good = client.predict(handle_file(str(corpus["16-bit png"][0])), api_name="/classify")
    assert good["label"] == "4"  # still serving


def test_bad_uploads_are_read_or_refused_by_the_reader_itself(corpus):
    for name, (path, expect) in corpus.items():
        if expect == "error":
            with pytest.raises(ValueError):
                from_array(read_image(path))
        elif expect == "blank":
            assert from_array(read_image(path)) is None, name


def test_read_sketch_returns_label_chart_preview_and_note(client, tmp_path):
    sketch = render(STYLES[2][0], Pose(height=500, x=380, y=420, brush=32))
    value = {"background": handle_file(save(tmp_path, "bg.png", sketch["background"])),
             "layers": [handle_file(save(tmp_path, "layer.png", sketch["layers"][0]))],
             "composite": handle_file(save(tmp_path, "comp.png", sketch["composite"]))}
    label, chart, preview, note = client.predict(value, api_name="/read_sketch")
    assert label["label"] == "2"
    assert "2" in note
    assert np.asarray(Image.open(preview)).shape[:2] == (224, 224)
    rows = chart["data"]
    assert [row[0] for row in rows] == [str(d) for d in range(10)]  # every digit, in order
    assert [row[2] for row in rows].count("prediction") == 1 and rows[2][2] == "prediction"
    assert sum(row[1] for row in rows) == pytest.approx(1, abs=1e-3)


def test_read_sketch_of_an_empty_canvas_asks_for_a_digit(client, tmp_path):
    blank = np.full((800, 800, 4), 255, np.uint8)
    value = {"background": handle_file(save(tmp_path, "bg.png", blank)), "layers": [],
             "composite": handle_file(save(tmp_path, "comp.png", blank))}
    label, _, preview, note = client.predict(value, api_name="/read_sketch")
    assert preview is None and "Draw a digit" in note
    assert not label or label.get("label") is None


def test_sample_endpoint_gives_truth_and_reading(client):
    result = client.predict(5, api_name="/sample")
    assert result["index"] == 5 and result["true_label"] in "0123456789"
    assert result["correct"] == (result["label"] == result["true_label"])
    assert len(result["confidences"]) == 10


def test_app_serves_no_file_it_does_not_mean_to(app_url):
    for path in ("/etc/passwd", "app.py", "model/digitpad/metadata.json",
                 "../../../../etc/passwd", "model/spec.py"):
        for route in ("gradio_api/file=", "file="):
            response = httpx.get(app_url + route + path, timeout=10)
            assert response.status_code in (403, 404), (route, path, response.status_code)
            assert "root:" not in response.text


def test_uploads_over_the_size_limit_are_refused(app_url, tmp_path):
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG" + b"\0" * (11 * 1024 * 1024))
    with open(big, "rb") as handle:
        response = httpx.post(app_url + "gradio_api/upload", files={"files": handle}, timeout=30)
    assert response.status_code == 413
