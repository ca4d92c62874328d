"""pytest plugin (``pytest11`` entry point): fixtures ``fake_llm`` and ``rk_no_wait``."""

from __future__ import annotations
