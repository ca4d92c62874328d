"""Every type the rendered API reference shows is public or described on a reference page."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import typing
from pathlib import Path

import pytest

# The documentation toolchain the lock resolves for Python 3.10 cannot build the site (a
# mkdocstrings/pymdown-extensions mismatch); .ci/run builds it on 3.11, where this test runs.
pytestmark = pytest.mark.skipif(
    sys.version_info < (3, 11), reason="the site is built with the Python 3.11 toolchain"
)

ROOT = Path(__file__).resolve().parents[2]

# mkdocstrings renders a name it cannot link as <span title="full.path">; a parameter anchor
# carries its function in the title, e.g. "mod.f(name)".
UNLINKED = re.compile(r'<span title="(resilience_kit\.[\w.]+)">')
TYPE_VARIABLES = re.compile(r"^## Type variables\n\n(.+?)\n\n", re.MULTILINE | re.DOTALL)


def _resolve(path: str) -> object:
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise LookupError(path)


def _is_type(obj: object) -> bool:
    return (
        isinstance(obj, (type, typing.TypeVar, typing.ParamSpec, typing.NewType))
        or typing.get_origin(obj) is not None
    )


@pytest.fixture(scope="module")
def reference_html(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    site = tmp_path_factory.mktemp("site")
    subprocess.run(  # noqa: S603 - our interpreter running mkdocs
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(site)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return {
        page.parent.name: page.read_text(encoding="utf-8")
        for page in sorted((site / "reference").glob("*/index.html"))
    }


def test_reference_shows_no_undescribed_type(reference_html: dict[str, str]) -> None:
    """A type in a signature or a parameter table links to its entry; type variables are
    explained on the "Types in signatures" page."""
    page = ROOT / "docs" / "reference" / "types.md"
    explained = TYPE_VARIABLES.search(page.read_text(encoding="utf-8") if page.exists() else "")
    variables: set[str] = set(re.findall(r"`(\w+)`", explained.group(1))) if explained else set()
    found = sorted(
        f"{name}: {path}"
        for name, html in reference_html.items()
        for path in set(UNLINKED.findall(html))
        if _is_type(obj := _resolve(path))
        and not (isinstance(obj, (typing.TypeVar, typing.ParamSpec)) and obj.__name__ in variables)
    )
    assert [] == found
