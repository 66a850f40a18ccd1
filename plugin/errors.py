"""The error catalogue: every user-facing failure is one of these classes.

Messages name the bad value and say how to fix it; the CLI prints them on one
line, the server turns them into a 4xx JSON body.
"""


class StancedeskError(Exception):
    """Base class of every error a user can cause and fix."""


class InputError(StancedeskError):
    """An input file or record cannot be read as an article."""


class ConfigError(StancedeskError):
    """A configuration file or setting is invalid."""


class ModelError(StancedeskError):
    """The spaCy pipeline cannot be loaded or lacks what stancedesk needs."""


class GoldError(StancedeskError):
    """A gold-standard file for evaluation is malformed."""


class TaskError(StancedeskError):
    """A Label Studio task file or prediction is malformed."""


class StoreError(StancedeskError):
    """The store cannot be opened or written."""


class LabelStudioError(StancedeskError):
    """Label Studio is unreachable, refuses the credentials, or rejects a request."""


class OutputError(StancedeskError):
    """An output path cannot be written (a directory, a missing or read-only parent)."""


class EngineError(StancedeskError):
    """A distributed engine (Dask) cannot be reached or a chunk of work failed on it."""
