"""Every code block in README.md and docs/ runs or type-checks as shown.

A block is checked according to the HTML comment on the line before its fence (invisible on
GitHub and on the site):

- no comment: a complete Python module, type-checked with ``mypy --strict`` (the project's
  settings). A body of ``...`` stands for "your code here": mypy's ``empty-body`` is off.
- ``<!-- check: run -->``: type-checked, then run as a script. ``openai.OpenAI()`` and
  ``anthropic.Anthropic()`` reach a local FakeLLMServer through ``OPENAI_BASE_URL`` /
  ``ANTHROPIC_BASE_URL`` (dummy keys; nothing leaves 127.0.0.1). ``run redis`` also needs the
  session's redis-server (passed as ``REDIS_URL``): such a block is marked ``redis`` and skipped
  without one; no other block depends on Redis.
- ``<!-- check: pytest -->``: type-checked, then run with pytest (the kit's fixtures are available).
- ``<!-- check: fragment NAME ... -->``: a fragment; type-checked after the stand-ins in ``STUBS``
  for exactly the names it lists.
- TOML blocks with presets are loaded with ``resilience-kit presets --file``; in shell blocks,
  ``resilience-kit`` commands must parse and named example and benchmark files must exist.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from resilience_kit._cli._main import build_parser, main
from resilience_kit._retry._presets import _reset_for_tests
from resilience_kit.testing import FakeLLMServer
from tests.integration.redis_server import available

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration

MARKER = re.compile(r"^\s*<!--\s*check:\s*(?P<mode>[a-z]+)(?P<words>(?:\s+[\w.]+)*)\s*-->\s*$")
FENCE = re.compile(
    r"^(?P<indent>[ ]*)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```[ ]*$",
    re.MULTILINE | re.DOTALL,
)
MODES = {"run", "pytest", "fragment"}

# Stand-ins for the names a fragment uses without defining (typed like the real thing).
STUBS: dict[str, str] = {
    "client": "import openai\n\nclient = openai.OpenAI(max_retries=0)\n",
    "ask": "def ask(prompt: str) -> str:\n    return prompt\n",
    "summarize": "def summarize(text: str) -> str:\n    return text\n",
    "ask_claude": "def ask_claude(prompt: str) -> str:\n    return prompt\n",
    "aask_claude": "async def aask_claude(prompt: str) -> str:\n    return prompt\n",
    "ask_gpt_long_context": "def ask_gpt_long_context(prompt: str) -> str:\n    return prompt\n",
    "gate": "import resilience_kit\n\ngate = resilience_kit.RateLimitGate('openai')\n",
    "limiter": "import resilience_kit\n\nlimiter = resilience_kit.AdaptiveLimiter(8, 1, 64)\n",
    "budget": "import resilience_kit\n\nbudget = resilience_kit.RetryBudget()\n",
    "jobs": (
        "class _Jobs:\n"
        "    def mark_failed(self, report: dict[str, object]) -> None: ...\n\n\n"
        "jobs = _Jobs()\n"
    ),
    "app": (  # a Celery application: only its task decorator is used
        "from collections.abc import Callable\nfrom typing import Any, TypeVar\n\n"
        "_F = TypeVar('_F', bound=Callable[..., Any])\n\n\n"
        "class _Celery:\n"
        "    def task(self, **options: Any) -> Callable[[_F], _F]: ...\n\n\n"
        "app = _Celery()\n"
    ),
}


@dataclass(frozen=True)
class Block:
    """One fenced code block and how to check it."""

    path: Path
    line: int
    lang: str
    code: str
    mode: str
    words: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    @property
    def module(self) -> str:
        stem = re.sub(r"\W", "_", str(self.path.relative_to(ROOT)).removesuffix(".md"))
        return f"block_{stem}_{self.line}"

    def source(self) -> str:
        """The module checked and run: stand-ins for a fragment's names, then the block."""
        prelude = "".join(STUBS[name] + "\n\n" for name in self.words if self.mode == "fragment")
        return '# mypy: disable-error-code="empty-body"\n' + prelude + self.code


def _dedent(body: str, indent: str) -> str:
    return "".join(line.removeprefix(indent) for line in body.splitlines(keepends=True))


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def collect() -> list[Block]:
    blocks = []
    for path in doc_files():
        text = path.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
            marker = MARKER.match(before)
            mode, words = "typecheck", ()
            if marker is not None:
                mode, words = marker["mode"], tuple(marker["words"].split())
                assert mode in MODES, f"{path}:{line}: unknown check mode {mode!r}"
            body = _dedent(match["body"], match["indent"])
            blocks.append(Block(path, line, match["lang"], body, mode, words))
    return blocks


BLOCKS = collect()
PYTHON = [b for b in BLOCKS if b.lang == "python"]
RUN = [b for b in PYTHON if b.mode in {"run", "pytest"}]


def test_blocks_are_found_and_fragments_name_known_stand_ins() -> None:
    """The collector sees the docs' blocks, and every fragment names only stand-ins that exist."""
    assert len(PYTHON) >= 30
    unknown = [(b.id, n) for b in PYTHON if b.mode == "fragment" for n in b.words if n not in STUBS]
    assert [] == unknown
    marked_elsewhere = [b.id for b in BLOCKS if b.lang != "python" and b.mode != "typecheck"]
    assert [] == marked_elsewhere


@pytest.fixture(scope="module")
def block_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("blocks")
    for block in PYTHON:
        (folder / f"{block.module}.py").write_text(block.source(), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def mypy_errors(block_dir: Path) -> dict[str, list[str]]:
    """One ``mypy --strict`` run over every Python block (the project's mypy settings)."""
    files = [str(block_dir / f"{b.module}.py") for b in PYTHON]
    proc = subprocess.run(  # noqa: S603 - our interpreter's mypy on files we wrote
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    errors: dict[str, list[str]] = {}
    for line in proc.stdout.splitlines():
        name = Path(line.split(":", 1)[0]).stem
        if ": error:" in line or ": note:" in line:
            errors.setdefault(name, []).append(line.split(":", 1)[1])
    assert proc.returncode in {0, 1}, proc.stdout + proc.stderr
    return errors


@pytest.mark.timeout(900)  # one cold mypy run over the SDKs' stubs, shared by every block
@pytest.mark.parametrize("block", PYTHON, ids=[b.id for b in PYTHON])
def test_python_block_type_checks(block: Block, mypy_errors: dict[str, list[str]]) -> None:
    """The block passes mypy --strict as shown (a fragment: with its named stand-ins)."""
    assert [] == mypy_errors.get(block.module, [])


def _needs_redis(block: Block) -> bool:
    return "redis" in block.words


def _selected(session: pytest.Session) -> list[Block]:
    """The runnable blocks whose test this session runs (``-k``, node ids), in docs order."""
    chosen = [
        item.callspec.params["block"]
        for item in session.items
        if isinstance(item, pytest.Function) and item.originalname == "test_runnable_block_runs"
    ]
    return [b for b in RUN if b in chosen]


def _env(server: FakeLLMServer, redis_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env.update(
        PYTHONPATH=str(ROOT),
        OPENAI_API_KEY="sk-fake-docs",
        OPENAI_BASE_URL=server.openai_url,
        ANTHROPIC_API_KEY="sk-ant-fake-docs",
        ANTHROPIC_BASE_URL=server.url,
        NO_PROXY="127.0.0.1",
    )
    if redis_url is not None:
        env["REDIS_URL"] = redis_url
    return env


@pytest.fixture(scope="module")
def runs(block_dir: Path, request: pytest.FixtureRequest) -> Iterator[dict[str, tuple[int, str]]]:
    """Every selected runnable block, each against its own FakeLLMServer (a ``run redis`` block:
    and the session's redis-server, started only if such a block runs): {id: (status, output)}."""
    selected = _selected(request.session)
    if any(_needs_redis(b) for b in selected) and available():
        redis_url: str | None = request.getfixturevalue("redis_server").url
    else:
        redis_url = None
        selected = [b for b in selected if not _needs_redis(b)]  # skipped: no redis-server
    if not selected:
        yield {}
        return
    servers = [FakeLLMServer().start() for _ in selected]
    jobs: list[dict[str, Any]] = []
    for block, server in zip(selected, servers, strict=True):
        file = block_dir / f"{block.module}.py"
        jobs.append(
            {
                "file": str(file),
                "mode": block.mode,
                "env": _env(server, redis_url if _needs_redis(block) else None),
                "out": str(file.with_suffix(".out")),
            }
        )
    try:
        proc = subprocess.run(  # noqa: S603 - our interpreter running our runner
            [sys.executable, str(Path(__file__).with_name("block_runner.py"))],
            input=json.dumps(jobs),
            cwd=ROOT,
            env=_env(servers[0], None),
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        assert 0 == proc.returncode, proc.stdout + proc.stderr
        status: dict[str, int] = json.loads(proc.stdout.splitlines()[-1])
        yield {
            block.id: (
                status[job["file"]],
                Path(job["out"]).read_text(encoding="utf-8", errors="replace"),
            )
            for block, job in zip(selected, jobs, strict=True)
        }
    finally:
        for server in servers:
            server.stop()


@pytest.mark.timeout(900)  # the first one waits for every block to run
@pytest.mark.parametrize(
    "block",
    [pytest.param(b, id=b.id, marks=[pytest.mark.redis] if _needs_redis(b) else []) for b in RUN],
)
def test_runnable_block_runs(block: Block, runs: dict[str, tuple[int, str]]) -> None:
    """The block exits 0 when run against a local FakeLLMServer (pytest blocks: its tests pass)."""
    status, output = runs[block.id]
    assert 0 == status, output


TOML = [b for b in BLOCKS if b.lang == "toml"]


@pytest.mark.parametrize("block", TOML, ids=[b.id for b in TOML])
def test_toml_block_loads(block: Block, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A TOML block parses, and its presets load with `resilience-kit presets --file`."""
    data = tomllib.loads(block.code)
    names = list(data.get("presets", {})) + list(
        data.get("tool", {}).get("resilience_kit", {}).get("presets", {})
    )
    if not names:
        return
    file = tmp_path / "presets.toml"
    file.write_text(block.code, encoding="utf-8")
    _reset_for_tests()
    try:
        assert 0 == main(["presets", "--file", str(file)])
    finally:
        _reset_for_tests()
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines() if str(file) in line]
    assert names == listed


SHELL = [b for b in BLOCKS if b.lang in {"bash", "sh", "console"}]
SCRIPT = re.compile(r"\b((?:examples|benchmarks)/[\w./-]+\.(?:py|toml))")
CLI = re.compile(r"^(?:resilience-kit|python -m resilience_kit)(?=\s|$)")


@pytest.mark.parametrize("block", SHELL, ids=[b.id for b in SHELL])
def test_shell_block_names_files_and_options_that_exist(block: Block) -> None:
    """Example and benchmark files a shell block names exist; its CLI commands parse."""
    missing = [p for p in SCRIPT.findall(block.code) if not (ROOT / p).exists()]
    assert [] == missing
    refused = []
    for line in block.code.splitlines():
        command = shlex.split(line, comments=True)
        if CLI.match(" ".join(command)):
            args = command[1:] if command[0] == "resilience-kit" else command[3:]
            try:
                build_parser("resilience-kit").parse_args(args)
            except SystemExit as exc:  # --version and --help exit 0; bad options exit 2
                if exc.code != 0:
                    refused.append(line)
    assert [] == refused


PATH_MENTION = re.compile(r"`((?:resilience_kit|examples|benchmarks|tests|docs)/[\w./-]*[\w/])`")


@pytest.mark.parametrize("doc", doc_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_paths_named_in_the_docs_exist(doc: Path) -> None:
    """Every repository path a page names in backticks exists (files move; the docs must follow)."""
    text = doc.read_text(encoding="utf-8")
    missing = [p for p in PATH_MENTION.findall(text) if not (ROOT / p).exists()]
    assert [] == missing


RELATIVE_LINK = re.compile(r"\]\((?![a-z]+:|#)([^)#\s]+)(?:#[^)\s]*)?\)")


def test_readme_links_point_to_files() -> None:
    """Every relative link in README.md (into docs/, say) points at a file of this checkout."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [link for link in RELATIVE_LINK.findall(text) if not (ROOT / link).exists()]
    assert [] == missing
