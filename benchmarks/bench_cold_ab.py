"""Cold start of `unspin check` on one small Markdown file, two source trees compared run by run.

On a machine whose speed drifts, comparing two separate benchmark runs compares two moments. This
alternates the trees (A B, B A, A B, ...) so that both see the same moments, and prints the median and
minimum CPU time (user + system) of the child process for each. Usage:

    python benchmarks/bench_cold_ab.py OLD_SRC NEW_SRC [--runs 12] [--no-generic] [--parts]
        [--proselint PATH] [--floor] [--bytecode env|cached]

``--parts`` times, inside each fresh process, importing the US201 module, loading its model and the
first analysis of the file (CPU s, medians) instead of the whole command.

``--proselint PATH`` adds a third arm, ``PATH check one.md`` (proselint >= 0.16 installed in its own
venv, e.g. ``python3 -m venv /tmp/prose-venv && /tmp/prose-venv/bin/pip install proselint``; not a
project dependency), in the same rotation, and prints each arm's median as a multiple of
proselint's. ``--floor`` adds ``python -c "import click, numpy, yaml"`` (the third-party imports every
cold ``check`` pays for) to the rotation. ``--bytecode cached`` gives every arm a warm bytecode cache
(a temporary ``PYTHONPYCACHEPREFIX``, filled by two runs of each arm first), as after ``pip install``;
the default leaves the environment alone (with ``PYTHONDONTWRITEBYTECODE=1``, unspin's modules are
compiled from source at every start while proselint's installed ``.pyc`` files are used).

OLD_SRC / NEW_SRC are `src/` folders of two checkouts (each finds its models beside it), e.g. one made
with `git archive <commit> | tar -x -C /tmp/old`.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_check import SMALL  # noqa: E402

PARTS = r"""
import sys, time
t0 = time.process_time()
from unspin.detect.generic import load_model
t1 = time.process_time()
load_model()
t2 = time.process_time()
from unspin.analysis import analyze_text
analyze_text(open(sys.argv[1], encoding="utf-8").read(), kind="markdown")
t3 = time.process_time()
print(t1 - t0, t2 - t1, t3 - t2)
"""


def parts(args, small: Path) -> None:
    got: dict[str, list[list[float]]] = {"old": [], "new": []}
    for i in range(args.runs):
        for name in ("old", "new") if i % 2 == 0 else ("new", "old"):
            env = dict(os.environ, PYTHONPATH=getattr(args, name))
            out = subprocess.run([sys.executable, "-c", PARTS, str(small)], env=env, capture_output=True,
                                 text=True).stdout
            got[name].append([float(x) for x in out.split()])
    print(f"| part of a cold check (CPU s, median of {args.runs}, alternating) | import US201 | load its model "
          "| first analysis |")
    print("| --- | ---: | ---: | ---: |")
    for name in ("old", "new"):
        cols = [statistics.median(c) for c in zip(*got[name], strict=True)]
        print(f"| {name}: {getattr(args, name)} | " + " | ".join(f"{c:.3f}" for c in cols) + " |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--runs", type=int, default=12, help="runs of each tree")
    ap.add_argument("--no-generic", action="store_true", help="check --no-generic")
    ap.add_argument("--parts", action="store_true", help="time the parts of a cold check instead")
    ap.add_argument("--proselint", metavar="PATH", help="also time `PATH check one.md` (a proselint executable)")
    ap.add_argument("--floor", action="store_true", help="also time `python -c 'import click, numpy, yaml'`")
    ap.add_argument("--bytecode", choices=("env", "cached"), default="env",
                    help="env: as the environment says; cached: a warm bytecode cache for every arm (as installed)")
    args = ap.parse_args()
    args.check_args = ["--no-generic"] if args.no_generic else []
    exe = str(Path(sys.executable).with_name("unspin"))
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "one.md"
        small.write_text(SMALL)
        if args.parts:
            parts(args, small)
            return
        base = dict(os.environ)
        if args.bytecode == "cached":
            base.pop("PYTHONDONTWRITEBYTECODE", None)
            base["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        arms: dict[str, tuple[list[str], dict[str, str]]] = {
            name: ([exe, "check", *args.check_args, str(small)], dict(base, PYTHONPATH=getattr(args, name)))
            for name in ("old", "new")}
        if args.floor:  # (OPENBLAS_NUM_THREADS=1 as unspin's main() sets it)
            arms["floor"] = ([sys.executable, "-c", "import click, numpy, yaml"],
                             dict(base, OPENBLAS_NUM_THREADS=base.get("OPENBLAS_NUM_THREADS", "1")))
        if args.proselint:
            env = {k: v for k, v in base.items() if k != "PYTHONPATH"}
            arms["proselint"] = ([args.proselint, "check", str(small)], env)
        if args.bytecode == "cached":
            for _ in range(2):
                for cmd, env in arms.values():
                    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cpu: dict[str, list[float]] = {name: [] for name in arms}
        names = list(arms)
        load0 = os.getloadavg()[0]
        for i in range(args.runs):
            k = i % len(names)
            for name in names[k:] + names[:k]:  # rotate the order run by run
                cmd, env = arms[name]
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu[name].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    load1 = os.getloadavg()[0]
    ref = statistics.median(cpu["proselint"]) if args.proselint else None
    print(f"| cold `check one.md` {' '.join(args.check_args)} (CPU s, {args.runs} runs each, rotating, "
          f"bytecode {args.bytecode}, 1-min load {load0:.2f}-{load1:.2f}) | median | min |"
          + (" median / proselint's |" if ref else ""))
    print("| --- | ---: | ---: |" + (" ---: |" if ref else ""))
    for name in names:
        label = {"proselint": f"proselint: {args.proselint}", "floor": "python -c 'import click, numpy, yaml'"}.get(
            name) or f"unspin {name}: {getattr(args, name)}"
        med = statistics.median(cpu[name])
        print(f"| {label} | {med:.3f} | {min(cpu[name]):.3f} |" + (f" {med / ref:.2f}x |" if ref else ""))


if __name__ == "__main__":
    main()
