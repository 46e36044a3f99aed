"""The audience's page, for phones: what to draw, the pad, its reading, and Send."""

import gradio as gr

from audience.room import RoomError, StoreError
from model.errors import InputError
from model.present import announcement, label
from model.reading import BLANK, Drawing, read_each_as_digit
from ui.common import address, ink_pad, live_region, refusing


def prompt_outputs(prompt) -> tuple[str, str]:
    """A Prompt -> the page's heading and the token it keeps."""
    return f"# ✏️ {prompt.text}", prompt.token


class AudiencePage:
    """The page's handlers, around the served model and the room."""

    def __init__(self, served, room):
        self.served, self.room = served, room

    @refusing(RoomError, StoreError, title="Refused")
    def new_prompt(self, request: gr.Request) -> tuple[str, str]:
        """-> (what to draw, the one-use token that answers it) for this visitor."""
        return prompt_outputs(self.room.prompt(request.session_hash, address(request)))

    def read(self, ink: str, token: str, request: gr.Request):
        """The pad's ink -> (its reading as a Label, a new prompt and token if a round began
        or ended since this visitor's prompt was handed out, and what the live region says)."""
        try:
            drawing = Drawing.from_json(ink)
            reading = read_each_as_digit(self.served.now.classifier, [drawing])[0]
        except InputError:
            reading = BLANK
        try:
            prompt = self.room.refresh(request.session_hash, token, address(request))
        except (RoomError, StoreError):
            prompt = None  # keep the prompt shown; the next stroke asks again
        return (label(reading),
                *(prompt_outputs(prompt) if prompt else (gr.skip(), gr.skip())),
                announcement(reading))

    @refusing(RoomError, StoreError, InputError, title="Refused")
    def send(self, ink: str, token: str, request: gr.Request) -> tuple[str, str, str, str]:
        """Send the visitor's drawing to the stage as the answer to their prompt -> (a note,
        the pad emptied, and the next prompt and its token)."""
        drawing = Drawing.from_json(ink)
        self.room.admit(request.session_hash, address(request))
        reading = read_each_as_digit(self.served.now.classifier, [drawing])[0]
        entry = self.room.send(request.session_hash, token, reading)
        note = f"📺 Sent: the screen shows your **{entry['digit']}** ({entry['confidence']:.0%})."
        not_kept = self.room.collect(entry, reading, drawing)
        if not_kept:
            note += f" Not saved: {not_kept}"
        return note, "[]", *self.new_prompt(request)

    def render(self, page: gr.Blocks) -> None:
        """Lay the page out inside `page` (its route, being built), and wire its events."""
        prompt = gr.Markdown("# ✏️ Draw any digit", elem_id="prompt")
        token = gr.Textbox(visible=False)
        pad = ink_pad()
        with gr.Row():
            read_as = gr.Label(num_top_classes=1, show_label=False, elem_id="prediction")
            send = gr.Button("📺 Send to the screen", variant="primary", elem_id="send")
        sent = gr.Markdown(elem_id="sent")
        # Undocumented (callable, not listed): Gradio keeps a run history of public endpoints
        # in the visitor's browser, and a phone in a room should keep nothing.
        page.load(self.new_prompt, None, [prompt, token], api_name="prompt",
                  api_visibility="undocumented")
        pad.change(self.read, [pad, token], [read_as, prompt, token, live_region()],
                   trigger_mode="always_last",
                   show_progress="hidden", api_name="audience_read",
                   api_visibility="undocumented")  # callable, for the crowd benchmark
        send.click(self.send, [pad, token], [sent, pad, prompt, token], api_name="send",
                   api_visibility="undocumented")
