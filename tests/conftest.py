"""Shared test set-up. Keras's cache goes to a temporary folder before anything imports Keras,
so the EMNIST tests never touch the user's ~/.keras."""

import os
import tempfile

os.environ["KERAS_HOME"] = tempfile.mkdtemp(prefix="digitpad-keras-")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
