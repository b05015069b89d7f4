"""What US203 (the slot detector) costs `check`: warm throughput with and without it, interleaved.

Feeds the fixture articles (repeated ``--repeat`` times) through ``analyze_many()`` with every
detector, and with every detector but US203, alternating the two ``--rounds`` times so both see the
same machine load; prints MB per CPU second (``time.process_time``) and the ratio.

    python benchmarks/bench_slots.py [--repeat 4] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO))  # the evaluation/ package


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    from evaluation.datasets import fixture_articles
    from unspin.analysis import Context, analyze_many
    from unspin.config import Config

    docs = [a.document() for a in fixture_articles()] * args.repeat
    mb = sum(len(d.text.encode("utf-8")) for d in docs) / 2**20
    ctxs = {"all detectors but US203": Context(config=Config(ignore=("US203",))),
            "all detectors": Context(config=Config())}
    for c in ctxs.values():  # warm-up: tables, caches
        list(analyze_many(docs[:60], c))
    rates: dict[str, list[float]] = {k: [] for k in ctxs}
    for _ in range(args.rounds):
        for k, c in ctxs.items():
            t = time.process_time()
            list(analyze_many(docs, c))
            rates[k].append(mb / (time.process_time() - t))
    print(f"{mb:.2f} MB of fixture articles, 1-min load average {os.getloadavg()[0]:.1f}\n")
    print("| detectors | MB/s (CPU), each round | best |")
    print("| --- | --- | ---: |")
    for k, v in rates.items():
        print(f"| {k} | {' / '.join(f'{x:.2f}' for x in v)} | {max(v):.2f} |")
    a, b = max(rates["all detectors"]), max(rates["all detectors but US203"])
    print(f"\nUS203 adds {1 / a - 1 / b:.2f} CPU s per MB ({b / a - 1:.0%} more CPU time).")


if __name__ == "__main__":
    main()
