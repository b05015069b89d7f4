"""Fit the slot detector's combiner (US203): models/thesaurus/weights.json.

Training data (never the evaluation's): the Wikinews "train" two thirds (``evaluation.slots.
wikinews_part``) and the project's fixtures, clean and spun by our spinner's half "A"
(``evaluation/slot_spinner.py``: only originals whose WordNet lemma hashes to half A are replaced)
at 10% and 20% of content words; the screener half's TRAIN split in template sentences (and their
canonical twins). A slot is positive when it overlaps a substitution (for screener phrases: and is
not one of the canonical words). A logistic regression (scikit-learn, build time only) over the
features of ``detect/slots.py`` is exported as JSON; run time evaluates it with numpy.

The threshold keeps false flags at ``--budget`` per 1,000 words on the Wikinews "cal" part (held out
from training; the evaluation uses the "test" part and Reuters).

    python scripts/build_slots.py [--docs 500] [--seeds 3] [--no-open-spinner] [--trees 150] [--rows CACHE.npz]

The shipped combiner (2026-12-07) is the default: ``--seeds 3 --open-spinner --trees 150 --depth 5 --lr 0.1``
(before: one seed, no open-thesaurus copies, 60 trees of depth 4, learning rate 0.15).
``--seeds N`` spins every training article N times per rate (different seeds; each copy weighted 1/N so
the classes keep the weight of one copy and ``p_spun`` its calibration); ``--open-spinner`` adds copies
spun by the open-thesaurus spinner's half A (``evaluation/open_thesaurus_spinner.py``: Moby + MyThes
entries, not the detector's own table; same 1/N weight). Half B, the screener TEST split and the
Wikinews "cal"/"test" parts are never used.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # the evaluation/ package
sys.path.insert(0, str(Path(__file__).resolve().parent))

from evaluation.datasets import clean_sample, fixture_articles, spin_article  # noqa: E402
from evaluation.slot_spinner import SlotSpinner  # noqa: E402
from evaluation.slots import collect, phrase_samples, threshold_at, wikinews_part_articles  # noqa: E402
from unspin.detect import slots as sl  # noqa: E402

EXTRA = ("gain:pos", "gain:neg", "gain_left:pos", "gain_right:pos", "own_pmi:clip", "gain2:pos")


def set_threshold(weights: dict, args) -> int:
    """The p_spun threshold that keeps ``args.budget`` false flags per 1,000 words on the Wikinews
    "cal" part (held out from training); returns the number of words it was set on."""
    sm = sl.load_slot_model()
    sm.weights = weights
    cal = collect([clean_sample(a) for a in wikinews_part_articles("cal", args.cal_docs)])
    p = np.full(len(cal.y), weights.get("p_unexpanded", 0.0))
    ex = cal.cols["expanded"] > 0
    p[ex] = 1.0 / (1.0 + np.exp(-sm.log_odds({k: v[ex] for k, v in cal.cols.items()})))
    thr = threshold_at(p, cal.words, args.budget)
    weights["threshold"] = float(min(max(thr, 0.5), 0.999)) + 1e-9
    weights["budget_per_1k"] = args.budget
    return cal.words


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=500)
    ap.add_argument("--cal-docs", type=int, default=250)
    ap.add_argument("--budget", type=float, default=0.15,
                    help="false flags per 1k clean words for US203 alone (US201+US202 use about 0.35 of the 0.5)")
    ap.add_argument("--C", type=float, default=0.3)
    ap.add_argument("--kind", choices=("trees", "logistic"), default="trees")
    ap.add_argument("--depth", type=int, default=5)
    ap.add_argument("--trees", type=int, default=150)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--prune-own", type=float, default=-8.5)
    ap.add_argument("--max-cand", type=int, default=12)
    ap.add_argument("--out", type=Path, default=ROOT / "models" / "thesaurus" / "weights.json")
    ap.add_argument("--own-threshold", action="store_true",
                    help="ship this build's own threshold, not the shipped joint one (then rerun "
                         "python -m evaluation.slot_budget --write)")
    ap.add_argument("--seeds", type=int, default=3, help="spun copies per article and rate (weighted 1/N)")
    ap.add_argument("--open-spinner", action=argparse.BooleanOptionalAction, default=True,
                    help="also train on copies spun by the open-thesaurus spinner, half A")
    ap.add_argument("--rows", type=Path, help="cache of the collected slot columns (npz; development)")
    ap.add_argument("--threshold-only", action="store_true",
                    help="keep the fitted combiner, only recalibrate the threshold for --budget")
    args = ap.parse_args()
    if args.threshold_only:
        weights = json.loads(args.out.read_text(encoding="utf-8"))
        weights.get("training", {}).pop("budget_per_1k", None)
        set_threshold(weights, args)
        args.out.write_text(json.dumps(weights, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(json.dumps({"threshold": weights["threshold"]}), file=sys.stderr)
        return
    from sklearn.linear_model import LogisticRegression

    t0 = time.time()
    sm = sl.load_slot_model()
    sm.weights = {"prune_own": args.prune_own, "max_cand": args.max_cand}  # features only, no combiner
    arts = wikinews_part_articles("train", args.docs) + fixture_articles()
    spinner = SlotSpinner("A")
    samples = [clean_sample(a) for a in arts]
    weight = [1.0] * len(samples)
    copies = [(spinner, rate, seed + 2 * k) for k in range(args.seeds) for rate, seed in ((0.1, 1), (0.2, 2))]
    if args.open_spinner:
        from evaluation.open_thesaurus_spinner import OpenThesaurusSpinner

        spin_a = OpenThesaurusSpinner("A")
        copies += [(spin_a, rate, seed) for rate, seed in ((0.1, 1), (0.2, 2))]
    per_rate = args.seeds + (1 if args.open_spinner else 0)
    for sp, rate, seed in copies:
        samples += [spin_article(a, sp, rate, seed) for a in arts]
        weight += [1.0 / per_rate] * len(arts)
    p_spun, p_clean = phrase_samples("train")
    samples += p_spun + p_clean
    weight += [1.0] * (len(p_spun) + len(p_clean))
    rows = _collect_cached(samples, args.rows)
    sw = np.asarray(weight)[rows.sample]
    print(f"{len(samples)} samples, {len(rows.y)} slots, {int(rows.y.sum())} positive, "
          f"{time.time() - t0:.0f}s", file=sys.stderr)
    names = list(sl.FEATURES) + list(EXTRA)
    X = np.stack([sl._expand(np, rows.cols, n) for n in names], axis=1)
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    ex = rows.cols["expanded"] > 0  # the combiner scores expanded slots; the others get their base rate
    if args.kind == "logistic":
        clf = LogisticRegression(C=args.C, max_iter=2000)
        clf.fit(((X - mean) / scale)[ex], rows.y[ex], sample_weight=sw[ex])
        weights = {
            "kind": "logistic", "features": names,
            "coef": {n: float(c) for n, c in zip(names, clf.coef_[0], strict=True)},
            "mean": {n: float(v) for n, v in zip(names, mean, strict=True)},
            "scale": {n: float(v) for n, v in zip(names, scale, strict=True)},
            "intercept": float(clf.intercept_[0]),
        }
    else:
        from build_spinmap import export_trees
        from sklearn.ensemble import HistGradientBoostingClassifier

        names = list(sl.FEATURES)
        X = np.stack([rows.cols[n][ex] for n in names], axis=1)
        clf = HistGradientBoostingClassifier(max_depth=args.depth, max_iter=args.trees, learning_rate=args.lr,
                                             random_state=0)
        clf.fit(X, rows.y[ex], sample_weight=sw[ex])
        weights = export_trees(clf, names)
    weights.update({"prune_own": args.prune_own, "max_cand": args.max_cand,
                    "p_unexpanded": float(np.average(rows.y[~ex], weights=sw[~ex])) if (~ex).any() else 0.0})
    cal_words = set_threshold(weights, args)
    weights["training"] = {
        "samples": len(samples), "slots": int(len(rows.y)), "positives": int(rows.y.sum()),
        "calibration_words": cal_words,
        "data": "Wikinews train part + fixtures, clean and spun by thesaurus half A at 10%/20%"
                + (f" ({args.seeds} seeds per rate, each weighted 1/{per_rate})" if per_rate > 1 else "")
                + (" and by the open-thesaurus spinner half A" if args.open_spinner else "")
                + "; screener TRAIN split in templates with canonical twins"}
    from joint_thresholds import keep_joint

    keep_joint(weights, ROOT / "models" / "thesaurus" / "weights.json", own=args.own_threshold)
    args.out.write_text(json.dumps(weights, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(json.dumps({"threshold": weights["threshold"]}), f"{time.time() - t0:.0f}s", file=sys.stderr)


def _collect_cached(samples, path: Path | None):
    """``collect(samples)``, read from / written to ``path`` (npz) when given and it matches."""
    from evaluation.slots import Rows

    every = samples[:: max(1, len(samples) // 50)]
    key = str(len(samples)) + "|" + "|".join(s.id + s.spinner + str(s.rate) for s in every)
    if path is not None and path.exists():
        z = np.load(path, allow_pickle=False)
        if str(z["key"]) == key:
            cols = {k[4:]: z[k] for k in z.files if k.startswith("col_")}
            return Rows(cols, z["y"], z["right"], z["sample"], z["span"], int(z["words"]), int(z["spans"]))
    rows = collect(samples)
    if path is not None:
        np.savez(path, key=np.array(key), y=rows.y, right=rows.right, sample=rows.sample, span=rows.span,
                 words=rows.words, spans=rows.spans, **{"col_" + k: v for k, v in rows.cols.items()})
    return rows


if __name__ == "__main__":
    main()
