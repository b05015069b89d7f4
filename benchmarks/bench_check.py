"""Warm throughput of analyze() and cold start of `unspin check` on one small Markdown file.

Prints a Markdown table. Usage: python benchmarks/bench_check.py [--mb 2] [--runs 15]
"""

from __future__ import annotations

import argparse
import platform
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


def warm_throughput(mb: float, generic: bool) -> tuple[float, int, float]:
    from unspin.analysis import Context, analyze
    from unspin.config import Config
    from unspin.document import load_documents

    docs, _ = load_documents([str(REPO / "fixtures" / "articles")])
    ctx = Context(config=Config(generic=generic))
    for d in docs[:5]:  # warm up: lexicon and models loaded
        analyze(d, ctx)
    target = mb * 1024 * 1024
    total, n = 0, 0
    t0 = time.perf_counter()
    while total < target:
        d = docs[n % len(docs)]
        analyze(d, ctx)
        total += len(d.text.encode("utf-8"))
        n += 1
    dt = time.perf_counter() - t0
    return total / dt / 1024 / 1024, n, dt


def cold(cmd: list[str], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=2.0)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    exe = str(Path(sys.executable).with_name("unspin"))
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "one.md"
        small.write_text(SMALL)
        rows = [
            ("python -c pass", cold([sys.executable, "-c", "pass"], args.runs)),
            ("unspin --version", cold([exe, "--version"], args.runs)),
            ("unspin check one.md (--no-generic: no US201)",
             cold([exe, "check", "--no-generic", str(small)], args.runs)),
            ("unspin check one.md (all detectors)", cold([exe, "check", str(small)], args.runs)),
        ]
    print(f"# unspin check benchmark — {time.strftime('%Y-%m-%d')} — {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}\n")
    print("| cold start | median s | min s | over bare Python (median) |")
    print("| --- | ---: | ---: | ---: |")
    base = rows[0][1][0]
    for name, (med, mn) in rows:
        print(f"| {name} | {med:.3f} | {mn:.3f} | {med - base:+.3f} |")
    print()
    print("| warm throughput (one core) | MB/s | documents | seconds |")
    print("| --- | ---: | ---: | ---: |")
    for generic in (False, True):
        rate, n, dt = warm_throughput(args.mb, generic)
        name = "all detectors" if generic else "--no-generic (no US201)"
        print(f"| analyze(), {name}, {args.mb:g} MB of fixture articles | {rate:.2f} | {n} | {dt:.1f} |")


if __name__ == "__main__":
    main()
