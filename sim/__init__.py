"""strikesim: agent-based simulation of general-strike mobilization."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("strikesim")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"
