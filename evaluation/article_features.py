"""Try article-level aggregations of the slot evidence offline (development; issue #13).

Reads the dumps of ``scripts/build_scorer.py --dump TRAIN.json`` (Wikinews TRAIN, half-A spinners) and
``scripts/eval_article.py --dump EVAL.json`` (held-out clean + open-thesaurus half B copies), both of which
carry every document's raw slots (``evaluation/slot_capture.py``). For each named feature set it fits the
scorer exactly as ``build_scorer.py`` does (standardise, logistic regression C=1, class weights) on the
training dump and prints the held-out AUC at each rate (all clean and per corpus) -- an ablation per
aggregation without rerunning the detectors. Candidate aggregations are computed here from the raw
slots; the shipped one is ``unspin.detect.article.slot_features``.

    python -m evaluation.article_features TRAIN.json EVAL.json [--sets base,llr,...]
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

BASE = ("us1_per100", "us2_per100", "us2_weighted_per100", "us2_max_confidence", "ctx_gain_mean", "ctx_lift_mean",
        "ctx_low_lift_frac", "ctx_gain_gt1", "ctx_gain_gt2.5", "ctx_gain_gt5")
SLOT = ("slot_share_p50", "slot_share_p20", "slot_per100_p50", "slot_per100_p20", "slot_per100_p05", "slot_top5",
        "slot_top10", "slot_mean_lo", "slot_lo_excess_per100")


def extra_features(slots: list[list[float]], words: int) -> dict[str, float]:
    """Candidate aggregations of one document's slots ([p, judge, margin, start, end, restores])."""
    per = 100.0 / (max(words, 0) + 200)
    if slots:
        a = np.asarray(slots, dtype=np.float64)
        p = np.clip(a[:, 0], 1e-6, 1 - 1e-6)
        judge = a[:, 1]
    else:
        p = np.zeros(0)
        judge = np.zeros(0)
    lo = np.clip(np.log(p / (1 - p)), -12, 12)
    out: dict[str, float] = {}
    for t in (0.7, 0.9):
        out[f"x_per100_p{int(t * 100)}"] = per * float((p >= t).sum())
    out["x_sum_p_per100"] = per * float(p.sum())
    for c in (-4.0, -3.0, -1.0, 0.0):
        out[f"x_excess{c:g}_per100"] = per * float(np.maximum(lo - c, 0.0).sum())
    srt = np.sort(lo)[::-1]
    for k in (3, 20, 40):
        out[f"x_toplo{k}"] = float(srt[:k].sum() / k) if len(srt) else -12.0
    # mixture log-likelihood ratio: each slot spun with probability pi; p at the judge's training
    # base rate b is read as a likelihood ratio p/(1-p) * (1-b)/b
    for j, name in ((203.0, "203"), (201.0, "201"), (202.0, "202")):
        m = judge == j
        out[f"x_n{name}_per100"] = per * float(m.sum())
        out[f"x_sum_p{name}_per100"] = per * float(p[m].sum())
        out[f"x_p50_{name}_per100"] = per * float((p[m] >= 0.5).sum())
        pj, lj = p[m], lo[m]
        for t in (0.2, 0.7, 0.9):
            out[f"x_p{int(t * 100)}_{name}_per100"] = per * float((pj >= t).sum())
        out[f"x_excess0_{name}_per100"] = per * float(np.maximum(lj, 0.0).sum())
        out[f"x_excess-2_{name}_per100"] = per * float(np.maximum(lj + 2.0, 0.0).sum())
        out[f"x_excess1_{name}_per100"] = per * float(np.maximum(lj - 1.0, 0.0).sum())
        out[f"x_excess2_{name}_per100"] = per * float(np.maximum(lj - 2.0, 0.0).sum())
        out[f"x_share_p50_{name}"] = (float((pj >= 0.5).sum()) + 20 * 0.004) / (len(pj) + 20)
        out[f"x_top5_{name}"] = float(np.sort(pj)[::-1][:5].sum() / 5.0)
        out[f"x_mean_lo_{name}"] = (float(lj.sum()) - 20 * 6.0) / (len(lj) + 20)
    b = 0.05
    lr = np.exp(lo) * (1 - b) / b
    for pi in (0.02, 0.05, 0.1):
        llr = float(np.log1p(pi * (lr - 1.0)).sum())
        out[f"x_llr{pi:g}"] = llr
        out[f"x_llr{pi:g}_per100"] = per * llr
    return out


def features_of(entry: dict) -> dict[str, float]:
    f = dict(entry["f"])
    words = entry.get("words", f.get("words", 0))
    f |= extra_features(entry["slots"], int(words))
    return f


SETS = {
    "base": BASE + SLOT,
    "no-slots": BASE,
    "+counts": BASE + SLOT + ("x_per100_p70", "x_per100_p90", "x_sum_p_per100"),
    "+excess": BASE + SLOT + ("x_excess-4_per100", "x_excess-3_per100", "x_excess-1_per100", "x_excess0_per100"),
    "+toplo": BASE + SLOT + ("x_toplo3", "x_toplo20", "x_toplo40"),
    "+judges": BASE + SLOT + ("x_n203_per100", "x_sum_p203_per100", "x_p50_203_per100", "x_sum_p201_per100",
                              "x_p50_201_per100", "x_sum_p202_per100", "x_p50_202_per100"),
    "+llr": BASE + SLOT + ("x_llr0.02", "x_llr0.05", "x_llr0.1"),
    "+llr100": BASE + SLOT + ("x_llr0.02_per100", "x_llr0.05_per100", "x_llr0.1_per100"),
}
SETS["+all"] = tuple(dict.fromkeys(sum((v for v in SETS.values()), ())))


def fit_eval(train: list[dict], test: list[dict], names: tuple[str, ...], C: float = 1.0,
             max_copies: int | None = None) -> dict[str, float]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    tr = train
    if max_copies is not None:  # the first copies of each article only (fewer training documents)
        seen: dict[int, int] = {}
        tr = []
        for e in train:
            if e["y"]:
                seen[e["g"]] = seen.get(e["g"], 0) + 1
                if seen[e["g"]] > max_copies:
                    continue
            tr.append(e)
    X = np.array([[e["_f"][n] for n in names] for e in tr])
    y = np.array([e["y"] for e in tr])
    ncopy: dict[int, int] = {}
    for e in tr:
        if e["y"]:
            ncopy[e["g"]] = ncopy.get(e["g"], 0) + 1
    w = np.array([1.0 / ncopy[e["g"]] if e["y"] else 1.0 for e in tr])
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1
    clf = LogisticRegression(C=C, max_iter=5000).fit((X - mean) / scale, y, sample_weight=w)
    Xt = np.array([[e["_f"][n] for n in names] for e in test])
    s = clf.decision_function((Xt - mean) / scale)
    out = {}
    yt = np.array([e["y"] for e in test])
    rates = sorted({e["rate"] for e in test if e["y"]})
    corpora = sorted({e["corpus"] for e in test if not e["y"]})
    for r in rates:
        m = (yt == 0) | np.array([e["rate"] == r for e in test])
        out[f"auc{r:g}"] = roc_auc_score(yt[m], s[m])
        for c in corpora:
            mc = m & ((yt == 1) | np.array([e["corpus"] == c for e in test]))
            out[f"auc{r:g}_{c}"] = roc_auc_score(yt[mc], s[mc])
    return out


def top_precision(docs: list[dict], offsets: dict[float, float], top: int = 10, min_score: float = 0.05) -> float:
    """Share of spun words among the ``top`` ranked slots (as ``article.suspicious``), with the judges'
    log-odds shifted by ``offsets``."""
    hit = tot = 0
    for e in docs:
        subs = e["subs"]
        cand = []
        for p, judge, _m, a, b, restores in e["slots"]:
            if p < min_score or not restores:
                continue
            lo = math.log(max(p, 1e-6) / max(1 - p, 1e-6)) + offsets.get(judge, 0.0)
            cand.append((-lo, a, b))
        cand.sort()
        for _k, a, b in cand[:top]:
            tot += 1
            hit += any(a < y and x < b for x, y in subs)
    return hit / max(tot, 1)


def ranking(train: list[dict], test: list[dict]) -> None:
    grid = (-3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0)
    tr = [e for e in train if e["y"] and 0.05 <= e["rate"] <= 0.15]
    best = max((top_precision(tr, {201.0: a, 202.0: b}), a, b) for a in grid for b in grid)
    print(f"ranking: training top-10 {top_precision(tr, {}):.3f} unshifted, {best[0]:.3f} with US201 {best[1]:+g}, "
          f"US202 {best[2]:+g} (log-odds, vs US203)")
    for r in sorted({e["rate"] for e in test if e["y"]}):
        te = [e for e in test if e["y"] and e["rate"] == r]
        print(f"  held out {r:.0%}: top-10 {top_precision(te, {}):.3f} -> "
              f"{top_precision(te, {201.0: best[1], 202.0: best[2]}):.3f}; top-5 {top_precision(te, {}, 5):.3f} -> "
              f"{top_precision(te, {201.0: best[1], 202.0: best[2]}, 5):.3f}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("train", type=Path)
    ap.add_argument("eval", type=Path)
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--copies", type=int, default=None, help="use only the first N spun copies per article")
    ap.add_argument("--C", type=float, default=1.0)
    ap.add_argument("--ranking", action="store_true", help="also fit per-judge offsets of the word ranking")
    args = ap.parse_args(argv)
    train = json.loads(args.train.read_text())
    test = json.loads(args.eval.read_text())
    if args.ranking:
        ranking(train, test)
    for e in train + test:
        e["_f"] = features_of(e)
    print(f"train {len(train)} documents, eval {len(test)}")
    header = None
    for name in args.sets.split(","):
        r = fit_eval(train, test, SETS[name], C=args.C, max_copies=args.copies)
        if header is None:
            header = list(r)
            print("| features | " + " | ".join(header) + " |\n|---" * 1 + "|---" * len(header) + "|")
        print(f"| {name} | " + " | ".join(f"{r[k]:.3f}" for k in header) + " |")


if __name__ == "__main__":
    main()
