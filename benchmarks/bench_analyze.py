"""Warm throughput of analysis in CPU time, per detector set, with an optional profile.

Feeds the 52 fixture articles round-robin through ``analyze_many()`` (batches of documents, as
``unspin check`` and ``unspin report`` analyse a folder or a feed) in one process after a warm-up,
until ``--mb`` MB of text has been analysed, and reports MB per CPU second (``time.process_time``,
so a loaded machine does not distort the rate) next to the wall-clock rate and the 1-minute load
average. ``--one-by-one`` calls ``analyze()`` per document instead (the pre-commit hook's and the
web page's case: one article). ``--profile N`` prints the top N functions by cumulative and by own
time instead; ``--stages`` adds CPU seconds per MB for each stage of the pipeline.

The fixtures repeat every 52 documents, which flatters what is remembered across documents (token
classes, phrase-table look-ups). ``--corpus wikinews`` feeds the Wikinews 2019-2020 articles of
the shared news corpus instead (about 1.3 MB, each analysed once unless ``--mb`` asks for more),
after the same warm-up on the fixtures. ``--join K`` glues K articles' prose into one plain-text
document (paragraphs kept), to separate the fixed cost per document from the cost per word.

    python benchmarks/bench_analyze.py [--mb 2] [--only no-generic|all] [--corpus fixtures|wikinews]
        [--one-by-one] [--join 1] [--rounds 1] [--profile 30 [--profile-out FILE]] [--stages]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run(docs, ctx, mb: float, one_by_one: bool = False) -> tuple[int, int, float, float]:
    """Analyse documents round-robin until ``mb`` MB of text: in batches (``analyze_many``, what
    ``unspin check`` and ``unspin report`` do with a folder or a feed), or ``analyze`` one at a time."""
    from unspin.analysis import analyze, analyze_many

    target = mb * 1024 * 1024
    sizes = [len(d.text.encode("utf-8")) for d in docs]
    plan: list[int] = []
    total = 0
    while total < target:
        k = len(plan) % len(docs)
        plan.append(k)
        total += sizes[k]
    c0, t0 = time.process_time(), time.perf_counter()
    if one_by_one:
        for k in plan:
            analyze(docs[k], ctx)
    else:
        for _ in analyze_many((docs[k] for k in plan), ctx):
            pass
    return total, len(plan), time.process_time() - c0, time.perf_counter() - t0


def machine_reference() -> float:
    """Seconds for a pure-Python loop of 10**7 additions: this VM's speed drifts by up to 2x within a
    day, so a throughput is only comparable with the reference measured beside it."""
    t = time.perf_counter()
    total = 0
    for i in range(10**7):
        total += i
    return time.perf_counter() - t


def stage_timers():
    """Wrap the pipeline's main functions with CPU timers (a Counter of seconds per stage); the
    timers cost a few microseconds per call, negligible against batches."""
    from collections import Counter

    import unspin.analysis as an
    from unspin import text
    from unspin.detect import article, context_lm, generic, lexicon, scorer, slots, spinmap, words

    spent: Counter = Counter()

    def wrap(owner, name: str, label: str) -> None:
        f = getattr(owner, name)

        def timed(*a, **k):
            t = time.process_time()
            try:
                return f(*a, **k)
            finally:
                spent[label] += time.process_time() - t

        setattr(owner, name, timed)

    for owner, name, label in (
            (generic, "score_words", "US201 (all of it)"), (words, "split_uncached", "  sentence split, token tables"),
            (generic, "_phrase_matches", "  US201 phrase windows"), (spinmap, "_candidates", "US202 occurrences"),
            (spinmap, "_restore", "  US202 restorations"), (spinmap.SpinMap, "score", "US202 trees"),
            (context_lm, "_gains_locked", "scorer's substitution gain"),
            (slots, "_columns", "US203 slot columns"), (slots, "slot_findings", "US203 (all of it)"),
            (slots.SlotModel, "log_odds", "  US203 combiner (boosted trees)"),
            (article, "batch_slots", "article slots (batch_slots)"), (article, "_one_per_span", "  one slot per span"),
            (article, "suspicious", "suspicious words (per document)"),
            (scorer, "score_document", "article score (per document)"), (lexicon, "lexicon_findings", "lexicon"),
            (an, "_finish", "per document: normalisation, score, report"),
            (text.MatchStream, "__init__", "MatchStream (tokens)"),
            (text.MatchStream, "_all_offsets", "  token offsets")):
        wrap(owner, name, label)
    return spent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=2.0)
    ap.add_argument("--only", choices=("no-generic", "all"))
    ap.add_argument("--corpus", choices=("fixtures", "wikinews"), default="fixtures")
    ap.add_argument("--join", type=int, default=1, metavar="K", help="K articles per document")
    ap.add_argument("--one-by-one", action="store_true", help="analyze() each document alone (no batches)")
    ap.add_argument("--profile", type=int, metavar="N", help="print the top N functions instead")
    ap.add_argument("--rounds", type=int, default=1,
                    help="analyse the --mb documents this many times in the process (later rounds find every token "
                         "type known, as a long run does); one row per round")
    ap.add_argument("--profile-out", metavar="FILE", help="with --profile: also save the pstats to FILE")
    ap.add_argument("--stages", action="store_true", help="also print CPU seconds per MB by pipeline stage")
    args = ap.parse_args()
    timers = stage_timers() if args.stages else None

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
        print(f"machine reference (pure-Python loop of 10**7 additions): {machine_reference():.2f} s\n")
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
            run(docs, ctx, args.mb, args.one_by_one)
            prof.disable()
            print(f"## {name}")
            st = pstats.Stats(prof)
            if args.profile_out:
                st.dump_stats(args.profile_out)
            st.sort_stats("cumulative").print_stats(args.profile)
            st.sort_stats("tottime").print_stats(args.profile)
            continue
        for r in range(args.rounds):
            total, n, cpu, wall = run(docs, ctx, args.mb, args.one_by_one)
            mb = total / 1024 / 1024
            corpus = {"fixtures": "fixture", "wikinews": "Wikinews"}[args.corpus]
            joined = f", {args.join} per document" if args.join > 1 else ""
            how = "analyze() one by one" if args.one_by_one else "analyze_many()"
            again = f" (round {r + 1})" if args.rounds > 1 else ""
            print(f"| {how}, {name}, {args.mb:g} MB of {corpus} articles{joined}{again} | {mb / cpu:.2f} "
                  f"| {mb / wall:.2f} | {n} | {cpu:.2f} | {os.getloadavg()[0]:.2f} |")
        if timers is not None:
            print(f"\n| stage ({name}; nested stages are also inside their parent) | CPU s per MB |")
            print("| --- | ---: |")
            for stage, sec in timers.most_common():
                print(f"| {stage} | {sec / (mb * args.rounds):.3f} |")
            print()
            timers.clear()


if __name__ == "__main__":
    main()
