"""Teaching: a room's drawings fine-tune the served model in a process of its own, the app swaps
the kept version in without dropping a reading, on one process and on two replicas behind
nginx sharing Redis and a folder, and a rollback brings the old answers back exactly."""

import json
import re
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import keras
import numpy as np
import pytest
from gradio_client import Client

from audience.room import Room, RoomError
from audience.store import MemoryStore
from audience.teaching import Teacher, first_version
from audience.wall import teaching
from bench.servers import free_port, start_app, start_nginx, start_redis, stop, wait_for
from model.ink import strokes_to_json
from model.reading import DigitReading
from model.spec import (
    BROWSER_DIR,
    KERAS_FILE,
    METADATA_FILE,
    MIN_LESSONS,
    MODEL_DIR,
    SAMPLES_FILE,
    TEACH_MOST,
)
from model.versions import ROLLED_BACK, SHIPPED, Served, Versions
from tests.helpers import SPEAKER_KEY, strokes_of
from training import teach
from training.drawn_digits import STYLES, random_pose
from training.export import export_model
from training.finetune import LEARNING_RATE, trace
from training.network import members
from training.styles import style_set

# A teaching of seconds: the steps, not the learning. At the app's priority, since the test's
# other workers would otherwise take the cores from it.
QUICK = {"epochs": 1, "rehearse": 200, "nice": 0}
KEY = SPEAKER_KEY


@pytest.fixture(scope="module")
def one_network(tmp_path_factory) -> Path:
    """The shipped model's first network alone, exported as a model folder: as sure of its
    readings as the ensemble's networks (so a teaching's gate keeps what it learns, as the
    shipped model's does), and taught in a fraction of the time (a teaching traces every
    network)."""
    shipped = json.loads((MODEL_DIR / METADATA_FILE).read_text())
    first = members(keras.models.load_model(MODEL_DIR / KERAS_FILE))[0]
    out = tmp_path_factory.mktemp("one-network") / "model"
    export_model(first, out, {**shipped, "network": "the shipped model's first network",
                              "member_validation_accuracy":
                                  shipped["member_validation_accuracy"][:1]})
    shutil.copy(MODEL_DIR / SAMPLES_FILE, out / SAMPLES_FILE)
    return out


def room_with_teacher(tmp_path, shipped=MODEL_DIR):
    served = Served(Versions(tmp_path / "taught", shipped))
    store = MemoryStore(48)
    return Room(store, KEY, teacher=Teacher(store, served, **QUICK)), served


def play_round(room, served, digit: int, images) -> None:
    """A round asking for `digit`, answered with `images` by as many visitors."""
    room.control(KEY, "start", str(digit))
    for i, image in enumerate(images):
        prompt = room.prompt(f"visitor-{digit}-{i}")
        reading = DigitReading(image, served.now.classifier.probabilities(image[None])[0])
        room.send(f"visitor-{digit}-{i}", prompt.token, reading)
    room.control(KEY, "stop")


def wait_until_ended(room, seconds: float = 240) -> dict:
    deadline = time.time() + seconds
    while time.time() < deadline:
        state = room.store.get("teaching")
        if state["status"] in ("kept", "refused", "failed"):
            return state
        time.sleep(0.2)
    raise AssertionError(f"teaching did not end: {state}")


# ---------------------------------------------------------------------------- versions
def test_versions_are_named_in_order_and_a_rolled_back_one_is_set_aside(tmp_path):
    versions = Versions(tmp_path)
    assert versions.names() == [] and versions.newest() == SHIPPED
    assert versions.next_name() == "v1"
    for name in ("v2", "v10", "v1"):
        (tmp_path / name).mkdir()
        (tmp_path / name / METADATA_FILE).write_text("{}")
    (tmp_path / "v11").mkdir()  # half written: no metadata, not a version
    (tmp_path / ".v12-x8q").mkdir()  # being exported
    (tmp_path / ".lessons-kv93x.npz").touch()  # a teaching's drawings, not a version
    assert versions.names() == ["v1", "v2", "v10"] and versions.newest() == "v10"
    assert versions.next_name() == "v13"
    versions.set_aside("v10")
    assert versions.kept() == ["v1", "v2"] and versions.newest() == "v2"
    assert versions.path(SHIPPED) == MODEL_DIR


def test_a_start_serves_the_newest_kept_version_or_the_shipped_one_if_told(tmp_path):
    versions = Versions(tmp_path)
    for name in ("v1", "v2"):
        (tmp_path / name).mkdir()
        (tmp_path / name / METADATA_FILE).write_text("{}")
    store = MemoryStore(8)
    assert first_version(store, versions) == "v2" == store.get("model")
    store.put("model", "v1")  # the replicas already serve v1 (a rollback): a new one joins them
    assert first_version(store, versions) == "v1"
    assert first_version(store, versions, SHIPPED) == SHIPPED == store.get("model")
    store.put("model", "v7")  # gone from the folder
    assert first_version(store, versions) == "v2"


# ---------------------------------------------------------------------------- refusals
def test_teaching_refuses_too_few_drawings_a_wrong_key_and_a_second_teaching(tmp_path):
    room, served = room_with_teacher(tmp_path)
    with pytest.raises(RoomError, match=f"at least {MIN_LESSONS} drawings.*gave 0"):
        room.control(KEY, "teach")
    images, _ = style_set(MIN_LESSONS - 1, seed=5)
    play_round(room, served, 1, images)
    with pytest.raises(RoomError, match=f"the last round gave {MIN_LESSONS - 1}"):
        room.control(KEY, "teach", "round")
    with pytest.raises(RoomError, match="Wrong speaker key"):
        room.control("guess", "teach")
    with pytest.raises(RoomError, match="Wrong speaker key"):
        room.control("guess", "rollback")
    assert "no earlier version" in room.control(KEY, "rollback")
    assert room.store.claim("teaching", 60)  # a teaching runs (on another replica)
    with pytest.raises(RoomError, match="already learning"):
        room.control(KEY, "teach")
    with pytest.raises(RoomError, match="learning: roll back when"):
        room.control(KEY, "rollback")
    with pytest.raises(RoomError, match="Teaching is off"):
        Room(MemoryStore(8), KEY).control(KEY, "teach")
    assert served.now.version == SHIPPED and not (tmp_path / "taught").exists() or \
        not list((tmp_path / "taught").iterdir())


def test_a_failed_teaching_leaves_the_model_serving_and_says_why(tmp_path):
    shipped = tmp_path / "shipped"  # a deployment that ships only the SavedModel
    shutil.copytree(MODEL_DIR, shipped, ignore=shutil.ignore_patterns(KERAS_FILE))
    room, served = room_with_teacher(tmp_path, shipped)
    images, _ = style_set(TEACH_MOST + 30, seed=6)  # a hall's round: taught from a sample
    play_round(room, served, 1, images)
    assert f"Teaching v1 on {TEACH_MOST} of {TEACH_MOST + 30} drawings" in room.control(KEY,
                                                                                      "teach")
    state = wait_until_ended(room)
    assert state["status"] == "failed" and KERAS_FILE in state["why"], state
    assert state["drawings"] == TEACH_MOST
    assert served.now.version == SHIPPED and room.store.get("model") is None
    assert room.store.claim("teaching", 1)  # the slot is free again
    assert "Teaching failed" in teaching(state, None)


def test_the_gates_refusal_keeps_the_served_model(tmp_path):
    room, served = room_with_teacher(tmp_path)
    summary = {"event": "done", "kept": False, "learnt": 40, "held_out": 10, "validation": 400,
               "before": {"validation_right": 399, "held_right": 6},
               "after": {"validation_right": 398, "held_right": 9}}
    state = room.teacher._ended(summary, {"version": "v1", "rounds": []})
    assert state["status"] == "refused" and room.store.get("model") is None
    assert "398 of 400 validation digits (before: 399)" in state["why"]
    assert "9 of 10 held-out drawings (before: 6)" in state["why"]
    assert served.now.version == SHIPPED


def test_a_teaching_readied_ahead_traces_its_step_and_leaves_the_model_as_it_was(one_network):
    model = keras.models.load_model(one_network / KERAS_FILE)
    images, labels = style_set(300, seed=12)
    before = model.predict(images, verbose=0)
    trace(model, teach.Config(lessons=Path("-"), out=Path("-")), (images, labels))
    assert model.train_function is not None  # traced: Teach learns at once
    np.testing.assert_array_equal(model.predict(images, verbose=0), before)  # batch-norm too
    assert int(model.optimizer.iterations) == 0  # as a new optimizer starts ...
    assert float(model.optimizer.learning_rate) == pytest.approx(LEARNING_RATE)  # ... learns
    model.fit(images, labels, epochs=1, verbose=0)
    assert np.abs(model.predict(images, verbose=0) - before).max() > 1e-3


# ---------------------------------------------------------------------------- one process
def test_one_process_teaches_swaps_without_a_failed_reading_and_rolls_back(tmp_path,
                                                                          one_network):
    room, served = room_with_teacher(tmp_path, one_network)
    ones, _ = style_set(60, seed=11)  # 1s and 7s, in styles drawn on the pad
    sevens = ones[_ == 7][:12]
    play_round(room, served, 1, ones[_ == 1][:16])
    ahead = room.teacher.ready[1]  # the teaching readies as the first round starts ...
    play_round(room, served, 7, sevens)
    assert room.teacher.ready[:2] == (SHIPPED, ahead) and ahead.poll() is None  # ... once
    probe = ones[-1:]
    original = served.now.classifier.probabilities(probe)

    seen, errors, reading = [], [], threading.Event()
    reading.set()

    def read_all_along():
        while reading.is_set():
            model = served.now  # one version per reading, as every page takes it
            try:
                seen.append((model.version, model.classifier.probabilities(probe)))
            except Exception as error:  # any failed reading fails the test
                errors.append(error)
            time.sleep(0.05)  # a busy room, not a loop that starves the teaching

    reader = threading.Thread(target=read_all_along)
    reader.start()
    try:
        said = room.control(KEY, "teach", "all")  # both rounds
        assert said == "Teaching v1 on 28 drawings: the stage shows its progress."
        assert room.teacher.ready is None  # the process started ahead teaches
        assert room.view() == "teach"
        with pytest.raises(RoomError, match="already learning"):
            room.control(KEY, "teach", "all")
        state = wait_until_ended(room)
        deadline = time.time() + 10  # the stage says it, then this process swaps
        while served.now.version != "v1" and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(0.3)
    finally:
        reading.clear()
        reader.join()
    assert state["status"] == "kept", state
    assert not errors and len(seen) > 100
    versions = [v for v, _ in seen]
    assert versions[0] == SHIPPED and versions[-1] == "v1"
    assert versions == sorted(versions, key=[SHIPPED, "v1"].index)  # one switch, never back
    for version, p in seen:  # each reading is wholly one model's
        if version == SHIPPED:
            np.testing.assert_allclose(p, original, atol=1e-6)
    assert served.now.version == "v1" == room.store.get("model")
    assert not np.allclose(served.now.classifier.probabilities(probe), original, rtol=1e-3,
                           atol=0)  # it learnt something
    metadata = json.loads((tmp_path / "taught" / "v1" / METADATA_FILE).read_text())
    assert metadata["parent"] == SHIPPED and metadata["drawings"] == 28
    assert (tmp_path / "taught" / "v1" / BROWSER_DIR / "weights.bin").is_file()  # its own copy
    assert metadata["learnt"] + metadata["held_out"] == 28 and metadata["held_out"] == 6
    assert len(metadata["rounds"]) == 2 and metadata["classes"] == [str(d) for d in range(10)]
    for when in ("before", "after"):
        assert set(metadata[when]) == {"validation_right", "held_right"}
    assert served.now.to_json()["version"] == "v1"
    assert room.store.get("untaught") == []  # taught: "all" starts afresh
    shown = teaching(room.store.get("teaching"), room.store.get("model"))
    assert "Learnt from 22 of your drawings" in shown and "on 6 it never saw" in shown

    assert ahead.wait(60) == 0
    room.control(KEY, "start", "3")
    for_v1 = room.teacher.ready[1]
    assert "every replica serves shipped again (v1 is set aside)" in room.control(KEY,
                                                                                  "rollback")
    room.control(KEY, "start", "3")  # a round after the rollback readies for what is served
    assert room.teacher.ready[0] == SHIPPED and for_v1.wait(60) == 0  # the other one ended
    room.control(KEY, "stop")
    assert served.now.version == SHIPPED
    np.testing.assert_array_equal(served.now.classifier.probabilities(probe), original)
    assert (tmp_path / "taught" / "v1" / ROLLED_BACK).exists()
    assert Versions(tmp_path / "taught").newest() == SHIPPED  # a restart serves the shipped


# ---------------------------------------------------------------------------- two replicas
@pytest.fixture(scope="module")
def cluster(tmp_path_factory, one_network):
    folder = tmp_path_factory.mktemp("teaching")
    redis_port, front, replicas = free_port(), free_port(), [free_port(), free_port()]
    processes = [start_redis(redis_port)]
    settings = {"DIGITPAD_STAGE": "1", "DIGITPAD_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
                "DIGITPAD_TAUGHT_DIR": str(folder / "taught"),  # the folder the replicas share
                "DIGITPAD_TEACH_EPOCHS": "1", "DIGITPAD_TEACH_REHEARSE": "200",
                "DIGITPAD_TEACH_NICE": "0", "DIGITPAD_MODEL_DIR": str(one_network),
                "DIGITPAD_TEACH_AHEAD": "1",
                "DIGITPAD_SENDS_PER_ADDRESS": "1000"}  # the visitors share one address
    processes += [start_app(port, **settings) for port in replicas]
    try:
        for port in replicas:
            wait_for(f"http://127.0.0.1:{port}/")
        processes.append(start_nginx(folder, front, replicas))
        wait_for(f"http://127.0.0.1:{front}/")
        yield {"url": f"http://127.0.0.1:{front}/",
               "replicas": [f"http://127.0.0.1:{port}/" for port in replicas]}
    finally:
        stop(processes)


def draw_a(digit: int, url: str, seed: int) -> None:
    """One visitor through nginx: a prompt, then `digit` drawn in a pose of their own."""
    visitor = Client(url, verbose=False)
    _, token = visitor.predict(api_name="/prompt")
    strokes = strokes_of(digit, random_pose(np.random.default_rng(seed)),
                         seed % len(STYLES[digit]))
    note, *_ = visitor.predict(strokes_to_json(strokes), token, api_name="/send")
    assert "the screen shows your" in note, note


def test_two_replicas_serve_the_taught_version_within_seconds_and_roll_back(cluster):
    speaker = Client(cluster["url"], verbose=False)
    speaker.predict(KEY, "start", "4", api_name="/control")
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda seed: draw_a(4, cluster["url"], seed), range(MIN_LESSONS + 4)))
    replicas = [Client(url, verbose=False) for url in cluster["replicas"]]
    probe = strokes_to_json(strokes_of(9, random_pose(np.random.default_rng(99))))

    def answers() -> list[dict]:
        return [r.predict(probe, api_name="/read_ink") for r in replicas]

    original = answers()
    assert all(r.predict(api_name="/model")["version"] == SHIPPED for r in replicas)

    said = speaker.predict(KEY, "teach", "round", api_name="/control")
    assert said == f"Teaching v1 on {MIN_LESSONS + 4} drawings: the stage shows its progress."
    readers = [Client(url, verbose=False) for url in cluster["replicas"] + [cluster["url"]]]
    failures, swapped_at, wall = [], {}, ""
    deadline = time.time() + 240
    while len(swapped_at) < 2 and time.time() < deadline:  # reading all along, on every replica
        wall = readers[2].predict(api_name="/wall")
        if "Nothing learnt" in wall or "Teaching failed" in wall:
            break  # it ended without a new version: nothing to wait for
        for reader in readers:
            try:
                assert reader.predict(probe, api_name="/read_ink")["label"] is not None
            except Exception as error:
                failures.append(error)
        for k, replica in enumerate(replicas):
            if k not in swapped_at and replica.predict(api_name="/model")["version"] == "v1":
                swapped_at[k] = time.time()
        time.sleep(1)  # visitors reading, not a loop that starves the teaching
    assert not failures and len(swapped_at) == 2, (failures, swapped_at, wall)
    # the replica that taught swaps as the teaching ends, the other within seconds of it
    assert max(swapped_at.values()) - min(swapped_at.values()) < 5
    assert "Learnt from 19 of your drawings" in readers[2].predict(api_name="/wall")
    model = replicas[0].predict(api_name="/model")
    assert model["parent"] == SHIPPED and model["drawings"] == MIN_LESSONS + 4
    taught = answers()
    assert all(t["probabilities"] != o["probabilities"] for t, o in zip(taught, original))

    said = speaker.predict(KEY, "rollback", "", api_name="/control")
    assert "serves shipped again" in said
    deadline = time.time() + 10
    while time.time() < deadline and any(
            r.predict(api_name="/model")["version"] != SHIPPED for r in replicas):
        time.sleep(0.2)
    assert answers() == original  # the old answers, exactly
    assert re.search(r"Rolled back to shipped", readers[2].predict(api_name="/wall"))
