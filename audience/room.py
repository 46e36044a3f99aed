"""Audience mode: a room of visitors drawing for the stage, and the speaker running rounds.

A visitor gets a prompt ("Draw a 7", or any digit) with a one-use token, bound to their
session. Sending a drawing redeems the token, so an answer can be neither replayed nor forged:
the digit that was asked for comes from the server, never from the visitor. The speaker's
controls need the speaker key. The state lives in a store (`audience.store`).
"""

import hmac
import secrets
import time
from dataclasses import dataclass

import numpy as np

from audience.store import PROMPT_SECONDS, StoreError
from audience.teaching import TEACH_SECONDS
from model.errors import FeedbackError
from model.feedback import save_correction
from model.imagefile import png_base64
from model.ink import strokes_to_json
from model.reading import DigitReading, Drawing
from model.spec import CLASSES, MIN_LESSONS, NUM_CLASSES, TEACH_MOST

SENDS_PER_SECOND = 2  # per session: drawings sent to the stage
SENDS_PER_ADDRESS = 120  # per network address and minute: phones behind one router share one;
# also the phones one address may seat in a round (see Room.prompt)
PROMPTS_PER_SECOND = 5  # per session: prompts asked for


class RoomError(ValueError):
    """A refused request; the message is for the visitor or the speaker."""


class TooMany(RoomError):
    """A request over a limit: the sender may try again later."""


@dataclass(frozen=True)
class Prompt:
    """What a visitor is asked to draw, and the token that answers it once."""
    token: str
    round: str | None  # the round's id, None outside a round
    digit: int | None  # the digit asked for, None for any digit

    @property
    def text(self) -> str:
        return "Draw any digit" if self.digit is None else f"Draw a **{self.digit}**"


def thumbnail(image: np.ndarray) -> str:
    """(28, 28) float32 in [0, 1], white ink on black -> a 28x28 PNG as base64: all that
    reaches the wall of any drawing."""
    return png_base64(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8))


ACTIONS = ("start", "stop", "pause", "resume", "clear", "collect", "stop-collecting", "remove",
           "show", "teach", "rollback", "allow")
VIEWS = ("wall", "result", "invite", "teach", "hall")  # drawings, a round's result, the QR,
# teaching, and a hall's round at a glance


class Room:
    """The audience's shared state, and every rule about who may change it."""

    def __init__(self, store, speaker_key: str = "", corrections=None,
                 sends_per_address: int = SENDS_PER_ADDRESS, teacher=None):
        """`speaker_key`: the one to use; without it, the replicas' first random one.
        `corrections`: the folder a round's drawings are collected into, when asked.
        `sends_per_address`: drawings a minute one network address may send.
        `teacher`: an `audience.teaching.Teacher`, if the room may teach the network."""
        self.store, self.corrections, self.teacher = store, corrections, teacher
        self.sends_per_address = sends_per_address
        self.speaker_key = store.shared_key(speaker_key or secrets.token_urlsafe(9),
                                            replace=bool(speaker_key))

    # ------------------------------------------------------------------------ visitors
    def prompt(self, session: str, address: str = "") -> Prompt:
        """A new prompt for this session, in the round now running (if any). A session's first
        prompt in a round takes a seat of its network `address`: as many as the drawings a
        minute the network may send, so that fresh sessions from a script are held to what
        the hall's own phones leave, and never take their seats once they have them."""
        self._limit("prompt", session, PROMPTS_PER_SECOND)
        current = self._seated(session, address)
        digit = None
        if current:
            digit = (current["digit"] if current["digit"] is not None
                     else secrets.randbelow(NUM_CLASSES))  # a digit of its own per visitor
        prompt = Prompt(secrets.token_urlsafe(16), current and current["id"], digit)
        self.store.hand_out(prompt.token, {"session": session, "round": prompt.round,
                                           "digit": digit})
        return prompt

    def refresh(self, session: str, token: str, address: str = "") -> Prompt | None:
        """A new prompt if this one is spent, unknown or from another round than the one now
        running; None if it still stands."""
        held = self.store.peek(str(token)) if token else None
        current = self.store.get("round")
        if held and held["session"] == session and held["round"] == (current and current["id"]):
            return None
        return self.prompt(session, address)

    def admit(self, session: str, address: str = "") -> None:
        """Count a drawing about to be sent against its session's limit and its network
        `address`'s (sessions cost nothing); in a round, the session needs a seat, as its
        prompt does (a prompt taken before the round takes one now). TooMany if over a limit.
        Pages admit a drawing before they read it, so that a refusal costs no reading."""
        self._limit("send", session, SENDS_PER_SECOND)
        self._seated(session, address)
        limit = self.per_address()
        if address and not self.store.allow("send-address", address, limit, seconds=60):
            self.store.bump("refused")
            raise TooMany(f"Too many drawings from your network: at most {limit} a minute. "
                          "Wait a little and send again.")

    def send(self, session: str, token: str, reading: DigitReading) -> dict:
        """A visitor's drawing, admitted and read, answers their prompt -> the entry put on the
        wall. An answer that arrives after its round ended still counts for that round, not
        the next."""
        if reading.blank:
            raise RoomError("Draw a digit first: the pad is empty.")
        held = self.store.peek(str(token)) if token else None  # another's token stays theirs
        mine = held is not None and hmac.compare_digest(held["session"], session)
        asked = self.store.redeem(str(token)) if mine else None
        if asked is None:
            raise RoomError("This prompt was already answered or was never handed out: "
                            "draw again for the new one.")
        entry = {"time": time.time(), "thumb": thumbnail(reading.image), "digit": reading.digit,
                 "confidence": reading.confidence, "round": asked["round"],
                 "asked": asked["digit"], "p_asked": None if asked["digit"] is None
                 else float(reading.probabilities[asked["digit"]])}
        entry["seq"] = self.store.add(entry)
        return entry

    def collecting(self) -> bool:
        return bool(self.store.get("collect", False))

    def collect(self, entry: dict, reading: DigitReading, drawing: Drawing) -> str | None:
        """Keep a sent drawing for training, labelled with the digit its round asked for, if
        the speaker is collecting -> None, or why it could not be kept. Drawings outside a
        challenge (any digit) carry no label and are never kept."""
        if entry["asked"] is None or not self.collecting() or self.corrections is None:
            return None
        try:
            save_correction(drawing.picture, reading.image, entry["asked"],
                            folder=self.corrections,
                            ink=strokes_to_json(list(drawing.strokes or ())))
        except FeedbackError as error:
            return str(error)
        return None

    # ------------------------------------------------------------------------ the speaker
    def unlock(self, key: str) -> None:
        """Check the speaker key; RoomError if it is wrong."""
        if not hmac.compare_digest(str(key or "").encode(), self.speaker_key.encode()):
            raise RoomError("Wrong speaker key: nothing was changed.")

    def control(self, key: str, action: str, value: str = "random") -> str:
        """A speaker's action (one of ACTIONS) -> what happened. A wrong key changes nothing.
        `value`: the digit a round asks for ("random": one each), the number of the drawing to
        remove, the view to show (one of VIEWS), what to teach ("round" or "all"), or the
        drawings a minute one network address may send (allow: a hall behind one Wi-Fi)."""
        self.unlock(key)
        if action not in ACTIONS:
            raise RoomError(f"Unknown action {action!r}: one of {', '.join(ACTIONS)}.")
        return getattr(self, "_" + action.replace("-", "_"))(value)

    def _start(self, value: str) -> str:
        if value != "random" and str(value) not in CLASSES:
            raise RoomError("A round asks for one digit, 0 to 9, or a random one each.")
        fixed = None if value == "random" else int(value)
        started = {"id": secrets.token_hex(6), "digit": fixed, "started": time.time()}
        self.store.put("round", started)
        self.store.put("untaught", [*self.store.get("untaught", []), started["id"]])
        self.store.put("view", "wall")  # a round is drawn on the wall ...
        if self.teacher is not None:
            self.teacher.warm()  # ... and may be taught: the teaching readies meanwhile
        asked = "a random digit each" if fixed is None else f"everyone draws a {fixed}"
        return f"Round started: {asked}."

    def _stop(self, _) -> str:
        running = self.store.get("round")
        if running is None:
            return "No round was running."
        self.store.put("last_round", running)
        self.store.put("round", None)
        self.store.put("view", "result")  # ... and ends on its result
        return "Round stopped: the stage shows its result."

    def _pause(self, _) -> str:
        self.store.put("paused_at", self.store.wall()[1])
        return "Wall paused: new drawings are kept and shown when it resumes."

    def _resume(self, _) -> str:
        self.store.put("paused_at", None)
        return "Wall resumed."

    def _clear(self, _) -> str:
        self.store.clear_wall()
        return "Wall cleared."

    def _collect(self, _) -> str:
        self.store.put("collect", True)
        return "Collecting: drawings in a round are saved as corrections."

    def _stop_collecting(self, _) -> str:
        self.store.put("collect", False)
        return "Not collecting: nothing is written to disk."

    def _remove(self, value: str) -> str:
        if not str(value).isdigit() or self.store.remove(int(value)) is None:
            raise RoomError(f"No drawing number {value} on the wall: nothing was removed.")
        return f"Drawing {value} removed from the wall."

    def _show(self, value: str) -> str:
        if value not in VIEWS:
            raise RoomError(f"The stage shows one of {', '.join(VIEWS)}.")
        self.store.put("view", value)
        return f"The stage shows the {value}."

    def _teach(self, value: str) -> str:
        """Teach the network the last round's drawings (`value` "all": every round's since the
        last teaching) in the background -> what happened."""
        if self.teacher is None:
            raise RoomError("Teaching is off in this app: nothing was changed.")
        if not self.store.claim("teaching", TEACH_SECONDS):
            raise RoomError("The network is already learning: wait until it has finished.")
        try:
            last = self.store.get("round") or self.store.get("last_round")
            rounds = (self.store.get("untaught", []) if value == "all"
                      else [last["id"]] if last else [])
            lessons = self.store.lessons(rounds)
            if len(lessons) < MIN_LESSONS:
                which = ("the rounds since the last teaching" if value == "all"
                         else "the last round")
                raise RoomError(f"Teaching needs at least {MIN_LESSONS} drawings of a digit "
                                f"asked for; {which} gave {len(lessons)}. Run a round first.")
            drawn = len(lessons)
            if drawn > TEACH_MOST:  # a hall's round: a sample of it, the same one every time
                keep = np.random.default_rng(0).choice(drawn, TEACH_MOST, replace=False)
                lessons = [lessons[k] for k in sorted(keep)]
            version = self.teacher.start(lessons, rounds)
        except OSError as error:  # the taught folder: full, or not writable
            self.store.release("teaching")
            raise RoomError(f"Teaching could not start ({error}).") from None
        except BaseException:
            self.store.release("teaching")  # the slot is held only by a teaching that runs
            raise
        self.store.put("view", "teach")
        sampled = f" of {drawn}" if drawn > len(lessons) else ""
        return (f"Teaching {version} on {len(lessons)}{sampled} drawings: the stage shows its "
                "progress.")

    def _rollback(self, _) -> str:
        """Serve the previous version again -> what happened."""
        if self.teacher is None:
            raise RoomError("Teaching is off in this app: nothing was changed.")
        if not self.store.claim("teaching", TEACH_SECONDS):
            raise RoomError("The network is learning: roll back when it has finished.")
        try:
            return self.teacher.rollback()
        except OSError as error:  # the version's folder is gone, or not writable
            raise RoomError(f"Could not roll back ({error}): nothing was changed.") from None
        finally:
            self.store.release("teaching")

    def _allow(self, value: str) -> str:
        if not str(value).isdigit() or int(value) < 1:
            raise RoomError("Allow a whole number of drawings a minute from one network, 1 or "
                            "more: nothing was changed.")
        self.store.put("sends_per_address", int(value))
        return (f"Each network may now send {int(value)} drawings a minute, from as many phones "
                "in a round.")

    # ------------------------------------------------------------------------ the stage
    def snapshot(self) -> dict:
        """What the stage shows: the wall, the count, the round running (or the last one) and
        its tally, and the view the speaker chose."""
        drawings, count = self.store.wall()
        paused_at = self.store.get("paused_at")
        if paused_at is not None:
            drawings = [d for d in drawings if d["seq"] <= paused_at]
        current = self.store.get("round")
        shown = current or self.store.get("last_round")  # the running round, or the last one
        confusion, misses = self.store.tally(shown["id"]) if shown else ({}, [])
        matrix = np.zeros((NUM_CLASSES, NUM_CLASSES), np.int64)
        for cell, n in confusion.items():
            asked, read = map(int, cell.split(","))
            matrix[asked, read] = n
        return {"drawings": drawings, "count": count, "round": current, "shown": shown,
                "matrix": matrix,
                "misses": misses, "paused": paused_at is not None, "collect": self.collecting(),
                "view": self.view(),
                "refused": self.store.counter("refused"),
                "teaching": self.store.get("teaching"), "model": self.store.get("model")}

    def view(self) -> str:
        """What the stage shows now: one of VIEWS."""
        return self.store.get("view", VIEWS[0])

    def per_address(self) -> int:
        """Drawings a minute one network address may send, and phones it may seat in a round:
        as the speaker set it, else as the app was started."""
        return self.store.get("sends_per_address") or self.sends_per_address

    def _seated(self, session: str, address: str) -> dict | None:
        """The round now running (None: none), `session` seated in it once if it comes from a
        network `address` with a seat left; TooMany if none is."""
        current = self.store.get("round")
        if not (current and address):
            return current
        seat = f"seat:{current['id']}:{session}"
        if not self.store.claim(seat, PROMPT_SECONDS):
            return current  # seated already
        limit = self.per_address()
        if not self.store.allow("seats", f"{current['id']}:{address}", limit, PROMPT_SECONDS):
            self.store.release(seat)
            self.store.bump("refused")
            raise TooMany(f"This round is full for your network (its limit is {limit}). Ask the "
                          "speaker to allow more, or wait for the next round.")
        return current

    def _limit(self, kind: str, session: str, per_second: int) -> None:
        if not self.store.allow(kind, session, per_second):
            raise TooMany(f"Too many requests: at most {per_second} a second. Slow down.")


__all__ = ["ACTIONS", "VIEWS", "Prompt", "Room", "RoomError", "StoreError", "TooMany",
           "thumbnail"]
