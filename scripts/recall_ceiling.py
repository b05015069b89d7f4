"""Candidate-coverage ceiling of list-free detection, measured on the screener TRAIN split only.

Issue #2 wants list-free recall >= 0.6 on unseen tortured phrases. A detector can only flag a spun
word if its candidate source proposes the right restoration (or at least knows the word as a
spinner word), however good the judge that decides. This script measures, for every unconditional
TRAIN row of the screener half (empty pps_query; the TEST split is never read), how often the
swapped words are *reachable* by each candidate source:

  1. US201's compiled synonym table (models/generic), as the detector probes it (the first
     ``weights["max_syn"]`` synonyms, most frequent first) and with all of its synonyms;
  2. WordNet 3.0 parsed from /usr/share/wordnet: the synonym relation (any sense, both sides
     lemmatised) and synonyms plus one pointer hop of any kind (hypernym, hyponym, similar-to,
     derivation, also-see, antonym...; semantic pointers link whole synsets, lexical ones the
     named words), with the mean candidate-set size per word (the false-flag exposure): over the
     swapped tortured words and over the content-word tokens of clean Wikinews TRAIN articles;
  3. US202's swap table cross-fitted exactly as scripts/build_spinmap.py trains it: a row of fold k
     sees the swaps learned from the other folds only (what an unseen phrase can expect);
  4. unions: US201 as probed with US202 (the ceiling of the current detectors with a perfect
     judge), and every source together.

A "swap" is what build_spinmap.swaps() yields (difflib over word tokens, replaced blocks of up to
MAX_BLOCK words, function-word/hyphen/digit blocks dropped); its positions are recovered from the
same alignment. A block is reachable when the whole block maps to its canonical block, or (blocks
of equal length) when one of its word pairs does (for US202: any aligned sub-span of the block). A
phrase is covered when at least one of its swaps is reachable. The script also counts swapped
words unknown to the generic vocabulary / LM, rows without any swap (and why), and how often the
LM knows the canonical bigrams around a swap (adjacent pairs inside the phrase, the swapped words
with their neighbour) compared with the tortured ones: the collocation the judge should prefer.

    python scripts/recall_ceiling.py [--examples N] [--json PATH] [--clean-docs 300]
"""

from __future__ import annotations

import argparse
import difflib
import json
import random
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the evaluation/ package

from build_generic_data import load_wikinews  # noqa: E402
from build_spinmap import FOLDS, build_table, read_rows, swaps, words  # noqa: E402

from evaluation.wordnet_spinner import POS_FILES, STOPWORDS, WORDNET_DIR, load_wordnet  # noqa: E402
from unspin.detect.generic import load_model  # noqa: E402

ADJ_MARKER = re.compile(r"\((?:a|p|ip)\)$")
# WordNet pointer symbols by relation group (wninput(5WN))
POINTER_GROUPS = {
    "@": "hypernym", "@i": "hypernym", "~": "hyponym", "~i": "hyponym", "#m": "holonym", "#s": "holonym",
    "#p": "holonym", "%m": "meronym", "%s": "meronym", "%p": "meronym", "&": "similar-to",
    "^": "also-see", "+": "derivation", "\\": "pertainym/derived", "!": "antonym", "=": "attribute",
    "$": "verb group", "*": "entailment/cause", ">": "entailment/cause", "<": "participle",
    ";c": "domain", ";r": "domain", ";u": "domain", "-c": "domain", "-r": "domain", "-u": "domain",
}
GROUPS = sorted(set(POINTER_GROUPS.values()))
# combinations of pointer groups worth pricing together ("|"-joined, as Relations.related takes them)
COMBOS = ("similar-to|also-see|derivation|pertainym/derived",
          "similar-to|also-see|derivation|pertainym/derived|hypernym")


# ---------------------------------------------------------------------------------------------------
# WordNet relations (synonyms, one pointer hop), by lemma and part of speech


def parse_relations(root: Path = WORDNET_DIR):
    """{pos: {lemma: synonyms}}, {group: {pos: {lemma: lemmas one pointer of that group away}}} from
    WordNet's data.* files (groups: POINTER_GROUPS; "any" for every pointer).

    A semantic pointer (source/target 0000) joins every lemma of the two synsets; a lexical one joins
    the two named words. Pointer targets of any part of speech count (derivation crosses them)."""
    lemmas: dict[tuple[str, int], list[str]] = {}
    pointers: dict[tuple[str, int], list[tuple[str, int, tuple[str, int], int]]] = {}
    for pos, name in POS_FILES.items():
        with open(root / f"data.{name}", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("  "):
                    continue
                f = line.split()
                key = (pos, int(f[0]))
                n = int(f[3], 16)
                lemmas[key] = [ADJ_MARKER.sub("", f[4 + 2 * k]).replace("_", " ").lower() for k in range(n)]
                i = 4 + 2 * n
                ptr = []
                for q in range(int(f[i])):
                    sym, off, tpos, st = f[i + 1 + 4 * q:i + 5 + 4 * q]
                    ptr.append((POINTER_GROUPS.get(sym, "other"), int(st[:2], 16),
                                ("a" if tpos == "s" else tpos, int(off)), int(st[2:], 16)))
                pointers[key] = ptr
    syn: dict[str, dict[str, set[str]]] = {p: defaultdict(set) for p in POS_FILES}
    hop: dict[str, dict[str, dict[str, set[str]]]] = defaultdict(lambda: {p: defaultdict(set) for p in POS_FILES})
    for key, lem in lemmas.items():
        pos = key[0]
        for w in lem:
            syn[pos][w].update(lem)
        for group, src, tkey, tgt in pointers[key]:
            target = lemmas[tkey]
            for g in (group, "any"):
                if src == 0:
                    for w in lem:
                        hop[g][pos][w].update(target)
                else:
                    hop[g][pos][lem[src - 1]].add(target[tgt - 1])
    return syn, hop


class Relations:
    """Lemmatised candidate sets: synonyms (any sense) and synonyms plus one pointer hop."""

    def __init__(self):
        self.wn = load_wordnet()
        self.syn, self.hop = parse_relations()
        self._cache: dict[tuple[str, str], frozenset[str]] = {}

    def lemmas(self, text: str) -> set[str]:
        return {text} | {lemma for lemma, _, _ in self.wn.analyses(text)}

    def related(self, text: str, rel: str) -> frozenset[str]:
        """Lemmas a word (or multi-word text) can be restored to, without its own lemmas: ``rel`` is
        "syn", "hop" (synonyms and any pointer) or "|"-joined pointer groups (synonyms and those)."""
        got = self._cache.get((text, rel))
        if got is None:
            out: set[str] = set()
            own = set()
            for lemma, pos, _ in self.wn.analyses(text):
                own.add(lemma)
                out |= self.syn[pos].get(lemma, set())
                if rel != "syn":
                    for g in ("any",) if rel == "hop" else rel.split("|"):
                        out |= self.hop[g][pos].get(lemma, set())
            got = self._cache[(text, rel)] = frozenset(out - own - {text})
        return got

    def reaches(self, t: str, c: str, rel: str) -> bool:
        return not self.related(t, rel).isdisjoint(self.lemmas(c))


# ---------------------------------------------------------------------------------------------------
# Swaps with their positions


def aligned_swaps(t: str, c: str):
    """build_spinmap.swaps() blocks with positions: [(key words, value words, i1, i2, j1, j2)], plus
    the reason a row has none ("" when it has some)."""
    tw, cw = words(t), words(c)
    got = list(swaps(t, c))
    ops = difflib.SequenceMatcher(None, tw, cw, autojunk=False).get_opcodes()
    out = []
    k = 0
    for op, i1, i2, j1, j2 in ops:
        if op == "replace" and k < len(got) and got[k] == (" ".join(tw[i1:i2]), " ".join(cw[j1:j2])):
            out.append((tw[i1:i2], cw[j1:j2], i1, i2, j1, j2))
            k += 1
    assert k == len(got), (t, c)
    if out:
        return tw, cw, out, ""
    kinds = {op for op, *_ in ops}
    if tw == cw:
        why = "same words"
    elif "replace" not in kinds:
        why = "insert/delete/reorder only"
    elif any(op == "replace" and (i2 - i1 > 3 or j2 - j1 > 3) for op, i1, i2, j1, j2 in ops):
        why = "replaced block longer than 3 words"
    elif any(op == "replace" and not all(w.isalpha() and w.isascii() for w in tw[i1:i2])
             for op, i1, i2, j1, j2 in ops):
        why = "hyphen/digit/apostrophe tokens only"
    else:
        why = "function-word blocks only"
    return tw, cw, out, why


def word_pairs(key: list[str], val: list[str]):
    """The restorations a word-level source may make in a block: the whole block, and word by word
    (aligned positions in an equal-length block, every word pair in an unequal one: "acknowledgement
    of characters" -> "character recognition")."""
    pairs = [(" ".join(key), " ".join(val))]
    if len(key) == len(val):
        pairs += [(a, b) for a, b in zip(key, val, strict=True) if a != b and len(key) > 1]
    else:
        pairs += [(a, b) for a in key for b in val if a != b and (len(key) > 1 or len(val) > 1)]
    return list(dict.fromkeys(pairs))


def spans(ws: list[str]):
    return [ws[a:b] for a in range(len(ws)) for b in range(a + 1, len(ws) + 1)]


def sub_spans(key: list[str], val: list[str]):
    """US202 (key, canonical) inside a block: the whole block, every aligned sub-span of an
    equal-length block, every (key span, canonical span) pair of an unequal one."""
    out = [(" ".join(key), " ".join(val))]
    if len(key) == len(val):
        n = len(key)
        out += [(" ".join(key[a:b]), " ".join(val[a:b])) for a in range(n) for b in range(a + 1, n + 1)
                if key[a:b] != val[a:b]]
    else:
        out += [(" ".join(k), " ".join(v)) for k in spans(key) for v in spans(val) if k != v]
    return list(dict.fromkeys(out))


# ---------------------------------------------------------------------------------------------------


SOURCES = [
    ("us201_probed", "US201 synonym table, as probed (first max_syn)"),
    ("us201_all", "US201 synonym table, all synonyms"),
    ("wn_syn", "WordNet synonyms (any sense, lemmatised)"),
    ("wn_hop", "WordNet synonyms + one pointer hop (any pointer)"),
    ("us202_key", "US202 cross-fitted: swapped key known"),
    ("us202_right", "US202 cross-fitted: key known, right canonical among options"),
    ("union_strict", "US201 probed + US202 right canonical"),
    ("union", "US201 probed + US202 key known (current detectors, perfect judge)"),
    ("union_all", "WordNet one hop + US201 all + US202 key known (every source)"),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--examples", type=int, default=0, help="print N example rows per category")
    ap.add_argument("--json", type=Path, help="write the numbers here")
    ap.add_argument("--clean-docs", type=int, default=300,
                    help="Wikinews TRAIN articles for the clean-text candidate-set sizes (0: skip)")
    args = ap.parse_args()
    t0 = time.time()

    m = load_model()
    max_syn = int(m.weights.get("max_syn", 8))
    vocab = set(m.vocab.tolist())

    def known(w: str) -> bool:
        return w.encode() in vocab

    rel = Relations()
    rows = read_rows()

    def pos_of(w: str) -> set[str]:
        return {p for p in POS_FILES if rel.wn.is_lemma(w, p)}

    # cross-fitted US202 tables, exactly as build_spinmap makes its fold maps
    fold_pairs = [build_table([r for r in rows if r["fold"] != k], known, pos_of)["pairs"] for k in range(FOLDS)]
    pps = sorted((r for r in rows if "split_key" in r and not r["query"]),
                 key=lambda r: (r["canonical"].lower(), r["tortured"].lower()))
    tort_fold: dict[str, set[int]] = defaultdict(set)
    for r in rows:
        tort_fold[" ".join(words(r["tortured"]))].add(r["fold"])
    cross_dup = sum(1 for r in pps if len(tort_fold[" ".join(words(r["tortured"]))]) > 1)

    vid_cache: dict[str, int] = {}

    def vid(w: str) -> int:
        if w not in vid_cache:
            vid_cache[w] = int(m.ids([w])[0]) if " " not in w else -1
        return vid_cache[w]

    def us201(a: str, b: str, limit: int | None) -> bool:
        ia, ib = vid(a), vid(b)
        return ia >= 0 and ib >= 0 and ib in m.synonyms(ia)[:limit]

    def judge(key: list[str], val: list[str], pairs202: dict) -> dict[str, bool]:
        wp = word_pairs(key, val)
        ss = sub_spans(key, val)
        hit = {
            "us201_probed": any(us201(a, b, max_syn) for a, b in wp),
            "us201_all": any(us201(a, b, None) for a, b in wp),
            "wn_syn": any(rel.reaches(a, b, "syn") for a, b in wp),
            "wn_hop": any(rel.reaches(a, b, "hop") for a, b in wp),
            "us202_key": any(k in pairs202 for k, _ in ss),
            "us202_right": any(v in {c for c, _ in pairs202.get(k, ())} for k, v in ss),
        }
        hit["union_strict"] = hit["us201_probed"] or hit["us202_right"]
        hit["union"] = hit["us201_probed"] or hit["us202_key"]
        hit["union_all"] = hit["wn_hop"] or hit["us201_all"] or hit["us202_key"]
        for g in GROUPS + list(COMBOS):
            hit["wn+" + g] = any(rel.reaches(a, b, g) for a, b in wp)
            hit["cur+" + g] = hit["union"] or hit["wn+" + g]
        hit["cur+hop"] = hit["union"] or hit["wn_hop"]
        return hit

    def lm_known_bigrams(pairs: list[tuple[str, str]]) -> list[bool]:
        if not pairs:
            return []
        a = m.lm_ids([p for p, _ in pairs]).astype("int64")
        b = m.lm_ids([q for _, q in pairs]).astype("int64")
        return m._bi(b, a)[1].tolist()

    def exposure(w: str) -> dict[str, int]:
        i = vid(w)
        syns = m.synonyms(i) if i >= 0 and m.expand_ok[i] else []
        out = {"us201_probed": min(len(syns), max_syn), "us201_all": len(syns),
               "wn_syn": len(rel.related(w, "syn")), "wn_hop": len(rel.related(w, "hop"))}
        for g in GROUPS + list(COMBOS):
            out["wn+" + g] = len(rel.related(w, g))
        return out

    keys_all = [k for k, _ in SOURCES] + [f"{x}+{g}" for g in GROUPS + list(COMBOS) for x in ("wn", "cur")] \
        + ["cur+hop", "loose_union"]
    phrase_hit = dict.fromkeys(keys_all, 0)
    swap_hit = dict.fromkeys(keys_all, 0)
    loose_any_key = 0  # US202: some fold key occurs in the tortured words, swapped or not
    loose_union = 0  # ... or US201 as probed reaches a swap
    no_swap: Counter = Counter()
    blocks: Counter = Counter()
    unknown: Counter = Counter()
    bigram: Counter = Counter()
    same_lemma = n_swaps = n_rows_swap = 0
    swapped_words: set[str] = set()
    examples: dict[str, list[str]] = defaultdict(list)
    hyphen_rows: list[tuple[dict, dict]] = []  # rows whose only blocks hold hyphenated tokens

    for r in pps:
        tw, cw, sw, why = aligned_swaps(r["tortured"], r["canonical"])
        pairs202 = fold_pairs[r["fold"]]
        any_key = any(" ".join(k) in pairs202 for k in spans(tw) if len(k) <= 3)
        loose_any_key += any_key
        if not sw:
            no_swap[why] += 1
            examples["no swap: " + why].append(f"{r['tortured']} -> {r['canonical']}")
            if why.startswith("hyphen"):
                hyphen_rows.append((r, pairs202))
            continue
        n_rows_swap += 1
        row_hit = dict.fromkeys(keys_all, False)
        row_desc = []
        for key, val, i1, i2, j1, j2 in sw:
            n_swaps += 1
            blocks["1->1" if len(key) == len(val) == 1 else
                   "n->n (n>1)" if len(key) == len(val) else "n->m (unequal)"] += 1
            hit = judge(key, val, pairs202)
            for k, v in hit.items():
                swap_hit[k] += v
                row_hit[k] |= v
            if any(rel.lemmas(a) & rel.lemmas(b) for a, b in word_pairs(key, val)):
                same_lemma += 1
            for side, ws in (("tortured", key), ("canonical", val)):
                unknown[f"{side} words"] += len(ws)
                unknown[f"{side}: not in vocabulary"] += sum(vid(w) < 0 for w in ws)
                unknown[f"{side}: not in LM"] += int((m.lm_ids(ws) < 0).sum())
            swapped_words.update(key)
            # bigrams of the swapped region with its neighbours, inside the phrase
            cb = [(cw[j - 1], cw[j]) for j in range(max(j1, 1), min(j2 + 1, len(cw)))]
            tb = [(tw[i - 1], tw[i]) for i in range(max(i1, 1), min(i2 + 1, len(tw)))]
            ck, tk = lm_known_bigrams(cb), lm_known_bigrams(tb)
            bigram["canonical bigrams"] += len(ck)
            bigram["canonical bigrams known"] += sum(ck)
            bigram["tortured bigrams"] += len(tk)
            bigram["tortured bigrams known"] += sum(tk)
            if cb and tb:
                bigram["swaps with a bigram"] += 1
                bigram["swaps: some canonical bigram known"] += any(ck)
                bigram["swaps: some tortured bigram known"] += any(tk)
                bigram["swaps: canonical known, no tortured known"] += any(ck) and not any(tk)
                bigram["swaps: tortured known, no canonical known"] += any(tk) and not any(ck)
            row_desc.append(f"{' '.join(key)}->{' '.join(val)}["
                            + ",".join(k for k in ("us201_probed", "us201_all", "wn_syn", "wn_hop",
                                                   "us202_key", "us202_right") if hit[k]) + "]")
        for k, v in row_hit.items():
            phrase_hit[k] += v
        loose_union += any_key or row_hit["us201_probed"]
        line = f"{r['tortured']} -> {r['canonical']}  (fold {r['fold']}): {'; '.join(row_desc)}"
        cats = {
            "US201 as probed": row_hit["us201_probed"],
            "US201 table beyond max_syn only": row_hit["us201_all"] and not row_hit["us201_probed"],
            "WordNet synonym, not in US201 table": row_hit["wn_syn"] and not row_hit["us201_all"],
            "WordNet one hop only (not synonym)": row_hit["wn_hop"] and not row_hit["wn_syn"],
            "US202 cross-fitted, not US201": row_hit["us202_key"] and not row_hit["us201_probed"],
            "US202 key known, wrong canonical": row_hit["us202_key"] and not row_hit["us202_right"],
            "no source reaches it": not row_hit["union_all"],
        }
        for cat, yes in cats.items():
            if yes:
                examples[cat].append(line)

    # rows lost only to hyphenated tokens: align with hyphens split; keep swaps of plain tortured words
    hy = Counter()
    for r, pairs202 in hyphen_rows:
        hyphen_parts = {x for w in words(r["tortured"]) if "-" in w for x in w.split("-")}
        _, _, sw, _ = aligned_swaps(r["tortured"].replace("-", " "), r["canonical"].replace("-", " "))
        # US201 never judges a hyphenated token: keep the block's plain words
        sw = [([w for w in s[0] if w not in hyphen_parts], s[1]) for s in sw]
        sw = [s for s in sw if s[0]]
        if not sw:
            continue
        hy["rows"] += 1
        hits = [judge(key, val, pairs202) for key, val in sw]
        for k in ("union", "union_all"):
            hy[k] += any(h[k] for h in hits)
        examples["hyphen rows re-aligned"].append(
            f"{r['tortured']} -> {r['canonical']}: "
            + "; ".join(f"{' '.join(s[0])}->{' '.join(s[1])}" for s in sw))

    # candidate-set sizes: swapped tortured words, and content-word tokens of clean text
    def mean_sizes(items: list[tuple[str, int]]) -> dict[str, float]:
        tot: Counter = Counter()
        n = 0
        for w, c in items:
            n += c
            for k, v in exposure(w).items():
                tot[k] += v * c
        return {k: v / n for k, v in tot.items()} if n else {}

    cps = mean_sizes([(w, 1) for w in sorted(swapped_words)])
    clean_tokens, key_rate, cpc = 0, 0.0, {}
    if args.clean_docs:
        docs = load_wikinews("train")[:args.clean_docs]
        toks = Counter(w for d in docs for w in words(d.text)
                       if w.isalpha() and w.isascii() and w not in STOPWORDS)
        clean_tokens = sum(toks.values())
        cpc = mean_sizes(sorted(toks.items()))
        key_rate = sum(n * (w in fold_pairs[f]) for f in range(FOLDS) for w, n in toks.items()) / FOLDS / clean_tokens

    N = len(pps)
    labels = dict(SOURCES) | {f"{x}+{g}": f"{'WordNet synonyms' if x == 'wn' else 'US201 probed + US202 key'}"
                                             f" + {g}" for g in GROUPS + list(COMBOS) for x in ("wn", "cur")}
    labels |= {"cur+hop": "US201 probed + US202 key + WordNet one hop",
               "loose_union": "US201 probed + US202 any key in the tortured words"}
    out = {
        "rows_unconditional_train": N, "rows_with_swap": n_rows_swap, "swaps": n_swaps, "max_syn": max_syn,
        "folds": FOLDS, "rows_tortured_in_other_fold": cross_dup, "no_swap": dict(no_swap),
        "blocks": dict(blocks), "same_lemma_swaps": same_lemma, "unknown": dict(unknown),
        "bigrams": dict(bigram), "us202_any_key_in_phrase": loose_any_key, "loose_union": loose_union,
        "hyphen_rows_realigned": dict(hy),
        "coverage": {k: {"label": labels[k], "phrases": phrase_hit[k], "phrase_frac": phrase_hit[k] / N,
                         "phrase_frac_of_swapped": phrase_hit[k] / max(1, n_rows_swap),
                         "swaps": swap_hit[k], "swap_frac": swap_hit[k] / max(1, n_swaps)}
                     for k in keys_all},
        "candidates_per_swapped_word": cps, "candidates_per_clean_token": cpc,
        "clean_docs": args.clean_docs, "clean_tokens": clean_tokens, "us202_key_rate_clean": key_rate,
    }

    def pct(a, b):
        return f"{a} ({a / b:.3f})" if b else str(a)

    def size(d, k):
        return f"{d[k]:.1f}" if k in d else ""

    print(f"# Candidate-coverage ceiling (screener TRAIN split, unconditional rows: {N}; "
          f"{n_rows_swap} with a swap, {n_swaps} swaps; max_syn={max_syn}, US202 folds={FOLDS})\n")
    print("| source | phrases covered (of all rows) | of rows with a swap | swaps covered | "
          "cand./swapped word | cand./clean token |")
    print("|---|---|---|---|---|---|")
    for k, lab in SOURCES:
        c = out["coverage"][k]
        e2 = f"key rate {key_rate:.3f}" if k == "us202_key" and clean_tokens else size(cpc, k)
        print(f"| {lab} | {pct(c['phrases'], N)} | {c['phrase_frac_of_swapped']:.3f} | "
              f"{pct(c['swaps'], n_swaps)} | {size(cps, k)} | {e2} |")
    print(f"\nLoose (what span-overlap scoring could credit): some US202 fold key occurs anywhere in the "
          f"tortured words, swapped or not: {pct(loose_any_key, N)}; that or US201 as probed: "
          f"{pct(loose_union, N)}. Rows whose tortured wording also sits in another fold: {cross_dup}.")
    print(f"Hyphen-only rows re-aligned with hyphens split (plain tortured words only; not in the "
          f"numbers above): {hy['rows']} get a swap, {hy['union']} reachable by US201 probed + US202 key, "
          f"{hy['union_all']} by every source.")
    print(f"Candidate-set sizes: mean over the {len(swapped_words)} distinct swapped tortured words, and "
          f"over the {clean_tokens} content tokens of {args.clean_docs} Wikinews TRAIN articles (0 for a "
          f"word without candidates; US201: words it expands); US202 key rate: share of clean content "
          f"tokens that are a one-word key of a fold table.\n")

    print("| WordNet synonyms + pointer group(s) | phrases | swaps | added swaps over synonyms | "
          "cand./swapped word | cand./clean token | phrases with US201 probed + US202 key |")
    print("|---|---|---|---|---|---|---|")
    for g in sorted(GROUPS, key=lambda g: -swap_hit["wn+" + g]) + list(COMBOS) + ["hop"]:
        k = "wn_hop" if g == "hop" else "wn+" + g
        print(f"| {'any pointer' if g == 'hop' else g.replace('|', ' + ')} | {pct(phrase_hit[k], N)} | "
              f"{pct(swap_hit[k], n_swaps)} | {swap_hit[k] - swap_hit['wn_syn']} | {size(cps, k)} | "
              f"{size(cpc, k)} | {pct(phrase_hit['cur+' + g], N)} |")
    print()

    print("| rows and swaps | count |\n|---|---|")
    print(f"| unconditional TRAIN rows | {N} |")
    print(f"| rows without any swap | {pct(N - n_rows_swap, N)} |")
    for why, n in sorted(no_swap.items(), key=lambda x: -x[1]):
        print(f"| - {why} | {n} |")
    for b, n in sorted(blocks.items()):
        print(f"| swaps {b} | {pct(n, n_swaps)} |")
    print(f"| swaps whose sides share a lemma (inflection only) | {pct(same_lemma, n_swaps)} |")
    for side in ("tortured", "canonical"):
        tot = unknown[f"{side} words"]
        print(f"| {side} swapped words | {tot} |")
        for what in ("not in vocabulary", "not in LM"):
            print(f"| - {what} | {pct(unknown[f'{side}: {what}'], tot)} |")
    print()

    print("| LM bigrams around the swaps (inside the phrase) | count |\n|---|---|")
    for side in ("canonical", "tortured"):
        print(f"| {side} bigrams known to the LM | "
              f"{pct(bigram[f'{side} bigrams known'], bigram[f'{side} bigrams'])} |")
    sb = bigram["swaps with a bigram"]
    print(f"| swaps with a neighbour in the phrase (both sides) | {pct(sb, n_swaps)} |")
    for k in ("swaps: some canonical bigram known", "swaps: some tortured bigram known",
              "swaps: canonical known, no tortured known", "swaps: tortured known, no canonical known"):
        print(f"| - {k[7:]} | {pct(bigram[k], sb)} |")

    if args.examples:
        rng = random.Random(0)
        for cat in sorted(examples):
            xs = examples[cat]
            pick = xs if len(xs) <= args.examples else rng.sample(xs, args.examples)
            print(f"\n## {cat} ({len(xs)} rows)")
            for x in pick:
                print(f"  {x}")

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"\n({time.time() - t0:.1f}s)", file=sys.stderr)


if __name__ == "__main__":
    main()
