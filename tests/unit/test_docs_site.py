"""The documentation site covers the public API and every page is in the navigation."""

from __future__ import annotations

import re
from pathlib import Path

import resilience_kit
from resilience_kit import exceptions, metrics, storage, testing, tokens

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def _documented(page: str) -> set[str]:
    text = (DOCS / "reference" / page).read_text(encoding="utf-8")
    return set(re.findall(r"^::: ([\w.]+)$", text, re.MULTILINE))


def test_api_reference_renders_every_public_name() -> None:
    """Each name in resilience_kit.__all__ has its own `::: resilience_kit.NAME` entry."""
    listed = {name.removeprefix("resilience_kit.") for name in _documented("api.md")}
    assert sorted(resilience_kit.__all__) == sorted(listed)


def test_public_modules_have_reference_pages() -> None:
    """testing, storage, metrics, tokens and exceptions are rendered whole, each on its own page."""
    for module in (testing, storage, metrics, tokens, exceptions):
        page = module.__name__.rpartition(".")[2] + ".md"
        assert {module.__name__} == _documented(page)


def test_every_page_is_in_the_navigation() -> None:
    """mkdocs.yml's nav lists every Markdown file under docs/ exactly once."""
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8").split("\nnav:\n", 1)[1]
    nav = nav.split("\n\n", 1)[0]
    in_nav = re.findall(r":\s+([\w/.-]+\.md)$", nav, re.MULTILINE)
    pages = sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md"))
    assert pages == sorted(in_nav)


REST_ROLE = re.compile(r":(?:py:)?(?:meth|func|class|attr|data|mod|exc|obj):`")


def test_docstrings_use_markdown_not_rest_roles() -> None:
    """Docstrings are Markdown: a reST role such as :meth:`x` would render as literal text."""
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "resilience_kit").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if REST_ROLE.search(line)
    ]
    assert [] == found


def test_code_blocks_wrap_inside_the_page() -> None:
    """The site's stylesheet wraps long code lines (checked in a headless browser at 1280 px:
    no code block is wider than its box), and mkdocs.yml loads it."""
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    sheets = re.findall(r"^extra_css:\n((?:  - .+\n)+)", config, re.MULTILINE)
    assert 1 == len(sheets)
    files = [line.removeprefix("  - ").strip() for line in sheets[0].splitlines()]
    css = " ".join((DOCS / name).read_text(encoding="utf-8") for name in files)
    rule = re.search(r"\.md-typeset pre > code \{([^}]*)\}", css)
    assert rule is not None
    assert "white-space: pre-wrap;" in rule[1]
    assert "overflow-wrap: anywhere;" in rule[1]
