"""The stage, for the projector: the invitation and the live wall, as the speaker chose on
/speaker. It has no control of its own: the room watches it."""

import gradio as gr

from audience.room import RoomError, StoreError
from audience.wall import REFRESH_SECONDS, audience_url, invite, stage
from ui.common import refusing


class StagePage:
    """The page's handlers, around the room and the address the audience is sent to."""

    def __init__(self, room, public_url: str):
        self.room, self.public_url = room, public_url

    def invitation(self, request: gr.Request) -> str:
        return invite(audience_url(self.public_url, dict(request.headers)))

    @refusing(RoomError, StoreError, title="Refused")
    def wall_html(self) -> str:
        return stage(self.room.snapshot())

    def render(self, page: gr.Blocks) -> None:
        """Lay the page out inside `page` (its route, being built), and wire its events."""
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=260):
                invitation = gr.HTML(elem_id="invite")
            with gr.Column(scale=3, min_width=600):
                wall = gr.HTML(elem_id="wall")
        page.load(self.invitation, None, invitation, api_visibility="private")
        page.load(self.wall_html, None, wall, api_visibility="private")
        gr.Timer(REFRESH_SECONDS).tick(self.wall_html, None, wall, api_name="wall", queue=False,
                                    show_progress="hidden")  # never waits behind readings
