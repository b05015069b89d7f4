"""Rebuild models/generic/ from scratch: tables, then the combiner weights and threshold.

    /work/main/.venv/bin/python scripts/build_generic_model.py [--skip-tables]

Step 1 (scripts/build_generic_tables.py): WordNet, LM bigrams, symspell bigrams, wordfreq -> tables.
Step 2 (here): spin the Wikinews TRAIN split with the WordNet spinner and put screener TRAIN-split
phrases in sentences; collect every (observed pair, synonym neighbour) candidate the detector
considers; fit a logistic regression (scikit-learn, build time only) that tells the neighbour that
restores the original from all others; pick the decision threshold on clean Wikinews TRAIN text for
a target false-flag rate; write models/generic/weights.json.

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
TARGET_FLAGS_PER_1K = 0.3  # on clean Wikinews TRAIN text
FEATURES = [
    "obs_explicit", "obs_logp", "obs_pmi", "obs_joint", "obs_symspell",
    "nb_explicit", "nb_logp", "nb_pmi", "nb_joint", "nb_symspell",
    "delta_joint", "delta_pmi", "zipf_word", "zipf_nb", "zipf_other", "log_nsyn", "side",
    "obs_pmi:pos", "nb_pmi:neg", "zipf_word:sq", "delta_joint:neg", "obs_logp:sq",
]


def _expand(feats: dict, names: list[str]) -> np.ndarray:
    cols = []
    for name in names:
        base, _, op = name.partition(":")
        x = feats[base].astype(np.float64)
        if op == "neg":
            x = np.minimum(x, 0.0)
        elif op == "pos":
            x = np.maximum(x, 0.0)
        elif op == "sq":
            x = x * x
        cols.append(x)
    return np.stack(cols, axis=1)


def candidate_rows(cases: list[D.Case], model) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feature rows, labels (1 restores the original, 0 clean pair, -1 ignore) and group ids."""
    from unspin.detect.generic import content_pairs

    X, Y, G = [], [], []
    gid = 0
    for c in cases:
        stream = D.MatchStream(c.doc.text, c.doc.segments)
        pairs = content_pairs(c.doc, stream, model)
        if not pairs:
            continue
        A = np.array([p[2] for p in pairs], dtype=np.int64)
        B = np.array([p[3] for p in pairs], dtype=np.int64)
        rep, side, syn, feats = model.candidate_features(A, B)
        if not len(rep):
            continue
        # labels per pair
        lab = np.zeros(len(rep), dtype=np.int8)
        for k in range(len(rep)):
            ta, tb = pairs[rep[k]][0], pairs[rep[k]][1]
            over = [s for s in c.spans if ta.start < s[1] and s[0] < tb.end]
            if not over:
                continue
            lab[k] = -1
            if len(over) != 1:
                continue
            s, e, orig, _ = over[0]
            t = ta if side[k] == 0 else tb
            if not (t.start < e and s < t.end):
                continue  # the swapped word is not the spun one
            a, b = min(ta.start, s), max(tb.end, e)
            restored = " " + D._norm(c.doc.text[a:s] + orig + c.doc.text[e:b]) + " "
            nw = model.word(syn[k])
            phrase = f"{nw} {model.word(B[rep[k]])}" if side[k] == 0 else \
                f"{model.word(A[rep[k]])} {nw}"
            if f" {phrase} " in restored:
                lab[k] = 1
        X.append(_expand(feats, FEATURES))
        Y.append(lab)
        G.append(rep + gid)
        gid += len(pairs)
    return np.concatenate(X), np.concatenate(Y), np.concatenate(G)


def train(log=print) -> dict:
    from sklearn.linear_model import LogisticRegression

    from unspin.detect.generic import GenericModel, load_model

    load_model.cache_clear()
    model = GenericModel()
    model.weights = {}
    wiki = D.load_wikinews("train")
    cases = []
    for k, rate in enumerate(RATES):
        cases += D.spun_cases(wiki, rate, SEED + k)
    cases += D.pps_cases(D.pps_rows("train"), SEED)
    clean = [D.Case(d) for d in wiki]
    X, Y, G = candidate_rows(cases + clean, model)
    keep = Y >= 0
    X, Y, G = X[keep], Y[keep], G[keep]
    log(f"training rows: {len(Y)} ({int(Y.sum())} positive)")
    mean = X.mean(axis=0)
    scale = X.std(axis=0) + 1e-6
    clf = LogisticRegression(C=1.0, max_iter=2000, class_weight={0: 1.0, 1: 5.0})
    clf.fit((X - mean) / scale, Y)
    weights = {
        "features": FEATURES,
        "coef": {n: round(float(c), 6) for n, c in zip(FEATURES, clf.coef_[0])},
        "intercept": round(float(clf.intercept_[0]), 6),
        "mean": {n: round(float(m), 6) for n, m in zip(FEATURES, mean)},
        "scale": {n: round(float(s), 6) for n, s in zip(FEATURES, scale)},
    }
    # threshold: per clean pair the best candidate score; allow TARGET flags per 1k clean words
    model.weights = weights
    words = sum(D.word_count(d.text) for d in wiki)
    clean_best = []
    for d in wiki:
        from unspin.detect.generic import content_pairs

        pairs = content_pairs(d, D.MatchStream(d.text, d.segments), model)
        if pairs:
            A = np.array([p[2] for p in pairs], dtype=np.int64)
            B = np.array([p[3] for p in pairs], dtype=np.int64)
            best = model.score_pairs(A, B)[0]
            clean_best += best[np.isfinite(best)].tolist()
    clean_best.sort(reverse=True)
    allowed = int(TARGET_FLAGS_PER_1K * words / 1000)
    thr = clean_best[allowed] + 1e-3 if allowed < len(clean_best) else 0.0
    weights["threshold"] = round(float(thr), 4)
    # calibration: fraction of positives among training candidates scoring near the threshold
    z = (X - mean) / scale @ clf.coef_[0] + clf.intercept_[0]
    near = (z >= thr) & (z < thr + 1.0)
    at = float(Y[near].mean()) if near.any() else 0.5
    weights["calibration"] = {"at_threshold": round(min(0.9, max(0.5, at)), 3), "slope": 1.0}
    weights["trained_on"] = {
        "spinner": "WordNetSpinner", "rates": list(RATES), "seed": SEED,
        "texts": "Wikinews 2019-2020 train split (CC BY 2.5) + screener lexicon TRAIN split in templates",
        "rows": int(len(Y)), "positives": int(Y.sum()), "clean_words": words,
        "target_flags_per_1k": TARGET_FLAGS_PER_1K,
    }
    log(f"threshold {thr:.3f} at {TARGET_FLAGS_PER_1K}/1k over {words} clean words")
    return weights


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-tables", action="store_true")
    args = ap.parse_args()
    t0 = time.time()
    if not args.skip_tables:
        import build_generic_tables

        print(build_generic_tables.build())
    weights = train()
    out = D.ROOT / "models" / "generic" / "weights.json"
    out.write_text(json.dumps(weights, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out} in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
