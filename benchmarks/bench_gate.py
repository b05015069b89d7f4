"""What the archive's gate costs next to ``check`` and the match on the same articles.

    python benchmarks/bench_gate.py [--repeat 3]

Archive: the 294 Wikinews articles (../shared/data/news-corpus) added as originals (trusted).
Incoming: 300 articles, 150 spun copies of archived ones (thesaurus spinner, rate 0.3) and 150
Reuters articles with no source (research-only data: a benchmark input, not shipped).

Timed, warm (lexicon and models loaded by a first untimed pass), CPU time of this process and
wall time, best of ``--repeat`` rounds (each round runs the four steps in turn):

- check:        ``analyze_many`` without an archive (``unspin check``);
- match:        ``find_sources`` of each article against the archive (``unspin match``);
- check --db:   ``analyze_many`` with the archive as context (``unspin check --db``);
- gate:         ``gate_documents`` into a copy of the archive (``unspin archive add``), storing
                every article with its status, links and findings.

The three archive steps open the archive inside the timed region, as their commands do (a fresh
connection, a cold SQLite page cache); the gate's copies of the archive are made beforehand.

The gate's target: no more than check + match. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the evaluation/ package

INCOMING = 300


def _timed(steps: dict, repeat: int) -> dict[str, tuple[float, float]]:
    """Best (CPU, wall) of ``repeat`` rounds; each round runs every step once, in turn, so that load
    from other processes on a shared machine falls on all steps alike."""
    best = {name: (float("inf"), float("inf")) for name in steps}
    for _ in range(repeat):
        for name, fn in steps.items():
            t, c = time.perf_counter(), time.process_time()
            fn()
            wall, cpu = time.perf_counter() - t, time.process_time() - c
            best[name] = (min(best[name][0], cpu), min(best[name][1], wall))
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from evaluation.datasets import make_document, reuters_articles, spin_article, spinners, wikinews_articles
    from unspin.analysis import Context, analyze_many
    from unspin.match.archive import open_archive
    from unspin.match.gate import gate_documents
    from unspin.match.sources import find_sources

    wiki = wikinews_articles()
    spinner = spinners(("thesaurus",))["thesaurus"]
    half = INCOMING // 2
    copies = [replace(make_document(spin_article(a, spinner, 0.3, 11).text, f"copy:{a.id}"), id=f"copy:{a.id}")
              for a in wiki[:half]]
    fresh = [replace(make_document(a.text, f"reuters:{a.id}"), id=f"reuters:{a.id}")
             for a in reuters_articles(half, seed=3)]
    incoming = copies + fresh
    words = sum(len(d.text.split()) for d in incoming)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base.sqlite"
        arc = open_archive(str(base))
        arc.add_documents(replace(make_document(a.text, f"wikinews:{a.id}"), id=f"wikinews:{a.id}") for a in wiki)
        arc.close()
        ctx = Context()
        list(analyze_many(incoming[:20], ctx))  # warm: lexicon, models
        copies_left = []
        for k in range(args.repeat):  # the gate writes: one copy of the archive per round, made beforehand
            target = Path(tmp) / f"gate-{k}.sqlite"
            shutil.copy(base, target)
            copies_left.append(target)
        counts = {}

        # Each step opens the archive, as the command does (a fresh connection and page cache)
        def match() -> None:
            arc = open_archive(str(base), create=False)
            try:
                [find_sources(arc, d) for d in incoming]
            finally:
                arc.close()

        def check_db() -> None:
            arc = open_archive(str(base), create=False)
            try:
                list(analyze_many(incoming, Context(lexicon=ctx.lexicon, archive=arc)))
            finally:
                arc.close()

        def gate() -> None:
            g = open_archive(str(copies_left.pop()), create=False)
            try:
                counts.update(gate_documents(g, incoming, Context(lexicon=ctx.lexicon)).counts())
            finally:
                g.close()

        results = _timed({
            "check": lambda: list(analyze_many(incoming, ctx)),
            "match": match,
            "check --db": check_db,
            "gate": gate,
        }, args.repeat)
    check_match = tuple(a + b for a, b in zip(results["check"], results["match"], strict=True))
    print(f"{platform.node()} ({platform.processor() or platform.machine()}, {os.cpu_count()} cores), "
          f"{time.strftime('%Y-%m-%d')}, Python {platform.python_version()}; {len(incoming)} articles "
          f"({words} words), archive of {len(wiki)} originals; best of {args.repeat}")
    print(f"gate outcome: {counts}\n")
    print("| Step | CPU s | wall s | articles/s (CPU) | vs check + match (CPU) |")
    print("|---|---:|---:|---:|---:|")
    for name, (cpu, wall) in [*results.items(), ("check + match", check_match)]:
        print(f"| {name} | {cpu:.2f} | {wall:.2f} | {len(incoming) / cpu:.0f} | {cpu / check_match[0]:.2f} |")


if __name__ == "__main__":
    main()
