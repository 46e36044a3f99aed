"""The one source of truth for the model's input and output, the pad, teaching and the places
things are kept, shared by training and serving."""

from pathlib import Path

# ---------------------------------------------------------------------------- format
IMAGE_SIZE = 28  # EMNIST images are 28x28 ...
BORDER = 2  # ... with a 2-pixel border, so the ink's long side is 24 px
BOX_SIZE = IMAGE_SIZE - 2 * BORDER
CLASSES = tuple(str(d) for d in range(10))
NUM_CLASSES = len(CLASSES)
MAX_SIDE = 1024  # larger images are shrunk on reading: a digit needs far fewer pixels
INPUT_FORMAT = {
    "shape": [None, IMAGE_SIZE, IMAGE_SIZE],
    "dtype": "float32",
    "range": [0.0, 1.0],
    "polarity": "white ink on black",
    "layout": "EMNIST (Cohen et al. 2017): ink cropped, centred, long side 24 px, 2 px border",
}

# ---------------------------------------------------------------------------- ink pad
CANVAS_SIZE = 800  # the pad's square canvas, in the ink's pixels
BRUSH_WIDTH = 24  # the pad's one brush (px of the canvas), round caps and joins
MAX_STROKES = 200  # ink with more strokes or points is refused
MAX_POINTS = 5000
MAX_INK_BYTES = 256 * 1024  # ink JSON longer than this is refused before it is parsed
# The reader in the browser: its scripts under assets/, in loading order.
READER_SCRIPTS = ("vendor/tfjs/tf-core.min.js", "vendor/tfjs/tf-backend-wasm.min.js",
                  "reader/ink.js", "reader/numbers.js", "reader/reader.js")
LIVE_READING_MS = 150  # while the pen moves, the pad asks for a reading at most this often ...
LIVE_SLOW_MS = 300  # ... and none while the last answer took longer: a busy server sheds them

# ---------------------------------------------------------------------------- teaching
MIN_LESSONS = 20  # a room's drawings needed to teach: fewer cannot teach and measure both
HELD_SHARE = 0.2  # of the drawings, held out to measure before and after
TEACH_EPOCHS = 3  # a teaching's epochs over the drawings and the TRAIN images it rehearses
TEACH_REHEARSE = 600  # TRAIN images rehearsed beside the drawings, lest the network forget
TEACH_NICE = 5  # the teaching process's lower CPU priority: visitors' readings come first
TEACH_MOST = 200  # drawings a teaching learns from at most: a hall's round is sampled to this,
# so that its teaching ends in about as long as a room's

# ---------------------------------------------------------------------------- places
ROOT = Path(__file__).resolve().parent.parent
MODEL_DIR = ROOT / "model" / "digitpad"  # the exported model the app and CLI serve
SAVED_MODEL = "saved_model"  # sub-folders and files inside a model folder
KERAS_FILE = "model.keras"
METADATA_FILE = "metadata.json"
BROWSER_DIR = "browser"  # the network the reader in the browser runs (assets/reader/)
SAMPLES_FILE = "test_samples.npz"  # in a model folder: its held-out TEST samples, for the app
TRAIN_COMMAND = "python -m training.train --dataset mnist-subset"
