"""Article score and ranked suspicious words on text spun by the HELD-OUT open-thesaurus spinner (issue #13).

Positives: held-out clean articles spun by ``OpenThesaurusSpinner("B")`` (Moby + MyThes, headword
half B; the shipped scorer is trained on half A only) at 10% and 30% of content words. Negatives:
held-out clean articles -- the Wikinews DEV split (``sha1(id)[0] % 3 == 0``, never used to train the
scorer), a seeded Reuters-21578 sample (research use only: evaluation, never a shipped model) and the
project's fixture articles. Prints markdown tables: AUC per rate (all clean, and per clean corpus),
a reliability table at the scorer's prior, and for the suspicious-word ranking the share of the top
10 (and top 5) that are spun, on the 10% copies.

``--db URL --archive-size N`` records the n-gram counts (``unspin.match.corpus.record_originals``) of N
Reuters stories (none of them in the evaluation sample) in a fresh archive before the run, so the
archive-as-corpus judge can be measured against its archive size (only the counts: no source-matching
rule runs here).

    PYTHONPATH=src python scripts/eval_article.py [--reuters 300] [--rates 0.1 0.3] [--seed 0]
        [--db sqlite:///tmp/a.db --archive-size 1000]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # the evaluation/ package

from evaluation import datasets as ds  # noqa: E402
from evaluation.metrics import (  # noqa: E402
    auc,
    prior_weights,
    weighted_brier,
    weighted_reliability,
)
from evaluation.open_thesaurus_spinner import OpenThesaurusSpinner  # noqa: E402
from evaluation.scoring import expected_calibration_error_weighted  # noqa: E402
from unspin.analysis import Context, analyze_many  # noqa: E402
from unspin.config import Config  # noqa: E402


def wikinews_dev(a: ds.Article) -> bool:
    return hashlib.sha1(a.id.encode()).digest()[0] % 3 == 0


def clean_articles(n_reuters: int, seed: int) -> list[ds.Article]:
    wiki = [a for a in ds.wikinews_articles() if wikinews_dev(a)]
    return wiki + ds.reuters_articles(n_reuters, seed=seed) + ds.fixture_articles()


def build_archive(url: str, size: int, exclude: set[str], seed: int) -> None:
    """Archive ``size`` Reuters stories (not in ``exclude``) with their n-gram counts."""
    from unspin.match.archive import open_archive
    from unspin.match.corpus import record_originals

    pool = [a for a in ds.reuters_articles(size + len(exclude) + 50, seed=seed + 1, min_words=80)
            if a.id not in exclude][:size]
    archive = open_archive(url)
    docs = [a.document() for a in pool]
    t = time.time()
    # only the n-gram counts: this evaluation selects no source-matching rule (US3), so the LSH index
    # of ``archive add`` would not be read; ``unspin archive add`` does both
    n = record_originals(archive, docs)
    archive.close()
    print(f"counted {n} Reuters stories into {url} in {time.time() - t:.0f} s", file=sys.stderr)


SPINNERS = ("open-thesaurus-b", "thesaurus", "wordnet", "lexicon-reverse")


def make_spinner(name: str):
    """An evaluation spinner by name: the open-thesaurus spinner's half B, or one of ``unspin eval``'s."""
    if name == "open-thesaurus-b":
        return OpenThesaurusSpinner("B")
    got = ds.spinners((name,))
    if name not in got:
        raise SystemExit(f"spinner {name} is not available here")
    return got[name]


def overlaps(s, subs) -> bool:
    return any(s["start"] < x.end and x.start < s["end"] for x in subs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reuters", type=int, default=300)
    ap.add_argument("--rates", type=float, nargs="+", default=[0.1, 0.3])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--db", help="archive URL (created) for the archive-as-corpus runs")
    ap.add_argument("--archive-size", type=int, default=0)
    ap.add_argument("--prior", type=float, default=0.1)
    ap.add_argument("--dump", type=Path, help="also write every sample's features here (JSON; development)")
    ap.add_argument("--spinners", nargs="+", default=["open-thesaurus-b"], choices=SPINNERS,
                    help="evaluation spinners (default: the open-thesaurus spinner's half B); the others are the "
                         "score suite's (`unspin eval`: the hand-written thesaurus, WordNet, lexicon-reverse)")
    args = ap.parse_args()
    t0 = time.time()
    clean = clean_articles(args.reuters, args.seed)
    archive = None
    if args.db:
        if args.archive_size:
            build_archive(args.db, args.archive_size, {a.id for a in clean}, args.seed)
        from unspin.match.archive import open_archive

        archive = open_archive(args.db)
    spinners = [make_spinner(name) for name in args.spinners]
    samples = [ds.clean_sample(a) for a in clean]
    for spinner in spinners:
        for rate in args.rates:
            samples += [ds.spin_article(a, spinner, rate, args.seed) for a in clean]
    ctx = Context(config=Config(generic=True), archive=archive)
    if archive is not None:
        ctx.config = Config(generic=True, select=("US1", "US2", "US9"))  # no source findings: the judge only
    if args.dump:
        from evaluation.slot_capture import capture

        with capture() as slot_log:
            reports = list(analyze_many([s.document() for s in samples], ctx))
        import json

        if len(slot_log) != len(reports):
            slot_log = [[] for _ in reports]
        args.dump.write_text(json.dumps([{"f": r.features, "y": int(s.spun), "rate": s.rate, "corpus": s.corpus,
                                          "spinner": s.spinner,
                                          "score": r.score, "slots": sl, "words": r.words,
                                          "subs": [[x.start, x.end] for x in s.substitutions]}
                                         for s, r, sl in zip(samples, reports, slot_log, strict=True)]))
    else:
        reports = list(analyze_many([s.document() for s in samples], ctx))
    by_corpus: dict[str, list[float]] = {}
    for s, r in zip(samples, reports, strict=True):
        if not s.spun:
            by_corpus.setdefault(s.corpus, []).append(r.score)
    neg = [x for v in by_corpus.values() for x in v]
    print(f"\n{len(clean)} clean articles ({', '.join(f'{k} {len(v)}' for k, v in sorted(by_corpus.items()))}); "
          f"spinners {', '.join(sp.name for sp in spinners)}; archive {args.archive_size if args.db else 0}; "
          f"{time.time() - t0:.0f} s\n")
    many = len(spinners) > 1
    print(("| spinner " if many else "") + "| rate | substitutions / 100 words | AUC vs all clean | " +
          " | ".join(f"AUC vs {k}" for k in sorted(by_corpus)) + " | top-10 spun | top-5 spun |")
    print("|---" * (5 + many + len(by_corpus)) + "|")
    for spinner, rate in ((sp, rate) for sp in spinners for rate in args.rates):
        pos = [(s, r) for s, r in zip(samples, reports, strict=True)
               if s.spun and s.rate == rate and s.spinner == spinner.name]
        p = [r.score for _, r in pos]
        words = sum(r.words for _, r in pos)
        nsub = sum(len(s.substitutions) for s, _ in pos)
        cells = [f"{auc(p + v, [1] * len(p) + [0] * len(v)):.3f}" for _, v in sorted(by_corpus.items())]
        hit10 = tot10 = hit5 = tot5 = 0
        for s, r in pos:
            sus = r.extra.get("suspicious", [])
            hit10 += sum(1 for x in sus[:10] if overlaps(x, s.substitutions))
            tot10 += min(10, len(sus))
            hit5 += sum(1 for x in sus[:5] if overlaps(x, s.substitutions))
            tot5 += min(5, len(sus))
        all_clean = auc(p + neg, [1] * len(p) + [0] * len(neg))
        print((f"| {spinner.name} " if many else "") + f"| {rate:.0%} | {100 * nsub / max(words, 1):.1f} | "
              f"{all_clean:.3f} | "
              + " | ".join(cells)
              + f" | {hit10 / tot10 if tot10 else float('nan'):.3f} ({tot10 / max(len(pos), 1):.1f}/article) | "
              f"{hit5 / tot5 if tot5 else float('nan'):.3f} |")
    # reliability at the prior, over clean + every rate of the first spinner
    first = [(s, r) for s, r in zip(samples, reports, strict=True) if s.spinner in ("", spinners[0].name)]
    scores = [r.score for _, r in first]
    labels = [1 if s.spun else 0 for s, _ in first]
    w = prior_weights(labels, args.prior)
    table = weighted_reliability(scores, labels, w, bins=10)
    print(f"\nReliability at prior {args.prior:.0%} (clean + {spinners[0].name} copies of every rate, re-weighted): "
          f"Brier {weighted_brier(scores, labels, w):.4f}, ECE "
          f"{expected_calibration_error_weighted(table, scores, w) or 0:.3f}\n")
    print("| score bin | articles | mean score | fraction spun (at prior) |\n|---|---|---|---|")
    for i, b in enumerate(table):
        print(f"| {i / 10:.1f}–{(i + 1) / 10:.1f} | {b.count} | {b.mean_score:.3f} | "
              f"{b.fraction_spun:.3f} |" if b.count else f"| {i / 10:.1f}–{(i + 1) / 10:.1f} | 0 | | |")


if __name__ == "__main__":
    main()
