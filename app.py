"""Digitpad: draw a digit and watch a neural network read it.

    python app.py    # http://127.0.0.1:7860; GRADIO_SERVER_PORT and GRADIO_SERVER_NAME change it

The entry: settings, pages, launch. Each page is a module of `ui/`; what a reading is, how it
is shown and what the API returns live in `model/`.
"""

import os

# Settings the libraries read as they load, so they come first. A reading is a few small
# images: one thread per TensorFlow op is as fast, and leaves the other cores to the web server.
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
# After every event Gradio tabulates its last 10,000 events with pandas, for a monitoring page
# this app turns off, and the cost grows with the count: keep a few, tabulate rarely.
os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "100")
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000000")

import logging
import sys
from pathlib import Path

import gradio as gr

from audience.room import Room, StageSettings, StoreError
from audience.store import open_store
from audience.teaching import Teacher, first_version
from model.errors import ModelError
from model.feedback import FEEDBACK_DIR
from model.spec import BROWSER_DIR, MODEL_DIR
from model.versions import SHIPPED, Served, Versions
from ui.api import Api
from ui.audience import AudiencePage
from ui.common import ASSETS
from ui.draw import DrawPage
from ui.speaker import SpeakerPage
from ui.stage import StagePage

STAGE = StageSettings.from_env()
CORRECTIONS = Path(os.environ.get("DIGITPAD_FEEDBACK_DIR", FEEDBACK_DIR))  # visitors' corrections
logging.basicConfig(format="%(asctime)s %(name)s: %(message)s")  # refusals: one line each

try:  # load once, at start-up; an unreachable Redis is named before the model loads
    store = open_store(STAGE.redis_url, STAGE.wall_size, STAGE.redis_tries) if STAGE.enabled \
        else None
    versions = Versions(STAGE.taught_dir)  # the room's taught versions, served in audience mode
    served = Served(versions, first_version(store, versions, STAGE.serve) if store else SHIPPED)
    teacher = Teacher(store, served, STAGE.teach_epochs, STAGE.teach_rehearse) if store else None
    room = Room(store, STAGE.speaker_key, CORRECTIONS, STAGE.sends_per_address,
                teacher) if store else None
except (ModelError, FileNotFoundError, StoreError) as error:
    sys.exit(f"error: {error}")

# What the browser fetches from the app itself: the reader in the browser and the models'
# browser copies (the shipped one and every taught version's).
gr.set_static_paths([ASSETS, MODEL_DIR / BROWSER_DIR, STAGE.taught_dir])

with gr.Blocks(title="Digitpad", delete_cache=(3600, 3600),
               analytics_enabled=False) as demo:  # a talk may have no internet
    DrawPage(served, CORRECTIONS).render()
    Api(served).render()

if STAGE.enabled:
    with demo.route("Audience", "/audience", show_in_navbar=False) as audience_page:
        AudiencePage(served, room).render(audience_page)
    with demo.route("Stage", "/stage", show_in_navbar=False) as stage_page:
        StagePage(room, STAGE.public_url).render(stage_page)
    with demo.route("Speaker", "/speaker", show_in_navbar=False) as speaker_page:
        SpeakerPage(room).render(speaker_page)

demo.queue(default_concurrency_limit=4, max_size=256)

LAUNCH = dict(max_file_size="10mb", css=(ASSETS / "app.css").read_text(),  # tests use these too
              js=(ASSETS / "page.js").read_text(), enable_monitoring=False,
              theme=gr.themes.Soft(primary_hue="orange", secondary_hue="slate").set(
                  # WCAG AA contrast (4.5:1): Soft's orange 500 labels on orange 100 have 2.4:1
                  block_label_text_color="*primary_700", block_title_text_color="*primary_700",
                  block_label_background_fill_dark="*primary_800",
                  button_primary_background_fill="*primary_700",
                  color_accent="*primary_700",  # the selected tab's label, on white
                  button_primary_background_fill_hover="*primary_800",
                  checkbox_label_background_fill_selected="*primary_700",
                  checkbox_label_background_fill_selected_dark="*primary_700",
                  body_text_color_subdued="*neutral_600"))

if __name__ == "__main__":
    if STAGE.enabled:
        print(f"Audience mode: the stage is at /stage, the audience draws at /audience, the "
              f"speaker runs it at /speaker. Serving the model {served.now.version}. Speaker "
              f"key: {room.speaker_key}", flush=True)
        teacher.follow()  # serve what the room teaches, as the other replicas do
    demo.launch(**LAUNCH)
