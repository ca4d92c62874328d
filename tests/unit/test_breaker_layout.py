"""The breaker is one state machine: no module reaches into another object's private state."""

from __future__ import annotations

import ast
from pathlib import Path

import resilience_kit

PACKAGE = Path(resilience_kit.__file__).parent / "_breaker"
# asyncio's running-loop lookup (listed in asyncio.events.__all__): the cheap "in a task?" test.
ALLOWED = {"_get_running_loop"}


def _own(tree: ast.Module) -> set[str]:
    """Private attributes this module creates on its own objects (``self._x = ...``)."""
    own: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name)
            and node.value.id == "self"
        ):
            own.add(node.attr)
    return own


def _reaches(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    own = _own(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        name = node.attr
        if not name.startswith("_") or name.startswith("__") or name in ALLOWED:
            continue
        if isinstance(node.value, ast.Name) and node.value.id == "self":
            continue
        if name not in own:
            found.append(f"{path.name}:{node.lineno} .{name}")
    return found


def test_no_breaker_module_touches_private_state_it_does_not_own() -> None:
    found = [hit for path in sorted(PACKAGE.glob("*.py")) for hit in _reaches(path)]
    assert [] == found


def test_the_breaker_package_holds_no_contextvar() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        assert "ContextVar" not in path.read_text(), path.name
