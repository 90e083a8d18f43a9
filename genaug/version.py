"""The installed genaug version, read from the package metadata."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("genaug")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+unknown"
