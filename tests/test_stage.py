"""Audience mode on the real app: the API's refusals, and a real browser in which two phones
draw during a challenge round while the stage page shows their drawings, the accuracy and the
QR code."""

import json
import os
import re
import time
from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client
from playwright.sync_api import expect

from audience.room import ACTIONS
from model.feedback import load_corrections
from tests.helpers import (
    PHONE,
    SENDS_PER_ADDRESS,
    SPEAKER_KEY,
    TOP,
    on_screen,
    open_page,
    read_top,
    screenshot,
    seven,
    touch,
)
from training.drawn_digits import STYLES, Pose, place


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False)


def test_a_visitor_answers_a_prompt_once_through_the_api(client):
    client.predict(SPEAKER_KEY, "stop", "random", api_name="/control")
    text, token = client.predict(api_name="/prompt")
    assert text == "# ✏️ Draw any digit" and len(token) >= 20
    note, pad, text, next_token = client.predict(seven(), token, api_name="/send")
    assert "the screen shows your **7**" in note and pad == "[]"
    assert text == "# ✏️ Draw any digit" and next_token != token
    time.sleep(1.1)
    with pytest.raises(Exception, match="already answered"):
        client.predict(seven(), token, api_name="/send")  # replayed
    with pytest.raises(Exception, match="never handed out"):
        client.predict(seven(), "forged-" + token[7:], api_name="/send")
    wall = client.predict(api_name="/wall")
    assert 'class="drawing"' in wall and "<b>7</b>" in wall


def test_the_speaker_key_guards_every_control(client):
    for action in (*ACTIONS, "keep"):
        with pytest.raises(Exception, match="Wrong speaker key"):
            client.predict("guess", action, "3", api_name="/control")
    assert "Round:" not in client.predict(api_name="/wall")


def test_bad_audience_input_is_refused_and_the_server_keeps_serving(app_url):
    # A network of its own: its 35 sends count against its address, not the other tests'.
    client = Client(app_url, verbose=False, headers={"X-Forwarded-For": "203.0.113.9"})
    _, token = client.predict(api_name="/prompt")
    for ink, message in [("not json", "not valid JSON"), ("[[]]", "has no points"),
                         ("[[[NaN, 0, 0]]]", "NaN or infinite"), ('{"a": 1}', "list of strokes"),
                         ("[]", "Draw a digit first")]:
        with pytest.raises(Exception, match=message):
            client.predict(ink, token, api_name="/send")
        time.sleep(0.6)  # within the per-session limit: each refusal is the input's own
    refusals = []
    for _ in range(30):  # one client, as fast as it can
        try:
            client.predict(seven(), token, api_name="/send")
        except Exception as error:
            refusals.append(str(error))
    assert len(refusals) >= 29 and any("Too many requests" in r for r in refusals)
    assert client.predict("[]", api_name="/read_ink")["label"] is None  # still serving


# ---------------------------------------------------------------------------- in a browser
BLANK_CANVAS = """() => {
  const c = document.querySelector('#sketchpad canvas');
  return c.getContext('2d').getImageData(0, 0, c.width, c.height).data.every(v => v === 0);
}"""


def shows_prompt(page, text: str) -> None:
    """Wait until the phone's prompt reads `text` alone: the page's load event has answered and
    Gradio's progress timer ("0.1s") has left the prompt; fail if it never does."""
    expect(page.locator("#prompt")).to_have_text(text, timeout=30_000)


def test_fresh_sessions_from_one_address_cannot_flood_the_wall(app_url):
    Client(app_url, verbose=False).predict(SPEAKER_KEY, "stop", "random", api_name="/control")
    for attempt in range(2):  # the limit is per minute: a try across a minute's end is redone
        minute = time.time() // 60
        prankster = Client(app_url, verbose=False,
                           headers={"X-Forwarded-For": f"198.51.100.{23 + attempt}"})
        sent, refusals = 0, []
        for _ in range(SENDS_PER_ADDRESS + 3):  # a new session per drawing: sessions are free
            prankster.reset_session()
            _, token = prankster.predict(api_name="/prompt")
            try:
                prankster.predict(seven(), token, api_name="/send")
                sent += 1
            except Exception as error:
                refusals.append(str(error))
        if time.time() // 60 == minute:
            break
    assert sent == SENDS_PER_ADDRESS and len(refusals) == 3
    assert all("Too many drawings from your network" in r for r in refusals)
    neighbour = Client(app_url, verbose=False)  # another address still sends
    _, token = neighbour.predict(api_name="/prompt")
    assert "Sent" in neighbour.predict(seven(), token, api_name="/send")[0]


def send(page) -> None:
    page.click("#send")
    page.wait_for_function("() => document.querySelector('#sent')?.textContent.includes('Sent')")


@pytest.fixture(scope="module")
def round_of_two(browser, app_url, client):
    """A round asking for a 7, run from the speaker's phone: one phone joined before it and one
    during it, each draws a 7 with a finger, reads it, and sends it -> the pages and how long
    the stage took to show the last drawing."""
    client.predict(SPEAKER_KEY, "stop", "random", api_name="/control")
    client.predict(SPEAKER_KEY, "clear", "random", api_name="/control")
    requests = []
    stage = open_stage(browser, app_url)
    early = open_page(browser, app_url + "audience", requests, **PHONE)  # joins before the round
    shows_prompt(early, "✏️ Draw any digit")
    speaker = open_speaker(browser, app_url)  # on the speaker's phone
    speaker.locator("#round-digit input").click()
    speaker.get_by_role("option", name="7", exact=True).click()
    speaker.click("#speaker-start")
    stage.wait_for_function("() => document.querySelector('#wall')?.textContent"
                            ".includes('everyone draws a 7')")
    late = open_page(browser, app_url + "audience", requests, **PHONE)  # joins during it
    shows_prompt(late, "✏️ Draw a 7")
    drawn = {}
    for name, phone in (("early", early), ("late", late)):
        drawn[name] = {"on screen": on_screen(phone.locator("#sketchpad canvas").bounding_box(),
                                              390, 844)}
        touch(phone, place(STYLES[7][1], Pose(height=560, x=400, y=420)))
        drawn[name]["read"] = read_top(phone, "7")
        phone.wait_for_function("() => document.querySelector('#prompt').textContent"
                                ".includes('Draw a 7')")  # the early phone's, at its stroke
        drawn[name]["scrolled"] = phone.evaluate("[window.scrollX, window.scrollY]")
        sent_at = time.monotonic()
        send(phone)
        phone.wait_for_function(f"() => !document.querySelector('{TOP}')")  # the pad emptied
        drawn[name]["emptied"] = phone.evaluate(BLANK_CANVAS)
    stage.wait_for_function("() => document.querySelectorAll('#wall .wall figure').length === 2",
                            timeout=10_000)
    print(f"stage showed the last drawing {time.monotonic() - sent_at:.2f} s after it was sent")
    yield {"stage": stage, "phones": (early, late), "speaker": speaker, "drawn": drawn}
    for page in (stage, early, late, speaker):
        page.context.close()
    client.predict(SPEAKER_KEY, "stop", "random", api_name="/control")


def test_two_phones_draw_in_a_round_and_the_stage_shows_it(round_of_two):
    for drawn in round_of_two["drawn"].values():  # each phone: the pad on screen, unscrolled,
        assert drawn == {"on screen": True, "read": "7", "scrolled": [0, 0], "emptied": True}
    stage = round_of_two["stage"]  # and both drawings on the stage, read right
    shown = stage.locator("#wall").inner_text()
    assert re.search(r"100% right \(2 of 2\)", shown), shown
    assert stage.locator("#wall .wall figure.right").count() == 2
    screenshot(stage, "stage")
    screenshot(round_of_two["phones"][1], "audience-phone")


def test_the_stage_shows_thumbnails_and_the_invitation_and_nothing_to_press(round_of_two,
                                                                           app_url):
    stage = round_of_two["stage"]
    sizes = stage.evaluate("[...document.querySelectorAll('#wall .wall img')]"
                           ".map(i => [i.naturalWidth, i.naturalHeight])")
    assert sizes == [[28, 28], [28, 28]]  # only thumbnails reach the wall
    assert stage.locator("#invite svg.segno").count() == 1  # the QR code
    assert f"{app_url.split('//')[1]}phone" in stage.locator("#invite").inner_text()
    assert stage.locator("input, textarea, select, #invite button, #wall button").count() == 0


def test_the_phones_keep_no_run_history(round_of_two):
    for phone in round_of_two["phones"]:
        assert phone.evaluate("() => Object.keys(localStorage).filter(k => k.includes('run'))"
                              ) == []
        assert "Runs" not in phone.locator("footer").inner_text()


def test_a_tap_on_the_speakers_wall_takes_a_drawing_off_the_stage(round_of_two):
    stage, speaker = round_of_two["stage"], round_of_two["speaker"]
    speaker.wait_for_function("() => document.querySelectorAll('#speaker-wall figure').length"
                              " === 2")
    speaker.locator("#speaker-wall figure").first.click()
    stage.wait_for_function("() => document.querySelectorAll('#wall .wall figure').length === 1",
                            timeout=10_000)
    expect(speaker.locator("#speaker-said")).to_contain_text("removed from the wall",
                                                             timeout=30_000)
    assert "100% right (1 of 1)" in stage.locator("#wall").inner_text()


def test_teach_and_roll_back_answer_on_the_speakers_page(round_of_two):
    speaker = round_of_two["speaker"]  # too few drawings, and nothing taught yet
    on_wall = round_of_two["stage"].locator("#wall .wall figure").count()
    speaker.click("#speaker-teach")
    speaker.wait_for_function("() => document.querySelector('#speaker-said').textContent"
                              ".includes('at least 20 drawings')")
    assert f"the last round gave {on_wall}" in speaker.locator("#speaker-said").inner_text()
    speaker.click("#speaker-rollback")
    speaker.wait_for_function("() => document.querySelector('#speaker-said').textContent"
                              ".includes('no earlier version')")
    screenshot(speaker, "speaker-phone")


def open_speaker(browser, app_url):
    """/speaker on a phone, unlocked: a wrong key first changes nothing and shows nothing."""
    page = browser.new_context(**PHONE).new_page()
    page.set_default_timeout(60_000)
    page.goto(app_url + "speaker")
    for key in ("guess", SPEAKER_KEY):
        page.locator("#speaker-key input").fill(key)
        page.click("#speaker-unlock")
        page.wait_for_function("() => document.querySelector('#speaker-said').textContent"
                               ".match(/Wrong speaker key|Unlocked/)")
        said = page.locator("#speaker-said").inner_text()
        if key == "guess":
            assert "Wrong speaker key" in said and not page.locator("#speaker-start").is_visible()
    page.locator("#speaker-start").wait_for(state="visible")
    page.locator("#speaker-key input").fill("")  # the session holds the key, not the field
    return page


def open_stage(browser, app_url, width: int = 1280, height: int = 800, theme: str = "light"):
    page = browser.new_context(viewport={"width": width, "height": height},
                               color_scheme=theme).new_page()
    page.set_default_timeout(60_000)
    page.goto(app_url + "stage" + ("?__theme=dark" if theme == "dark" else ""))
    page.wait_for_selector("#invite svg")
    page.wait_for_selector("#wall .stage")
    return page


def test_drawings_reach_the_disk_only_while_the_speaker_collects(client):
    folder = Path(os.environ["DIGITPAD_FEEDBACK_DIR"])
    stored = lambda: sorted(folder.glob("*.npz"))  # noqa: E731
    client.predict(SPEAKER_KEY, "start", "7", api_name="/control")
    before = stored()
    for action, kept in (("stop-collecting", 0), ("collect", 1), ("stop-collecting", 0)):
        client.predict(SPEAKER_KEY, action, "7", api_name="/control")
        _, token = client.predict(api_name="/prompt")
        client.predict(seven(), token, api_name="/send")
        time.sleep(1.1)
        new = [f for f in stored() if f not in before]
        assert len(new) == kept, action
        before = stored()
        if kept:
            with np.load(new[0]) as saved:  # the asked-for digit, the ink, ready for --feedback
                assert int(saved["label"]) == 7 and saved["image"].shape == (28, 28)
                assert json.loads(str(saved["ink"]))
    images, labels = load_corrections(folder)
    assert len(labels) >= 1 and 7 in labels
    client.predict(SPEAKER_KEY, "stop", "7", api_name="/control")


# ---------------------------------------------------------------------------- the projector
SCREENS = ((1920, 1080), (1280, 720), (1440, 900))  # projectors, and a 16:10 laptop
BEFORE_AND_AFTER = SCREENS[:2]
LAYOUT = """() => {  // what the room must read: each block's box, and whether the page scrolls
  const box = e => { const r = e.getBoundingClientRect();
                     return [r.left, r.top, r.right, r.bottom]; };
  const inWall = f => { const shelf = f.closest('.wall, .misses');  // rows past its end: hidden
                        return !shelf || box(f)[3] <= box(shelf)[3]; };
  const blocks = [...document.querySelectorAll(
      '#invite svg, #invite b, .stage .figures, .stage .round, .stage .confusion, ' +
      '.stage .teaching > *, .stage .hall > .score, .stage .hall > .mosaic')]
    .concat([...document.querySelectorAll('.stage figure')].filter(inWall));
  return {boxes: blocks.map(box), scrolls: document.documentElement.scrollHeight > innerHeight
            || document.documentElement.scrollWidth > innerWidth,
          drawings: [...document.querySelectorAll('#wall .wall figure')].filter(inWall)
            .map(f => [f.querySelector('img').getBoundingClientRect().height,
                       parseFloat(getComputedStyle(f.querySelector('b')).fontSize)]),
          qr: box(document.querySelector('#invite svg')),
          address: parseFloat(getComputedStyle(document.querySelector('#invite b')).fontSize),
          controls: [...document.querySelectorAll('input, textarea, select, button')]
            .filter(e => e.offsetParent !== null).length};  // none the room can see
}"""


def laid_out(page, width: int, height: int) -> dict:
    layout = page.evaluate(LAYOUT)
    assert not layout["scrolls"] and layout["controls"] == 0
    for k, (left, top, right, bottom) in enumerate(layout["boxes"]):
        assert left >= 0 and top >= 0 and right <= width and bottom <= height, (k, left, bottom)
        for other in layout["boxes"][k + 1:]:  # no two overlap (by more than a pixel)
            across = min(right, other[2]) - max(left, other[0])
            down = min(bottom, other[3]) - max(top, other[1])
            assert across <= 1 or down <= 1, (k, layout["boxes"][k], other)
    return layout


def test_the_stage_fills_a_projector_and_nothing_overlaps(browser, app_url, client):
    for action, value in (("stop", "random"), ("clear", "random"), ("show", "wall")):
        client.predict(SPEAKER_KEY, action, value, api_name="/control")
    for width, height in BEFORE_AND_AFTER:  # before a round: the QR code a third of the screen
        stage = open_stage(browser, app_url, width, height)
        screenshot(stage, f"stage-{height}p-before")
        layout = laid_out(stage, width, height)
        assert layout["qr"][3] - layout["qr"][1] >= height / 3
        assert layout["address"] >= 48 * height / 1080
        stage.context.close()
    client.predict(SPEAKER_KEY, "start", "random", api_name="/control")
    for k in range(3):  # three phones' networks, four phones each
        phones = Client(app_url, verbose=False, headers={"X-Forwarded-For": f"192.0.2.{k + 1}"})
        for _ in range(4):
            phones.reset_session()
            _, token = phones.predict(api_name="/prompt")
            phones.predict(seven(), token, api_name="/send")
    # during it: the tally and the wall, every drawing readable (in a dark room too)
    for (width, height), theme in [*((size, "light") for size in SCREENS), (SCREENS[0], "dark")]:
        stage = open_stage(browser, app_url, width, height, theme)
        stage.wait_for_function("() => document.querySelectorAll('#wall .wall figure')"
                                ".length >= 12")
        screenshot(stage, f"stage-{height}p-during-{theme}")
        layout = laid_out(stage, width, height)
        assert len(layout["drawings"]) >= 12
        for side, text in layout["drawings"]:
            assert side >= 96 * height / 1080 and text >= 24 * height / 1080
        stage.context.close()
    client.predict(SPEAKER_KEY, "show", "hall", api_name="/control")  # a hall's view of it
    for width, height in BEFORE_AND_AFTER:
        stage = open_stage(browser, app_url, width, height)
        stage.wait_for_function("() => document.querySelectorAll('#wall .mosaic img')"
                                ".length >= 12 && document.querySelector('#wall .confusion')")
        screenshot(stage, f"stage-{height}p-hall")
        laid_out(stage, width, height)
        share = stage.locator("#wall .hall .share")
        assert re.fullmatch(r"\d+%", share.inner_text())
        assert share.evaluate("s => parseFloat(getComputedStyle(s).fontSize)") >= 96 * height / 1080
        tiles = stage.locator("#wall .mosaic img").evaluate_all("i => i.map(t => t.height)")
        assert min(tiles) >= 64 * height / 1080
        stage.context.close()
    client.predict(SPEAKER_KEY, "stop", "random", api_name="/control")  # the result goes up
    for width, height in BEFORE_AND_AFTER:  # after it: the result, its matrix and misses
        stage = open_stage(browser, app_url, width, height)
        stage.wait_for_selector("#wall .confusion")
        screenshot(stage, f"stage-{height}p-after")
        laid_out(stage, width, height)
        assert "Last round" in stage.locator("#wall").inner_text()
        stage.context.close()
    client.predict(SPEAKER_KEY, "show", "wall", api_name="/control")


def test_the_stage_shows_teaching_large_on_a_projector(browser, app_url, client):
    import app  # its room's store: what a teaching writes there, the stage shows

    learning = {"status": "learning", "drawings": 180, "done": 0.4, "epoch": 2, "epochs": 3}
    kept = {"status": "kept", "learnt": 144, "held_out": 36, "before": {"held_right": 18},
            "after": {"held_right": 26}}
    client.predict(SPEAKER_KEY, "show", "teach", api_name="/control")
    try:
        for state, says in ((learning, "Epoch 2 of 3 · 40%"),
                            (kept, "Learnt from 144 of your drawings")):
            app.store.put("teaching", state)
            for width, height in BEFORE_AND_AFTER:
                stage = open_stage(browser, app_url, width, height)
                stage.wait_for_function(f"() => document.querySelector('#wall .teaching')"
                                        f"?.innerText.includes({says!r})")
                screenshot(stage, f"stage-{height}p-teaching-{state['status']}")
                laid_out(stage, width, height)
                heading = stage.locator("#wall .teaching h2")
                size = heading.evaluate("h => parseFloat(getComputedStyle(h).fontSize)")
                assert size >= 48 * height / 1080  # read from the last row
                stage.context.close()
        assert "50% → 72% on 36 it never saw" in client.predict(api_name="/wall")
    finally:
        app.store.put("teaching", None)
        client.predict(SPEAKER_KEY, "show", "wall", api_name="/control")
