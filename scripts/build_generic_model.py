"""Rebuild models/generic/ from scratch: tables, then the combiner weights and threshold.

    /work/main/.venv/bin/python scripts/build_generic_model.py [--skip-tables] [--out weights.json]

Step 1 (scripts/build_generic_tables.py): WordNet, the LM's n-grams, symspell bigrams, wordfreq -> tables.
Step 2 (here): spin the Wikinews TRAIN split with the WordNet spinner and put screener TRAIN-split
phrases in sentences; collect every candidate word the detector expands (with the LM features of
its best synonym swap); fit a logistic regression (scikit-learn, build time only) that tells spun
words from clean ones; pick the decision threshold on clean Wikinews TRAIN text + fixtures/articles
for a target false-flag rate; write models/generic/weights.json.

Deterministic (fixed seeds, sorted inputs). Never reads Reuters, the screener TEST split or the
held-out spinner thesaurus.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_generic_data as D  # noqa: E402

SEED = 20240601
RATES = (0.1, 0.25)
TARGET_FLAGS_PER_1K = 0.2  # on clean Wikinews TRAIN text + fixtures/articles
# speed knobs, stored in weights.json and read by the detector
PRUNE_OWN = -8.0  # expand a word only if its own context log10-probability is at most this
MAX_SYN = 8  # synonyms (most frequent first) probed with the left context
TOP_RIGHT = 3  # of those, the best by left context also probed with the right context
# candidates(..., prefilter=True) returns only words scoring >= threshold - PREFILTER_MARGIN
PREFILTER_MARGIN = 3.5


def candidate_rows(cases: list[D.Case], model, log=None) -> tuple[np.ndarray, np.ndarray, list]:
    """Feature rows and labels (1: the word is part of a spun span, 0: not) of every candidate."""
    from unspin.detect.generic import FEATURES, candidates, expand

    X, Y, info = [], [], []
    for c in cases:
        for cand in candidates(c.doc, D.MatchStream(c.doc.text, c.doc.segments), model,
                               prefilter=False):
            t = cand["tok"]
            over = [s for s in c.spans if t.start < s[1] and s[0] < t.end]
            X.append([expand(cand["feats"], f) for f in FEATURES])
            Y.append(1 if over else 0)
            info.append((c.doc.path, cand["word"], cand["sub"], over[0][2].lower() if over else ""))
    return np.array(X, dtype=np.float64).reshape(-1, len(FEATURES)), np.array(Y, dtype=np.int8), info


def train(log=print) -> dict:
    from sklearn.linear_model import LogisticRegression

    from unspin.detect.generic import FEATURES, GenericModel, load_model

    load_model.cache_clear()
    model = GenericModel()
    knobs = {"prune_own": PRUNE_OWN, "max_syn": MAX_SYN, "top_right": TOP_RIGHT}
    model.weights = dict(knobs)
    wiki = D.load_wikinews("train")
    fixtures = D.load_fixtures()
    cases = []
    for k, rate in enumerate(RATES):
        cases += D.spun_cases(wiki, rate, SEED + k)
    cases += D.pps_cases(D.pps_rows("train"), SEED)
    clean = [D.Case(d) for d in wiki]
    clean_fx = [D.Case(d) for d in fixtures]
    X, Y, _ = candidate_rows(cases + clean, model)
    log(f"training rows: {len(Y)} ({int(Y.sum())} positive)")
    mean = X.mean(axis=0)
    scale = X.std(axis=0) + 1e-6
    clf = LogisticRegression(C=1.0, max_iter=3000, class_weight={0: 1.0, 1: 3.0})
    clf.fit((X - mean) / scale, Y)
    weights = {
        **knobs,
        "prefilter_margin": PREFILTER_MARGIN,
        "features": FEATURES,
        "coef": {n: round(float(c), 6) for n, c in zip(FEATURES, clf.coef_[0], strict=True)},
        "intercept": round(float(clf.intercept_[0]), 6),
        "mean": {n: round(float(m), 6) for n, m in zip(FEATURES, mean, strict=True)},
        "scale": {n: round(float(s), 6) for n, s in zip(FEATURES, scale, strict=True)},
    }
    # threshold: clean Wikinews TRAIN + fixtures may get TARGET flags per 1k words
    Xc, _, _ = candidate_rows(clean + clean_fx, model)
    zc = np.sort(((Xc - mean) / scale) @ clf.coef_[0] + clf.intercept_[0])[::-1]
    words = sum(D.word_count(d.prose()) for d in wiki + fixtures)
    allowed = int(TARGET_FLAGS_PER_1K * words / 1000)
    thr = float(zc[allowed]) + 1e-3 if allowed < len(zc) else 0.0
    weights["threshold"] = round(thr, 4)
    # calibration: precision of training candidates scoring just above the threshold
    z = (X - mean) / scale @ clf.coef_[0] + clf.intercept_[0]
    near = (z >= thr) & (z < thr + 1.0)
    at = float(Y[near].mean()) if near.any() else 0.5
    weights["calibration"] = {"at_threshold": round(min(0.9, max(0.5, at)), 3), "slope": 1.0}
    weights["trained_on"] = {
        "spinner": "WordNetSpinner", "rates": list(RATES), "seed": SEED,
        "texts": "Wikinews 2019-2020 train split (CC BY 2.5) + screener lexicon TRAIN split in "
                 "templates; threshold on clean Wikinews train + fixtures/articles",
        "rows": int(len(Y)), "positives": int(Y.sum()), "clean_words": words,
        "target_flags_per_1k": TARGET_FLAGS_PER_1K,
    }
    log(f"threshold {thr:.3f} at {TARGET_FLAGS_PER_1K}/1k over {words} clean words")
    return weights


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-tables", action="store_true")
    ap.add_argument("--out", default=str(D.ROOT / "models" / "generic" / "weights.json"))
    ap.add_argument("--own-threshold", action="store_true",
                    help="ship this build's own threshold, not the shipped joint one (then rerun "
                         "python -m evaluation.slot_budget --write)")
    args = ap.parse_args()
    t0 = time.time()
    if not args.skip_tables:
        import build_generic_tables

        print(build_generic_tables.build())
    weights = train()
    from joint_thresholds import keep_joint

    keep_joint(weights, D.ROOT / "models" / "generic" / "weights.json", own=args.own_threshold)
    out = Path(args.out)
    out.write_text(json.dumps(weights, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out} in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
