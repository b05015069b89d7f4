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


# ---------------------------------------------------------------------------------------------------
# The spinner mixture and calibration (session 6): refit the shipped feature set on subsets of the
# training dump, calibrate out of fold (by article, or leaving each training spinner out), and score
# every held-out dump (AUC per spinner and rate, ECE at the prior as scripts/eval_article.py computes it).

SHIPPED = BASE + SLOT + ("slot203_per100_p50", "slot203_per100_p90", "slot203_lo_excess_per100")


def _weights(docs: list[dict]) -> np.ndarray:
    """Clean 1, each spun copy 1/(copies of its article): the classes weigh the same."""
    n: dict[int, int] = {}
    for e in docs:
        if e["y"]:
            n[e["g"]] = n.get(e["g"], 0) + 1
    return np.array([1.0 / n[e["g"]] if e["y"] else 1.0 for e in docs])


def fit_calibrated(train: list[dict], names: tuple[str, ...], C: float = 1.0, calib: str = "article",
                   folds: int = 5, prior: float = 0.1, calib_min_rate: float = 0.0) -> dict:
    """The scorer as ``build_scorer.py`` fits it (centred on clean means, logistic regression, Platt on
    out-of-fold decisions, shifted to ``prior``). ``calib``: "article" (5 folds grouped by article) or
    "spinner" (grouped by article AND each training spinner left out: a copy's decision comes from a model
    that saw neither its article nor its spinner; a clean article's from each of those models, weighted
    1/spinners)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    X = np.array([[e["_f"][n] for n in names] for e in train])
    y = np.array([e["y"] for e in train])
    g = np.array([e["g"] for e in train])
    sp = np.array([e.get("sp", "") for e in train])
    w = _weights(train)
    mean = X[y == 0].mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    Z = (X - mean) / scale

    def fit(m):
        return LogisticRegression(C=C, max_iter=5000).fit(Z[m], y[m], sample_weight=w[m])

    dec, dy, dw, dr = [], [], [], []
    rates = np.array([e["rate"] for e in train])
    fams = sorted(set(sp[y == 1]))
    for tr, te in GroupKFold(n_splits=folds).split(Z, y, g):
        mtr = np.zeros(len(y), dtype=bool)
        mtr[tr] = True
        if calib == "article":
            d = fit(mtr).decision_function(Z[te])
            dec.append(d), dy.append(y[te]), dw.append(w[te]), dr.append(rates[te])
            continue
        for f in fams:
            model = fit(mtr & (sp != f))
            te_f = te[(y[te] == 0) | (sp[te] == f)]
            d = model.decision_function(Z[te_f])
            dec.append(d), dy.append(y[te_f]), dr.append(rates[te_f])
            dw.append(np.where(y[te_f] == 0, w[te_f] / len(fams), w[te_f]))
    oof, oy, ow = np.concatenate(dec), np.concatenate(dy), np.concatenate(dw)
    if calib_min_rate:  # Platt on the clean articles and the copies at the rates the score is calibrated for
        keep = (oy == 0) | (np.concatenate(dr) >= calib_min_rate)
        oof, oy, ow = oof[keep], oy[keep], ow[keep]
    platt = LogisticRegression(C=1e6, max_iter=5000).fit(oof.reshape(-1, 1), oy, sample_weight=ow)
    final = fit(np.ones(len(y), dtype=bool))
    from sklearn.metrics import roc_auc_score

    return {"names": names, "mean": mean, "scale": scale, "coef": final.coef_[0], "intercept": final.intercept_[0],
            "a": float(platt.coef_[0][0]), "b": float(platt.intercept_[0]),
            "shift": float(np.log(prior / (1 - prior))), "oof_auc": float(roc_auc_score(oy, oof, sample_weight=ow))}


def fit_like_build(train: list[dict], names: tuple[str, ...], c: float | None = None, **kw) -> dict:
    """The scorer fitted by ``scripts/build_scorer.py``'s own ``fit_scorer`` (C chosen by leave-one-spinner-out
    AUC unless ``c`` is given; Platt on the clean articles and the copies at >= its CALIB_MIN_RATE)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from build_scorer import PRIOR, fit_scorer

    X = np.array([[e["_f"][n] for n in names] for e in train])
    y = np.array([e["y"] for e in train])
    m = fit_scorer(X, y, _weights(train), np.array([e["g"] for e in train]),
                   np.array([e.get("sp", "") for e in train]), np.array([e["rate"] for e in train]), c=c, **kw)
    from sklearn.metrics import roc_auc_score

    return m | {"names": names, "shift": float(np.log(PRIOR / (1 - PRIOR))),
                "oof_auc": float(roc_auc_score(y, m["oof"], sample_weight=_weights(train)))}


def score(model: dict, docs: list[dict]) -> np.ndarray:
    X = np.array([[e["_f"].get(n, m) for n, m in zip(model["names"], model["mean"], strict=True)] for e in docs])
    d = ((X - model["mean"]) / model["scale"]) @ model["coef"] + model["intercept"]
    return 1.0 / (1.0 + np.exp(-(model["a"] * d + model["b"] + model["shift"])))


def held_out_report(model: dict, test: list[dict], prior: float = 0.1) -> dict[str, float]:
    """AUC (vs all clean) per spinner and rate, and per spinner the ECE / Brier at ``prior`` over the
    clean articles and that spinner's copies of every rate (as ``eval_article.py``)."""
    from .metrics import auc, prior_weights, weighted_brier, weighted_reliability
    from .scoring import expected_calibration_error_weighted

    s = score(model, test).tolist()
    clean = [x for x, e in zip(s, test, strict=True) if not e["y"]]
    out: dict[str, float] = {}
    keys = sorted({(e.get("spinner", "open-thesaurus-b"), e["rate"]) for e in test if e["y"]})
    for spn, r in keys:
        pos = [x for x, e in zip(s, test, strict=True)
               if e["y"] and e["rate"] == r and e.get("spinner", "open-thesaurus-b") == spn]
        out[f"{spn}@{r:g}"] = auc(pos + clean, [1] * len(pos) + [0] * len(clean))
    for spn in sorted({k for k, _ in keys}):
        items = [(x, e["y"]) for x, e in zip(s, test, strict=True)
                 if not e["y"] or e.get("spinner", "open-thesaurus-b") == spn]
        sc = [x for x, _ in items]
        lab = [y for _, y in items]
        w = prior_weights(lab, prior)
        table = weighted_reliability(sc, lab, w, bins=10)
        out[f"{spn} ECE"] = expected_calibration_error_weighted(table, sc, w)
        out[f"{spn} Brier"] = weighted_brier(sc, lab, w)
    out["clean>=0.5"] = sum(1 for x in clean if x >= 0.5) / len(clean)
    return out


def mixture_main(argv: list[str] | None = None) -> None:
    """python -c 'from evaluation.article_features import mixture_main; mixture_main()' TRAIN.json EVAL.json..."""
    ap = argparse.ArgumentParser(description="refit the scorer on subsets of the training spinners")
    ap.add_argument("train", type=Path)
    ap.add_argument("eval", type=Path, nargs="+")
    ap.add_argument("--C", type=float, nargs="+", default=[1.0])
    ap.add_argument("--calib", nargs="+", default=["article", "spinner"])
    ap.add_argument("--spinners", nargs="+", default=None, help="subsets, comma-separated training spinner names")
    ap.add_argument("--max-rate", type=float, default=1.0)
    ap.add_argument("--min-rate", type=float, default=0.0)
    ap.add_argument("--calib-spinners", help="build: Platt on these training spinners' copies (comma-separated)")
    ap.add_argument("--calib-min-rate", type=float, nargs="+", default=[0.0],
                    help="Platt on the clean articles and the copies at this rate or more only")
    args = ap.parse_args(argv)
    train = json.loads(args.train.read_text())
    test = [e for p in args.eval for e in json.loads(p.read_text())]
    seen_clean: set = set()
    uniq = []
    for e in test:  # the clean articles appear in every dump once
        if not e["y"]:
            key = (e["corpus"], round(e["f"].get("ctx_gain_mean", 0.0), 9), e["words"])
            if key in seen_clean:
                continue
            seen_clean.add(key)
        uniq.append(e)
    test = uniq
    for e in train + test:
        e["_f"] = features_of(e)
    names_all = sorted({e.get("sp", "") for e in train if e["y"]})
    subsets = [tuple(s.split(",")) for s in args.spinners] if args.spinners else [tuple(names_all)]
    print(f"train {len(train)} documents ({', '.join(names_all)}), held out {len(test)}")
    header = None
    for subset in subsets:
        tr = [e for e in train if not e["y"] or (e.get("sp") in subset and args.min_rate <= e["rate"] <= args.max_rate)]
        for C in args.C:
            for calib in args.calib:
                for cmr in args.calib_min_rate:
                    m = fit_like_build(tr, SHIPPED, c=C if C > 0 else None, calib_min_rate=cmr,
                                       calib_spinners=tuple(args.calib_spinners.split(",")) if args.calib_spinners
                                       else None) if calib == "build" else \
                        fit_calibrated(tr, SHIPPED, C=C, calib=calib, calib_min_rate=cmr)
                    r = held_out_report(m, test)
                    if header is None:
                        header = list(r)
                        print("| training spinners | C | calibration | OOF AUC | a | " + " | ".join(header) + " |")
                        print("|---" * (5 + len(header)) + "|")
                    print(f"| {'+'.join(subset)} | {m.get('C', C):g} | {calib}{f' >= {cmr:g}' if cmr else ''} | "
                          f"{m['oof_auc']:.4f} | {m['a']:.3f} | " + " | ".join(f"{r[k]:.3f}" for k in header) + " |",
                          flush=True)
