"""The running app through gradio_client: every public endpoint, bad uploads and bad ink, the
same answers as the CLI, and what it serves."""

import dataclasses
import json
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from bench.bad_uploads import digit_photo, write_corpus
from model import predict
from model.config import from_env
from model.feedback import FEEDBACK_DIR, load_corrections
from model.imagefile import read_image
from model.ink import IN_STROKE, draw_strokes, strokes_to_json
from model.preprocess import from_array, to_emnist
from model.spec import BROWSER_DIR, BRUSH_WIDTH, ROOT
from tests.helpers import seven, strokes_of
from training.drawn_digits import Pose
from ui.common import answered
from ui.draw import DrawPage


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
    # audience mode is on: /prompt and /send are callable but unlisted (the tests of audience
    # mode call them), so a phone's browser keeps no run history of them
    assert set(endpoints) == {"/classify", "/read_number", "/read_ink", "/sample", "/model",
                              "/control", "/wall"}


def test_the_model_endpoint_says_which_version_is_served(client):
    model = client.predict(api_name="/model")
    assert model["version"] == "shipped" and model["dataset"] == "mnist-subset"
    assert 0.985 <= model["test_accuracy"] <= 1 and "parent" not in model


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
    result = client.predict(handle_file(path), api_name="/classify")
    assert result["label"] is None and result["digit"] is None and result["confidences"] == []


def test_bad_uploads_get_clear_messages_and_the_server_keeps_serving(client, corpus):
    for name, (path, expect) in corpus.items():
        if expect == "error":
            with pytest.raises(Exception) as error:
                client.predict(handle_file(str(path)), api_name="/classify")
            message = str(error.value)
            words = ("image", "px", "empty", "decode")
            assert any(word in message for word in words), (name, message)
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


def test_read_ink_reads_a_digit_as_classify_does(client, tmp_path):
    strokes = strokes_of(2, Pose(height=500, x=380, y=420, brush=BRUSH_WIDTH))
    result = client.predict(strokes_to_json(strokes), api_name="/read_ink")
    assert result["label"] == "2" and result["digit"] == 2
    path = save(tmp_path, "two.png", 255 - draw_strokes(strokes))  # the same ink as a picture
    assert client.predict(handle_file(path), api_name="/classify")["label"] == "2"
    assert [c["label"] for c in result["confidences"]][0] == "2"


def test_read_ink_reads_several_digits_as_a_number(client):
    strokes = (strokes_of(4, Pose(height=300, aspect=0.6, x=220, y=400, brush=BRUSH_WIDTH))
               + strokes_of(2, Pose(height=300, aspect=0.6, x=560, y=400, brush=BRUSH_WIDTH)))
    result = client.predict(strokes_to_json(strokes), api_name="/read_ink")
    assert result["number"] == "42" and [d["digit"] for d in result["digits"]] == [4, 2]
    assert client.predict("[]", api_name="/read_ink")["label"] is None  # an empty pad


@pytest.mark.parametrize("ink, words", [
    ('{"x": 1}', "list of strokes"), ("[[]]", "no points"), ("[[[NaN, 1]]]", "NaN"),
    ("[[[1, 2, 3]]]" + " " * (10 * 1024 * 1024), "limit"),
    (json.dumps([[[k % 800, 5, k] for k in range(10_000)]]), "points")])
def test_bad_ink_gets_a_clear_message_and_the_server_keeps_serving(client, ink, words):
    with pytest.raises(Exception) as error:
        client.predict(ink, api_name="/read_ink")
    assert words in str(error.value) and "Traceback" not in str(error.value)
    assert client.predict("[[[400, 100, 0], [400, 700, 90]]]", api_name="/read_ink")["label"] == "1"


def test_the_api_and_the_cli_give_the_same_answers(client, tmp_path, capsys):
    paths = []
    for digit in (0, 3, 6, 8):
        paths.append(tmp_path / f"{digit}.png")
        digit_photo(digit).save(paths[-1])
    assert predict.main(["--json", *map(str, paths)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(paths)  # one line per file, nothing else
    for path, line in zip(paths, lines):
        api = client.predict(handle_file(str(path)), api_name="/classify")
        assert {"path": str(path), **api} == json.loads(line)
    number = tmp_path / "number.png"
    strokes = (strokes_of(7, Pose(height=300, aspect=0.6, x=220, y=400, brush=BRUSH_WIDTH))
               + strokes_of(5, Pose(height=300, aspect=0.6, x=560, y=400, brush=BRUSH_WIDTH)))
    Image.fromarray(255 - draw_strokes(strokes)).save(number)
    assert predict.main(["--number", "--json", str(number)]) == 0
    lines = capsys.readouterr().out.splitlines()
    api = client.predict(handle_file(str(number)), api_name="/read_number")
    assert len(lines) == 1 and {"path": str(number), **api} == json.loads(lines[0])
    assert api["number"] == "75"


def test_sample_endpoint_gives_truth_and_reading(client):
    result = client.predict(5, api_name="/sample")
    assert result["index"] == 5 and result["true_label"] in "0123456789"
    assert result["correct"] == (result["label"] == result["true_label"])
    assert len(result["confidences"]) == 10 and len(result["probabilities"]) == 10


def test_app_serves_no_file_it_does_not_mean_to(app_url):
    for path in ("/etc/passwd", "app.py", "model/digitpad/metadata.json",
                 "../../../../etc/passwd", "model/spec.py"):
        for route in ("gradio_api/file=", "file="):
            response = httpx.get(app_url + route + path, timeout=10)
            assert response.status_code in (403, 404), (route, path, response.status_code)
            assert "root:" not in response.text


def test_each_answer_names_the_served_versions_browser_copy_and_the_app_serves_it(app_url,
                                                                                   tmp_path):
    import app  # its served model, as the page has it

    page = DrawPage(app.served, tmp_path)
    *_, pads = page.read_pads([seven()], [False], ["its answer"], [False])
    assert "reader" not in pads[0]  # the copy pages load with: not sent again with each answer
    first, page.first = page.first, tmp_path  # once another version has been served ...
    *_, pads = page.read_pads([seven()], [False], ["its answer"], [False])
    copy = app.served.now.classifier.folder / BROWSER_DIR
    assert pads[0]["reader"] == f"gradio_api/file={copy}"  # the pad reads with this one
    page.first = first  # ... every answer names the served one, the first again included
    *_, pads = page.read_pads([seven()], [False], ["its answer"], [False])
    assert pads[0]["reader"] == f"gradio_api/file={copy}"
    about = httpx.get(app_url + pads[0]["reader"] + "/network.json", timeout=10).json()
    weights = httpx.get(app_url + pads[0]["reader"] + "/weights.bin", timeout=10)
    assert about == json.loads((copy / "network.json").read_text())
    assert weights.content == (copy / "weights.bin").read_bytes()
    assert answered(tmp_path)["reader"] == ""  # a version without one: the server reads


def test_uploads_over_the_size_limit_are_refused(app_url, tmp_path):
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG" + b"\0" * (11 * 1024 * 1024))
    with open(big, "rb") as handle:
        response = httpx.post(app_url + "gradio_api/upload", files={"files": handle}, timeout=30)
    assert response.status_code == 413


def test_a_refused_input_is_one_line_in_the_servers_log_not_a_traceback(client, capsys, caplog):
    for ink in ("not json", "[[]]", '{"a": 1}'):
        with pytest.raises(Exception, match="(?i)ink|stroke"):
            client.predict(ink, api_name="/read_ink")
    refusals = [r.getMessage() for r in caplog.records if r.name == "digitpad"]
    assert len(refusals) == 3 and all(r.startswith("refused read_ink: ") for r in refusals)
    assert "Traceback" not in capsys.readouterr().err


def test_a_correction_stores_the_pads_own_drawing(app_url, tmp_path):
    import app  # its served model, as the page has it

    page = DrawPage(app.served, tmp_path)
    strokes = strokes_of(7, Pose(height=500, x=400, y=420, brush=BRUSH_WIDTH))
    assert "Saved as a **1**" in page.correct(strokes_to_json(strokes), "1")
    images, labels = load_corrections(tmp_path)
    assert labels.tolist() == [1]  # what the visitor said, with the drawing they drew
    np.testing.assert_allclose(images[0], to_emnist(draw_strokes(strokes)), atol=1e-6)
    assert "Draw the digit on the pad first" in page.correct("[]", "1")
    assert "one drawn digit at a time" in page.correct(strokes_to_json(
        strokes + strokes_of(4, Pose(height=300, x=650, y=420, brush=BRUSH_WIDTH))), "1")
    assert len(load_corrections(tmp_path)[1]) == 1


def test_a_value_sent_while_the_pen_moves_updates_the_reading_but_not_what_counts(tmp_path):
    import gradio as gr

    import app  # its served model, as the page has it

    page = DrawPage(app.served, tmp_path)
    ink = strokes_to_json(strokes_of(7, Pose(height=500, x=400, y=420, brush=BRUSH_WIDTH)))
    values = [ink, IN_STROKE + ink + "}", IN_STROKE + "[]}", IN_STROKE + "junk}"]
    lifted, moving, blank, junk = zip(*page.read_pads(values, [False] * 4, ["its answer"] * 4,
                                                      [True] * 4))
    # the same ink at two places of one batch: equal but for the last float bits of its maths
    assert max(lifted[0], key=lifted[0].get) == "7" and lifted[0] == pytest.approx(moving[0])
    pd.testing.assert_frame_equal(lifted[1], moving[1], check_exact=False)  # the chart
    assert "Convolution 1" in lifted[6] and moving[6] == lifted[6]  # the inside view
    assert lifted[2] is not None and lifted[4] is not None and "7" in lifted[5]
    skip = gr.skip()
    assert [moving[i] == skip for i in (2, 3, 4, 5)] == [True] * 4  # preview, note, reading kept
    assert all(v == skip for v in blank[:7]) and all(v == skip for v in junk[:7])  # and spoken
    assert all(row[7]["answered"] > 0 for row in (lifted, moving, blank, junk))  # for the pad


def test_settings_come_from_the_environment_each_with_its_help(app_url):
    import app

    settings = from_env(app.Settings, {"DIGITPAD_STAGE": "1", "DIGITPAD_WALL_SIZE": "12",
                                       "DIGITPAD_MODEL_DIR": "elsewhere/model",
                                       "DIGITPAD_SERVE": "shipped"})
    assert settings.stage is True and settings.wall_size == 12 and settings.serve == "shipped"
    assert settings.model_dir == Path("elsewhere/model")
    assert settings.feedback_dir == FEEDBACK_DIR and settings.redis_url == ""  # the defaults
    assert from_env(app.Settings, {"DIGITPAD_STAGE": "0"}).stage is False
    documented = (ROOT / "docs" / "audience.md").read_text()
    for field in dataclasses.fields(app.Settings):
        assert field.metadata["help"] and field.metadata["variable"] in documented
