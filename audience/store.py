"""Where the audience's state lives: in this process, or in Redis so that replicas share it.

Both stores keep the same few things, each changed by one atomic step:
- the wall: a ring buffer of the latest drawings (dicts, JSON-safe), newest first, and a count;
- per round: its confusion counts, its most surprising misses, and its drawings with the
  digit asked for (what teaching learns from);
- settings: the round, whether the wall is paused, whether drawings are collected;
- prompts handed out (one-use tokens) and per-session request counts for rate limiting.
"""

import functools
import json
import sys
import threading
import time
from collections import OrderedDict

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

MISSES_KEPT = 6  # per round: the lowest probabilities given to the digit that was asked for
MAX_PROMPTS = 20_000  # prompts kept in memory at most (the oldest are dropped)
PROMPT_SECONDS = 3600  # a prompt not answered within this is forgotten
LESSONS_KEPT = 5000  # per round: drawings kept to teach from, at most
LESSONS_SECONDS = 24 * 3600  # a round's drawings are forgotten a day after its last one
CONNECT_TRIES = 5  # at start-up, before giving up on Redis (waiting 1, 2, 3 ... s between)


class StoreError(RuntimeError):
    """The store cannot be reached; the message is for the visitor or the operator."""


REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)


def reachable(method):
    """A Redis operation whose lost connection (after the client's retries) is a StoreError."""
    @functools.wraps(method)
    def call(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except REDIS_DOWN:
            raise StoreError("The audience store (Redis) is unreachable right now: "
                             "try again in a moment.") from None
    return call


class MemoryStore:
    """The audience's state in this process, behind one lock."""

    def __init__(self, wall_size: int):
        self.wall_size = wall_size
        self.lock = threading.Lock()
        self.drawings, self.count = [], 0
        self.confusion, self.misses = {}, {}  # round id -> {"asked,read": n}, [(p, entry)]
        self.kept = {}  # round id -> {seq: {"thumb", "asked"}}: drawings to teach from
        self.claims = {}  # name -> expiry
        self.settings = {}
        self.prompts = OrderedDict()  # token -> (expiry, prompt)
        self.windows = {}  # "kind:who" -> (window, requests in that window, when it ends)
        self.counters = {}  # name -> count (sends refused)

    def shared_key(self, key: str, replace: bool) -> str:
        """The speaker key all replicas use: `key` if `replace`, else the first one stored."""
        with self.lock:
            if replace:
                self.settings["speaker_key"] = key
            return self.settings.setdefault("speaker_key", key)

    def get(self, name: str, default=None):
        with self.lock:
            return self.settings.get(name, default)

    def put(self, name: str, value) -> None:
        with self.lock:
            self.settings[name] = value

    def hand_out(self, token: str, prompt: dict) -> None:
        with self.lock:
            self.prompts[token] = (time.time() + PROMPT_SECONDS, prompt)
            while len(self.prompts) > MAX_PROMPTS:
                self.prompts.popitem(last=False)

    def peek(self, token: str) -> dict | None:
        """The prompt behind a token, left in place."""
        with self.lock:
            expiry, prompt = self.prompts.get(token, (0, None))
        return prompt if expiry > time.time() else None

    def redeem(self, token: str) -> dict | None:
        """The prompt behind a token, once: a second redeem of the same token gets None."""
        with self.lock:
            expiry, prompt = self.prompts.pop(token, (0, None))
        return prompt if expiry > time.time() else None

    def allow(self, kind: str, who: str, limit: int, seconds: int = 1) -> bool:
        """Count one request of this kind from `who` (a session, an address) -> whether it is
        within `limit` requests in this window of `seconds`."""
        now = time.time()
        window, key = int(now // seconds), f"{kind}:{who}"
        with self.lock:
            was, n, _ = self.windows.get(key, (window, 0, 0))
            n = n + 1 if was == window else 1
            self.windows[key] = (window, n, (window + 1) * seconds)
            if len(self.windows) > MAX_PROMPTS:  # forget the windows that have ended
                self.windows = {k: v for k, v in self.windows.items() if v[2] > now}
        return n <= limit

    def bump(self, name: str) -> None:
        """Add one to the counter `name`."""
        with self.lock:
            self.counters[name] = self.counters.get(name, 0) + 1

    def counter(self, name: str) -> int:
        with self.lock:
            return self.counters.get(name, 0)

    def add(self, entry: dict) -> int:
        """Put a drawing on the wall (and in its round's tally) -> its number, from 1."""
        with self.lock:
            self.count += 1
            entry = {**entry, "seq": self.count}
            self.drawings = [entry, *self.drawings[:self.wall_size - 1]]
            if entry.get("round"):
                cell = f"{entry['asked']},{entry['digit']}"
                tally = self.confusion.setdefault(entry["round"], {})
                tally[cell] = tally.get(cell, 0) + 1
                if entry["digit"] != entry["asked"]:
                    misses = self.misses.setdefault(entry["round"], [])
                    misses.append((entry["p_asked"], entry["seq"], entry))
                    misses.sort(key=lambda m: m[:2])
                    del misses[MISSES_KEPT:]
                lessons = self.kept.setdefault(entry["round"], {})
                if entry["asked"] is not None and len(lessons) < LESSONS_KEPT:
                    lessons[entry["seq"]] = lesson(entry)
            return self.count

    def wall(self) -> tuple[list[dict], int]:
        """-> (the latest drawings, newest first; how many were ever added)."""
        with self.lock:
            return list(self.drawings), self.count

    def tally(self, round_id: str) -> tuple[dict, list[dict]]:
        """-> ({"asked,read": count}, the round's most surprising misses, most surprising first)."""
        with self.lock:
            return (dict(self.confusion.get(round_id, {})),
                    [m[2] for m in self.misses.get(round_id, [])])

    def lessons(self, round_ids: list[str]) -> list[dict]:
        """-> the drawings of these rounds that asked for a digit: {"thumb", "asked"} each."""
        with self.lock:
            return [d for r in round_ids for d in self.kept.get(r, {}).values()]

    def claim(self, name: str, seconds: int) -> bool:
        """Take the one-holder claim `name` for at most `seconds` -> whether it was free."""
        with self.lock:
            now = time.time()
            if self.claims.get(name, 0) > now:
                return False
            if len(self.claims) > MAX_PROMPTS:  # forget the expired: a hall's round seats many
                self.claims = {k: until for k, until in self.claims.items() if until > now}
            self.claims[name] = now + seconds
            return True

    def release(self, name: str) -> None:
        with self.lock:
            self.claims.pop(name, None)

    def clear_wall(self) -> None:
        with self.lock:
            self.drawings = []

    def remove(self, seq: int) -> dict | None:
        """Take drawing number `seq` off the wall, out of its round's tally and misses -> it,
        or None if the wall no longer shows it."""
        with self.lock:
            entry = next((d for d in self.drawings if d["seq"] == seq), None)
            if entry is None:
                return None
            self.drawings = [d for d in self.drawings if d["seq"] != seq]
            if entry.get("round"):
                tally = self.confusion.get(entry["round"], {})
                cell = f"{entry['asked']},{entry['digit']}"
                tally[cell] = tally.get(cell, 1) - 1
                if not tally[cell]:
                    del tally[cell]
                misses = self.misses.get(entry["round"], [])
                misses[:] = [m for m in misses if m[1] != seq]
                self.kept.get(entry["round"], {}).pop(seq, None)
            return entry


class RedisStore:
    """The same state in Redis (keys under `prefix`), so several app processes share it."""

    def __init__(self, url: str, wall_size: int, prefix: str = "digitpad:",
                 tries: int = CONNECT_TRIES):
        self.redis = redis.Redis.from_url(
            url, decode_responses=True, socket_timeout=2, socket_connect_timeout=2,
            retry=Retry(ExponentialBackoff(cap=1, base=0.1), 3), retry_on_error=list(REDIS_DOWN))
        self.wall_size, self.p, self.url = wall_size, prefix, url
        for attempt in range(1, tries + 1):
            try:
                self.redis.ping()
                break
            except REDIS_DOWN as error:
                if attempt == tries:
                    raise StoreError(f"Redis at {url} is unreachable ({error}); start it, or "
                                     "unset DIGITPAD_REDIS_URL to keep the audience in this "
                                     "process.") from None
                print(f"Redis at {url} is unreachable ({error}); retrying in {attempt} s "
                      f"({attempt} of {tries})", file=sys.stderr, flush=True)
                time.sleep(attempt)

    @reachable
    def shared_key(self, key: str, replace: bool) -> str:
        self.redis.set(self.p + "speaker_key", key, nx=not replace)
        return self.redis.get(self.p + "speaker_key")

    @reachable
    def get(self, name: str, default=None):
        value = self.redis.hget(self.p + "settings", name)
        return default if value is None else json.loads(value)

    @reachable
    def put(self, name: str, value) -> None:
        self.redis.hset(self.p + "settings", name, json.dumps(value))

    @reachable
    def hand_out(self, token: str, prompt: dict) -> None:
        self.redis.set(self.p + "prompt:" + token, json.dumps(prompt), ex=PROMPT_SECONDS)

    @reachable
    def peek(self, token: str) -> dict | None:
        value = self.redis.get(self.p + "prompt:" + token)
        return None if value is None else json.loads(value)

    @reachable
    def redeem(self, token: str) -> dict | None:
        value = self.redis.getdel(self.p + "prompt:" + token)
        return None if value is None else json.loads(value)

    @reachable
    def allow(self, kind: str, who: str, limit: int, seconds: int = 1) -> bool:
        key = f"{self.p}rate:{kind}:{who}:{int(time.time() // seconds)}"
        n, _ = self.redis.pipeline().incr(key).expire(key, seconds + 1).execute()
        return n <= limit

    @reachable
    def bump(self, name: str) -> None:
        self.redis.incr(f"{self.p}counter:{name}")

    @reachable
    def counter(self, name: str) -> int:
        return int(self.redis.get(f"{self.p}counter:{name}") or 0)

    @reachable
    def add(self, entry: dict) -> int:
        seq = self.redis.incr(self.p + "count")
        entry = {**entry, "seq": seq}
        pipe = self.redis.pipeline()  # MULTI/EXEC: the wall and the tally change together
        pipe.lpush(self.p + "wall", json.dumps(entry)).ltrim(self.p + "wall", 0,
                                                             self.wall_size - 1)
        if entry.get("round"):
            cell = f"{entry['asked']},{entry['digit']}"
            pipe.hincrby(f"{self.p}confusion:{entry['round']}", cell)
            if entry["digit"] != entry["asked"]:
                misses = f"{self.p}misses:{entry['round']}"
                pipe.zadd(misses, {json.dumps(entry): entry["p_asked"]})
                pipe.zremrangebyrank(misses, MISSES_KEPT, -1)
            if entry["asked"] is not None:
                lessons = f"{self.p}lessons:{entry['round']}"
                pipe.hset(lessons, str(seq), json.dumps(lesson(entry)))
                pipe.expire(lessons, LESSONS_SECONDS)
        pipe.execute()
        return seq

    @reachable
    def wall(self) -> tuple[list[dict], int]:
        drawings, count = (self.redis.pipeline().lrange(self.p + "wall", 0, -1)
                           .get(self.p + "count").execute())
        return [json.loads(d) for d in drawings], int(count or 0)

    @reachable
    def tally(self, round_id: str) -> tuple[dict, list[dict]]:
        confusion, misses = (self.redis.pipeline().hgetall(f"{self.p}confusion:{round_id}")
                             .zrange(f"{self.p}misses:{round_id}", 0, -1).execute())
        return ({k: int(v) for k, v in confusion.items()}, [json.loads(m) for m in misses])

    @reachable
    def lessons(self, round_ids: list[str]) -> list[dict]:
        pipe = self.redis.pipeline()
        for r in round_ids:
            pipe.hvals(f"{self.p}lessons:{r}")
        return [json.loads(d) for values in pipe.execute() for d in values[:LESSONS_KEPT]]

    @reachable
    def claim(self, name: str, seconds: int) -> bool:
        return bool(self.redis.set(f"{self.p}claim:{name}", "1", nx=True, ex=seconds))

    @reachable
    def release(self, name: str) -> None:
        self.redis.delete(f"{self.p}claim:{name}")

    @reachable
    def clear_wall(self) -> None:
        self.redis.delete(self.p + "wall")

    @reachable
    def remove(self, seq: int) -> dict | None:
        raw = next((d for d in self.redis.lrange(self.p + "wall", 0, -1)
                    if json.loads(d)["seq"] == seq), None)
        if raw is None:
            return None
        entry = json.loads(raw)
        pipe = self.redis.pipeline()  # the wall's entry is the misses' member, byte for byte
        pipe.lrem(self.p + "wall", 1, raw)
        if entry.get("round"):
            confusion = f"{self.p}confusion:{entry['round']}"
            cell = f"{entry['asked']},{entry['digit']}"
            pipe.hincrby(confusion, cell, -1).zrem(f"{self.p}misses:{entry['round']}", raw)
            pipe.hdel(f"{self.p}lessons:{entry['round']}", str(seq))
        removed, *left = pipe.execute()
        if left and left[0] <= 0:
            self.redis.hdel(confusion, cell)
        return entry if removed else None


def lesson(entry: dict) -> dict:
    """What teaching needs of a wall's entry: its 28x28 thumbnail and the digit asked for."""
    return {"thumb": entry["thumb"], "asked": entry["asked"]}


def open_store(redis_url: str, wall_size: int, tries: int = CONNECT_TRIES):
    """The store for this process: Redis when a URL is given (tried `tries` times at
    start-up), else in memory."""
    return RedisStore(redis_url, wall_size, tries=tries) if redis_url else MemoryStore(wall_size)
