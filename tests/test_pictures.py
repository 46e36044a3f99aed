"""The tutorial's own workflow, end to end: the TEST digits saved as the files people keep them
in (28x28 PNG either way round, in pure black and white, enlarged, scanned) and drawings shrunk
small, read through `python -m model.predict --json` and through the app's /classify."""

import json

import numpy as np
import pytest
from gradio_client import Client, handle_file

from bench.pictures import FROM_TEST, held_out_digits, write_drawn_set, write_test_set
from model import predict
from tests.helpers import FULL

EVERY = 1 if FULL else 5  # the variants' share of the 1,000 TEST digits CI reads


def cli_digits(capsys, paths) -> list:
    """`python -m model.predict --json PATHS` (its main(), in this process) -> each digit."""
    assert predict.main(["--json", *map(str, paths)]) == 0
    return [json.loads(line)["digit"] for line in capsys.readouterr().out.splitlines()]


def test_the_test_digits_as_28x28_files_read_as_their_arrays_do(tmp_path, capsys):
    pictures = write_test_set(tmp_path, "28x28")  # all 1,000
    digits = cli_digits(capsys, pictures.paths)
    _, labels, arrays = held_out_digits()
    assert np.mean(np.equal(digits, labels)) >= 0.985
    assert np.mean(np.equal(digits, arrays)) >= 0.995


@pytest.mark.parametrize("name", [n for n in FROM_TEST if n != "28x28"])
def test_the_test_digits_read_whichever_way_they_are_kept(tmp_path, capsys, name):
    pictures = write_test_set(tmp_path, name, EVERY)
    assert np.mean(np.equal(cli_digits(capsys, pictures.paths), pictures.truths)) >= 0.98


@pytest.mark.parametrize("size, floor", [(64, 0.99), (28, 0.945)])
def test_drawings_shrunk_small_are_read(tmp_path, capsys, size, floor):
    pictures = write_drawn_set(tmp_path, size, per_style=12 if FULL else 4)
    assert np.mean(np.equal(cli_digits(capsys, pictures.paths), pictures.truths)) >= floor


@pytest.mark.parametrize("name", ["28x28", "112x112 black on white"])
def test_classify_reads_the_test_digits_files_as_the_cli_does(app_url, tmp_path, capsys, name):
    pictures = write_test_set(tmp_path, name, 1 if FULL else 25)
    client = Client(app_url, verbose=False)
    answers = [client.predict(handle_file(str(p)), api_name="/classify")["digit"]
               for p in pictures.paths]
    assert answers == cli_digits(capsys, pictures.paths)
    _, _, arrays = held_out_digits(1 if FULL else 25)
    assert np.mean(np.equal(answers, arrays)) >= 0.995
