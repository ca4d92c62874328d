"""``resilience_kit.__version__``, read from the installed distribution's metadata.

A module of its own so that ``importlib.metadata`` (tens of milliseconds) loads only when the
version is asked for.
"""

from __future__ import annotations

from importlib import metadata

__all__ = ["DISTRIBUTION", "__version__"]

DISTRIBUTION = "llm-resilience-kit"

try:
    __version__: str = metadata.version(DISTRIBUTION)
except metadata.PackageNotFoundError:  # a source tree on sys.path that was never installed
    __version__ = "0+unknown"
