"""The phone's page for a hall (ui/phone.py) on the real app: its routes' answers and refusals,
a phone that waits for a round, and real phones (Chromium, touch) on a hall's Wi-Fi that load
the page, read their own ink, and send to the stage."""

import re
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from gradio_client import Client
from playwright.sync_api import expect

import ui.phone
from tests.helpers import FIGURES, PHONE, SENDS_PER_ADDRESS, SPEAKER_KEY, seven, touch
from training.drawn_digits import STYLES, Pose, place

HALL_WIFI = {"offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8,
             "uploadThroughput": 1.6e6 / 8}  # 1.6 Mbit/s each way, 150 ms round trips


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False)


def post(app_url: str, route: str, address: str, **body) -> httpx.Response:
    """A phone's request from network `address` (as a proxy forwards it)."""
    return httpx.post(f"{app_url}phone/{route}", json=body, timeout=120,
                      headers={"X-Forwarded-For": address})


def test_a_phone_answers_its_prompt_once_and_the_stage_shows_the_servers_reading(
        app_url, client):
    client.predict(SPEAKER_KEY, "stop", "random", api_name="/control")
    first = post(app_url, "prompt", "203.0.113.30").json()
    session, prompt = first["session"], first["prompt"]
    assert prompt["digit"] is None and prompt["round"] is None and len(prompt["token"]) >= 20
    assert first["reader"] == "phone/reader/model/shipped"  # the version served, for the reader
    for name, size in [("model/shipped/weights.bin", 200_000), ("reader/reader.js", 1_000),
                       ("vendor/tfjs/tfjs-backend-wasm-simd.wasm", 100_000)]:
        packed = httpx.get(f"{app_url}phone/reader/{name}", timeout=60)  # gzipped, unpacked here
        assert packed.status_code == 200 and packed.headers["content-encoding"] == "gzip"
        assert len(packed.content) > size
    for name in ("../../app.py", "model/v1/../../metadata.json", "model/shipped/metadata.json"):
        assert httpx.get(f"{app_url}phone/reader/{name}", timeout=60).status_code == 404
    again = post(app_url, "prompt", "203.0.113.30", session=session, token=prompt["token"])
    assert again.json()["prompt"] is None  # the prompt stands: the phone keeps it

    sent = post(app_url, "send", "203.0.113.30", session=session, token=prompt["token"],
                ink=seven())
    assert sent.status_code == 200
    answer = sent.json()
    assert answer["sent"]["digit"] == 7 and answer["sent"]["confidence"] > 0.5
    assert answer["prompt"]["token"] != prompt["token"] and answer["not_saved"] is None
    assert f'data-seq="{answer["sent"]["seq"]}"' in client.predict(api_name="/wall")

    replayed = post(app_url, "send", "203.0.113.30", session=session, token=prompt["token"],
                    ink=seven())
    assert replayed.status_code == 400 and "already answered" in replayed.json()["error"]
    stolen = post(app_url, "send", "203.0.113.31", token=answer["prompt"]["token"], ink=seven())
    assert stolen.status_code == 400 and "never handed out" in stolen.json()["error"]


@pytest.mark.parametrize("body, status, message", [
    (b"not json", 400, "not JSON"), (b"[1, 2]", 400, "not a JSON object"),
    (b'{"ink": "[[[NaN, 0, 0]]]"}', 400, "NaN or infinite"),
    (b'{"ink": "<script>alert(1)</script>"}', 400, "not valid JSON"),
    (b'{"ink": "[]"}', 400, "Draw a digit first"),
    (b'{"ink": "' + b"[" * 70_000 + b'"}', 400, "too large")])
def test_bad_input_from_a_phone_is_refused_in_plain_words(app_url, body, status, message):
    answer = httpx.post(f"{app_url}phone/send", content=body, timeout=60,
                        headers={"X-Forwarded-For": "203.0.113.32"})
    assert answer.status_code == status and message in answer.json()["error"]
    assert "Traceback" not in answer.text


def test_the_speaker_raises_the_limit_for_a_hall_behind_one_network(app_url, client):
    address = "203.0.113.34"

    def phone_sends() -> httpx.Response:  # a phone of its own: a fresh session
        first = post(app_url, "prompt", address).json()
        return post(app_url, "send", address, session=first["session"],
                    token=first["prompt"]["token"], ink=seven())

    client.predict(SPEAKER_KEY, "stop", "random", api_name="/control")
    try:
        assert "may now send 2" in client.predict(SPEAKER_KEY, "allow", "2", api_name="/control")
        sent = [phone_sends() for _ in range(5)]  # a new minute may begin once among them
        assert [s.status_code for s in sent[:2]] == [200, 200]
        refused = [s for s in sent if s.status_code == 429]
        assert refused and "at most 2 a minute" in refused[0].json()["error"]
        client.predict(SPEAKER_KEY, "start", "3", api_name="/control")  # a round seats 2 phones
        seats = [post(app_url, "prompt", "203.0.113.35").json() for _ in range(3)]
        assert [s["prompt"]["digit"] for s in seats[:2]] == [3, 3]
        assert "This round is full for your network" in seats[2]["error"]
        client.predict(SPEAKER_KEY, "allow", "50", api_name="/control")
        assert phone_sends().status_code == 200
    finally:
        client.predict(SPEAKER_KEY, "stop", "random", api_name="/control")
        client.predict(SPEAKER_KEY, "allow", str(SENDS_PER_ADDRESS), api_name="/control")
    with pytest.raises(Exception, match="whole number"):
        client.predict(SPEAKER_KEY, "allow", "lots", api_name="/control")


def test_a_waiting_phone_hears_of_a_round_as_it_starts(app_url, client, monkeypatch):
    monkeypatch.setattr(ui.phone, "WAIT_SECONDS", 600)  # only the round's start can answer it
    client.predict(SPEAKER_KEY, "stop", "random", api_name="/control")
    first = post(app_url, "prompt", "203.0.113.33").json()
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(post, app_url, "prompt", "203.0.113.33", session=first["session"],
                              token=first["prompt"]["token"], wait=True)
        client.predict(SPEAKER_KEY, "start", "3", api_name="/control")
        answer = waiting.result(timeout=120).json()
    client.predict(SPEAKER_KEY, "stop", "random", api_name="/control")
    assert answer["prompt"]["digit"] == 3 and answer["prompt"]["round"]


def test_a_phone_on_a_halls_wifi_shows_the_page_reads_its_ink_and_sends(browser, app_url,
                                                                          client):
    client.predict(SPEAKER_KEY, "start", "7", api_name="/control")
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(60_000)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", HALL_WIFI)
    started, finished = {}, {}
    cdp.on("Network.requestWillBeSent", lambda e: started.setdefault(e["requestId"],
                                                                     e["timestamp"]))
    cdp.on("Network.loadingFinished", lambda e: finished.__setitem__(
        e["requestId"], e["encodedDataLength"]))
    page.goto(f"{app_url}phone", wait_until="load")
    loaded = page.evaluate("performance.timing.loadEventStart - performance.timing.navigationStart")
    paint = "performance.getEntriesByName('first-contentful-paint')[0]"
    painted = page.wait_for_function(f"{paint} && {paint}.startTime").json_value()
    first = [r for r, t in started.items() if t <= min(started.values()) + loaded / 1000]
    page.wait_for_function("document.querySelector('#sketchpad').dataset.reader === 'ready'")
    page_bytes = sum(finished.get(r, 0) for r in first)
    reader_bytes = sum(finished.values()) - page_bytes
    FIGURES["phone page, first load at 1.6 Mbit/s, 150 ms"] = (
        f"{page_bytes:,} bytes in {len(first)} requests, shown in {painted:.0f} ms, loaded in "
        f"{loaded} ms; then the reader, {reader_bytes:,} bytes")
    assert page_bytes <= 150_000 and painted <= 2000
    expect(page.locator("#prompt")).to_have_text("✏️ Draw a 7")

    cdp.send("Network.emulateNetworkConditions", {**HALL_WIFI, "latency": 0,
                                                  "downloadThroughput": -1,
                                                  "uploadThroughput": -1})
    scroll = page.evaluate("window.scrollY")
    touch(page, place(STYLES[7][0], Pose(height=560, x=400, y=420)))
    expect(page.locator("#reading")).to_have_text(re.compile(r"^Reads a 7 \(\d+% sure\)$"))
    assert page.evaluate("window.scrollY") == scroll  # the page stays put under the finger
    # Clicked, not tapped: Chromium takes a tap a few ms after a synthetic swipe as the end
    # of a fling, which no finger that draws and then reaches for the button makes.
    page.locator("#send").click()
    expect(page.locator("#sent")).to_have_text(re.compile(r"the screen shows your 7"))
    expect(page.locator("#send")).to_be_disabled()  # the pad is empty again
    assert "<i>asked 7</i>" in client.predict(api_name="/wall")  # on the stage
    context.close()


def test_a_phone_that_cannot_run_the_reader_still_draws_and_sends(browser, app_url, client):
    client.predict(SPEAKER_KEY, "start", "7", api_name="/control")
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.route("**/reader.js", lambda route: route.abort())
    page.goto(f"{app_url}phone")
    page.wait_for_function("document.querySelector('#sketchpad').dataset.reader === 'failed'")
    touch(page, place(STYLES[7][0], Pose(height=560, x=400, y=420)))
    expect(page.locator("#reading")).to_have_text("Read when you send it.")
    page.locator("#send").click()
    expect(page.locator("#sent")).to_have_text(re.compile(r"the screen shows your 7"))
    client.predict(SPEAKER_KEY, "stop", "random", api_name="/control")
    context.close()


def test_a_phone_in_a_full_round_says_so_and_joins_when_the_speaker_allows_more(
        browser, app_url, client):
    network = "203.0.113.36"  # a network of its own: other tests' phones may be on loopback
    client.predict(SPEAKER_KEY, "start", "5", api_name="/control")
    context = browser.new_context(**PHONE, extra_http_headers={"X-Forwarded-For": network})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        client.predict(SPEAKER_KEY, "allow", "1", api_name="/control")
        taken = post(app_url, "prompt", network).json()  # a phone on the same network
        assert taken["prompt"]["digit"] == 5
        page.goto(f"{app_url}phone")
        expect(page.locator("#sent")).to_have_text(
            "This round is full for your network (its limit is 1). Ask the speaker to allow "
            "more, or wait for the next round.")
        client.predict(SPEAKER_KEY, "allow", "50", api_name="/control")
        expect(page.locator("#prompt")).to_have_text("✏️ Draw a 5")  # asked again, seated
        expect(page.locator("#sent")).to_have_text("")
    finally:
        client.predict(SPEAKER_KEY, "allow", str(SENDS_PER_ADDRESS), api_name="/control")
        client.predict(SPEAKER_KEY, "stop", "random", api_name="/control")
        context.close()
