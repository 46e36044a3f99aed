"""The phone's page for a hall: one plain HTML document (no Gradio front end), the reader's
files and two JSON routes, beside Gradio's API and none of them through its queue.

    GET  /phone          the page: the prompt, the pad, its reading, Send (assets/phone.*)
    GET  /phone/reader/  the reader in the browser and the served version's browser copy,
                         each gzipped once and kept: most of what a phone loads
    POST /phone/prompt   {session, token, wait} -> {session, prompt}: the phone's prompt,
                         the same while it stands; with `wait`, held until the round changes
    POST /phone/send     {session, token, ink} -> {sent, not_saved, prompt}: the drawing,
                         read once here, on the stage; the next prompt

The phone reads its own ink with the reader in the browser, loaded once the page shows; the
server reads each drawing once, when it is sent. Prompts reach the phones by long polls that
one store read per ROUND_POLL_SECONDS answers, however many phones wait.
"""

import asyncio
import gzip
import html
import json
import secrets
from pathlib import Path
from typing import NamedTuple

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from audience.room import Prompt, RoomError, StoreError, TooMany
from model.errors import InputError
from model.reading import Drawing, read_each_as_digit
from model.spec import BROWSER_DIR, BRUSH_WIDTH, READER_SCRIPTS
from model.versions import NAME, SHIPPED
from ui.common import ASSETS, PAD, VENDOR, address, refused

ROUND_POLL_SECONDS = 0.25  # how often this process looks for a new round, for all its phones
WAIT_SECONDS = 20  # a long poll answers within this even if nothing changed
MAX_BODY = 64 * 1024  # bytes: a digit's ink is about 1 KB
# each refusal's status: over a limit, refused, unreadable, the store unreachable
REFUSED = ((TooMany, 429), (RoomError, 400), (InputError, 400), (StoreError, 503))


class RoundWatch:
    """The round now running, watched for the phones of this process: one read of the store
    every ROUND_POLL_SECONDS, and a future each waiting phone awaits."""

    def __init__(self, room):
        self.room, self.task, self.changed = room, None, None

    def next_change(self) -> asyncio.Future:
        """The next change of round, to await: taken before the phone's prompt is checked, so
        a change between the two is not missed."""
        if self.task is None:  # started in the server's event loop, by the first phone
            self.changed = asyncio.get_running_loop().create_future()
            self.task = asyncio.create_task(self._watch())
        return self.changed

    @staticmethod
    async def wait(change: asyncio.Future, seconds: float) -> None:
        """Return when `change` has come, or after `seconds`."""
        try:
            await asyncio.wait_for(asyncio.shield(change), seconds)
        except TimeoutError:
            pass

    async def _watch(self) -> None:
        seen = await self._round(None)
        while True:
            await asyncio.sleep(ROUND_POLL_SECONDS)
            now = await self._round(seen)
            if now != seen:
                seen, changed = now, self.changed
                self.changed = asyncio.get_running_loop().create_future()
                changed.set_result(now)

    async def _round(self, seen: str | None) -> str | None:
        """The running round's id (None: no round), or `seen` while the store is unreachable:
        the phones keep their prompts meanwhile."""
        try:
            running = await run_in_threadpool(self.room.store.get, "round")
        except StoreError:
            return seen
        return running and running["id"]


def prompt_json(prompt: Prompt) -> dict:
    """A Prompt -> what the phone shows and sends back: its token, round and digit."""
    return {"token": prompt.token, "round": prompt.round, "digit": prompt.digit}


class Bytes(NamedTuple):
    """A response body as it is and gzipped, both made once."""
    raw: bytes
    packed: bytes

    @classmethod
    def of(cls, raw: bytes) -> "Bytes":
        return cls(raw, gzip.compress(raw, 9, mtime=0))

    def response(self, request: Request, media: str, cache: str) -> Response:
        """The gzipped body where the phone accepts it, else the body as it is."""
        headers = {"Cache-Control": cache, "Vary": "Accept-Encoding"}
        if "gzip" in request.headers.get("accept-encoding", ""):
            return Response(self.packed, media_type=media,
                            headers={**headers, "Content-Encoding": "gzip"})
        return Response(self.raw, media_type=media, headers=headers)


class Packed:
    """Files served gzipped where the phone accepts it, each compressed once and kept: the
    reader's scripts, TensorFlow.js's WebAssembly, and the versions' browser copies (a
    version's files never change once it is written)."""

    TYPES = {".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json"}

    def __init__(self, served):
        self.served, self.kept = served, {}
        self.assets = {script: ASSETS / script for script in READER_SCRIPTS} | {
            f"{VENDOR}/{wasm.name}": wasm for wasm in (ASSETS / VENDOR).glob("*.wasm")}

    def path(self, name: str) -> Path | None:
        """A name under /phone/reader/ -> its file, or None: only these are served."""
        if name in self.assets:
            return self.assets[name]
        version, _, file = name.removeprefix("model/").partition("/")
        if not name.startswith("model/") or file not in ("network.json", "weights.bin") \
                or not (version == SHIPPED or NAME.fullmatch(version)):
            return None
        path = self.served.versions.path(version) / BROWSER_DIR / file
        return path if path.is_file() else None

    async def respond(self, request: Request) -> Response:
        path = self.path(request.path_params["name"])
        if path is None:
            return JSONResponse({"error": "No such file."}, status_code=404)
        if path not in self.kept:
            self.kept[path] = await run_in_threadpool(Bytes.of, path.read_bytes())
        media = self.TYPES.get(path.suffix, "application/octet-stream")
        return self.kept[path].response(request, media, "max-age=86400")


class PhonePage:
    """The routes, around the served model and the room."""

    def __init__(self, served, room):
        self.served, self.room, self.watch = served, room, RoundWatch(room)
        page = (ASSETS / "phone.html").read_text().format(
            css=(ASSETS / "inkpad.css").read_text() + (ASSETS / "phone.css").read_text(),
            pad=PAD, settings=html.escape(json.dumps({
                "brush": BRUSH_WIDTH, "vendor": f"phone/reader/{VENDOR}",
                "scripts": " ".join(f"phone/reader/{s}" for s in READER_SCRIPTS)})),
            inkpad=(ASSETS / "inkpad.js").read_text(), script=(ASSETS / "phone.js").read_text())
        self.page = Bytes.of(page.encode())  # every phone gets the same bytes

    def routes(self) -> list[Route]:
        return [Route("/phone", self.show, methods=["GET"]),
                Route("/phone/reader/{name:path}", Packed(self.served).respond, methods=["GET"]),
                Route("/phone/prompt", self.prompt, methods=["POST"]),
                Route("/phone/send", self.send, methods=["POST"])]

    async def show(self, request: Request) -> Response:
        return self.page.response(request, "text/html", "no-cache")

    async def prompt(self, request: Request) -> JSONResponse:
        asked = await self._body(request)
        if isinstance(asked, JSONResponse):
            return asked
        session = self._session(asked)
        token = str(asked.get("token") or "")
        change = self.watch.next_change() if asked.get("wait") else None
        network = address(request)
        try:
            fresh = await run_in_threadpool(self.room.refresh, session, token, network)
            if fresh is None and change is not None:
                await self.watch.wait(change, WAIT_SECONDS)
                fresh = await run_in_threadpool(self.room.refresh, session, token, network)
        except (RoomError, StoreError) as error:
            return self._refuse("a phone's prompt", error)
        return JSONResponse({"session": session, "reader": self._reader(),
                             "prompt": fresh and prompt_json(fresh)})  # None: it stands

    async def send(self, request: Request) -> JSONResponse:
        asked = await self._body(request)
        if isinstance(asked, JSONResponse):
            return asked
        try:
            return JSONResponse(await run_in_threadpool(self._send, asked, address(request)))
        except (RoomError, StoreError, InputError) as error:
            return self._refuse("a phone's drawing", error)

    def _send(self, asked: dict, network: str) -> dict:
        """Read the drawing once, put it on the stage, keep it if the room collects -> what
        the phone shows, and its next prompt."""
        session, token = self._session(asked), str(asked.get("token") or "")
        drawing = Drawing.from_json(str(asked.get("ink", "")))  # the pad's value, as sent
        self.room.admit(session, network)
        reading = read_each_as_digit(self.served.now.classifier, [drawing])[0]
        entry = self.room.send(session, token, reading)
        not_saved = self.room.collect(entry, reading, drawing)
        return {"session": session, "reader": self._reader(),
                "sent": {"digit": entry["digit"], "confidence": entry["confidence"],
                         "seq": entry["seq"]},
                "not_saved": not_saved, "prompt": prompt_json(self.room.prompt(session, network))}

    @staticmethod
    def _session(asked: dict) -> str:
        """The phone's session: the one it was given, or a new one. Sessions cost nothing, so
        the room limits sends by network address too."""
        session = asked.get("session")
        return session if isinstance(session, str) and 8 <= len(session) <= 64 \
            else secrets.token_urlsafe(12)

    def _reader(self) -> str:
        """The browser copy of the version served now: the phones follow what the room taught."""
        now = self.served.now
        return f"phone/reader/model/{now.version}" \
            if (now.classifier.folder / BROWSER_DIR).is_dir() else ""

    @staticmethod
    async def _body(request: Request):
        """The request's JSON object, or the refusal to answer with."""
        body = await request.body()
        try:
            if len(body) > MAX_BODY:
                raise InputError(f"The request is too large ({len(body):,} bytes).")
            try:
                asked = json.loads(body or b"{}")
            except ValueError:
                raise InputError("The request is not JSON.") from None
            if not isinstance(asked, dict):
                raise InputError("The request is not a JSON object.")
        except InputError as error:
            return PhonePage._refuse("a phone's request", error)
        return asked

    @staticmethod
    def _refuse(where: str, error: Exception) -> JSONResponse:
        status = next(code for kind, code in REFUSED if isinstance(error, kind))
        return JSONResponse({"error": refused(where, error)}, status_code=status)
