"""Exceptions raised by genaug. Each message names the offending file, key or value and what to do next."""


class GenaugError(Exception):
    """Base class of every error genaug raises on purpose."""


class DataError(GenaugError, ValueError):
    """The user's data cannot be used as given (missing path, bad labels, bad pixel values...)."""


class CheckpointError(GenaugError, ValueError):
    """A checkpoint directory is missing, corrupt, foreign or does not match the model it is loaded into."""


class TrainingDivergedError(GenaugError, RuntimeError):
    """A loss became NaN or infinite; the last good checkpoint is kept."""


class ExportError(GenaugError, ValueError):
    """An export directory holds something this export must not write into (another export, other files)."""


class ArgumentTypeError(GenaugError, TypeError, ValueError):
    """An argument of the wrong type (a bool or a str where a number belongs), raised by ``genaug.checks``.

    Also a ValueError (as numpy's AxisError is both a ValueError and an IndexError): settings often come from YAML
    or the command line, where a wrong type is a wrong value, and many checks raised ValueError for it before they
    were shared, so ``except ValueError`` keeps working."""


class DirectoryBusyError(GenaugError, RuntimeError):
    """Another process (or another writer in this one) is writing into the folder: it holds the folder's lock."""
