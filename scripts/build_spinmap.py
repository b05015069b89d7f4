"""Build models/spinmap/spinmap.json: the word-level spinner swaps behind US202 and its combiner.

Sources (nothing else):
  * the screener half, TRAIN split only (sha1(canonical)[0] even; the TEST half is what
    `unspin eval` scores as unseen phrases), CC BY 4.0;
  * the project's own news lexicon data/lexicon/news.tsv (its bad/good examples too);
  * Wikinews 2019-2020 TRAIN split (CC BY 2.5) as clean negatives, fixtures/articles to calibrate.
Never used: Reuters, the screener TEST split, data/eval/spinner-thesaurus.tsv.

Word swaps come from aligning each lexicon phrase with its canonical wording (difflib over word
tokens; replaced blocks of up to 3 words). The combiner is trained *cross-fitted*: the TRAIN
canonicals are split in two folds and each fold's phrases are scored with the swaps learned from
the other fold only, so the training positives look like unseen phrases do at run time. The threshold
gives TARGET_PER_1K flags per 1,000 words on clean Wikinews TRAIN + fixtures.

    python scripts/build_spinmap.py [--target 0.15] [--out models/spinmap/spinmap.json]
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the evaluation/ package

from build_generic_data import (  # noqa: E402
    PPS,
    ROOT,
    load_fixtures,
    load_wikinews,
    pps_split,
    text_doc,
)

from unspin.detect import spinmap as sm  # noqa: E402
from unspin.detect.lexicon import canonical_variants  # noqa: E402
from unspin.fileio import atomic_write_text  # noqa: E402
from unspin.text import MatchStream  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from joint_thresholds import keep_joint  # noqa: E402

NEWS = ROOT / "data" / "lexicon" / "news.tsv"
TARGET_PER_1K = 0.15
FOLDS = 2  # cross-fitting folds of the lexicon rows: a fold's phrases use the other folds' swaps
MAX_BLOCK = 3
DEPTH, TREES = 4, 300  # gradient-boosted trees (cross-validated against a logistic regression)
WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
STOP = frozenset("""a an the of to in on at by for with from and or as is are was were be been it its this
that these those which who whom into than then there their our we he she they his her them not no
""".split())


# Sentence frames for the training phrases (written for this script; `unspin eval` uses other ones).
TEMPLATES = (
    "In this paper we apply {p} to the data collected from the survey.",
    "The results show that {p} improves the accuracy of the proposed method.",
    "Officials said the {p} would be reviewed next month.",
    "We describe how {p} was used in the experiments reported below.",
    "According to the report, {p} played a major role in the outcome.",
    "A second experiment tested whether {p} could be measured at lower cost.",
    "The committee asked for more detail on {p} before approving the budget.",
    "Figure 3 plots {p} against the number of training samples.",
    "Critics argue that {p} has been overstated by the company.",
    "The authors used {p} to estimate the missing values in each series.",
    "Earlier this year the agency published new guidance on {p}.",
    "Our implementation of {p} runs on a single graphics card.",
    "Residents complained that {p} had not been explained to them.",
    "The second chapter reviews {p} and its limitations.",
    "Engineers at the plant said {p} was behind the delay.",
    "We then combine {p} with a simple baseline and report the error.",
    "The survey found that {p} remained a concern for most respondents.",
    "Section 4 explains why {p} matters for small data sets.",
)
PER_PHRASE = 2  # frames per training phrase


def words(s: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in WORD.findall(s)]


def fold(canonical: str) -> int:
    return hashlib.sha1(("fold:" + canonical.strip().lower()).encode()).digest()[0] % FOLDS


def read_rows() -> list[dict]:
    """Lexicon rows usable for swaps: {tortured, canonical, fold, query, bad, good}."""
    import csv

    rows = []
    with open(PPS, encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if not (r.get("tortured_phrase") or "").strip() or pps_split(r["canonical_phrase"]) != "train":
                continue
            canon = canonical_variants(r["canonical_phrase"])
            if canon:
                rows.append({"tortured": r["tortured_phrase"].strip(), "canonical": canon[0],
                             "split_key": r["canonical_phrase"],
                             "fold": fold(r["canonical_phrase"]), "query": (r.get("pps_query") or "").strip(),
                             "bad": "", "good": ""})
    with open(NEWS, encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if r.get("spun", "").strip() and r.get("canonical", "").strip():
                rows.append({"tortured": r["spun"].strip(), "canonical": r["canonical"].strip(),
                             "fold": fold(r["canonical"]), "query": (r.get("condition") or "").strip(),
                             "bad": r.get("example_bad", ""), "good": r.get("example_good", "")})
    return rows


def swaps(t: str, c: str):
    """(tortured n-gram, canonical n-gram) blocks of one aligned phrase pair."""
    tw, cw = words(t), words(c)
    ops = difflib.SequenceMatcher(None, tw, cw, autojunk=False).get_opcodes()
    for op, i1, i2, j1, j2 in ops:
        if op != "replace" or i2 - i1 > MAX_BLOCK or j2 - j1 > MAX_BLOCK:
            continue
        key, val = tw[i1:i2], cw[j1:j2]
        if all(w in STOP or w.isdigit() for w in key) or not any(w.isalpha() for w in key):
            continue
        if len(key) > 1 and (key[0] in STOP or key[-1] in STOP):
            continue  # "the board" -> "management": the function word makes it an ordinary phrase
        if not all(w.isalpha() and w.isascii() and len(w) <= 24 for w in key):
            continue  # hyphenated, apostrophe or digit tokens are never judged (words.token_kind)
        yield " ".join(key), " ".join(val)


def build_table(rows: list[dict], known=None, pos_of=None) -> dict:
    """Swaps with counts; ``known(word)`` admits the plural/-ed/-ing forms of one-word swaps, and
    ``pos_of(word)`` (WordNet parts of speech of a lemma) keeps a derived form only where both words
    share a part of speech that takes it: -s a noun or a verb, -ed and -ing a verb ("correct" ->
    "good" gives no "corrects" -> "goods": the shared part of speech is the adjective)."""
    from unspin.rewrite.inflect import inflect, inflection_of

    pairs: dict[str, Counter] = defaultdict(Counter)
    canon: Counter = Counter()
    for r in rows:
        for k, v in swaps(r["tortured"], r["canonical"]):
            pairs[k][v] += 1
        for w in set(words(r["canonical"])):
            canon[w] += 1
    if known is not None:
        derived: dict[str, Counter] = defaultdict(Counter)
        for k, vs in pairs.items():
            if " " in k or "-" in k or inflection_of(k):
                continue
            for v, _ in vs.items():
                if " " in v or inflection_of(v):
                    continue
                shared = None if pos_of is None else pos_of(k) & pos_of(v)
                for form in ("s", "ed", "ing"):
                    if shared is not None and not shared & ({"n", "v"} if form == "s" else {"v"}):
                        continue
                    ki, vi = inflect(k, form), inflect(v, form)
                    if ki not in pairs and known(ki) and known(vi):
                        derived[ki][vi] += 1
        for k, vs in derived.items():
            pairs[k] = vs
    return {
        "pairs": {k: sorted(v.items(), key=lambda x: (-x[1], x[0]))[:5] for k, v in sorted(pairs.items())},
        "canon": {w: n for w, n in sorted(canon.items()) if w in pairs},
    }


# ---------------------------------------------------------------------------------------------------
# Training samples: (document, positive spans)


def phrase_cases(rows: list[dict], seed: int = 0):
    rng = random.Random(seed)
    out = []
    for g, r in enumerate(rows):
        if r["bad"]:
            i = r["bad"].lower().find(r["tortured"].lower())
            if i >= 0:
                out.append((g, r["fold"], text_doc(r["bad"], "news-bad"), [(i, i + len(r["tortured"]))]))
            if r["good"]:
                out.append((g, r["fold"], text_doc(r["good"], "news-good"), []))
            continue
        if r["query"]:
            continue
        for t in rng.sample(TEMPLATES, PER_PHRASE):
            i = t.index("{p}")
            out.append((g, r["fold"], text_doc(t.replace("{p}", r["tortured"]), "pps"),
                        [(i, i + len(r["tortured"]))]))
            out.append((g, r["fold"], text_doc(t.replace("{p}", r["canonical"]), "pps-clean"), []))
    return out


def rows_for(smap: sm.SpinMap, doc, spans, gm):
    stream = MatchStream(doc.text, doc.segments)
    out = []
    for c in sm.candidates(doc, stream, smap, gm):
        y = any(c["start"] < e and s < c["end"] for s, e in spans)
        out.append((c["feats"], int(y), c))
    return out, stream.word_count


def own_bigrams(colloc, text: str) -> dict[int, int]:
    """A Wikinews article's own bigram counts as the collocation table counted them (build_collocations.py)."""
    from build_collocations import SENT, WORD, ok

    out: Counter = Counter()
    for sent in SENT.split(text):
        ws = [w.lower() for w in WORD.findall(sent)]
        ws = [w if ok(w) else "" for w in ws]
        for a, b in zip(ws, ws[1:], strict=False):
            if a and b:
                k = colloc.key_of(a, b)
                if k is not None:
                    out[k] += 1
    return dict(out)


def make_clf():
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(max_depth=DEPTH, max_iter=TREES, learning_rate=0.05,
                                          random_state=0)


def export_trees(clf, names: list[str]) -> dict:
    """The fitted trees as flat JSON arrays; a leaf's children are itself (see SpinMap.score)."""
    feature, split, left, right, value, roots = [], [], [], [], [], []
    for (tree,) in clf._predictors:
        base = len(feature)
        roots.append(base)
        for nd in tree.nodes:
            leaf = bool(nd["is_leaf"])
            feature.append(0 if leaf else int(nd["feature_idx"]))
            split.append(0.0 if leaf else float(nd["num_threshold"]))
            me = len(left)
            left.append(me if leaf else base + int(nd["left"]))
            right.append(me if leaf else base + int(nd["right"]))
            value.append(float(nd["value"]) if leaf else 0.0)
    depth = max(int(nd["depth"]) for (t,) in clf._predictors for nd in t.nodes)
    return {"kind": "boosted-trees", "features": names, "baseline": float(clf._baseline_prediction.ravel()[0]),
            "depth": depth, "feature": feature, "split": split, "left": left, "right": right,
            "value": value, "roots": roots}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--target", type=float, default=TARGET_PER_1K)
    ap.add_argument("--out", type=Path, default=ROOT / "models" / "spinmap" / "spinmap.json")
    ap.add_argument("--dump", type=Path, help="also write the training rows here (npz; development)")
    ap.add_argument("--colloc", default="",
                    help="collocation sources the combiner also reads, e.g. lm,ss,wn (collocation.py; needs "
                         "models/colloc/colloc.npz from scripts/build_collocations.py; measured, not shipped: "
                         "docs/slot-detection.md)")
    ap.add_argument("--rank", default="",
                    help="weights of collocation sources in the suggestion's ranking, e.g. lm=0.5,ss=0.2")
    ap.add_argument("--own-threshold", action="store_true",
                    help="ship this build's own threshold, not the shipped joint one (then rerun "
                         "python -m evaluation.slot_budget --write)")
    args = ap.parse_args()

    import numpy as np
    from sklearn.model_selection import GroupKFold, cross_val_predict

    from unspin.detect.generic import load_model

    gm = load_model()
    rows = read_rows()
    vocab = set(gm.vocab.tolist())

    def known(w: str) -> bool:
        return w.encode() in vocab

    from evaluation.wordnet_spinner import POS_FILES, load_wordnet

    wn = load_wordnet()

    def pos_of(w: str) -> set[str]:
        return {p for p in POS_FILES if wn.is_lemma(w, p)}

    full = build_table(rows, known, pos_of)
    fold_maps = [sm.SpinMap(build_table([r for r in rows if r["fold"] != k], known, pos_of))
                 for k in range(FOLDS)]
    full_map = sm.SpinMap(full)
    sources = [x for x in args.colloc.split(",") if x]
    rank = {k: float(v) for k, v in (x.split("=") for x in args.rank.split(",") if x)}
    use = {"colloc": 1, "colloc_rank": rank} if sources or rank else {}
    for smap in (*fold_maps, full_map):
        smap.weights = dict(use)
    print(f"rows {len(rows)}, swaps {len(full['pairs'])} (fold maps "
          f"{'/'.join(str(len(f.pairs)) for f in fold_maps)})")

    X: list[dict] = []
    y: list[int] = []
    pos_spans = found_spans = 0
    span_rows: list[tuple[list[int], int]] = []  # candidate row indices per positive span
    groups: list[int] = []  # one group per lexicon row (its frames) or clean article: CV never splits one
    for g, k, doc, spans in phrase_cases(rows):
        got, _ = rows_for(fold_maps[k], doc, spans, gm)
        idx = []
        for f, lab, _ in got:
            idx.append(len(X))
            X.append(f)
            y.append(lab)
            groups.append(g)
        for s, e in spans:
            pos_spans += 1
            hit = [j for j, (_, _, c) in zip(idx, got, strict=True) if c["start"] < e and s < c["end"]]
            span_rows.append((hit, 1))
            found_spans += bool(hit)
    n_phrase = len(X)
    clean_docs = load_wikinews("train")
    colloc = full_map.collocations()
    for g, doc in enumerate(clean_docs, len(rows)):
        if colloc is not None:  # the Wikinews counts were made from these articles: leave each one's out
            colloc.leave_out = own_bigrams(colloc, doc.text)
        got, _ = rows_for(full_map, doc, [], gm)
        for f, lab, _ in got:
            X.append(f)
            y.append(lab)
            groups.append(g)
    print(f"candidates: {n_phrase} from phrases ({sum(y[:n_phrase])} positive), {len(X) - n_phrase} from "
          f"clean Wikinews TRAIN; positive spans with a candidate {found_spans}/{pos_spans}")

    if colloc is not None:
        colloc.leave_out = None
    names = sm.FEATURES + [n for n in sm.COLLOC_FEATURES if n.rsplit("_", 1)[1] in sources]
    M = np.array([[f[n] for n in names] for f in X])
    yv = np.array(y)
    if args.dump:
        np.savez(args.dump, X=M, y=yv, names=np.array(names), n_phrase=n_phrase, groups=np.array(groups),
                 span_rows=np.array([",".join(map(str, i)) for i, _ in span_rows]))
    # out-of-fold scores: the threshold is set on clean candidates the trees did not see
    oof = cross_val_predict(make_clf(), M, yv, groups=groups, cv=GroupKFold(5), method="decision_function")
    clf = make_clf().fit(M, yv)
    weights = export_trees(clf, names)
    weights.update(use)
    full_map.weights = weights
    S = full_map.score(X)
    assert np.allclose(S, clf.decision_function(M), atol=1e-6), "tree export does not reproduce sklearn"

    # threshold: TARGET flags per 1,000 clean words (Wikinews TRAIN out-of-fold + fixtures)
    clean_scores: list[float] = oof[n_phrase:].tolist()
    clean_words = sum(rows_for(full_map, d, [], gm)[1] for d in clean_docs)
    for doc in load_fixtures():
        got, wc = rows_for(full_map, doc, [], gm)
        clean_words += wc
        if got:
            clean_scores += full_map.score([f for f, _, _ in got]).tolist()
    clean_scores.sort(reverse=True)
    allowed = int(args.target * clean_words / 1000)
    thr = clean_scores[allowed] + 1e-6 if allowed < len(clean_scores) else min(clean_scores, default=0.0)
    weights["threshold"] = round(float(thr), 6)
    S = oof  # cross-fitted and out-of-fold: the estimate below is for unseen phrases
    band = (S >= thr) & (S < thr + 1.0)
    at = float(yv[band].mean()) if band.any() else 0.5
    weights["calibration"] = {"at_threshold": round(min(0.95, max(0.5, at)), 4)}
    # cross-fitted recall of the phrase spans at this threshold (an unseen-phrase estimate)
    hit = sum(1 for idx, _ in span_rows if any(S[j] >= thr for j in idx))
    flagged = int((S[:n_phrase] >= thr).sum())
    prec = float(yv[:n_phrase][S[:n_phrase] >= thr].mean()) if flagged else 0.0
    print(f"threshold {thr:.3f}: clean flags {sum(s >= thr for s in clean_scores)} in {clean_words} words "
          f"({1000 * sum(s >= thr for s in clean_scores) / clean_words:.3f}/1k); cross-fitted phrase recall "
          f"{hit}/{len(span_rows)} = {hit / max(1, len(span_rows)):.3f}, precision {prec:.3f}")
    print("trade-off (flags per 1,000 clean words -> cross-fitted phrase recall):")
    for t in (0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 2.0):
        k = int(t * clean_words / 1000)
        th = clean_scores[k] + 1e-6 if k < len(clean_scores) else -1e9
        r = sum(1 for idx, _ in span_rows if any(S[j] >= th for j in idx)) / max(1, len(span_rows))
        print(f"  {t:4.2f}/1k  threshold {th:7.3f}  recall {r:.3f}")

    keep_joint(weights, ROOT / "models" / "spinmap" / "spinmap.json", "weights", own=args.own_threshold)
    data = {"about": "unspin US202 spinner-vocabulary model; built by scripts/build_spinmap.py. Swaps learned "
                     "from the Problematic Paper Screener lexicon half, TRAIN split (CC BY 4.0, Cabanac, Labbé, "
                     "Magazinov) and unspin's news lexicon; see models/MODEL_CARD.md.",
            "pairs": full["pairs"], "canon": full["canon"], "weights": weights}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} kB)")


if __name__ == "__main__":
    main()
