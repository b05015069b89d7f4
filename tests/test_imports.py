"""The import graph of src/unspin has no cycle, and no module imports a private name of another.

Module-level and function-level imports both count: a function-level import that closes a circle
still ties the modules together (and hides the order in which they must be loaded)."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "src" / "unspin"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PKG.rglob("*.py")}


def _resolve(mod: str, is_pkg: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph() -> tuple[dict[str, set[str]], list[tuple[str, str, str]]]:
    """Edges module -> unspin modules it imports, and (importer, module, name) for private names."""
    mods = _modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    private: list[tuple[str, str, str]] = []
    for mod, path in mods.items():
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(mod, is_pkg, node)
                for a in node.names:
                    sub = f"{target}.{a.name}"
                    if sub in mods:  # `from . import analysis` imports the module itself
                        targets.append(sub)
                    else:
                        targets.append(target)
                        if (a.name.startswith("_") and not a.name.startswith("__") and target != mod
                                and target.startswith("unspin")):
                            private.append((mod, target, a.name))
            for t in targets:
                # the module itself, or the nearest package of it that is ours
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if t and t != mod and t.startswith("unspin"):
                    graph[mod].add(t)
    return graph, private


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph (as a list of modules, first repeated last), or None."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour = dict.fromkeys(graph, WHITE)
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        colour[m] = GREY
        stack.append(m)
        for n in sorted(graph[m]):
            if colour[n] == GREY:
                return stack[stack.index(n):] + [n]
            if colour[n] == WHITE and (c := visit(n)):
                return c
        stack.pop()
        colour[m] = BLACK
        return None

    for m in sorted(graph):
        if colour[m] == WHITE and (c := visit(m)):
            return c
    return None


def test_the_graph_sees_module_and_function_level_imports():
    graph, _ = import_graph()
    assert "unspin.model" in graph["unspin.analysis"]  # module level
    assert "unspin.detect.scorer" in graph["unspin.analysis"]  # inside _finish
    assert "unspin.analysis" in graph["unspin"]  # `from . import analysis` inside __getattr__


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_in_unspin():
    graph, _ = import_graph()
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_module_imports_a_private_name_of_another():
    _, private = import_graph()
    assert private == [], private
