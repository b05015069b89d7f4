"""What the archive's gate costs next to ``check`` and the match on the same articles.

    python benchmarks/bench_gate.py [--repeat 3]

Archive: the 294 Wikinews articles (../shared/data/news-corpus) added as originals (trusted).
Incoming: 300 articles, 150 spun copies of archived ones (thesaurus spinner, rate 0.3) and 150
Reuters articles with no source (research-only data: a benchmark input, not shipped).

Timed, warm (lexicon and models loaded by a first untimed pass), CPU time of this process and
wall time, best of ``--repeat``:

- check:        ``analyze_many`` without an archive (``unspin check``);
- match:        ``find_sources`` of each article against the archive (``unspin match``);
- check --db:   ``analyze_many`` with the archive as context (``unspin check --db``);
- gate:         ``gate_documents`` into a copy of the archive (``unspin archive add``), storing
                every article with its status, links and findings.

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

INCOMING = 300


def _timed(fn, repeat: int) -> tuple[float, float]:
    best_cpu = best_wall = float("inf")
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        best_wall = min(best_wall, time.perf_counter() - t)
        best_cpu = min(best_cpu, time.process_time() - c)
    return best_cpu, best_wall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from unspin.analysis import Context, analyze_many
    from unspin.evaluation.datasets import make_document, reuters_articles, spin_article, spinners, wikinews_articles
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
        with arc.write():
            pass
        arc.close()
        arc = open_archive(str(base), create=False)
        ctx = Context()
        list(analyze_many(incoming[:20], ctx))  # warm: lexicon, models
        db_ctx = Context(lexicon=ctx.lexicon, archive=arc)
        list(analyze_many(incoming[:20], db_ctx))

        results = {}
        results["check"] = _timed(lambda: list(analyze_many(incoming, ctx)), args.repeat)
        results["match"] = _timed(lambda: [find_sources(arc, d) for d in incoming], args.repeat)
        results["check --db"] = _timed(lambda: list(analyze_many(incoming, db_ctx)), args.repeat)
        counts = {}

        def gate() -> None:
            target = Path(tmp) / f"gate-{time.monotonic_ns()}.sqlite"
            shutil.copy(base, target)
            g = open_archive(str(target), create=False)
            try:
                counts.update(gate_documents(g, incoming, Context(lexicon=ctx.lexicon)).counts())
            finally:
                g.close()

        # the copy of the archive file is part of the wall time measured; it is a few milliseconds
        results["gate"] = _timed(gate, args.repeat)
        arc.close()
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
