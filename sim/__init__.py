"""strikesim: agent-based simulation of general-strike mobilization."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    """``strikesim.__version__``, looked up on first use: ``importlib.metadata`` takes ~30 ms to
    import, which ``strikesim --help`` and the default run's worker process need not pay."""
    if name != "__version__":
        raise AttributeError(f"module 'strikesim' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("strikesim")
    except PackageNotFoundError:  # running from a source tree without installing
        found = "0.0.0+unknown"
    globals()["__version__"] = found
    return found
