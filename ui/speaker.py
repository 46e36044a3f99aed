"""The speaker's page, for a laptop or a phone: the key once, then every control of the room,
and the wall, where tapping a drawing takes it off the stage."""

import gradio as gr

from audience.room import VIEWS, RoomError, StoreError
from audience.wall import REFRESH_SECONDS, stage, teaching
from model.spec import CLASSES
from ui.common import ASSETS, refused, refusing

BUTTONS = (("start", "Start round"), ("stop", "Stop round"), ("pause", "Pause wall"),
           ("resume", "Resume wall"), ("clear", "Clear wall"), ("collect", "Collect drawings"),
           ("stop-collecting", "Stop collecting"))
TEACH_ON = (("the last round", "round"), ("every round since the last teaching", "all"))


class SpeakerPage:
    """The page's handlers, around the room. The key lives in the visitor's session on the
    server once it has been checked, never in the page."""

    def __init__(self, room):
        self.room = room

    @refusing(RoomError, StoreError, title="Refused")
    def control(self, key: str, action: str, value: str = "random") -> str:
        """The speaker's actions (`audience.room.ACTIONS`) for scripts: start (value: a digit
        or "random"), stop, pause, resume, clear, collect, stop-collecting, remove (value: a
        drawing's number), show (value: one of wall, result, invite, teach, hall), teach
        (value: "all" for every round since the last teaching, else the last round), rollback,
        allow (value: drawings a minute one network address may send, and phones it may seat
        in a round)."""
        return self.room.control(key, action, value)

    def unlock(self, key: str):
        """-> (the key this session keeps, the controls shown or hidden, what happened)."""
        try:
            self.room.unlock(key)
        except RoomError as error:
            return "", gr.update(visible=False), f"**Refused:** {refused('the speaker', error)}"
        return key, gr.update(visible=True), "Unlocked: these controls act on the room."

    def act(self, key: str, action: str, value: str = "random") -> str:
        """One of the room's actions with this session's key -> what happened, for the page."""
        try:
            return self.room.control(key, action, value)
        except (RoomError, StoreError) as error:
            return f"**Refused:** {refused('a speaker action', error)}"

    def view(self):
        """-> the view the stage shows now, for the page's choice of it."""
        try:
            return self.room.view()
        except StoreError:
            return gr.skip()

    def remove(self, key: str, event: gr.EventData) -> str:
        """A drawing tapped on the speaker's wall -> taken off every stage."""
        return self.act(key, "remove", str(getattr(event, "seq", "")))

    def wall_html(self) -> str:
        """The wall as the speaker sees it: every drawing, whatever the stage shows."""
        try:
            snapshot = self.room.snapshot()
            count = (f'<p class="refused">{snapshot["refused"]} drawings refused as too many '
                     "from one network</p>") if snapshot["refused"] else ""
            return (teaching(snapshot["teaching"], snapshot["model"]) + count
                    + stage({**snapshot, "view": "wall"}))
        except StoreError as error:
            return f"<p>{refused('the wall', error)}</p>"

    def render(self, page: gr.Blocks) -> None:
        """Lay the page out inside `page` (its route, being built), and wire its events."""
        gr.Markdown("# Speaker", elem_classes="digitpad-title")
        key = gr.State("")
        with gr.Row(equal_height=True):
            typed = gr.Textbox(label="Speaker key", type="password", elem_id="speaker-key",
                               scale=3)
            unlock = gr.Button("Unlock", elem_id="speaker-unlock", scale=1)
        said = gr.Markdown(elem_id="speaker-said")
        with gr.Column(visible=False, elem_id="speaker-controls") as controls:
            with gr.Row():
                asked = gr.Dropdown(["random", *CLASSES], value="random", elem_id="round-digit",
                                    label="Round: everyone draws …")
                view = gr.Radio(list(VIEWS), value=VIEWS[0], label="The stage shows",
                                elem_id="stage-view")
            with gr.Row():
                buttons = {action: gr.Button(text, elem_id=f"speaker-{action}", min_width=120)
                           for action, text in BUTTONS}
            with gr.Row(equal_height=True):
                teach_on = gr.Dropdown(TEACH_ON, value="round", label="Teach the network …",
                                       elem_id="teach-on")
                teach = gr.Button("Teach", variant="primary", elem_id="speaker-teach")
                rollback = gr.Button("Roll back", elem_id="speaker-rollback")
            with gr.Row(equal_height=True):
                allowed = gr.Number(self.room.sends_per_address, precision=0, minimum=1,
                                    label="Drawings a minute, and phones in a round, from one "
                                    "network (a hall behind one Wi-Fi: raise it)",
                                    elem_id="allow-sends")
                allow = gr.Button("Allow", elem_id="speaker-allow")
            gr.Markdown("Tap a drawing to take it off the wall (and out of what is taught).")
            wall = gr.HTML(elem_id="speaker-wall",
                           js_on_load=(ASSETS / "speakerwall.js").read_text())
        for trigger in (unlock.click, typed.submit):
            trigger(self.unlock, typed, [key, controls, said], api_visibility="private")
        for action, button in buttons.items():  # a round's start and stop change the view too
            button.click(lambda k, d, a=action: (self.act(k, a, d), self.view()), [key, asked],
                         [said, view], api_visibility="private")
        view.input(lambda k, v: self.act(k, "show", v), [key, view], said,
                   api_visibility="private")
        teach.click(lambda k, on: (self.act(k, "teach", on), self.view()), [key, teach_on],
                    [said, view], api_visibility="private")
        rollback.click(lambda k: self.act(k, "rollback"), key, said, api_visibility="private")
        allow.click(lambda k, n: self.act(k, "allow", str(int(n or 0))), [key, allowed], said,
                    api_visibility="private")
        wall.pick(self.remove, key, said, api_visibility="private")
        gr.api(self.control, api_name="control")
        page.load(self.wall_html, None, wall, api_visibility="private")
        gr.Timer(REFRESH_SECONDS).tick(self.wall_html, None, wall, queue=False,
                                    show_progress="hidden", api_visibility="private")
