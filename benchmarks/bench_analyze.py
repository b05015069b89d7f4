"""Warm throughput of analyze() in CPU time, per detector set, with an optional profile.

Feeds the 52 fixture articles round-robin through ``analyze()`` in one process after a warm-up,
until ``--mb`` MB of text has been analysed, and reports MB per CPU second (``time.process_time``,
so a loaded machine does not distort the rate) next to the wall-clock rate and the 1-minute load
average. ``--profile N`` prints the top N functions by cumulative and by own time instead.

The fixtures repeat every 52 documents, which flatters what is remembered across documents (token
classes, phrase-table look-ups). ``--corpus wikinews`` feeds the Wikinews 2019-2020 articles of
the shared news corpus instead (about 1.3 MB, each analysed once unless ``--mb`` asks for more),
after the same warm-up on the fixtures. ``--join K`` glues K articles' prose into one plain-text
document (paragraphs kept), to separate the fixed cost per document from the cost per word.

    python benchmarks/bench_analyze.py [--mb 2] [--only no-generic|all] [--corpus fixtures|wikinews]
        [--join 1] [--profile 30]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run(docs, ctx, mb: float) -> tuple[int, int, float, float]:
    from unspin.analysis import analyze

    target = mb * 1024 * 1024
    total, n = 0, 0
    c0, t0 = time.process_time(), time.perf_counter()
    while total < target:
        d = docs[n % len(docs)]
        analyze(d, ctx)
        total += len(d.text.encode("utf-8"))
        n += 1
    return total, n, time.process_time() - c0, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=2.0)
    ap.add_argument("--only", choices=("no-generic", "all"))
    ap.add_argument("--corpus", choices=("fixtures", "wikinews"), default="fixtures")
    ap.add_argument("--join", type=int, default=1, metavar="K", help="K articles per document")
    ap.add_argument("--profile", type=int, metavar="N", help="print the top N functions instead")
    args = ap.parse_args()

    from unspin.analysis import Context, analyze
    from unspin.config import Config
    from unspin.document import load_documents

    fixtures, _ = load_documents([str(REPO / "fixtures" / "articles")])
    docs = fixtures
    if args.corpus == "wikinews":
        sys.path.insert(0, str(REPO / "scripts"))
        import build_generic_data

        docs = build_generic_data.load_wikinews()
    if args.join > 1:
        from unspin.document import parse_text

        prose = [d.prose() for d in docs]
        docs = [parse_text("\n\n".join(prose[i:i + args.join]), f"joined-{i}", "text")[0]
                for i in range(0, len(prose), args.join)]
    modes = [m for m in (("no-generic", False), ("all", True)) if args.only in (None, m[0])]
    if not args.profile:
        print("| warm throughput (one core) | MB/s (CPU) | MB/s (wall) | documents | CPU s | load average |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, generic in modes:
        ctx = Context(config=Config(generic=generic))
        for d in fixtures[:5]:  # warm up: lexicon and models loaded
            analyze(d, ctx)
        if args.profile:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.enable()
            run(docs, ctx, args.mb)
            prof.disable()
            print(f"## {name}")
            st = pstats.Stats(prof)
            st.sort_stats("cumulative").print_stats(args.profile)
            st.sort_stats("tottime").print_stats(args.profile)
            continue
        total, n, cpu, wall = run(docs, ctx, args.mb)
        mb = total / 1024 / 1024
        corpus = {"fixtures": "fixture", "wikinews": "Wikinews"}[args.corpus]
        joined = f", {args.join} per document" if args.join > 1 else ""
        print(f"| analyze(), {name}, {args.mb:g} MB of {corpus} articles{joined} | {mb / cpu:.2f} "
              f"| {mb / wall:.2f} | {n} | {cpu:.2f} | {os.getloadavg()[0]:.2f} |")


if __name__ == "__main__":
    main()
