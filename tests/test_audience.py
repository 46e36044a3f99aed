"""Audience mode's rules, on both stores (in memory, and a real redis-server): the ring buffer,
one-use prompts, rounds and their tallies, the speaker key, rate limits, and a lost Redis."""

import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from audience.room import SENDS_PER_SECOND, Room, RoomError, TooMany
from audience.store import MISSES_KEPT, MemoryStore, RedisStore, StoreError
from audience.wall import audience_url, invite, stage
from bench.servers import free_port, start_redis
from model.reading import BLANK, DigitReading
from model.spec import ROOT
from ui.speaker import SpeakerPage

KEY = "sesame"


@pytest.fixture(scope="module")
def redis_url():
    port = free_port()
    process = start_redis(port)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait()


@pytest.fixture(params=["memory", "redis"])
def store(request):
    if request.param == "memory":
        return MemoryStore(wall_size=5)
    url = request.getfixturevalue("redis_url")
    store = RedisStore(url, wall_size=5, prefix=f"test{time.monotonic_ns()}:")
    return store


def reading(digit: int, p: float = 0.9) -> DigitReading:
    """A reading of `digit` with probability p (the rest spread evenly), on a plain image."""
    probabilities = np.full(10, (1 - p) / 9, np.float32)
    probabilities[digit] = p
    return DigitReading(np.eye(28, dtype=np.float32), probabilities)


def test_the_wall_is_a_ring_buffer_of_the_latest_drawings(store):
    room = Room(store, KEY)
    for k in range(12):
        room.send(f"visitor{k}", room.prompt(f"visitor{k}").token, reading(k % 10))
    drawings, count = store.wall()
    assert count == 12
    assert [d["seq"] for d in drawings] == [12, 11, 10, 9, 8]  # newest first, at most 5
    assert [d["digit"] for d in drawings] == [1, 0, 9, 8, 7]
    assert all(len(d["thumb"]) < 1000 for d in drawings)  # a 28x28 PNG, nothing larger


def test_a_prompt_answers_once_and_only_for_its_own_visitor(store):
    room = Room(store, KEY)
    token = room.prompt("alice").token
    with pytest.raises(RoomError, match="already answered or was never handed out"):
        room.send("mallory", token, reading(3))  # someone else's token ...
    room.send("alice", token, reading(3))  # ... is still hers
    time.sleep(1)  # past the rate limit: the refusal is the replay's own
    with pytest.raises(RoomError, match="already answered"):
        room.send("alice", token, reading(3))  # replayed
    with pytest.raises(RoomError, match="never handed out"):
        room.send("alice", "made-up-token", reading(3))  # forged
    assert store.wall()[1] == 1


def test_a_round_tallies_answers_and_its_most_surprising_misses(store):
    room = Room(store, KEY)
    room.control(KEY, "start", "7")
    for k, (digit, p_seven) in enumerate([(7, 0.9), (1, 0.3), (7, 0.8), (2, 0.01), (1, 0.2)]):
        prompt = room.prompt(f"v{k}")
        assert prompt.digit == 7 and prompt.text == "Draw a **7**"
        probabilities = np.full(10, (1 - p_seven) / 9 if digit != 7 else 0.01, np.float32)
        probabilities[7] = p_seven
        probabilities[digit] = max(probabilities[digit], 1 - p_seven)
        room.send(f"v{k}", prompt.token, DigitReading(np.zeros((28, 28), np.float32),
                                                      probabilities / probabilities.sum()))
    shown = room.snapshot()
    assert shown["matrix"][7, 7] == 2 and shown["matrix"][7, 1] == 2 and shown["matrix"][7, 2] == 1
    assert [m["digit"] for m in shown["misses"]] == [2, 1, 1]  # lowest p(7) first
    assert len(shown["misses"]) <= MISSES_KEPT


def test_a_random_round_asks_each_visitor_for_a_digit_of_their_own(store):
    room = Room(store, KEY)
    room.control(KEY, "start", "random")
    asked = {room.prompt(f"v{k}").digit for k in range(40)}
    assert len(asked) >= 5 and asked <= set(range(10))


def test_a_late_answer_counts_for_its_own_round_not_the_next(store):
    room = Room(store, KEY)
    room.control(KEY, "start", "4")
    first = store.get("round")["id"]
    token = room.prompt("bob").token
    room.control(KEY, "start", "6")  # a new round while Bob was drawing his 4
    room.send("bob", token, reading(4))
    assert store.tally(first)[0] == {"4,4": 1}
    assert room.snapshot()["matrix"].sum() == 0  # the stage shows the round now running
    assert room.refresh("bob", token).digit == 6  # his next prompt: the new round's


def test_a_prompt_is_refreshed_when_a_round_begins(store):
    room = Room(store, KEY)
    token = room.prompt("carol").token
    assert room.refresh("carol", token) is None  # still good
    room.control(KEY, "start", "2")
    assert room.refresh("carol", token).digit == 2


def test_a_wrong_speaker_key_changes_nothing(store):
    room = Room(store, KEY)
    room.control(KEY, "start", "5")
    before = room.snapshot()
    for action in ("start", "stop", "pause", "clear", "collect"):
        for key in ("", "SESAME", "sesame ", None, "x" * 10_000):
            with pytest.raises(RoomError, match="Wrong speaker key"):
                room.control(key, action, "1")
    after = room.snapshot()
    assert after["round"] == before["round"] and not after["paused"] and not after["collect"]


def test_a_round_asks_for_a_digit_or_a_random_one(store):
    room = Room(store, KEY)
    for digit in ("10", "x", "", None, "-1", "7.0"):
        with pytest.raises(RoomError, match="one digit, 0 to 9"):
            room.control(KEY, "start", digit)
    with pytest.raises(RoomError, match="Unknown action"):
        room.control(KEY, "explode")
    assert room.snapshot()["round"] is None


def test_replicas_agree_on_one_speaker_key(store):
    first, second = Room(store), Room(store)  # keys of their own making: the first one wins
    assert first.speaker_key == second.speaker_key and len(first.speaker_key) >= 12
    assert Room(store, KEY).speaker_key == Room(store).speaker_key == KEY  # a key set wins


def test_pause_freezes_the_wall_and_loses_nothing(store):
    room = Room(store, KEY)
    room.send("a", room.prompt("a").token, reading(1))
    room.control(KEY, "pause")
    room.send("b", room.prompt("b").token, reading(2))
    assert [d["digit"] for d in room.snapshot()["drawings"]] == [1]
    room.control(KEY, "resume")
    assert [d["digit"] for d in room.snapshot()["drawings"]] == [2, 1]
    room.control(KEY, "clear")
    assert room.snapshot()["drawings"] == [] and room.snapshot()["count"] == 2


def test_the_speaker_removes_a_drawing_from_the_wall_and_its_round(store):
    room = Room(store, KEY)
    room.control(KEY, "start", "3")
    for session, digit in (("a", 3), ("b", 8), ("c", 3)):  # b's scribble reads as an 8
        room.send(session, room.prompt(session).token, reading(digit))
    before = room.snapshot()
    assert before["matrix"][3, 8] == 1 and [m["seq"] for m in before["misses"]] == [2]
    assert room.control(KEY, "remove", "2") == "Drawing 2 removed from the wall."
    after = room.snapshot()
    assert [d["seq"] for d in after["drawings"]] == [3, 1]
    assert after["matrix"][3, 3] == 2 and after["matrix"].sum() == 2 and after["misses"] == []
    assert after["count"] == 3  # drawings sent so far: the removed one was sent too
    for value in ("2", "99", "x"):  # gone already, never there, not a number
        with pytest.raises(RoomError, match="No drawing number"):
            room.control(KEY, "remove", value)
    with pytest.raises(RoomError, match="Wrong speaker key"):
        room.control("guess", "remove", "1")
    assert len(room.snapshot()["drawings"]) == 2


def test_a_rounds_drawings_are_kept_to_teach_from_except_those_removed(store):
    room = Room(store, KEY)
    room.send("free", room.prompt("free").token, reading(5))  # outside a round: no label
    rounds = []
    for digit in (3, 4):
        room.control(KEY, "start", str(digit))
        rounds.append(store.get("round")["id"])
        for k in range(3):
            room.send(f"{digit}{k}", room.prompt(f"{digit}{k}").token, reading(8))
        room.control(KEY, "stop")
    assert store.get("untaught") == rounds  # "teach all" takes both
    assert sorted(d["asked"] for d in store.lessons(rounds)) == [3, 3, 3, 4, 4, 4]
    assert [d["asked"] for d in store.lessons(rounds[:1])] == [3, 3, 3]
    lesson = store.lessons(rounds[1:])[0]
    assert set(lesson) == {"thumb", "asked"} and lesson["thumb"] == store.wall()[0][0]["thumb"]
    room.control(KEY, "remove", "7")  # the speaker took a scribble off the wall
    assert len(store.lessons(rounds)) == 5


def test_one_teaching_at_a_time_across_replicas(store):
    assert store.claim("teaching", 60)
    assert not store.claim("teaching", 60)  # whichever replica asks
    store.release("teaching")
    assert store.claim("teaching", 1)
    time.sleep(1.1)
    assert store.claim("teaching", 60)  # a claim whose holder died lapses


def test_the_stage_shows_the_view_the_speaker_chose(store):
    room = Room(store, KEY)
    room.control(KEY, "start", "5")
    room.send("a", room.prompt("a").token, reading(5))
    assert "everyone draws a 5" in stage(room.snapshot()) and "figure" in stage(room.snapshot())
    assert room.control(KEY, "stop") == "Round stopped: the stage shows its result."
    shown = stage(room.snapshot())  # after the round: its result, not the drawings
    assert "Last round: everyone draws a 5" in shown and "100% right (1 of 1)" in shown
    assert 'class="wall"' not in shown
    room.control(KEY, "show", "invite")  # the QR code alone: the count, nothing else
    shown = stage(room.snapshot())
    assert "view-invite" in shown and "1</span> drawings so far" in shown and "Round" not in shown
    with pytest.raises(RoomError, match="The stage shows one of"):
        room.control(KEY, "show", "confetti")
    room.control(KEY, "show", "wall")
    assert 'class="wall"' in stage(room.snapshot())
    room.control(KEY, "show", "invite")
    room.control(KEY, "start", "6")  # a round is drawn on the wall
    assert room.view() == "wall" and room.control(KEY, "stop") != room.control(KEY, "stop")
    assert room.view() == "result"  # stopping twice: "No round was running." the second time


def test_fresh_sessions_from_one_address_are_limited_too(store):
    for attempt in range(2):  # the limit is per minute: a try across a minute's end is redone
        minute = time.time() // 60
        room = Room(store, KEY, sends_per_address=5)
        sent, refusals, counted = 0, [], store.counter("refused")
        for k in range(8):  # a script opening a fresh session for every drawing
            session, address = f"fresh{attempt}-{k}", f"203.0.113.{7 + attempt}"
            try:
                token = room.prompt(session).token
                room.admit(session, address)  # before the drawing is read
                room.send(session, token, reading(1))
                sent += 1
            except RoomError as error:
                refusals.append(str(error))
        if time.time() // 60 == minute:
            break
    assert sent == 5 and len(refusals) == 3
    assert refusals[0] == ("Too many drawings from your network: at most 5 a minute. Wait a "
                           "little and send again.")
    assert room.snapshot()["refused"] - counted == 3  # the speaker sees it
    room.admit("next door", "203.0.113.8")
    room.send("next door", room.prompt("next door").token, reading(2))
    assert len(room.snapshot()["drawings"]) == 5  # the wall keeps its latest 5: ours, then 2


def test_a_round_seats_as_many_phones_from_one_network_as_it_may_send(store):
    room, hall, next_door = Room(store, KEY, sends_per_address=3), "203.0.113.40", "203.0.113.41"
    for k in range(5):  # outside a round, sessions are free: sends are limited (above)
        room.prompt(f"early{k}", hall)
    room.control(KEY, "start", "4")
    counted = store.counter("refused")
    held = {k: room.refresh(f"early{k}", "", hall) for k in range(3)}  # the round's first three
    assert all(prompt.digit == 4 for prompt in held.values())
    with pytest.raises(TooMany) as refused:  # a fourth phone, or a script's fresh session
        room.refresh("early3", "", hall)
    assert str(refused.value) == (
        "This round is full for your network (its limit is 3). Ask the speaker to allow more, "
        "or wait for the next round.")
    assert store.counter("refused") - counted == 1  # the speaker sees it
    with pytest.raises(TooMany):
        room.prompt("fresh", hall)
    with pytest.raises(TooMany, match="round is full"):  # a prompt taken before the round
        room.admit("early4", hall)  # ... needs a seat to answer in it
    room.admit("early0", hall)
    entry = room.send("early0", held[0].token, reading(4))  # a seated phone draws on
    assert entry["asked"] == 4 and room.prompt("early0", hall).digit == 4
    assert room.prompt("early3", next_door).digit == 4  # each network has its own seats
    room.control(KEY, "allow", "4")
    assert room.prompt("early3", hall).digit == 4  # the speaker made room
    room.control(KEY, "start", "5")  # a new round seats anew
    assert [room.prompt(f"fresh{k}", hall).digit for k in range(4)] == [5] * 4
    room.control(KEY, "stop")


def test_a_flood_from_one_session_is_rate_limited(store):
    room = Room(store, KEY)
    token = room.prompt("flood").token
    accepted, refusals = 0, []
    for _ in range(1000):  # as fast as it can: about 1,000 a second or more
        try:
            room.admit("flood")
            room.send("flood", token, reading(8))
            accepted += 1
        except RoomError as error:
            refusals.append(str(error))
    too_many = sum("Too many requests: at most" in r for r in refusals)
    assert accepted == 1 and too_many >= 1000 - 4 * SENDS_PER_SECOND
    room.send("calm", room.prompt("calm").token, reading(8))  # others are still served


def test_an_empty_pad_is_not_sent(store):
    room = Room(store, KEY)
    with pytest.raises(RoomError, match="Draw a digit first"):
        room.send("dan", room.prompt("dan").token, BLANK)


def test_an_unreachable_redis_is_retried_then_named():
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    with pytest.raises(StoreError, match=f"Redis at {url} is unreachable"):
        RedisStore(url, wall_size=5, tries=2)
    later = threading.Timer(1.5, lambda: servers.append(start_redis(port)))
    servers = []
    later.start()  # Redis comes up during the retries: the store connects
    try:
        store = RedisStore(url, wall_size=5)
        assert store.wall() == ([], 0)
        speaker = SpeakerPage(Room(store, KEY))
        servers[0].terminate()
        servers[0].wait()
        with pytest.raises(StoreError, match="unreachable right now"):
            store.wall()  # lost while serving: a clear error, not a traceback
        assert "unreachable right now" in speaker.wall_html()  # the speaker's page says so
    finally:
        later.join()
        for server in servers:
            server.terminate()


def test_the_app_names_an_unreachable_redis_at_start_up():
    url = f"redis://127.0.0.1:{free_port()}/0"
    run = subprocess.run([sys.executable, "app.py"], cwd=ROOT, capture_output=True, text=True,
                         timeout=180, env={**__import__("os").environ, "DIGITPAD_STAGE": "1",
                                           "DIGITPAD_REDIS_URL": url, "DIGITPAD_REDIS_TRIES": "2"})
    assert run.returncode != 0
    assert "retrying in 1 s" in run.stderr
    assert f"error: Redis at {url} is unreachable" in run.stderr
    assert "Traceback" not in run.stderr


def test_the_qr_code_points_at_the_public_url_or_the_host_the_stage_was_opened_on():
    assert audience_url("https://digits.example.org/", {"host": "10.0.0.5:7860"}) == \
        "https://digits.example.org/phone"
    assert audience_url("", {"host": "10.0.0.5:7860"}) == "http://10.0.0.5:7860/phone"
    behind_nginx = {"host": "127.0.0.1:7861", "x-forwarded-host": "talk.example.org",
                    "x-forwarded-proto": "https"}
    assert audience_url("", behind_nginx) == "https://talk.example.org/phone"
    shown = invite("https://talk.example.org/phone")
    assert "<svg" in shown and "talk.example.org<wbr>/phone" in shown
    assert invite("https://a.example/audience") != invite("https://b.example/audience")


def test_the_wall_shows_thumbnails_figures_and_a_rounds_tally():
    room = Room(MemoryStore(wall_size=5), KEY)
    assert "The wall is empty" in stage(room.snapshot())
    room.control(KEY, "start", "3")
    for k, digit in enumerate([3, 3, 8]):
        room.send(f"v{k}", room.prompt(f"v{k}").token, reading(digit, 0.95))
    shown = stage(room.snapshot())
    assert '<span class="count">3</span> drawings so far' in shown
    assert "everyone draws a 3" in shown and "67% right (2 of 3)" in shown
    assert shown.count('class="drawing right"') == 2 and shown.count('class="drawing wrong"') == 1
    assert "Most surprising misses" not in shown  # during a round: the tally and the wall
    room.control(KEY, "show", "result")
    shown = stage(room.snapshot())
    assert 'class="confusion"' in shown and "67% right (2 of 3)" in shown
    assert "Most surprising misses" in shown and "p(3) = 1%" in shown
