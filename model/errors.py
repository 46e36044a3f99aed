"""The errors the model package raises for its callers; every message is for a person."""


class InputError(ValueError):
    """Input that is not a usable image or ink: what was wrong, and what would be read."""


class ModelError(RuntimeError):
    """The exported model is missing or unusable: the folder, and how to make a new one."""


class FeedbackError(ValueError):
    """A correction that cannot be stored: why."""
