"""Compare US203 combiners (weights files) on the same held-out slots (development; issue #13).

The slot features do not depend on the combiner (only on ``prune_own``/``max_cand``, fixed), so the
held-out sets of ``evaluation.slots`` -- held-out clean news (Wikinews "test" + Reuters), our spinner's
half B, the hand-written thesaurus spinner, the open-thesaurus spinner's half B (the article
evaluation's spinner) and the screener TEST phrases -- are collected once (``--rows`` caches them)
and every weights file is scored on them: slot AUC, span recall at 0.5 and 1.0 false flags per 1k
clean words (US203 alone) and the first suggestion right at 0.5/1k.

    python -m evaluation.slot_models models/thesaurus/weights.json /tmp/w.json [--rows /tmp/rows.npz]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from .slots import BUDGETS, Rows, auc, collect, phrase_samples, span_metrics, threshold_at, wikinews_part_articles


def held_out_sets(n_docs: int = 150, n_reuters: int = 150, rate: float = 0.1, seed: int = 0):
    from .datasets import clean_sample, reuters_articles, spin_article, spinners
    from .open_thesaurus_spinner import OpenThesaurusSpinner
    from .slot_spinner import SlotSpinner

    arts = wikinews_part_articles("test", n_docs, seed) + reuters_articles(n_reuters, seed)
    p_spun, _ = phrase_samples("test", seed=seed)
    return {
        "clean": [clean_sample(a) for a in arts],
        "slot-B": [spin_article(a, SlotSpinner("B"), rate, seed) for a in arts],
        "hand-written": [spin_article(a, spinners(("thesaurus",))["thesaurus"], rate, seed) for a in arts],
        "open-B": [spin_article(a, OpenThesaurusSpinner("B"), rate, seed) for a in arts],
        "screener": p_spun,
    }


def _save(path: Path, sets: dict[str, Rows]) -> None:
    arrays = {}
    for name, r in sets.items():
        arrays |= {f"{name}|y": r.y, f"{name}|right": r.right, f"{name}|sample": r.sample, f"{name}|span": r.span,
                   f"{name}|words": np.array(r.words), f"{name}|spans": np.array(r.spans)}
        arrays |= {f"{name}|col_{k}": v for k, v in r.cols.items()}
    np.savez(path, **arrays)


def _load(path: Path) -> dict[str, Rows]:
    z = np.load(path, allow_pickle=False)
    names = sorted({k.split("|")[0] for k in z.files})
    out = {}
    for n in names:
        cols = {k.split("|col_")[1]: z[k] for k in z.files if k.startswith(n + "|col_")}
        out[n] = Rows(cols, z[n + "|y"], z[n + "|right"], z[n + "|sample"], z[n + "|span"],
                      int(z[n + "|words"]), int(z[n + "|spans"]))
    return out


def p_of(rows: Rows, weights: dict) -> np.ndarray:
    from unspin.detect.slots import SlotModel

    sm = SlotModel()
    sm.weights = weights
    p = np.full(len(rows.y), float(weights.get("p_unexpanded", 0.0)))
    ex = rows.cols["expanded"] > 0
    p[ex] = 1.0 / (1.0 + np.exp(-sm.log_odds({k: v[ex] for k, v in rows.cols.items()})))
    return p


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("weights", nargs="+", type=Path)
    ap.add_argument("--rows", type=Path, help="npz cache of the collected held-out slots")
    args = ap.parse_args(argv)
    if args.rows and args.rows.exists():
        sets = _load(args.rows)
    else:
        sets = {name: collect(samples) for name, samples in held_out_sets().items()}
        if args.rows:
            _save(args.rows, sets)
    clean = sets["clean"]
    print(f"held-out clean: {clean.words} words; budgets {BUDGETS}\n")
    print("| weights | set | slot AUC | recall@0.5/1k | recall@1/1k | recall@2/1k | right@0.5/1k | "
          "mean p clean | mean p spun |")
    print("|---|---|---|---|---|---|---|---|---|")
    for path in args.weights:
        w = json.loads(path.read_text(encoding="utf-8"))
        pc = p_of(clean, w)
        thr = {b: threshold_at(pc, clean.words, b) for b in (0.5, 1.0, 2.0)}
        for name, rows in sets.items():
            if name == "clean":
                continue
            p = p_of(rows, w)
            m = {b: span_metrics(rows, p, t) for b, t in thr.items()}
            print(f"| {path.name} | {name} | {auc(p[rows.y], p[~rows.y]):.3f} | {m[0.5]['recall']:.3f} | "
                  f"{m[1.0]['recall']:.3f} | {m[2.0]['recall']:.3f} | {m[0.5]['right']:.3f} | {pc.mean():.4f} | "
                  f"{p[rows.y].mean():.4f} |")


if __name__ == "__main__":
    main()
