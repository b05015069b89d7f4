"""Warm throughput of analyze_many() and cold start of `unspin check` on one small Markdown file.

Prints Markdown tables. Usage:

    python benchmarks/bench_check.py [--mb 2] [--runs 15] [--cold-only] [--breakdown] [--bytecode env|cached]
    python benchmarks/bench_check.py --front-matter [--runs 15]
    python benchmarks/bench_check.py --peak-memory [--runs 3] [--proselint PATH] [--batch-chars N ...]

Cold start runs each command ``--runs`` times in a fresh process and reports the median and minimum
wall time and the median CPU time of the child (user + system; on a shared machine CPU time is the
steadier number). ``--bytecode cached`` runs the commands with Python's bytecode cache on (in a
temporary ``PYTHONPYCACHEPREFIX``, warmed by one run), as after ``pip install``; the default leaves the
environment alone (with ``PYTHONDONTWRITEBYTECODE=1`` set, unspin's own modules are compiled from
source at every start). ``--breakdown`` also times each step of one cold check in a fresh process.

``--front-matter`` times reading the YAML front matter of one.md (CPU ms per document, in this process)
with libyaml (``yaml.CSafeLoader``, what ``unspin`` uses when PyYAML has it) and with PyYAML's
pure-Python loader (the fallback). ``--peak-memory`` writes the 294 Wikinews 2019-2020 articles
(``shared/data/news-corpus``, found as ``scripts/build_generic_data.py`` finds it) to one Markdown file
each and runs ``unspin check`` on the folder (and ``PATH check`` on the files with ``--proselint``),
reporting each run's CPU time and peak resident memory (``ru_maxrss`` of that process).
``--batch-chars N ...`` adds runs of the same command with ``analysis.BATCH_CHARS`` set to each N (the
largest batch of documents analysed in one pass; the peak grows with it), alternating with the rest.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SMALL = """---
title: "Council keeps library hours"
excerpt: "Members voted to keep branch libraries open."
provider:
  name: "Midland Courier"
  domain: "midlandcourier.example"
---

The council kept library hours unchanged on Wednesday and cut spending on road repairs by 12 percent.
The squeeze secretary said nothing.
"""

# One cold `unspin check FILE` done step by step in a fresh process (the same calls as the command,
# in the same order; each detector module is imported first, then its first call is timed).
BREAKDOWN = r'''
import sys, time
T, C = time.perf_counter, time.process_time
t00, c00 = T(), C()
rows, last = [], [t00, c00]
def mark(name):
    t, c = T(), C()
    rows.append((name, (t - last[0]) * 1000, (c - last[1]) * 1000))
    last[0], last[1] = t, c
import click
mark("import click")
import numpy
mark("import numpy (OPENBLAS_NUM_THREADS=1, as main() sets it)")
import yaml
mark("import yaml")
import unspin.cli, unspin.commands.check
getattr(unspin.cli, "limit_blas_threads", lambda: None)()  # as main() does
mark("import unspin.cli, unspin.commands.check")
from unspin.commands.common import resolve_config
try:
    from unspin.commands.common import StartupGC
except ImportError:  # a version from before the collector was paused at start-up
    class StartupGC:
        def __enter__(self): return self
        def __exit__(self, *exc): pass
        def resume(self): pass
cfg = resolve_config(None, False, generic=None if sys.argv[2] == "all" else False)
mark("read settings")
from unspin import analysis
from unspin.document import iter_documents
mark("import unspin.analysis, unspin.document")
import importlib
def timed(module, attr, label):
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return
    mark(f"import {module}")
    fn = getattr(mod, attr)
    def wrapper(*a, **k):
        mark("(analyze: between steps)")
        out = fn(*a, **k)
        mark(label)
        return out
    setattr(mod, attr, wrapper)
with StartupGC() as startup:
    ctx = analysis.Context(config=cfg)
    ctx.get_lexicon()
    mark("load the lexicons")
    errors = []
    docs = list(iter_documents([sys.argv[1]], errors))
    mark("read and parse the document")
    timed("unspin.detect.generic", "generic_findings", "US201 generic_findings (first call: models)")
    timed("unspin.detect.spinmap", "spinmap_findings", "US202 spinmap_findings (first call: model)")
    timed("unspin.detect.normalise", "normalisation_findings", "US4 normalisation_findings")
    timed("unspin.detect.scorer", "score_document", "score_document (first call: models)")
    reports = []
    for d in docs:
        reports.append(analysis.analyze(d, ctx))
        startup.resume()
    mark("(analyze: rest)")
from unspin.formats import get_emitter
get_emitter("text")(reports, errors)
mark("emit the report")
for name, w, c in rows:
    print(f"{name}\t{w:.1f}\t{c:.1f}")
print(f"total in process\t{(T() - t00) * 1000:.1f}\t{(C() - c00) * 1000:.1f}")
'''


def warm_throughput(mb: float, generic: bool) -> tuple[float, int, float]:
    """Wall-clock MB/s of ``analyze_many`` over the fixture articles (``bench_analyze.run``)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_analyze import run

    from unspin.analysis import Context, analyze
    from unspin.config import Config
    from unspin.document import load_documents

    docs, _ = load_documents([str(REPO / "fixtures" / "articles")])
    ctx = Context(config=Config(generic=generic))
    for d in docs[:5]:  # warm up: lexicon and models loaded
        analyze(d, ctx)
    total, n, _cpu, dt = run(docs, ctx, mb)
    return total / dt / 1024 / 1024, n, dt


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def cold(cmd: list[str], runs: int, env: dict[str, str]) -> tuple[float, float, float]:
    """(median wall, min wall, median child CPU) over ``runs`` fresh processes."""
    walls, cpus = [], []
    for _ in range(runs):
        c0 = _child_cpu()
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        walls.append(time.perf_counter() - t0)
        cpus.append(_child_cpu() - c0)
    return statistics.median(walls), min(walls), statistics.median(cpus)


def breakdown(small: Path, which: str, runs: int, env: dict[str, str]) -> list[tuple[str, float, float]]:
    """Median wall and CPU ms per step of a cold check over ``runs`` fresh processes."""
    env = dict(env, OPENBLAS_NUM_THREADS=env.get("OPENBLAS_NUM_THREADS", "1"))
    per_step: dict[str, list[tuple[float, float]]] = {}
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", BREAKDOWN, str(small), which], capture_output=True, text=True,
                             env=env, check=True).stdout
        for line in out.splitlines():
            name, w, c = line.split("\t")
            per_step.setdefault(name, []).append((float(w), float(c)))
    return [(name, statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
            for name, v in per_step.items()]


def front_matter(runs: int) -> None:
    """CPU ms per read of one.md's front matter with libyaml and with the pure-Python loader."""
    from unspin import document

    fast_path = document._fast_front_matter
    rows = []
    for name, fast in (("libyaml (yaml.CSafeLoader)", fast_path), ("pure Python (yaml.SafeLoader)", None)):
        document._fast_front_matter = fast or (lambda yaml_module, block: None)
        try:
            document.parse_text(SMALL, "one.md", "markdown")
            per = []
            for _ in range(runs):
                c0 = time.process_time()
                for _ in range(200):
                    document.parse_text(SMALL, "one.md", "markdown")
                per.append((time.process_time() - c0) / 200 * 1000)
        finally:
            document._fast_front_matter = fast_path
        rows.append((name, statistics.median(per), min(per)))
    print(f"| read one.md (front matter + body), CPU ms per document, median / min of {runs} x 200 | median | min |")
    print("| --- | ---: | ---: |")
    for name, med, mn in rows:
        print(f"| {name} | {med:.3f} | {mn:.3f} |")


def _run_measured(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(CPU s, peak RSS MiB) of one child process, from its own rusage (os.wait4)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, _, ru = os.wait4(proc.pid, 0)
    proc.returncode = 0  # reaped above
    return ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024


BATCH_RUN = r"""
import sys
import unspin.analysis
unspin.analysis.BATCH_CHARS = int(sys.argv[1])
sys.argv = ["unspin", "check", *sys.argv[2:]]
from unspin.cli import main
main()
"""


def peak_memory(runs: int, proselint: str | None, env: dict[str, str], batch_chars: list[int]) -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    import json

    from build_generic_data import WIKINEWS

    exe = str(Path(sys.executable).with_name("unspin"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "wikinews"
        folder.mkdir()
        size = 0
        with open(WIKINEWS, encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                text = json.loads(line)["text"]
                size += len(text.encode("utf-8"))
                (folder / f"{i:03d}.md").write_text(text, encoding="utf-8")
        files = sorted(str(p) for p in folder.iterdir())
        arms = {"unspin check FOLDER": [exe, "check", str(folder)]}
        for n in batch_chars:
            arms[f"unspin check FOLDER, BATCH_CHARS = {n:,}"] = [sys.executable, "-c", BATCH_RUN, str(n), str(folder)]
        if proselint:
            arms["proselint check FILES"] = [proselint, "check", *files]
        got: dict[str, list[tuple[float, float]]] = {name: [] for name in arms}
        load0 = os.getloadavg()[0]
        for _ in range(runs):
            for name, cmd in arms.items():
                got[name].append(_run_measured(cmd, env))
    load1 = os.getloadavg()[0]
    print(f"| {len(files)} Wikinews files ({size / 1e6:.1f} MB), {runs} runs each, 1-min load {load0:.2f}-{load1:.2f} "
          "| CPU s (median) | peak RSS MiB (max) |")
    print("| --- | ---: | ---: |")
    for name, rows in got.items():
        print(f"| {name} | {statistics.median(c for c, _ in rows):.2f} | {max(m for _, m in rows):.1f} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=2.0)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--cold-only", action="store_true", help="Skip the warm throughput runs.")
    ap.add_argument("--breakdown", action="store_true", help="Also time each step of a cold check.")
    ap.add_argument("--bytecode", choices=("env", "cached"), default="env",
                    help="env: as the environment says; cached: with a warm bytecode cache (as installed).")
    ap.add_argument("--front-matter", action="store_true", help="Only time reading one.md's front matter.")
    ap.add_argument("--peak-memory", action="store_true", help="Only CPU and peak memory on the Wikinews files.")
    ap.add_argument("--proselint", metavar="PATH", help="--peak-memory: also run this proselint executable.")
    ap.add_argument("--batch-chars", type=int, nargs="*", default=[],
                    help="--peak-memory: also run with analysis.BATCH_CHARS set to each of these.")
    args = ap.parse_args()
    if args.front_matter:
        front_matter(args.runs)
        return
    if args.peak_memory:
        peak_memory(args.runs, args.proselint, dict(os.environ), args.batch_chars)
        return
    exe = str(Path(sys.executable).with_name("unspin"))
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        if args.bytecode == "cached":
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        small = Path(tmp) / "one.md"
        small.write_text(SMALL)
        commands = [
            ("python -c pass", [sys.executable, "-c", "pass"]),
            ("unspin --version", [exe, "--version"]),
            ("unspin check one.md (--no-generic: no US201, US202)", [exe, "check", "--no-generic", str(small)]),
            ("unspin check one.md (all detectors)", [exe, "check", str(small)]),
        ]
        if args.bytecode == "cached":
            for _, cmd in commands:  # fill the cache
                subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            subprocess.run([sys.executable, "-c", BREAKDOWN, str(small), "all"], capture_output=True, env=env)
        rows = [(name, cold(cmd, args.runs, env)) for name, cmd in commands]
        steps = breakdown(small, "all", args.runs, env) if args.breakdown else []
    load_after = os.getloadavg()
    print(f"# unspin check benchmark — {time.strftime('%Y-%m-%d %H:%M')} — "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"bytecode {args.bytecode}, 1-min load average {load_before[0]:.2f} before, {load_after[0]:.2f} after\n")
    print("| cold start | median s | min s | over bare Python (median) | median CPU s |")
    print("| --- | ---: | ---: | ---: | ---: |")
    base = rows[0][1][0]
    for name, (med, mn, cpu) in rows:
        print(f"| {name} | {med:.3f} | {mn:.3f} | {med - base:+.3f} | {cpu:.3f} |")
    if steps:
        print()
        print(f"| cold check step (one process, median of {args.runs}) | wall ms | CPU ms |")
        print("| --- | ---: | ---: |")
        for name, w, c in steps:
            print(f"| {name} | {w:.1f} | {c:.1f} |")
    if args.cold_only:
        return
    print()
    print("| warm throughput (one core) | MB/s | documents | seconds |")
    print("| --- | ---: | ---: | ---: |")
    for generic in (False, True):
        rate, n, dt = warm_throughput(args.mb, generic)
        name = "all detectors" if generic else "--no-generic (no US201, US202)"
        print(f"| analyze_many(), {name}, {args.mb:g} MB of fixture articles | {rate:.2f} | {n} | {dt:.1f} |")


if __name__ == "__main__":
    main()
