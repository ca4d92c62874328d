"""Public names imported on first use: the module-level ``__getattr__`` of the kit's facades.

A facade lists where each of its names is defined and keeps the real imports under
``TYPE_CHECKING`` (so type checkers, ``__all__`` and the import-rule test see them)::

    if not TYPE_CHECKING:
        __getattr__, __dir__ = attach(__name__, {"resilience_kit._retry": ("retry",)})

The first ``facade.retry`` (or ``from facade import retry``) imports ``resilience_kit._retry``
and keeps the value in the facade's namespace, so later lookups are plain attribute reads.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping

__all__ = ["attach"]


def attach(
    package: str,
    sources: Mapping[str, Iterable[str]],
    *,
    submodules: Iterable[str] = (),
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for *package*: each name of ``sources[module]`` is read
    from *module* on first use; each of *submodules* is imported as ``package.name``."""
    module_of = {name: module for module, names in sources.items() for name in names}
    children = frozenset(submodules)
    clash = children & module_of.keys()
    if clash:
        raise ValueError(f"{package}: {sorted(clash)} named both a submodule and an attribute")

    def getattr_(name: str) -> object:
        if name in module_of:
            value = getattr(importlib.import_module(module_of[name]), name)
        elif name in children:
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        vars(sys.modules[package])[name] = value  # later lookups skip __getattr__
        return value

    def dir_() -> list[str]:
        return sorted({*vars(sys.modules[package]), *module_of, *children})

    return getattr_, dir_
