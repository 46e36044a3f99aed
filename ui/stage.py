"""The stage, for the projector: the invitation, the live wall, and the speaker's controls."""

import gradio as gr

from audience.room import RoomError, StoreError
from audience.wall import REFRESH_SECONDS, audience_url, invite, stage
from model.spec import CLASSES
from ui.common import refusing

BUTTONS = (("start", "▶ Start round"), ("stop", "■ Stop round"), ("pause", "⏸ Pause wall"),
           ("resume", "⏵ Resume wall"), ("clear", "🧹 Clear wall"),
           ("collect", "● Collect drawings"), ("stop-collecting", "○ Stop collecting"))


class StagePage:
    """The page's handlers, around the room and the address the audience is sent to."""

    def __init__(self, room, public_url: str):
        self.room, self.public_url = room, public_url

    @refusing(RoomError, StoreError, title="Refused")
    def control(self, key: str, action: str, digit: str = "random") -> str:
        """The speaker's controls: start, stop, pause, resume, clear, collect, stop-collecting."""
        return self.room.control(key, action, digit)

    def invitation(self, request: gr.Request) -> str:
        return invite(audience_url(self.public_url, dict(request.headers)))

    @refusing(RoomError, StoreError, title="Refused")
    def wall_html(self) -> str:
        return stage(self.room.snapshot())

    def render(self, page: gr.Blocks) -> None:
        """Lay the page out inside `page` (its route, being built), and wire its events."""
        with gr.Row(equal_height=False):
            invitation = gr.HTML(elem_id="invite", min_width=260, scale=1)
            wall = gr.HTML(elem_id="wall", min_width=600, scale=3)
        with gr.Accordion("Speaker", open=False, elem_id="speaker"):
            with gr.Row():
                key = gr.Textbox(label="Speaker key", type="password", elem_id="speaker-key")
                asked = gr.Dropdown(["random", *CLASSES], value="random", label="Round: draw …",
                                    elem_id="round-digit")
            with gr.Row():
                buttons = {action: gr.Button(text, elem_id=f"speaker-{action}")
                           for action, text in BUTTONS}
            said = gr.Markdown(elem_id="speaker-said")
        for action, button in buttons.items():
            button.click(lambda k, d, a=action: self.control(k, a, d), [key, asked], said,
                         api_visibility="private").then(self.wall_html, None, wall,
                                                        api_visibility="private")
        gr.api(self.control, api_name="control")
        page.load(self.invitation, None, invitation, api_visibility="private")
        page.load(self.wall_html, None, wall, api_visibility="private")
        gr.Timer(REFRESH_SECONDS).tick(self.wall_html, None, wall, api_name="wall", queue=False,
                                    show_progress="hidden")  # never waits behind readings
