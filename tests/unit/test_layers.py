"""The package's import graph follows the layer table and has no cycle (read from the source)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "resilience_kit"
ROOT = "resilience_kit"

# Each group is one folder (or one root module); its layer decides what it may import.
L0 = (
    "exceptions",
    "_categories",
    "_redact",
    "_call",
    "_clock",
    "_events",
    "_checks",
    "_callables",
    "_streams",
    "_waits",
    "_state",
    "_lazy",
    "_version",
)
LAYERS: dict[str, int] = {
    **dict.fromkeys(L0, 0),
    **dict.fromkeys(("_classify", "metrics", "storage", "testing"), 1),
    **dict.fromkeys(("_retry", "_breaker", "_throughput"), 2),
    "_compose": 3,
    # Entry points and public modules over the tools (``tokens``: the token estimates).
    **dict.fromkeys(("", "__main__", "_cli", "tokens"), 4),
}
# Exceptions to "a layer never imports its own layer's other groups" (L0 modules are one group).
SAME_LAYER_ALLOWED = {("testing", "_classify")}
# Internal folders whose __init__.py is the facade other folders import from.
FACADES = ("_classify", "_retry", "_breaker", "_throughput", "_cli")
# Function-local imports of the kit's own modules that load on first use, not dodges: RedisStorage
# and each provider's exception map (chosen by the failing exception's module).
_MAPS = ("_openai", "_anthropic", "_http", "_google", "_bedrock", "_builtins", "_duck")
LAZY_ALLOWED = {
    ("resilience_kit.storage", "resilience_kit.storage._redis"),
    ("resilience_kit._retry._presets", "resilience_kit._retry._policy"),  # pydantic on first use
    *(("resilience_kit._classify._providers", f"resilience_kit._classify.{m}") for m in _MAPS),
    ("resilience_kit.testing._pytest_plugin", "resilience_kit.testing._no_wait"),  # on first use
    ("resilience_kit.testing._pytest_plugin", "resilience_kit.testing._server"),
}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    local: bool  # inside a function body


def _module_name(path: Path, package: Path) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules(package: Path) -> dict[str, Path]:
    return {_module_name(path, package): path for path in sorted(package.rglob("*.py"))}


def _group(module: str) -> str:
    rest = module.removeprefix(ROOT).removeprefix(".")
    head = rest.split(".")[0]
    return "" if not rest else head


def _resolve(node: ast.Import | ast.ImportFrom, module: str, known: set[str]) -> list[str]:
    """The kit's modules that *node* imports (``from pkg import sub`` names the submodule)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.split(".")[0] == ROOT]
    base = node.module or ""
    if node.level:
        anchor = module.split(".")[: -node.level] if node.level else []
        base = ".".join([*anchor, base] if base else anchor)
    if base.split(".")[0] != ROOT:
        return []
    found = []
    for alias in node.names:
        candidate = f"{base}.{alias.name}"
        found.append(candidate if candidate in known else base)
    return found


def _edges(modules: dict[str, Path]) -> list[Edge]:
    known = set(modules)
    edges: list[Edge] = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))

        def visit(node: ast.AST, local: bool, module: str = module) -> None:
            for child in ast.iter_child_nodes(node):
                inner = local or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    edges.extend(
                        Edge(module, target, child.lineno, local)
                        for target in _resolve(child, module, known)
                    )
                visit(child, inner)

        visit(tree, local=False)
    return edges


def _violations(modules: dict[str, Path]) -> list[str]:
    problems = [
        f"{module}: not in the layer table" for module in modules if _group(module) not in LAYERS
    ]
    for edge in _edges(modules):
        source, target = _group(edge.source), _group(edge.target)
        if source == target or source not in LAYERS or target not in LAYERS:
            continue
        where = f"{edge.source}:{edge.line} imports {edge.target}"
        high, low = LAYERS[source], LAYERS[target]
        if low == 4 and high != 4:
            problems.append(f"{where}: nothing imports an entry point")
        elif low > high:
            problems.append(f"{where}: L{high} may not import L{low}")
        elif low == high and 0 < low < 4 and (source, target) not in SAME_LAYER_ALLOWED:
            problems.append(f"{where}: L{high} groups never import each other")
        elif target in FACADES and edge.target != f"{ROOT}.{target}":
            problems.append(f"{where}: other folders import {ROOT}.{target} (its facade)")
    return problems


def _local_imports(modules: dict[str, Path]) -> list[str]:
    return [
        f"{edge.source}:{edge.line} imports {edge.target} inside a function"
        for edge in _edges(modules)
        if edge.local and (edge.source, edge.target) not in LAZY_ALLOWED
    ]


def _cycles(modules: dict[str, Path]) -> list[list[str]]:
    """Every strongly connected set of two or more modules (Tarjan), plus self-imports."""
    graph: dict[str, set[str]] = {module: set() for module in modules}
    for edge in _edges(modules):
        graph[edge.source].add(edge.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_imports_follow_the_layer_table() -> None:
    """Each module imports only from layers below it (or its own folder); L2 tools are apart."""
    assert [] == _violations(_modules(PACKAGE))


def test_no_import_cycle() -> None:
    """No module reaches itself through imports, TYPE_CHECKING and function-local ones included."""
    assert [] == _cycles(_modules(PACKAGE))


def test_no_function_local_import_of_the_kit() -> None:
    """The kit's own modules are imported at the top (lazy public attributes excepted)."""
    assert [] == _local_imports(_modules(PACKAGE))


def test_the_checker_catches_a_forbidden_import_and_a_cycle(tmp_path: Path) -> None:
    """A retry module importing the breaker, and two modules importing each other, are caught."""
    package = tmp_path / ROOT
    (package / "_retry").mkdir(parents=True)
    (package / "_breaker").mkdir()
    (package / "__init__.py").write_text("")
    (package / "_retry" / "__init__.py").write_text("")
    (package / "_breaker" / "__init__.py").write_text("")
    (package / "_retry" / "_a.py").write_text("from resilience_kit._breaker import _b\n")
    (package / "_breaker" / "_b.py").write_text(
        "def f():\n    from resilience_kit._retry import _a\n"
    )
    modules = _modules(package)
    assert [
        "resilience_kit._breaker._b:2 imports resilience_kit._retry._a: "
        "L2 groups never import each other",
        "resilience_kit._retry._a:1 imports resilience_kit._breaker._b: "
        "L2 groups never import each other",
    ] == sorted(_violations(modules))
    assert [["resilience_kit._breaker._b", "resilience_kit._retry._a"]] == _cycles(modules)
    assert ["resilience_kit._breaker._b:2 imports resilience_kit._retry._a inside a function"] == (
        _local_imports(modules)
    )
