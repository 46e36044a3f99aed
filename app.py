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
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from audience.room import SENDS_PER_ADDRESS, Room, StoreError
from audience.store import CONNECT_TRIES, open_store
from audience.teaching import Teacher, first_version
from model.config import from_env, setting
from model.errors import ModelError
from model.feedback import FEEDBACK_DIR
from model.spec import BROWSER_DIR, MODEL_DIR, TEACH_EPOCHS, TEACH_NICE, TEACH_REHEARSE
from model.versions import SHIPPED, TAUGHT_DIR, Served, Versions
from ui.api import Api
from ui.audience import AudiencePage
from ui.common import ASSETS
from ui.draw import DrawPage
from ui.phone import PhonePage
from ui.speaker import SpeakerPage
from ui.stage import StagePage


@dataclass(frozen=True)
class Settings:
    """The app's settings, each from an environment variable (docs/audience.md lists them)."""
    model_dir: Path = setting("DIGITPAD_MODEL_DIR", "the model folder to serve (as `python -m "
                              "training.train --out` writes one)", MODEL_DIR)
    feedback_dir: Path = setting("DIGITPAD_FEEDBACK_DIR", "the folder visitors' corrections "
                                 "are saved to", FEEDBACK_DIR)
    stage: bool = setting("DIGITPAD_STAGE", "1 adds the /stage, /audience and /speaker pages",
                          False)
    speaker_key: str = setting("DIGITPAD_SPEAKER_KEY", "the key for the stage's controls; "
                               "default: a random one, printed at start-up")
    public_url: str = setting("DIGITPAD_PUBLIC_URL", "the address the QR code points to; "
                              "default: the host the stage page was opened on")
    redis_url: str = setting("DIGITPAD_REDIS_URL", "share the audience between replicas "
                             "through this Redis (redis://host:port/db); default: in this process")
    wall_size: int = setting("DIGITPAD_WALL_SIZE", "drawings kept for the wall", 48)
    sends_per_address: int = setting("DIGITPAD_SENDS_PER_ADDRESS", "drawings a minute that one "
                                     "network address may send to the stage, and phones it may "
                                     "seat in a round (phones behind one router share one)",
                                     SENDS_PER_ADDRESS)
    redis_tries: int = setting("DIGITPAD_REDIS_TRIES", "tries to reach Redis at start-up, "
                               "waiting 1, 2, 3 ... s between", CONNECT_TRIES)
    taught_dir: Path = setting("DIGITPAD_TAUGHT_DIR", "the folder of the model versions "
                               "teaching keeps (replicas share one)", TAUGHT_DIR)
    serve: str = setting("DIGITPAD_SERVE", "what a start serves: newest (the newest version "
                         "kept, or the one the replicas serve) or shipped", "newest")
    teach_epochs: int = setting("DIGITPAD_TEACH_EPOCHS", "epochs a teaching trains", TEACH_EPOCHS)
    teach_rehearse: int = setting("DIGITPAD_TEACH_REHEARSE", "TRAIN images a teaching rehearses "
                                  "beside the room's drawings, so the network does not forget",
                                  TEACH_REHEARSE)
    teach_nice: int = setting("DIGITPAD_TEACH_NICE", "how much lower the teaching process's CPU "
                              "priority is than the app's, so readings come first", TEACH_NICE)
    teach_ahead: bool = setting("DIGITPAD_TEACH_AHEAD", "start a teaching's process as a round "
                                "starts, so that Teach learns at once (it holds a second "
                                "TensorFlow's memory meanwhile); 0: start it at Teach", True)


SETTINGS = from_env(Settings)
logging.basicConfig(format="%(asctime)s %(name)s: %(message)s")  # refusals: one line each

try:  # load once, at start-up; an unreachable Redis is named before the model loads
    store = open_store(SETTINGS.redis_url, SETTINGS.wall_size, SETTINGS.redis_tries) \
        if SETTINGS.stage else None
    # the shipped model and the room's taught versions, served in audience mode
    versions = Versions(SETTINGS.taught_dir, SETTINGS.model_dir)
    served = Served(versions, first_version(store, versions, SETTINGS.serve) if store
                    else SHIPPED)
    teacher = Teacher(store, served, SETTINGS.teach_epochs, SETTINGS.teach_rehearse,
                      SETTINGS.teach_nice, SETTINGS.teach_ahead) if store else None
    room = Room(store, SETTINGS.speaker_key, SETTINGS.feedback_dir, SETTINGS.sends_per_address,
                teacher) if store else None
except (ModelError, FileNotFoundError, StoreError) as error:
    sys.exit(f"error: {error}")

# What the browser fetches from the app itself: the reader in the browser and the models'
# browser copies (the shipped one and every taught version's).
gr.set_static_paths([ASSETS, versions.shipped / BROWSER_DIR, SETTINGS.taught_dir])

with gr.Blocks(title="Digitpad", delete_cache=(3600, 3600),
               analytics_enabled=False) as demo:  # a talk may have no internet
    DrawPage(served, SETTINGS.feedback_dir).render()
    Api(served).render()

if SETTINGS.stage:
    with demo.route("Audience", "/audience", show_in_navbar=False) as audience_page:
        AudiencePage(served, room).render(audience_page)
    with demo.route("Stage", "/stage", show_in_navbar=False) as stage_page:
        StagePage(room, SETTINGS.public_url).render(stage_page)
    with demo.route("Speaker", "/speaker", show_in_navbar=False) as speaker_page:
        SpeakerPage(room).render(speaker_page)
# The phone's page for a hall: its own HTML and routes beside Gradio's, none through the queue.
ROUTES = PhonePage(served, room).routes() if SETTINGS.stage else []

demo.queue(default_concurrency_limit=4, max_size=256)

LAUNCH = dict(max_file_size="10mb", css=(ASSETS / "app.css").read_text(),  # tests use these too
              js=(ASSETS / "page.js").read_text(), enable_monitoring=False,
              app_kwargs={"routes": ROUTES},
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
    if SETTINGS.stage:
        print(f"Audience mode: the stage is at /stage, the audience draws at /phone, the "
              f"speaker runs it at /speaker. Serving the model {served.now.version}. Speaker "
              f"key: {room.speaker_key}", flush=True)
        teacher.follow()  # serve what the room teaches, as the other replicas do
    demo.launch(**LAUNCH)
