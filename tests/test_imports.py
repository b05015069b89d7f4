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


# ---------------------------------------------------------------------------------------------------
# What a cold `unspin check` of one small file loads (start-up is part of every pre-commit run): the
# modules themselves, not their timing (speed is measured in benchmarks/, docs/benchmarks.md).

SMALL_ARTICLE = """---
title: "Council keeps library hours"
excerpt: "Members voted to keep branch libraries open."
---

The council kept library hours unchanged on Wednesday. The squeeze secretary said nothing.
"""

# Third-party packages `check` may load: the CLI, the arrays of US201-US203 and YAML (front matter, rules.yaml).
# A new one on this path (say a C matcher for the detectors) is added here on purpose, with its cold-start
# cost measured (benchmarks/bench_cold_ab.py).
CHECK_THIRD_PARTY = {"click", "numpy", "yaml"}
# Never on the `check` path: heavy libraries some other command or extra uses, standard-library
# subsystems nothing in `check` needs, and unspin's other commands and surfaces.
NOT_ON_CHECK_PATH = {
    "sklearn", "scipy", "pandas", "dask", "distributed", "nltk", "textstat", "rich", "sqlalchemy", "psycopg",
    "psycopg2", "platformdirs", "ftfy", "wordfreq", "pocketsphinx",
    "language_tool_python", "markdown_it", "requests", "httpx", "starlette", "uvicorn", "jinja2", "lxml", "bs4",
    "sqlite3", "asyncio", "email", "http", "xml", "multiprocessing", "concurrent", "ssl", "decimal", "unittest",
    "logging",
}
UNSPIN_NOT_ON_CHECK_PATH = (
    "unspin.match", "unspin.report", "unspin.web", "unspin.metrics", "unspin.commands.archive", "unspin.commands.fix",
    "unspin.commands.learn", "unspin.commands.report", "unspin.commands.serve", "unspin.commands.match",
    "unspin.commands.eval", "unspin.commands.rules", "unspin.formats.json", "unspin.formats.sarif",
    "unspin.formats.github", "unspin.detect.grammar", "unspin.fileio",
)

LIST_MODULES = r"""
import atexit, sys
before, out = set(sys.modules), sys.argv[1]
def dump():
    with open(out, "w", encoding="utf-8") as fh:
        fh.write("\n".join(sorted(m for m in sys.modules if m not in before)))
atexit.register(dump)
sys.argv = ["unspin", "check", *sys.argv[2:]]
from unspin.cli import main
main()
"""


def _check_modules(tmp_path, *args: str) -> set[str]:
    import os
    import subprocess
    import sys

    out = tmp_path / "modules.txt"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(PKG.parent), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run([sys.executable, "-c", LIST_MODULES, str(out), *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert proc.returncode in (0, 1), proc.stderr  # (1: findings)
    return set(out.read_text(encoding="utf-8").split())


def _third_party(modules: set[str]) -> set[str]:
    import sys

    tops = {m.split(".")[0] for m in modules}
    return {t for t in tops if t not in sys.stdlib_module_names and t != "unspin"
            and t != "cython_runtime" and not t.startswith("_cython_")}  # (Cython's, for libyaml)


def test_check_of_one_small_file_loads_no_heavy_module(tmp_path):
    (tmp_path / "one.md").write_text(SMALL_ARTICLE, encoding="utf-8")
    (tmp_path / "two.txt").write_text("The squeeze secretary said nothing at all.\n", encoding="utf-8")
    for args in (["one.md"], ["two.txt"], ["--format", "text", "--no-config", "one.md", "two.txt"]):
        modules = _check_modules(tmp_path, *args)
        assert "unspin.detect.generic" in modules and "unspin.commands.check" in modules  # (it did run)
        assert _third_party(modules) <= CHECK_THIRD_PARTY, (args, _third_party(modules) - CHECK_THIRD_PARTY)
        heavy = {m for m in modules if m.split(".")[0] in NOT_ON_CHECK_PATH}
        assert not heavy, (args, sorted(heavy))
        ours = sorted(m for m in modules if m.startswith(UNSPIN_NOT_ON_CHECK_PATH))
        assert not ours, (args, ours)


def test_the_module_check_sees_a_heavy_import(tmp_path):
    """The listing is real: a module the command did import shows up in it."""
    (tmp_path / "one.md").write_text(SMALL_ARTICLE, encoding="utf-8")
    modules = _check_modules(tmp_path, "--format", "json", "one.md")
    assert "unspin.formats.json" in modules and "numpy" in modules and "click" in modules
