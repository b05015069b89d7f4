"""US202 spinner-vocabulary: words a synonym spinner is known to produce, judged in their context.

Spinners work from one thesaurus, so the same word swaps recur across articles and papers: the
screener's fingerprints turn "fuzzy" into "fluffy", "ant colony" into "insect settlement",
"support" into "aid"; news spinners turn "recognition" into "acknowledgment". The lexicons (US1xx)
only know whole phrases. This rule learns the *word-level* swaps behind them (aligning each
lexicon phrase with its canonical wording, ``scripts/build_spinmap.py``) and looks for those words
in any combination: "fluffy controller", "insect settlement calculation" are in no list.

A spinner word alone proves nothing ("fluffy" is a fine word for a kitten), so every occurrence is
judged in its sentence: how much more probable the trigram LM finds the restored wording than the
text's (the generic model's numpy copy of pocketsphinx's en-us LM), how often the swap was seen and how
often the word is itself the *canonical* side of a swap, word frequencies, and whether neighbouring
words are spinner words too (tortured phrases come in runs). A logistic regression combines them;
the threshold is calibrated on clean news. The table and weights are ``models/spinmap/spinmap.json``
(JSON, no pickle); the words were learned from the screener TRAIN split only (and the project's own
news lexicon), so ``unspin eval`` scores the rule on phrases it never saw.
"""

from __future__ import annotations

import json
import math
from functools import cache
from itertools import chain
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:  # pragma: no cover
    from ..findings import FindingBuilder
    from ..model import Document, Finding
    from ..text import MatchStream

RULE = "US202"
_PAD = -7  # an LM id no word has (padding of the restoration arrays)
TREE_ROWS = 256  # rows per pass of the tree walk

FEATURES = [
    "gain", "gain_left", "gain_right", "gain_inner", "gain_joint", "own_left", "own_right", "uni_t",
    "uni_c", "zipf_t", "zipf_c", "log_count", "share", "log_canon", "n_t", "n_c", "adjacent",
    "sent_start", "ss_t", "ss_c", "ss_diff",
]
# collocation strength (collocation.py) of the text and of the restoration, per source: t the text,
# c the LM's best option, d = c - t (columns present whenever the model uses collocations)
COLLOC_SOURCES = ("lm", "ss", "wn")
COLLOC_FEATURES = [f"col_{k}_{src}" for src in COLLOC_SOURCES for k in ("t", "c", "d")]


class SpinMap:
    """The word-swap table, the combiner weights and the generic model's LM tables."""

    def __init__(self, data: dict[str, Any]):
        self.pairs: dict[str, list[tuple[str, int]]] = {
            k: [(c, int(n)) for c, n in v] for k, v in data["pairs"].items()}
        self.canon: dict[str, int] = data.get("canon", {})
        self.max_n = max((k.count(" ") + 1 for k in self.pairs), default=1)
        # the most words on either side of a swap (the width of the restoration arrays)
        self.width = max([self.max_n] + [c.count(" ") + 1 for v in self.pairs.values() for c, _ in v])
        self.weights: dict[str, Any] = data.get("weights", {})
        self._trees: tuple | None = None
        self._leaf_masks: Any = None  # detect/trees.py, once this process has scored LEAF_MASK_AFTER rows
        self._rows_scored = 0
        self._single = frozenset(k for k in self.pairs if " " not in k)
        self._multi_first = frozenset(k.split(" ", 1)[0] for k in self.pairs if " " in k)
        self._prefixes = frozenset(" ".join(k.split(" ")[:2]) for k in self.pairs if " " in k)
        self._options: dict[str, _Options] = {}
        self._options_of: Any = None  # the generic model the options' ids come from
        self._flags_of: Any = None
        self._flags: Any = None
        self._colloc: Any = None

    def collocations(self):
        """The collocation counts (``collocation.py``) when the model uses them, else None."""
        if not self.weights.get("colloc"):
            return None
        if self._colloc is None:
            try:
                from .collocation import load_collocations

                self._colloc = load_collocations()
            except (FileNotFoundError, OSError, KeyError, ValueError):
                self._colloc = False
        return self._colloc or None

    @classmethod
    def load(cls, path=None) -> SpinMap:
        if path is None:
            from ..resources import model_path

            path = model_path("spinmap", "spinmap.json")
        with open(path, encoding="utf-8") as fh:
            return cls(json.load(fh))

    def score(self, rows: list[dict[str, float]] | dict[str, Any]):
        """Combiner log-odds per feature row (numpy array): boosted trees stored as flat arrays,
        walked for all rows and trees at once (a leaf points to itself). ``rows``: one dict of
        features per row, or one sequence per feature (``_Occurrences.columns``)."""
        import numpy as np

        w = self.weights
        if self._trees is None:  # int32 node ids: half the memory traffic of the walk
            left, right = np.asarray(w["left"], dtype=np.int32), np.asarray(w["right"], dtype=np.int32)
            child = np.empty(2 * len(left), dtype=np.int32)  # child[2 i + (x > split)]
            child[0::2], child[1::2] = left, right
            self._trees = (np.asarray(w["feature"], dtype=np.int32), np.asarray(w["split"], dtype=np.float64),
                           child, np.asarray(w["value"], dtype=np.float64), np.asarray(w["roots"], dtype=np.int32))
        feature, split, child, value, roots = self._trees
        names = w["features"]
        # the features one row per feature (XT[f, i]: feature f of row i)
        if isinstance(rows, dict):
            n = len(rows[names[0]]) if names else 0
            XT = np.array([rows[name] for name in names], dtype=np.float64).reshape(len(names), n)
        else:
            n = len(rows)
            XT = np.array([[r[name] for r in rows] for name in names], dtype=np.float64).reshape(len(names), n)
        # batches, once the process has scored enough rows to repay the set-up: the same sums by leaf
        # masks (detect/trees.py; US203's SlotModel scores through here too; a fresh model always walks)
        from .trees import LEAF_MASK_AFTER, LEAF_MASK_MIN

        masks = n >= LEAF_MASK_MIN and self._rows_scored >= LEAF_MASK_AFTER
        self._rows_scored += n
        if masks and self._leaf_masks is None:
            from .trees import LeafMaskTrees

            try:
                self._leaf_masks = LeafMaskTrees(w)
            except ValueError:  # trees it cannot score exactly: the walk
                self._leaf_masks = False
        if masks and self._leaf_masks:
            return w["baseline"] + self._leaf_masks.sums(XT)
        flat = XT.ravel()
        at = feature.astype(np.int64) * n  # where a node's feature starts in flat
        out = np.empty(n)
        # TREE_ROWS rows at a time: the walk's arrays stay in the CPU cache and their memory is reused
        # (fresh arrays of this size cost a page fault per 4 kB). mode="clip": the indices are valid,
        # and numpy's checked take is several times slower on int32 indices.
        for a in range(0, n, TREE_ROWS):
            rows_ = np.arange(a, min(n, a + TREE_ROWS), dtype=np.int64)[:, None]
            shape = (len(rows_), len(roots))
            node, nxt = np.tile(roots, (len(rows_), 1)), np.empty(shape, dtype=np.int32)
            idx, x, s = np.empty(shape, dtype=np.int64), np.empty(shape), np.empty(shape)
            go = np.empty(shape, dtype=bool)
            for _ in range(int(w["depth"])):
                np.take(at, node, out=idx, mode="clip")
                idx += rows_
                np.take(flat, idx, out=x, mode="clip")
                np.take(split, node, out=s, mode="clip")
                np.greater(x, s, out=go)
                node <<= 1
                node |= go
                np.take(child, node, out=nxt, mode="clip")
                node, nxt = nxt, node
            out[a:a + len(rows_)] = value.take(node, mode="clip").sum(axis=1)
        return w["baseline"] + out


@cache
def load_spinmap() -> SpinMap:
    return SpinMap.load()


class _Restored(NamedTuple):
    """An occurrence's best restoration: LM gains (log10) part by part and the text's own context."""

    gain: float
    left: float
    inner: float
    right: float
    own_left: float
    own_right: float
    option: int  # index into the key's _Options


class _Options:
    """A key's canonical options with their LM and vocabulary ids (resolved once per process)."""

    __slots__ = ("texts", "counts", "total", "lm", "vid", "key_lm", "key_vid", "uni", "zipf",
                 "key_uni", "key_zipf", "log_canon", "mids", "nmids", "count_arr")

    def __init__(self, key: str, opts: list[tuple[str, int]], m, canon: int = 0, width: int = 3,
                 known: dict[str, tuple[int, int]] | None = None):
        np = m.np
        self.texts = [c for c, _ in opts]
        self.counts = [n for _, n in opts]
        self.total = sum(self.counts)
        if known is None:  # (vocabulary id, LM id) of every word of the key and its options
            words = key.split() + [w for c in self.texts for w in c.split()]
            known = dict(zip(words, zip(m.ids(words).tolist(), m.lm_ids(words).tolist(), strict=True), strict=True))
        self.lm = [[known[w][1] for w in c.split()] for c in self.texts]
        # the options' LM ids padded to the map's width, their lengths and counts (for _restore)
        self.mids = np.full((len(self.lm), width), _PAD, dtype=np.int64)
        for i, ids in enumerate(self.lm):
            self.mids[i, :len(ids)] = ids
        self.nmids = np.array([len(ids) for ids in self.lm], dtype=np.int64)
        self.count_arr = np.array(self.counts, dtype=np.int64)
        self.vid = [[known[w][0] for w in c.split()] for c in self.texts]
        self.key_lm = [known[w][1] for w in key.split()]
        self.key_vid = [known[w][0] for w in key.split()]

        def uni(ids: list[int]) -> float:  # the rarest word's LM unigram log10 P
            return min(float(m.lm_uni[i]) if i >= 0 else -7.0 for i in ids)

        def zipf(ids: list[int]) -> float:  # ... and its wordfreq Zipf frequency
            return min(float(m.zipf[i]) if i >= 0 else 0.0 for i in ids)

        self.uni = [uni(x) for x in self.lm]
        self.zipf = [zipf(x) for x in self.vid]
        self.key_uni = uni(self.key_lm)
        self.key_zipf = zipf(self.key_vid)
        self.log_canon = math.log1p(canon)  # how often the key is itself the canonical side of a swap


def _type_flags(smap: SpinMap, m):
    """Per type id of the generic model's token table: 1 = a one-word key, 2 = the first word of a
    longer key (kept in step with the table, which grows and is sometimes reset)."""
    np = m.np
    low = m._t_low
    if smap._flags_of is not low or len(smap._flags) > len(low):
        smap._flags_of, smap._flags = low, np.zeros(0, dtype=np.int8)
    have = len(smap._flags)
    if have < len(low):
        single, multi = smap._single, smap._multi_first
        new = np.fromiter(((w in single) | ((w in multi) << 1) for w in low[have:]), dtype=np.int8,
                          count=len(low) - have)
        smap._flags = np.concatenate((smap._flags, new))
    return smap._flags


def candidates(doc: Document, stream: MatchStream, smap: SpinMap, gm=None) -> list[dict[str, Any]]:
    """Every occurrence of a known spinner word (or n-gram) with the features of its best restoration.

    Occurrences do not overlap: at each word the longest key wins. Work is in the generic model's id
    space: the document's words come from its sentence split (``words.split``), canonical options
    are resolved to ids once per process, and all LM probes of a document are one vectorised call."""

    found = occurrences(doc, stream, smap, gm)
    return [] if found is None else [found.row(i) for i in range(len(found))]


def occurrences(doc: Document, stream: MatchStream, smap: SpinMap, gm=None) -> _Occurrences | None:
    """``candidates`` as feature columns (what the combiner reads), with each occurrence's details
    made only when asked for (``_Occurrences.row``); None when there is none."""
    from .generic import load_model

    m = gm or load_model()
    with m.lock:  # the model's token-type tables: one document at a time
        return _candidates(doc, stream, smap, m)


class _Occurrences:
    """A document's spinner-word occurrences: ``columns`` holds one list per feature (FEATURES),
    ``row(i)`` the i-th occurrence as ``candidates`` gives it."""

    def __init__(self, columns: dict[str, list[float]], details: Any):
        self.columns = columns
        self._details = details

    def __len__(self) -> int:
        return len(self.columns["gain"])

    def row(self, i: int) -> dict[str, Any]:
        occ, opts, _best, starts, ends, wpos, low, Twl, sent_id, suggest = self._details
        j, n, key = occ[i]
        o = opts[key]
        e = j + n - 1
        nw = len(Twl)
        sid = sent_id[j]
        before = [low[Twl[x]] for x in range(max(0, j - 2), j) if sent_id[x] == sid]
        after = [low[Twl[x]] for x in range(e + 1, min(nw, e + 3)) if sent_id[x] == sid]
        return {"start": starts[wpos[j]], "end": ends[wpos[e]], "key": key, "sub": o.texts[suggest[i]],
                "feats": {name: col[i] for name, col in self.columns.items()},
                "context": (" ".join(before), " ".join(after))}


def _candidates(doc: Document, stream: MatchStream, smap: SpinMap, m) -> _Occurrences | None:
    from .words import split as split_words

    np = m.np
    if smap._options_of is not m:  # canonical options hold this model's ids
        smap._options, smap._options_of = {}, m
    split = split_words(m, doc, stream)
    if split is None:
        return None
    _texts, starts, ends, wpos, Tw, first, last, ok = split
    flags = _type_flags(smap, m)[Tw]
    hits = np.flatnonzero((flags != 0) & ok).tolist()
    if not hits:
        return None
    low = m._t_low
    Twl = Tw.tolist()
    wposl = wpos.tolist()
    firstl = first.tolist()
    okl = ok.tolist()
    flagl = flags.tolist()
    nw = len(Twl)
    pairs = smap.pairs
    prefixes = smap._prefixes
    occ: list[tuple[int, int, str]] = []  # (first word index, words, key)
    covered = -1
    for j in hits:
        if j <= covered:
            continue
        n_found, key = 0, ""
        if flagl[j] & 2 and j + 1 < nw and wposl[j + 1] == wposl[j] + 1 and not firstl[j + 1] and \
                low[Twl[j]] + " " + low[Twl[j + 1]] in prefixes:
            for n in range(min(smap.max_n, nw - j), 1, -1):
                # the words of a key are adjacent tokens: no punctuation between ("a, b" is not "a b")
                if wposl[j + n - 1] - wposl[j] != n - 1 or any(firstl[j + 1:j + n]) or not all(okl[j:j + n]):
                    continue
                k = " ".join(low[t] for t in Twl[j:j + n])
                if k in pairs:
                    n_found, key = n, k
                    break
        if not n_found and flagl[j] & 1:
            n_found, key = 1, low[Twl[j]]
        if n_found:
            occ.append((j, n_found, key))
            covered = j + n_found - 1
    if not occ:
        return None
    opts = smap._options
    new = [key for key in dict.fromkeys(key for _, _, key in occ) if key not in opts]
    if new:  # the ids of all their words in one look-up
        words = list(dict.fromkeys(w for key in new for t in chain((key,), (c for c, _ in pairs[key]))
                                   for w in t.split()))
        known = dict(zip(words, zip(m.ids(words).tolist(), m.lm_ids(words).tolist(), strict=True), strict=True))
        for key in new:
            opts[key] = _Options(key, pairs[key], m, smap.canon.get(key, 0), smap.width, known)
    Lw = m._t_lm[Tw]
    vid_w = m._t_vid[Tw].tolist()
    lastl = last.tolist()
    bos, eos = m.lm_specials()
    # context LM ids around each occurrence: p2 p1 [..] n1 n2 (sentence padding as the LM has it); an
    # occurrence that ends its sentence has no n2 (has2 false)
    J = np.fromiter((j for j, _, _ in occ), dtype=np.int64, count=len(occ))
    N = np.fromiter((n for _, n, _ in occ), dtype=np.int64, count=len(occ))
    E = J + N - 1
    fJ = first[J]
    J1, J2 = np.maximum(J - 1, 0), np.maximum(J - 2, 0)  # (clipped only where the value is not used)
    P1 = np.where(fJ, bos, Lw[J1])
    P2 = np.where(fJ | first[J1], bos, Lw[J2])
    has2 = ~last[E]
    E1, E2 = np.minimum(E + 1, nw - 1), np.minimum(E + 2, nw - 1)
    N1 = np.where(has2, Lw[E1], eos)
    N2 = np.where(last[E1], eos, Lw[E2])
    o_of = [opts[key] for _, _, key in occ]
    ctx = (J, N, P2, P1, N1, N2, has2)
    colloc = smap.collocations()
    rank = smap.weights.get("colloc_rank", {}) if colloc is not None else {}
    best, ex = _restore(m, Lw, o_of, ctx, P1, N1, smap.width, colloc, rank)
    # with spinner-word neighbours restored too (only where a neighbour's own restoration helped)
    by_first = {j: oi for oi, (j, _, _) in enumerate(occ)}
    by_last = {j + n - 1: oi for oi, (j, n, _) in enumerate(occ)}
    joint = [b.gain for b in best]
    suggest = [b.option for b in best] if ex is None else list(ex["option"])  # the option to suggest
    adjacent = [0] * len(occ)
    nb: dict[int, tuple[int | None, int | None]] = {}
    for oi, (j, n, _) in enumerate(occ):
        lo, hi = by_last.get(j - 1), by_first.get(j + n)
        if lo is not None and firstl[j]:
            lo = None
        if hi is not None and firstl[j + n]:
            hi = None
        adjacent[oi] = (lo is not None) + (hi is not None)
        left = _restored_word(opts, occ, best, lo, -1)
        right = _restored_word(opts, occ, best, hi, 0)
        if left is not None or right is not None:
            nb[oi] = (left, right)
    if nb:
        sub = sorted(nb)
        idx = np.array(sub, dtype=np.int64)
        rp1 = np.array([P1[k] if nb[k][0] is None else nb[k][0] for k in sub], dtype=np.int64)
        rn1 = np.array([N1[k] if nb[k][1] is None else nb[k][1] for k in sub], dtype=np.int64)
        again, ex2 = _restore(m, Lw, [o_of[k] for k in sub], tuple(a[idx] for a in ctx), rp1, rn1, smap.width,
                              colloc, rank)
        for k, b in zip(sub, again, strict=True):
            joint[k] = b.gain
        if ex2 is not None:  # with the neighbours restored, the collocations are the restored text's
            for i, k in enumerate(sub):
                suggest[k] = ex2["option"][i]
    # symspell counts of the first/last word with their neighbours, text vs restored
    ss_a: list[int] = []
    ss_b: list[int] = []
    for (j, n, key), b in zip(occ, best, strict=True):
        o = opts[key]
        e = j + n - 1
        p1 = -1 if firstl[j] else vid_w[j - 1]
        n1 = -1 if lastl[e] else vid_w[e + 1]
        cv = o.vid[b.option]
        ss_a += [p1, vid_w[e], p1, cv[-1]]
        ss_b += [vid_w[j], n1, cv[0], n1]
    ss = m.symspell_many(np.array(ss_a, dtype=np.int64), np.array(ss_b, dtype=np.int64)).reshape(-1, 4).tolist()
    sent_id = np.cumsum(first).tolist()

    option = [b.option for b in best]
    ss_t = [max(a, b) for a, b, _, _ in ss]
    ss_c = [max(c, d) for _, _, c, d in ss]
    counts = [o.counts[k] for o, k in zip(o_of, option, strict=True)]
    columns = {
        "gain": [b.gain for b in best], "gain_left": [b.left for b in best],
        "gain_right": [b.right for b in best], "gain_inner": [b.inner for b in best], "gain_joint": joint,
        "own_left": [b.own_left for b in best], "own_right": [b.own_right for b in best],
        "uni_t": [o.key_uni for o in o_of], "uni_c": [o.uni[k] for o, k in zip(o_of, option, strict=True)],
        "zipf_t": [o.key_zipf for o in o_of], "zipf_c": [o.zipf[k] for o, k in zip(o_of, option, strict=True)],
        "log_count": [math.log1p(c) for c in counts],
        "share": [c / o.total for c, o in zip(counts, o_of, strict=True)],
        "log_canon": [o.log_canon for o in o_of], "n_t": [float(n) for _, n, _ in occ],
        "n_c": [float(len(o.lm[k])) for o, k in zip(o_of, option, strict=True)],
        "adjacent": [float(a) for a in adjacent], "sent_start": [float(firstl[j]) for j, _, _ in occ],
        "ss_t": ss_t, "ss_c": ss_c, "ss_diff": [c - t for t, c in zip(ss_t, ss_c, strict=True)],
    }
    if ex is not None:  # collocation strength of the text and of the LM's best option, per source
        C, vs, pk = ex["C"], ex["vstart"], ex["pick"]
        for src, v in C.items():
            t, c = v[vs], v[pk]
            columns[f"col_t_{src}"] = t.tolist()
            columns[f"col_c_{src}"] = c.tolist()
            columns[f"col_d_{src}"] = (c - t).tolist()
    elif smap.weights.get("colloc"):  # the counts are not installed: no evidence
        for name in COLLOC_FEATURES:
            columns[name] = [0.0] * len(occ)
    # (detect/article.py reads the first six: keep their order)
    return _Occurrences(columns, (occ, opts, best, starts, ends, wpos, low, Twl, sent_id, suggest))


def _restored_word(opts, occ, best, oi: int | None, pos: int) -> int | None:
    """LM id of the first (pos 0) or last (pos -1) word of occurrence oi's restoration, if restoring
    it alone made the text more probable; else None."""
    if oi is None or best[oi].gain <= 0:
        return None
    return opts[occ[oi][2]].lm[best[oi].option][pos]


def _restore(m, Lw, o_of, ctx, RP1, RN1, width: int, colloc=None, rank: dict[str, float] | None = None
             ) -> tuple[list[_Restored], dict[str, Any] | None]:
    """Best restoration per occurrence by trigram-LM gain, all occurrences and options at once.

    ``Lw``: the LM ids of the document's words; ``o_of``: each occurrence's options; ``ctx``: arrays
    (first word, words, p2, p1, n1, n2, has n2) per occurrence; ``RP1``/``RN1``: the p1/n1 the
    options are scored with (a restored neighbour, or the text's own).

    For the words ``p2 p1 [x1 .. xk] n1 n2`` of a variant: left = log P(x1 | p2 p1), inner = the mean
    log P of x2..xk, right = log P(n1 | ..) + log P(n2 | ..); the text and each canonical option are
    scored the same way and compared part by part. The best option has the highest gain, then the
    highest count, then comes first. (The sums run left to right, as the per-occurrence version
    summed them: the values are the same to the last bit.)

    With ``colloc`` (collocation.Collocations), also returns each variant's collocation strength per
    source (``C``; rows ``vstart`` the texts, ``pick`` the best options above) and ``option``: the option
    to suggest, ranked by gain + sum of ``rank[source]`` * strength; else None."""
    np = m.np
    J, N, P2, P1, N1, N2, has2 = ctx
    no = len(o_of)
    nvar = np.fromiter((len(o.lm) + 1 for o in o_of), dtype=np.int64, count=no)
    V = int(nvar.sum())
    vocc = np.repeat(np.arange(no), nvar)  # the occurrence of each variant
    vstart = np.cumsum(nvar) - nvar  # its first variant: the text itself
    kvar = np.arange(V) - vstart[vocc]  # 0 the text, k option k - 1
    opt_rows = kvar > 0
    cols = np.arange(width)
    # every variant's words: p2 p1 x1 .. xk n1 [n2], padded (S) ...
    S = np.full((V, width + 4), _PAD, dtype=np.int64)
    S[:, 0] = P2[vocc]
    S[:, 1] = np.where(opt_rows, RP1[vocc], P1[vocc])
    nmid = np.empty(V, dtype=np.int64)
    nmid[vstart] = N
    nmid[opt_rows] = np.concatenate([o.nmids for o in o_of])
    at = J[:, None] + cols
    S[vstart, 2:2 + width] = np.where(cols < N[:, None], Lw[np.minimum(at, len(Lw) - 1)], _PAD)
    S[opt_rows, 2:2 + width] = np.concatenate([o.mids for o in o_of])
    r = np.arange(V)
    S[r, 2 + nmid] = np.where(opt_rows, RN1[vocc], N1[vocc])
    h2 = has2[vocc]
    S[r[h2], 3 + nmid[h2]] = N2[vocc][h2]
    # ... and its queries: each word after p2 p1, with the two before it
    nq = nmid + 1 + h2
    c = np.arange(width + 4)
    qr, qc = np.nonzero((c >= 2) & (c < (2 + nq)[:, None]))
    lp = m.trigram(S[qr, qc], S[qr, qc - 1], S[qr, qc - 2])
    VAL = np.zeros((V, width + 2))
    VAL[qr, qc - 2] = lp
    left = VAL[:, 0]
    acc = np.zeros(V)
    for k in range(1, width):
        acc = acc + np.where(k < nmid, VAL[:, k], 0.0)
    inner = np.where(nmid > 1, acc / np.maximum(nmid - 1, 1), 0.0)
    right = VAL[r, nmid] + np.where(h2, VAL[r, np.minimum(nmid + 1, width + 1)], 0.0)
    ol, oin, orr = left[vstart], inner[vstart], right[vstart]
    gl, gi, gr = left - ol[vocc], inner - oin[vocc], right - orr[vocc]
    g = (gl + gi) + gr
    count = np.zeros(V, dtype=np.int64)
    count[opt_rows] = np.concatenate([o.count_arr for o in o_of])
    # per occurrence, among its options: highest gain, then count, then the first option
    rows = np.flatnonzero(opt_rows)

    def best_of(key):
        order = rows[np.lexsort((kvar[rows], -count[rows], -key[rows], vocc[rows]))]
        return order[np.flatnonzero(np.r_[True, vocc[order][1:] != vocc[order][:-1]])]

    pick = best_of(g)
    out = list(map(_Restored._make, zip(g[pick].tolist(), gl[pick].tolist(), gi[pick].tolist(), gr[pick].tolist(),
                                         ol.tolist(), orr.tolist(), (kvar[pick] - 1).tolist(), strict=True)))
    if colloc is None:
        return out, None
    # collocation strength of every variant: p1 x1, xk n1 and the pairs inside the option
    C = _colloc_variants(m, colloc, S, nmid, width)
    lam = np.zeros(V)
    for src, w in rank.items():
        lam += w * C[src]
    rpick = best_of(g + lam) if rank else pick
    extra = {"option": (kvar[rpick] - 1).tolist(), "pick": pick, "vstart": vstart, "C": C}
    return out, extra


def _colloc_variants(m, colloc, S, nmid, width: int) -> dict[str, Any]:
    """Per variant row of ``S`` (p2 p1 x1 .. xk n1 ..), each source's summed strength over its bigrams
    p1 x1, x_i x_i+1 and xk n1 (``collocation.Collocations.pairs``)."""
    np = m.np
    V = len(S)
    r = np.arange(V)
    a_parts, b_parts, row_parts = [S[:, 1]], [S[:, 2]], [r]
    for k in range(1, width):
        inside = np.flatnonzero(k < nmid)
        if len(inside):
            a_parts.append(S[inside, 1 + k])
            b_parts.append(S[inside, 2 + k])
            row_parts.append(inside)
    a_parts.append(S[r, 1 + nmid])
    b_parts.append(S[r, 2 + nmid])
    row_parts.append(r)
    a, b, rr = np.concatenate(a_parts), np.concatenate(b_parts), np.concatenate(row_parts)
    got = colloc.pairs(m, np.where(a == _PAD, -1, a), np.where(b == _PAD, -1, b))
    return {src: np.bincount(rr, weights=v, minlength=V) for src, v in got.items()}


def spinmap_findings(doc: Document, stream: MatchStream, fb: FindingBuilder) -> list[Finding]:
    try:
        smap = load_spinmap()
    except (FileNotFoundError, ImportError, ValueError, KeyError):
        return []
    if not smap.weights:
        return []
    try:
        found = occurrences(doc, stream, smap)
    except (FileNotFoundError, ImportError):  # the generic model's tables are not installed
        return []
    from .generic import keep_on_stream

    if found is None:
        keep_on_stream(stream, "_us202_scored", None)
        return []
    from ..model import Suggestion
    from ..rewrite.case import match_case
    from .generic import calibrated_confidence

    thr = smap.weights["threshold"]
    cal = smap.weights.get("calibration", {})
    scores = smap.score(found.columns)
    keep_on_stream(stream, "_us202_scored", (found, scores))  # soft scores for detect/article.py
    out = []
    for i in (scores >= thr).nonzero()[0].tolist():
        c = found.row(i)
        score = float(scores[i])
        text = doc.text[c["start"]:c["end"]]
        suggestion = match_case(text, c["sub"])
        conf = calibrated_confidence(score, thr, cal)
        f = c["feats"]
        left, right = c["context"]
        restored = " ".join(x for x in (left, c["sub"], right) if x)
        ev = {k: round(float(f[k]), 3) for k in ("gain", "gain_left", "gain_right", "own_left", "own_right",
                                                 "zipf_t", "zipf_c")}
        ev.update(swap_seen=int(round(math.expm1(f["log_count"]))), adjacent=int(f["adjacent"]),
                  score=round(float(score), 3), threshold=round(float(thr), 3), replaced=c["key"],
                  neighbour=restored)
        how = "far" if f["gain"] >= 2 else "much" if f["gain"] >= 1 else "a little"
        msg = (f"{text!r} is a word spinners put for {c['sub']!r}, and {restored!r} reads {how} more "
               f"naturally (LM log10 gain {f['gain']:.1f}); use {suggestion!r}")
        out.append(fb.make(RULE, c["start"], c["end"], msg,
                           suggestions=[Suggestion(suggestion, "generic", round(conf, 4))],
                           confidence=conf, evidence=ev))
    return out
