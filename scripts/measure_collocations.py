"""Measure collocation evidence (``unspin.detect.collocation``) for US202, each source alone and combined.

    python scripts/build_collocations.py          # models/colloc/colloc.npz (not shipped)
    python scripts/measure_collocations.py        # about 1 minute

Two uses are measured on the screener phrases (TRAIN split, 600 rows as ``evaluation.slot_budget`` fits
on; TEST split, the held-out ``unspin eval`` set) and on clean text (the Wikinews "cal" part sets the
threshold; the held-out clean set of ``evaluation.slots``, Wikinews "test" part + 150 Reuters stories, is
only counted):

1. **Option ranking**: the suggested option is the one with the highest LM gain + sum of w * collocation
   strength (``colloc_rank``); the flags do not change, only which option is suggested. "ceiling": found
   spans whose learned options hold a right word at all.
2. **Flag decision**: the shipped combiner's score plus b * (restored - observed) collocation strength,
   or a veto when the restoration has no collocation support; the threshold lets as many flags through
   on the cal part as the shipped one does (US202's share of the joint budget).

Choices are read off the TRAIN columns; TEST and the held-out clean flags are the check. Rebuilt
combiners with the collocation columns as features: ``build_spinmap.py --colloc lm,ss,wn --out X`` then
``python -m evaluation.slot_budget --only US202 --heldout --spinmap X``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the evaluation/ package

import numpy as np  # noqa: E402

import unspin.detect.spinmap as sm  # noqa: E402
from unspin.text import MatchStream  # noqa: E402

RANKS = [("none (shipped)", {}), ("lm 0.3", {"lm": 0.3}), ("lm 1", {"lm": 1.0}), ("ss 0.3", {"ss": 0.3}),
         ("ss 1", {"ss": 1.0}), ("wn 0.5", {"wn": 0.5}), ("wn 2", {"wn": 2.0}),
         ("lm+ss+wn 0.5", dict.fromkeys(sm.COLLOC_SOURCES, 0.5))]


def collect(x: sm.SpinMap, samples, rank: dict[str, float]):
    """Per occurrence: shipped score, span id (-1 none), suggestion right, option ceiling, collocation columns."""
    x.weights["colloc_rank"] = rank
    rows, words, sid = [], 0, 0
    for s in samples:
        d = s.document()
        st = MatchStream(d.text, d.segments)
        words += st.word_count
        found = sm.occurrences(d, st, x)
        subs = list(s.substitutions)
        if found is not None:
            sc = x.score(found.columns)
            for i in range(len(found)):
                r = found.row(i)
                span, right, ceil = -1, False, False
                for j, sub in enumerate(subs):
                    if r["start"] < sub.end and r["end"] > sub.start:
                        o = sub.original.lower()
                        span = sid + j
                        right = r["sub"] in o.split() or r["sub"] == o
                        ceil = any(c in o.split() or c == o for c, _ in x.pairs[r["key"]])
                        break
                rows.append([sc[i], span, right, ceil] + [found.columns[n][i] for n in sm.COLLOC_FEATURES]
                            + [found.columns["gain"][i]])
        sid += len(subs)
    return np.array(rows).reshape(-1, 4 + len(sm.COLLOC_FEATURES) + 1), words, sid


def spans(R, n: int, flagged) -> tuple[float, float, int]:
    found: dict[int, tuple[bool, bool]] = {}
    for r in R[flagged & (R[:, 1] >= 0)]:
        a, b = found.get(int(r[1]), (False, False))
        found[int(r[1])] = (a or bool(r[2]), b or bool(r[3]))
    return len(found) / n, sum(a for a, _ in found.values()) / n, sum(b for _, b in found.values())


def main() -> None:
    from evaluation.datasets import clean_sample, reuters_articles
    from evaluation.slots import phrase_samples, wikinews_part_articles

    x = sm.load_spinmap()
    thr = float(x.weights["threshold"])
    x.weights["colloc"] = 1
    if x.collocations() is None:
        sys.exit("models/colloc/colloc.npz is missing: run scripts/build_collocations.py")
    sets = {"cal": [clean_sample(a) for a in wikinews_part_articles("cal")],
            "train": phrase_samples("train", limit=600, seed=1)[0], "test": phrase_samples("test")[0],
            "held": [clean_sample(a) for a in wikinews_part_articles("test", 150, 0) + reuters_articles(150, 0)]}
    print("## 1. Option ranking (the flags stay; right = first suggestion right, of all spans)\n")
    print("| ranking | TRAIN found / right / ceiling | TEST found / right / ceiling |\n| --- | --- | --- |")
    for name, rank in RANKS:
        cells = []
        for s in ("train", "test"):
            R, _, n = collect(x, sets[s], rank)
            f, r, c = spans(R, n, R[:, 0] >= thr)
            cells.append(f"{f:.3f} / {r:.3f} / {c / n:.3f}")
        print(f"| {name} | {cells[0]} | {cells[1]} |")
    data = {s: collect(x, v, {}) for s, v in sets.items()}
    col = {n: 4 + i for i, n in enumerate(sm.COLLOC_FEATURES)}
    k = int((data["cal"][0][:, 0] >= thr).sum())
    print(f"\n## 2. Flag decision ({k} flags on the cal part, as the shipped threshold {thr:.3f})\n")
    print("| score | threshold | TRAIN recall / right | TEST recall / right | held-out clean flags per 1k |\n"
          "| --- | ---: | --- | --- | ---: |")

    def c(R, name):
        return R[:, col[name]]

    variants = [("shipped score", lambda R: R[:, 0])]
    for src in sm.COLLOC_SOURCES:
        for b in (0.1, 0.3, 0.5):
            variants.append((f"+ {b} col_d_{src}", lambda R, b=b, s=src: R[:, 0] + b * c(R, f"col_d_{s}")))
        variants.append((f"- 0.3 col_t_{src}", lambda R, s=src: R[:, 0] - 0.3 * c(R, f"col_t_{s}")))
    for b in (0.1, 0.3):
        variants.append((f"+ {b} (col_d_lm + col_d_ss)",
                         lambda R, b=b: R[:, 0] + b * (c(R, "col_d_lm") + c(R, "col_d_ss"))))
    variants.append(("veto: restoration without support (col_c_* all 0)",
                     lambda R: np.where((c(R, "col_c_lm") > 0) | (c(R, "col_c_ss") > 0) | (c(R, "col_c_wn") > 0),
                                        R[:, 0], -99.0)))
    variants.append(("veto: observed more established than restored (lm or ss)",
                     lambda R: np.where((c(R, "col_t_lm") > c(R, "col_c_lm")) | (c(R, "col_t_ss") > c(R, "col_c_ss")),
                                        -99.0, R[:, 0])))
    for name, fn in variants:
        cal = np.sort(fn(data["cal"][0]))[::-1]
        t = float(cal[k]) + 1e-6 if k < len(cal) else -99.0
        cells = []
        for s in ("train", "test"):
            R, _, n = data[s]
            f, r, _ = spans(R, n, fn(R) >= t)
            cells.append(f"{f:.3f} / {r:.3f}")
        H, hw, _ = data["held"]
        print(f"| {name} | {t:.3f} | {cells[0]} | {cells[1]} | {1000 * (fn(H) >= t).sum() / hw:.3f} |")

    uncovered(x, sets["test"])
    widened(x, sets["train"], sets["test"])


def uncovered(x: sm.SpinMap, samples) -> None:
    """US202 findings on TEST spans whose learned options hold no right word: is the canonical word a
    synonym (the generic model's table) of the spinner word or of one of its options?"""
    from statistics import median

    from unspin.detect.generic import load_model
    from unspin.findings import FindingBuilder

    m = load_model()
    x.weights["colloc"] = 0

    def syn(w: str) -> set[str]:
        i = m.ids([w]).tolist()[0]
        return set(m.syn_words(i)) if i >= 0 and " " not in w else set()

    n = by_key = by_opt = either = 0
    sizes = []
    for s in samples:
        doc = s.document()
        for f in sm.spinmap_findings(doc, MatchStream(doc.text, doc.segments), FindingBuilder(doc)):
            sub = next((u for u in s.substitutions if f.start < u.end and f.end > u.start), None)
            if sub is None:
                continue
            o = set(sub.original.lower().split())
            opts = [c for c, _ in x.pairs[f.evidence["replaced"]]]
            if f.suggestions[0].text.lower() in o or any(c in o for c in opts):
                continue
            ks, os_ = syn(f.evidence["replaced"]), set().union(*map(syn, opts))
            n += 1
            by_key += bool(ks & o)
            by_opt += bool(os_ & o)
            either += bool((ks | os_) & o)
            sizes.append(len(ks | os_))
    print(f"\n## 3. TEST findings whose learned options hold no right word: {n}; the canonical word is a synonym "
          f"of the spinner word in {by_key}, of an option in {by_opt}, either {either} (median "
          f"{median(sizes) if sizes else 0} candidates)")


def widened(x: sm.SpinMap, train, test) -> None:
    """US202's flagged one-word keys on screener spans, suggestion chosen among the learned options AND
    US203's reverse-thesaurus candidates (up to 48) by trigram LM gain of p2 p1 [x] n1 n2 + sum of
    w * collocation strength of p1 x and x n1 + beta for a learned option (flags unchanged)."""
    from unspin.detect.generic import load_model
    from unspin.detect.slots import load_slot_model

    x.weights["colloc"] = 1
    m, sl, col = load_model(), load_slot_model(), x.collocations()
    x.weights["colloc"] = 0  # the shipped findings
    thr = float(x.weights["threshold"])

    def rows(samples):
        out = []
        for s in samples:
            d = s.document()
            found = sm.occurrences(d, MatchStream(d.text, d.segments), x)
            if found is None:
                continue
            for i in np.flatnonzero(x.score(found.columns) >= thr).tolist():
                r = found.row(i)
                sub = next((u for u in s.substitutions if r["start"] < u.end and r["end"] > u.start), None)
                if sub is None or " " in r["key"]:
                    continue
                learned = [c for c, _ in x.pairs[r["key"]] if " " not in c]
                vid = m.ids([r["key"]]).tolist()[0]
                C = learned + [w for w in map(m.word, sl.candidates(vid)) if w not in learned]
                b, a = r["context"][0].split(), r["context"][1].split()
                ctx = (["<s>", "<s>"] + b)[-2:] + (a + ["</s>", "</s>"])[:2]
                ids = m.lm_ids(ctx + C).tolist()
                P2, P1, N1, N2 = (np.full(len(C), v) for v in ids[:4])
                X = np.array(ids[4:], dtype=np.int64)
                lp = m.trigram(X, P1, P2) + m.trigram(N1, X, P1) + m.trigram(N2, N1, X)
                cp = col.pairs(m, np.concatenate([P1, X]), np.concatenate([X, N1]))
                out.append((C, len(learned), lp, {k: v[:len(C)] + v[len(C):] for k, v in cp.items()},
                            set(sub.original.lower().split()), r["sub"]))
        return out

    data = {"TRAIN": rows(train), "TEST": rows(test)}
    print("\n## 4. Suggestion among learned options + US203 candidates (flagged one-word keys on spans)\n")
    heads = []
    for k, v in data.items():
        shipped = sum(r[5] in r[4] for r in v)
        ceiling = sum(any(c in r[4] for c in r[0]) for r in v)
        heads.append(f"{k} right (shipped {shipped}, ceiling {ceiling} of {len(v)})")
    print("| beta (learned) | collocation weights | " + " | ".join(heads) + " |\n| ---: | --- | ---: | ---: |")
    for beta in (0.0, 1.0, 2.0, 3.0, 5.0):
        for lam in ({}, {"lm": 0.5}, {"ss": 0.5}, {"lm": 0.5, "ss": 0.5}):
            got = []
            for v in data.values():
                n = 0
                for C, nl, lp, cs, o, _ in v:
                    k = lp + sum(w * cs[src] for src, w in lam.items())
                    k[:nl] += beta
                    n += C[int(np.argmax(k))] in o
                got.append(str(n))
            print(f"| {beta:g} | {', '.join(f'{a} {b:g}' for a, b in lam.items()) or 'none'} | {' | '.join(got)} |")


if __name__ == "__main__":
    main()
