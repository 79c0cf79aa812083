"""The package's layers: no import cycles, each layer imports only the ones below it, and the
search engine runs without flask or click."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Where each package's files are (pyproject's package-dir): web/ and indexer/ install inside.
ROOTS = {"kmsearch": REPO / "kmsearch", "kmsearch.web": REPO / "web",
         "kmsearch.indexer": REPO / "indexer"}
# Bottom up; a module may import its own layer and the layers before it.
LAYERS = ["kmsearch.home", "kmsearch.engine", "kmsearch.store", "kmsearch.km",
          "kmsearch.indexer", "kmsearch.web", "kmsearch.cli"]


def _modules() -> dict[str, Path]:
    found = {}
    for package, root in ROOTS.items():
        for path in root.rglob("*.py"):
            if "migrations" in path.parts:  # Alembic loads these by path, not by import
                continue
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Modules of ours that `name` imports anywhere in its file (inside functions too)."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                       for a in node.names]
        else:
            continue
        found.update(t for t in targets if t in modules and t != name)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _layer(module: str) -> int:
    for rank, prefix in enumerate(LAYERS):
        if module == prefix or module.startswith(prefix + "."):
            return rank
    return -1  # the top package kmsearch/__init__.py: below everything


def test_the_import_graph_is_read():
    graph = _graph()
    assert {"kmsearch.engine.search", "kmsearch.web.recorder", "kmsearch.indexer.run",
            "kmsearch.cli.context", "kmsearch.store.migration"} <= graph.keys()
    assert "kmsearch.engine.query" in graph["kmsearch.engine.search"]
    assert "kmsearch.store" in graph["kmsearch.store.accesslog"]
    assert "kmsearch.cli.context" in graph["kmsearch.cli.staff"]


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles = []
    # Tarjan's strongly connected components: any component of two or more is a cycle.
    index, low, stack, on_stack, counter = {}, {}, [], set(), [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_no_import_cycles():
    assert _cycles(_graph()) == []


def test_each_layer_imports_only_the_layers_below():
    wrong = [
        f"{module} -> {target}"
        for module, targets in _graph().items()
        for target in targets
        if _layer(target) > _layer(module)
    ]
    assert wrong == []


def test_the_engine_imports_neither_flask_nor_click():
    """Import every engine module in a fresh interpreter and look at what came with it."""
    code = """
import json, pkgutil, importlib, sys
import kmsearch.engine
for info in pkgutil.walk_packages(kmsearch.engine.__path__, "kmsearch.engine."):
    importlib.import_module(info.name)
print(json.dumps(sorted(sys.modules)))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout))
    assert "kmsearch.engine.search" in loaded and "whoosh" in loaded
    for forbidden in ("flask", "click", "werkzeug", "kmsearch.web", "kmsearch.cli",
                      "kmsearch.indexer", "kmsearch.store", "kmsearch.km", "sqlalchemy"):
        assert forbidden not in loaded, forbidden
