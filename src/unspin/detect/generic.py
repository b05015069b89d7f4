"""US201 odd-collocation: list-free detection of synonym-spun words.

A spinner swaps a word for a WordNet synonym of the wrong sense ("facial recognition" -> "facial
acknowledgment", "scraped from" -> "scratched from"). For every content word we ask a generic
English trigram LM (pocketsphinx en-us) how much more probable its context becomes when the word is
swapped back for one of its WordNet synonyms (any sense, re-inflected): gain = [log P(s|p2 p1) +
log P(n1|p1 s) + log P(n2|s n1)] - [same for w]. Context includes function words. Two extra
evidence sources cover collocations the LM lacks: a phrase table of known multi-word terms (WordNet
multi-word lemmas and the screener lexicon's TRAIN canonical phrases) and symspell's bigram counts.
A logistic regression fitted at build time (``scripts/build_generic_model.py``, weights in
``models/generic/weights.json``) combines the numbers; a threshold calibrated on clean news decides.
Findings cover the single suspicious word.

The LM is not loaded at check time: ``scripts/build_generic_tables.py`` parses pocketsphinx's
binary trie and writes every unigram, bigram and trigram as flat sorted arrays
(``models/generic/lm_*.npy``, memory-mapped); :meth:`GenericModel.trigram` answers any batch of
queries with three ``searchsorted`` calls and reproduces ``NGramModel.prob`` bit for bit (same
quantised values, same float32 backoff sums, same truncation; a test checks). So a document is
scored in one vectorised pass: every candidate's own context, the left probe of its ``max_syn``
most frequent synonyms, the right probe of the best ``top_right`` of those, the features and the
combiner, all as numpy arrays. A word whose own context log-probability is above ``prune_own`` is
not expanded (unless a phrase-table window matches), exactly as before. Tokens are classified once
per distinct token text and remembered across documents (bounded), so the per-document Python work
is a few list look-ups; sentence breaks are found with numpy.
"""

from __future__ import annotations

import json
import math
import threading
from functools import cache
from itertools import filterfalse
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from . import words as wordsplit
from .lm_tables import FLOOR, LOG10_BASE, LOG_ZERO, WORD_BITS, LMTables, grow_columns, load_npy  # noqa: F401
from .words import OTHER, sentences_plain, token_kind

if TYPE_CHECKING:  # pragma: no cover
    from ..findings import FindingBuilder
    from ..model import Document, Finding
    from ..text import MatchStream

RULE = "US201"
# phrase-table match kinds: a window of the text that differs from a known phrase in one word
PHRASE_WINDOWS = ((0, 1), (-1, 0), (0, 2), (-1, 1), (-2, 0))  # (first, last) token offsets around w
_WINDOW_LEN = tuple(b - a + 1 for a, b in PHRASE_WINDOWS)
# phrase_pat kinds by (window length, wildcard position): as in scripts/build_generic_tables.py
_PHRASE_KIND = {(2, 0): 0, (2, 1): 1, (3, 0): 2, (3, 1): 3, (3, 2): 4}
# candidates(..., prefilter=True) returns only words scoring at least threshold - PREFILTER_MARGIN
# (overridable in weights.json); findings never depend on it
PREFILTER_MARGIN = 3.5
CACHE_MAX = 400_000  # token texts (and phrase-table look-ups) remembered across documents

FEATURES = [
    "gain", "gain_left", "gain_right", "own_left", "own_right", "own_pmi", "uni_w", "uni_s",
    "zipf_w", "zipf_s", "zipf_diff", "log_nsyn", "gain_left:pos", "gain_right:pos",
    "gain_left:neg", "gain_right:neg", "gain:sq", "symspell_s", "symspell_w", "symspell_diff",
    "phrase", "phrase_len", "sent_start",
]


class GenericModel(LMTables):
    """The compiled tables (vocabulary, synonyms, the LM's n-grams), the phrase table and the
    combiner weights."""

    def __init__(self, root: Any = None):
        import numpy as np

        if root is None:
            from ..resources import model_path

            root = model_path("generic")
        self.np = np

        def arr(name: str):
            # memory-mapped, viewed as a plain ndarray (np.memmap's __getitem__ is slow)
            return load_npy(root / f"{name}.npy")

        self.vocab = arr("vocab")  # sorted fixed-width ASCII words; a word's id is its position
        self.keys = arr("keys")  # symspell content-word bigram keys id_a * shift + id_b
        self.big_ss = arr("big_ss")  # log10 symspell count per key
        self.uni_lp = arr("uni_lp")
        self.zipf = arr("zipf")
        self.stop = arr("stop")
        self.syn_off = arr("syn_off")
        self.syn_ids = arr("syn_ids")  # per word: synonyms, most frequent first
        self.shift = int(arr("shift")[0])
        self.has_syn = (self.syn_off[1:] - self.syn_off[:-1]) > 0
        self.expand_ok = self.has_syn & ~self.stop
        self._words: dict[int, str] = {}
        self._syn: dict[int, list[int]] = {}
        weights_path = root / "weights.json"
        self.weights: dict[str, Any] = (
            json.loads(weights_path.read_text(encoding="utf-8")) if weights_path.exists() else {}
        )
        self.root = root
        try:
            self.phrase_keys = arr("phrase_keys")
            self.phrase_fill = arr("phrase_fill")
            self.phrase_bits = arr("phrase_bits")
        except FileNotFoundError:
            self.phrase_keys = None
        self.load_lm_tables(arr)
        self.vocab_lm = arr("vocab_lm").astype(np.int64)  # LM id of each vocabulary word, -1 if unknown
        self.phrase_words = arr("phrase_words")  # sorted words that occur in a known phrase
        self.syn_phrase = arr("syn_phrase")  # per word: one of its synonyms is a phrase word
        self.phrase_pat = arr("phrase_pat")  # the phrase-table keys of 2-3 words as numbers
        self.prefilter = True  # (kept for callers: candidates(..., prefilter=...) still works)
        nsyn = self.syn_off[1:] - self.syn_off[:-1]
        self.log1p_nsyn = np.array([math.log1p(k) for k in range(int(nsyn.max()) + 1)])
        self._lm = None
        self._specials: tuple[int, int] | None = None
        self._idc: dict[str, tuple[int, int]] = {}
        self._synw: dict[int, dict[str, int]] = {}
        self._phc: dict[str, Any] = {}  # phrase_hits results per key, across documents
        self._ss: dict[int, float] | None = None
        self._own_ctx: Any = None  # own_context's arrays for the last document (its type ids, generation)
        self.use_phrases = True
        self.phrase_sources = 0xFF  # bit 1: WordNet multi-word lemmas, bit 2: screener TRAIN canonicals
        # The token-type tables below grow (and are sometimes reset) as documents come in, in several
        # steps: one document at a time per model. Callers that read type ids (US201, US202,
        # sentences()) hold this lock for the whole document; ``generation`` changes at each reset.
        self.lock = threading.RLock()
        self.generation = 0
        self._reset_types()

    # -- token texts, classified once -------------------------------------------------------------
    def _reset_types(self) -> None:
        np = self.np
        self.generation += 1
        self._tid: dict[str, int] = {}
        self._t_low: list[str] = []
        cap = 4096
        self._t_kind = np.zeros(cap, dtype=np.int8)
        self._t_vid = np.zeros(cap, dtype=np.int64)  # vocabulary id, -1 unknown
        self._t_lm = np.zeros(cap, dtype=np.int64)  # LM id, -1 unknown
        self._t_cand = np.zeros(cap, dtype=bool)  # known, has synonyms, not a stop word
        self._t_content = np.zeros(cap, dtype=bool)  # not a known stop word
        self._t_pwi = np.zeros(cap, dtype=np.int64)  # index in phrase_words, -1: in no known phrase
        self._t_sp = np.zeros(cap, dtype=bool)  # one of its synonyms occurs in some known phrase

    def _add_types(self, texts: list[str], new: list[str] | None = None) -> None:
        """Add the texts not seen yet (``new``, when the caller knows them: distinct, first-seen order)."""
        np = self.np
        if new is None:
            new = list(dict.fromkeys(filterfalse(self._tid.__contains__, texts)))  # (first-seen order)
        if len(self._tid) + len(new) > CACHE_MAX:  # (distinct new types: a batch repeats many)
            self._reset_types()
            new = list(dict.fromkeys(texts))
        n0 = len(self._t_low)
        n1 = n0 + len(new)
        grow_columns(self, ("_t_kind", "_t_vid", "_t_lm", "_t_cand", "_t_content", "_t_pwi", "_t_sp"), n1)
        kinds, lows = zip(*map(token_kind, new), strict=True)
        vid = self.ids(list(lows))
        known = vid >= 0
        kid = np.maximum(vid, 0)
        word = np.array(kinds, dtype=np.int8) <= OTHER
        sl = slice(n0, n1)
        self._t_kind[sl] = kinds
        self._t_vid[sl] = vid
        self._t_lm[sl] = self.lm_ids(list(lows))
        self._t_cand[sl] = word & known & self.expand_ok[kid]
        self._t_content[sl] = ~(known & self.stop[kid])
        self._t_pwi[sl] = np.where(word, self._lookup(self.phrase_words, list(lows)), -1)
        self._t_sp[sl] = known & self.syn_phrase[kid]
        self._t_low += lows
        self._tid.update(zip(new, range(n0, n1), strict=True))

    # -- resources ---------------------------------------------------------------------------------
    @property
    def lm(self):
        """The pocketsphinx LM itself (``detect.lm.load_lm()``): not used for detection (the
        ``lm_*`` tables reproduce it); kept for tools and tests that compare against it."""
        if self._lm is None:
            from .lm import load_lm

            self._lm = load_lm()
        return self._lm

    def phrase_hits(self, keys: list[str]) -> dict[str, dict[str, int]]:
        """Known phrases matching wildcard keys ("support * machine"): key -> {filler: source bits}."""
        np = self.np
        if not keys or self.phrase_keys is None:
            return {}
        c = self._phc
        if c.get("\x00sources") != self.phrase_sources:
            c.clear()
            c["\x00sources"] = self.phrase_sources
        out: dict[str, dict[str, int]] = {}
        uniq = sorted(k for k in set(keys) if k.isascii() and k not in c)
        for k in set(keys):
            v = c.get(k)
            if v:
                out[k] = v
        if not uniq:
            return out
        if len(c) > CACHE_MAX:
            c.clear()
        c.update(dict.fromkeys(uniq, {}))
        arr = np.array(uniq, dtype=self.phrase_keys.dtype)
        lo = np.searchsorted(self.phrase_keys, arr, side="left")
        hi = np.searchsorted(self.phrase_keys, arr, side="right")
        for k in np.nonzero(hi > lo)[0].tolist():
            if len(uniq[k]) > self.phrase_keys.dtype.itemsize:
                continue  # truncated by the fixed width: not a real match
            a, b = int(lo[k]), int(hi[k])
            src = self.phrase_sources
            hit = {f.decode("ascii"): x for f, x in zip(self.phrase_fill[a:b].tolist(), self.phrase_bits[a:b].tolist(),
                                                         strict=True) if x & src}
            if hit:
                out[uniq[k]] = c[uniq[k]] = hit
        return out

    def word(self, i: int) -> str:
        w = self._words.get(i)
        if w is None:
            w = self._words[i] = self.vocab[int(i)].decode("ascii")
        return w

    def synonyms(self, i: int) -> list[int]:
        s = self._syn.get(i)
        if s is None:
            s = self._syn[i] = self.syn_ids[self.syn_off[i]:self.syn_off[i + 1]].tolist()
        return s

    def syn_words(self, i: int) -> dict[str, int]:
        """Synonyms of word i as {word: id}."""
        d = self._synw.get(i)
        if d is None:
            d = self._synw[i] = {self.word(s): s for s in self.synonyms(i)}
        return d

    def ids(self, words: list[str]):
        """Vocabulary ids of lower-case ASCII words (-1 when unknown), vectorised."""
        return self._ids(words, 0)

    def lm_ids(self, words: list[str]):
        """LM ids of words (-1 when unknown), vectorised."""
        return self._ids(words, 1)

    def _ids(self, words: list[str], k: int):
        """(vocabulary id, LM id) of words, one of them, remembered across documents."""
        np = self.np
        c = self._idc
        got = list(map(c.get, words))
        if None in got:
            miss = list(dict.fromkeys(w for w, g in zip(words, got, strict=True) if g is None))
            v = self._lookup(self.vocab, miss).tolist()
            r = self._lookup(self.lm_words, miss).tolist()
            new = dict(zip(miss, zip(v, r, strict=True), strict=True))
            if len(c) + len(miss) > CACHE_MAX:
                c.clear()
            c.update(new)
            # from the local results: another thread (the scorer's tables) may clear the cache meanwhile
            got = [new[w] if g is None else g for w, g in zip(words, got, strict=True)]
        return np.fromiter(map(itemgetter(k), got), dtype=np.int64, count=len(got))

    def _lookup(self, table, words: list[str]):
        np = self.np
        if not words:
            return np.zeros(0, dtype=np.int64)
        width = table.dtype.itemsize
        arr = np.array([w if w.isascii() and len(w) <= width else "" for w in words], dtype=table.dtype)
        pos = np.searchsorted(table, arr)
        pos[pos >= len(table)] = 0
        return np.where((table[pos] == arr) & (arr != b""), pos, -1).astype(np.int64)

    def lm_specials(self) -> tuple[int, int]:
        """LM ids of <s> and </s>."""
        if self._specials is None:
            r = self.lm_ids(["<s>", "</s>"]).tolist()
            self._specials = (r[0], r[1])
        return self._specials

    def symspell_many(self, a, b):
        """symspell() of arrays of vocabulary ids."""
        np = self.np
        keys = self.keys
        key = np.maximum(a, 0) * self.shift + np.maximum(b, 0)
        pos = np.searchsorted(keys, key)
        pos[pos >= len(keys)] = 0
        hit = (a >= 0) & (b >= 0) & (keys[pos] == key)
        return np.where(hit, self.big_ss[pos].astype(np.float64), 0.0)

    def symspell(self, a: int, b: int) -> float:
        """log10 symspell count of the content bigram (a, b), or 0 when unknown."""
        if a < 0 or b < 0:
            return 0.0
        if self._ss is None:
            self._ss = dict(zip(self.keys.tolist(), self.big_ss.astype(float).tolist(), strict=True))
        return self._ss.get(a * self.shift + b, 0.0)

    def combine(self, feats: dict[str, float]) -> float:
        return float(self.combine_many([feats])[0])

    def combine_many(self, feats: list[dict[str, float]]):
        """Combiner log-odds of many candidates at once."""
        np = self.np
        w = self.weights
        names = list(w["coef"])
        bases = sorted({n.partition(":")[0] for n in names})
        B = np.array([[f[b] for b in bases] for f in feats], dtype=np.float64).reshape(len(feats), len(bases))
        return self.combine_columns({b: B[:, k] for k, b in enumerate(bases)})

    def combine_columns(self, cols: dict[str, Any]):
        """Combiner log-odds from feature columns (arrays of equal length), vectorised."""
        np = self.np
        names = list(self.weights["coef"])
        X = np.stack([expand_column(np, cols, n) for n in names], axis=1)
        return self._linear(X, names)

    def _linear(self, X, names):
        np = self.np
        w = self.weights
        mean = np.array([w["mean"][n] for n in names])
        scale = np.array([w["scale"][n] for n in names])
        coef = np.array([w["coef"][n] for n in names])
        # summed feature by feature, not by a matrix product: BLAS may round a row differently with
        # its place in the matrix, and a word must score the same alone as in a batch
        Z = (X - mean) / scale
        z = np.zeros(len(Z))
        for k in range(len(names)):
            z += Z[:, k] * coef[k]
        return w["intercept"] + z


def expand(feats: dict[str, float], name: str) -> float:
    base, _, op = name.partition(":")
    x = feats[base]
    if op == "neg":
        return min(x, 0.0)
    if op == "pos":
        return max(x, 0.0)
    if op == "sq":
        return x * x
    return x


def expand_column(np, cols: dict[str, Any], name: str):
    base, _, op = name.partition(":")
    x = cols[base]
    if op == "neg":
        return np.minimum(x, 0.0)
    if op == "pos":
        return np.maximum(x, 0.0)
    if op == "sq":
        return x * x
    return x



@cache
def load_model() -> GenericModel:
    return GenericModel()


def sentences(doc: Document, stream: MatchStream) -> list[list[tuple[str, Any, bool]]]:
    """Word sequences for the LM: [(lower-case word, token, may be flagged)] per sentence.

    Punctuation other than sentence ends is skipped (the LM has none); a capitalised word may be
    flagged only at a sentence start or in a title (elsewhere it is taken for a name). Computed by
    the detector's own (numpy) split, which gives the same result as ``sentences_plain``."""
    try:
        m = load_model()
    except (FileNotFoundError, ImportError):  # pragma: no cover - no model installed
        return sentences_plain(doc, stream)
    with m.lock:
        split = wordsplit.split(m, doc, stream)
        if split is None:
            return []
        _, _, _, wpos, Tw, first, _, ok = split
        toks = stream.tokens
        low = m._t_low
        out: list[list[tuple[str, Any, bool]]] = []
        cur: list[tuple[str, Any, bool]] = []
        for k, t, f, o in zip(wpos.tolist(), Tw.tolist(), first.tolist(), ok.tolist(), strict=True):
            if f and cur:
                out.append(cur)
                cur = []
            cur.append((low[t], toks[k], o))
        out.append(cur)
        return out


def lm_sequence(m: GenericModel, Tw, first):
    """The LM's word sequence for a document's words (type ids ``Tw``, sentence starts ``first``):
    ``<s> <s> sentence </s> </s>`` per sentence, as LM ids ``R``; ``J_all`` the position of each word
    in it; ``L`` its length. US201 and US203 read their n-grams off it."""
    np = m.np
    nw = len(Tw)
    sent = np.cumsum(first) - 1  # sentence number of each word
    sstart = np.flatnonzero(first)
    ns = len(sstart)
    bos, eos = m.lm_specials()
    J_all = np.arange(nw) + 4 * sent + 2
    L = nw + 4 * ns
    R = np.full(L, eos, dtype=np.int64)
    R[J_all] = m._t_lm[Tw]
    b0 = sstart + 4 * np.arange(ns)
    R[b0] = bos
    R[b0 + 1] = bos
    return R, J_all, L


def own_context(m: GenericModel, Tw, first, c):
    """The LM sequence (``lm_sequence``: R, J_all, L) and, per LM position, the bigram entry
    (R[j] | R[j-1]) ``B``/``HB``, the history bigram's backoff ``hbo`` (of (R[j-1] | R[j-2])) and
    log10 P(R[j] | R[j-2] R[j-1]) ``LP``, filled in where the words at LM positions ``J`` read them
    (bigrams at J-1 .. J+2, probabilities at J .. J+2), J the LM positions of the words ``c``.

    US201 and US203 read the same document's words: the arrays are kept (on the model, for the
    last type-id array ``Tw`` seen, under the model's lock) and each caller looks up only the
    positions no caller has yet. Every value is a function of its position alone, so it is the
    same whichever caller computed it."""
    np = m.np
    got = m._own_ctx
    if got is None or got[0] is not Tw or got[1] != m.generation:
        R, J_all, L = lm_sequence(m, Tw, first)
        arrays = (R, J_all, L, np.zeros(L, dtype=np.int64), np.zeros(L, dtype=bool),
                  np.zeros(L + 1, dtype=np.float32), np.zeros(L), np.zeros(L + 1, dtype=np.int8))
        got = m._own_ctx = (Tw, m.generation, arrays)
    R, J_all, L, B, HB, hbo, LP, done = got[2]
    J = J_all[c]
    need = np.zeros(L + 1, dtype=np.int8)  # 1: bigram needed, 2: bigram and probability
    need[J - 1] = 1
    need[J] = need[J + 1] = need[J + 2] = 2
    qb = np.flatnonzero((need > 0) & (done == 0))  # (done: 0 nothing yet, 1 the bigram, 2 both)
    if len(qb):
        B[qb], HB[qb] = m._bi(R[qb], R[qb - 1])
        hbo[qb + 1] = m._bo(B[qb], HB[qb])
    qt = np.flatnonzero((need == 2) & (done < 2))
    if len(qt):
        Rt1, Rt2 = R[qt - 1], R[qt - 2]
        Bt, HBt = B[qt], HB[qt]
        TT, HT = m._tri(Bt, HBt, Rt2)
        LP[qt] = m._lp(R[qt], Rt1, Rt2, Bt, HBt, hbo[qt], TT, HT)
    np.maximum(done, need, out=done)
    return R, J_all, L, B, HB, hbo, LP


def top_probes(np, rr, S, left, nr: int, top_right: int, start):
    """The best ``top_right`` probes of each row (probe indices, by row, then by left probe highest
    first, ties: higher id ``S`` first, then probe order): what ``np.lexsort((-S, -left, rr))`` cut to
    the first ``top_right`` of each row gives, by ``top_right`` rounds of a per-row maximum over a rows x
    probes matrix (each row's probes contiguous in ``rr`` from ``start[row]``); a test compares them.
    About half the CPU of the lexsort on US201's ~100k probes per MB. Assumes what its callers give:
    every ``left`` finite (``_lp`` floors log-probabilities; -inf marks a padded or taken cell) and
    every ``S`` >= 0 (vocabulary ids; -1 marks padding); other inputs may pick differently."""
    n = len(rr)
    if not n or top_right <= 0:
        return np.zeros(0, dtype=np.int64)
    idx = np.arange(n)
    col = idx - start[rr]
    width = int(col.max()) + 1
    L = np.full((nr, width), -np.inf)
    L[rr, col] = left
    Sm = np.full((nr, width), -1, dtype=np.int64)
    Sm[rr, col] = S
    Im = np.full((nr, width), -1, dtype=np.int64)
    Im[rr, col] = idx
    at = np.arange(nr)
    picks = np.empty((nr, min(top_right, width)), dtype=np.int64)
    for j in range(picks.shape[1]):
        best = L.max(axis=1)
        cand = L == best[:, None]
        best_s = np.where(cand, Sm, -1).max(axis=1)
        c = np.argmax(cand & (Sm == best_s[:, None]), axis=1)  # the first of equals: probe order
        picks[:, j] = np.where(best > -np.inf, Im[at, c], -1)
        L[at, c] = -np.inf
    return picks[picks >= 0]


def right_probes(m: GenericModel, s_, p1, n1, n2, bS, hbS, B2, HB2):
    """log10 P(n1 | p1 s) and log10 P(n2 | s n1) for candidates ``s_`` put between ``p1`` and ``n1 n2``
    (arrays of LM ids), with the candidates' left-probe bigram entries ``bS``/``hbS`` and position
    J+2's bigram entries ``B2``/``HB2`` reused: P(n1 | p1 s)'s history bigram (s | p1) is the left
    probe's; P(n2 | s n1)'s bigram (n2 | n1) is position J+2's, its history bigram (n1 | s) the one
    of P(n1 | p1 s). Returns (r1, r2, hb1), hb1 whether the bigram (n1 | s) is in the LM."""
    np = m.np
    b1, hb1 = m._bi(n1, s_)
    b12 = np.concatenate((b1, B2))
    hb12 = np.concatenate((hb1, HB2))
    t12, ht12 = m._tri(b12, hb12, np.concatenate((p1, s_)))
    bo12 = m._bo(np.concatenate((bS, b1)), np.concatenate((hbS, hb1)))
    r12 = m._lp(np.concatenate((n1, n2)), np.concatenate((s_, n1)), np.concatenate((p1, s_)), b12, hb12,
                bo12, t12, ht12)
    npr = len(s_)
    return r12[:npr], r12[npr:], hb1


def score_words(m: GenericModel, doc: Document, stream: MatchStream):
    """Every expanded candidate word of the document with its best synonym swap, its features and
    its combiner score (arrays), or None. Same decisions, features and values as scoring each word
    with NGramModel.prob one call at a time (the exact path of the previous versions)."""
    np = m.np
    split = wordsplit.split(m, doc, stream)
    if split is None:
        return None
    texts, starts, ends, wpos, Tw, first, last, ok = split
    c = np.flatnonzero(ok & m._t_cand[Tw])  # candidate word positions
    if not len(c):
        return None
    w = m.weights
    prune_own = w.get("prune_own", -8.0)
    max_syn = int(w.get("max_syn", 8))
    top_right = int(w.get("top_right", 3))
    nw = len(Tw)
    R, J_all, L, B, HB, hbo, LP = own_context(m, Tw, first, c)
    J = J_all[c]
    notend = ~last[c]
    own_l = LP[J]
    own_r = LP[J + 1] + np.where(notend, LP[J + 2], 0.0)
    # phrase table: a window around w that, with w swapped for a synonym, is a known phrase
    ph = _phrase_matches(m, c, Tw, J_all, L) if m.use_phrases and m.phrase_keys is not None else {}
    keep = own_l + own_r <= prune_own
    if ph:
        keep[list(ph)] = True
    rows = np.flatnonzero(keep)
    if not len(rows):
        return None
    vid = m._t_vid[Tw]
    f = c[rows]
    wid = vid[f]
    nr = len(rows)
    Jr = J[rows]
    ol, orr = own_l[rows], own_r[rows]
    best_s = np.zeros(nr, dtype=np.int64)
    is_ph = np.zeros(nr, dtype=bool)
    ph_len = np.zeros(nr)
    ph_src = [0] * nr
    if ph:
        row_of = {int(r): j for j, r in enumerate(rows.tolist())}
        for ci, (filler, length, bits) in ph.items():
            j = row_of[ci]
            is_ph[j] = True
            best_s[j] = filler
            ph_len[j] = float(length)
            ph_src[j] = bits
    # probes: the first max_syn synonyms of each word get the left probe; the best top_right of
    # those (by left probe, ties: higher id first, as sorted(..., reverse=True) orders them) get the
    # right probes; a phrase-table filler is the only probe of its word (it wins anyway)
    norm = np.flatnonzero(~is_ph)
    nid = wid[norm]
    off = m.syn_off[nid].astype(np.int64)
    k = np.minimum(m.syn_off[nid + 1].astype(np.int64) - off, max_syn)
    rr = np.repeat(norm, k)
    S = m.syn_ids[np.repeat(off - (np.cumsum(k) - k), k) + np.arange(len(rr))].astype(np.int64)
    pj = np.flatnonzero(is_ph)
    if len(pj):  # phrase rows: their filler alone
        rr = np.concatenate((rr, pj))
        S = np.concatenate((S, best_s[pj]))
    SR = m.vocab_lm[S]
    Jq = Jr[rr]
    p1, p2 = R[Jq - 1], R[Jq - 2]
    bS, hbS = m._bi(SR, p1)
    tS, htS = m._tri(bS, hbS, p2)
    left = m._lp(SR, p1, p2, bS, hbS, hbo[Jq], tS, htS)
    # each row's probes are contiguous in rr (a word's synonyms, then the phrase rows' fillers)
    start = np.zeros(nr, dtype=np.int64)
    start[norm] = np.cumsum(k) - k
    start[pj] = len(rr) - len(pj) + np.arange(len(pj))
    sel = top_probes(np, rr, S, left, nr, top_right, start)
    pr = rr[sel]
    s_ = SR[sel]
    Jp = Jq[sel]
    n1, n2, p1 = R[Jp + 1], R[Jp + 2], p1[sel]
    r1, r2, _ = right_probes(m, s_, p1, n1, n2, bS[sel], hbS[sel], B[Jp + 2], HB[Jp + 2])
    pgl = left[sel] - ol[pr]
    pgr = (r1 + np.where(notend[rows][pr], r2, 0.0)) - orr[pr]
    # the first best of each row, in probe order
    cnt = np.bincount(pr, minlength=nr)
    sbegin = np.cumsum(cnt) - cnt
    rank = np.arange(len(pr)) - sbegin[pr]
    M = np.full((nr, max(top_right, 1)), -np.inf)
    M[pr, rank] = pgl + pgr
    pick = sbegin + np.argmax(M, axis=1)
    best_s = S[sel][pick]
    gl = pgl[pick]
    gr = pgr[pick]
    # symspell evidence with the content-word neighbours
    fst, lst = first[f], last[f]
    prev_id = np.where(fst, -1, vid[np.maximum(f - 1, 0)])
    next_id = np.where(lst, -1, vid[np.minimum(f + 1, nw - 1)])
    ss = m.symspell_many(np.concatenate((prev_id, best_s, prev_id, wid)),
                         np.concatenate((best_s, next_id, wid, next_id))).reshape(4, -1)
    ss_s = np.maximum(ss[0], ss[1])
    ss_w = np.maximum(ss[2], ss[3])
    uni_w = m.uni_lp[wid].astype(np.float64)
    ol, orr = own_l[rows], own_r[rows]
    nsyn = m.syn_off[wid + 1] - m.syn_off[wid]
    cols = {
        "gain": gl + gr, "gain_left": gl, "gain_right": gr, "own_left": ol, "own_right": orr,
        "own_pmi": ol - uni_w, "uni_w": uni_w, "uni_s": m.uni_lp[best_s].astype(np.float64),
        "zipf_w": m.zipf[wid].astype(np.float64), "zipf_s": m.zipf[best_s].astype(np.float64),
        "zipf_diff": (m.zipf[best_s] - m.zipf[wid]).astype(np.float64),
        "log_nsyn": m.log1p_nsyn[nsyn], "symspell_s": ss_s, "symspell_w": ss_w,
        "symspell_diff": ss_s - ss_w, "phrase": is_ph.astype(np.float64), "phrase_len": ph_len,
        "sent_start": fst.astype(np.float64),
    }
    score = m.combine_columns(cols) if "coef" in m.weights else None  # (no combiner yet: training)
    return {"cols": cols, "score": score, "f": f, "sub": best_s, "phrase_src": ph_src,
            "texts": texts, "starts": starts, "ends": ends, "wpos": wpos, "Tw": Tw, "first": first,
            "last": last}


def _phrase_matches(m: GenericModel, c, Tw, J_all, L: int) -> dict[int, tuple[int, int, int]]:
    """Candidates (index into c) whose synonym completes a known phrase: {index: (synonym id,
    window length, source bits)}; the longest window wins (the first of equal length).

    A window is looked up when it lies inside the sentence and holds at least two content words;
    only candidates with a synonym that occurs in some phrase are tried, and a window's text is
    only built when its other words form the rest of some phrase-table key (``phrase_pat``: all
    windows of all candidates in one vectorised test). Positions are those of the LM sequence
    (J_all), whose two sentence marks on each side stop every window at the sentence's edge."""
    np = m.np
    pc = np.flatnonzero(m._t_sp[Tw[c]])
    if not len(pc):
        return {}
    PW = np.full(L, -1, dtype=np.int64)  # index in phrase_words; -1: no phrase word, or a mark
    PW[J_all] = m._t_pwi[Tw]
    CC = np.zeros(L + 1, dtype=np.int64)  # content words before each position
    content = np.zeros(L, dtype=np.int64)
    content[J_all] = m._t_content[Tw]
    np.cumsum(content, out=CC[1:])
    f = J_all[c[pc]][None, :]
    A, B, Q1, Q2, TWO, KIND = _window_table(np)
    x1 = PW[f + Q1]
    x2 = np.where(TWO, PW[f + Q2], 0)
    ok = (x1 >= 0) & (x2 >= 0) & (CC[f + B + 1] - CC[f + A] >= 2)
    key = KIND | np.where(TWO, x1 << 14 | x2, x1)
    pat = m.phrase_pat
    ok = ok.T  # by candidate, then window (PHRASE_WINDOWS order)
    jj, ww = np.nonzero(ok)
    if not len(jj):
        return {}
    key = key.T[jj, ww]
    found = pat.take(np.searchsorted(pat, key), mode="clip") == key
    jj, ww = jj[found], ww[found]
    if not len(jj):
        return {}
    # A window's text is a function of its pattern key (its kind and the other words' phrase_words
    # indices), so the known phrases matching it are remembered by that number, across documents
    # (next to phrase_hits' own results, and dropped with them); the text is built on first sight.
    jl, wl, kl = jj.tolist(), ww.tolist(), key[found].tolist()
    cache = m._phc
    if cache.get("\x00sources") != m.phrase_sources:
        cache.clear()
        cache["\x00sources"] = m.phrase_sources
    hits = list(map(cache.get, kl))
    fl = c[pc].tolist()  # word positions
    Tl = None
    if None in hits:
        low = m._t_low
        Tl = Tw.tolist()
        texts: dict[int, str] = {}
        for i, h in enumerate(hits):
            if h is None and kl[i] not in texts:
                a, b = PHRASE_WINDOWS[wl[i]]
                fi = fl[jl[i]]
                win = [low[Tl[q]] for q in range(fi + a, fi + b + 1)]
                win[-a] = "*"
                texts[kl[i]] = " ".join(win)
        got = m.phrase_hits(list(texts.values()))
        new = {k: got.get(t, {}) for k, t in texts.items()}
        cache.update(new)
        hits = [new[k] if h is None else h for k, h in zip(kl, hits, strict=True)]
    out: dict[int, tuple[int, int, int]] = {}
    pcl = pc.tolist()
    cur = -1
    best: tuple[int, int, int] | None = None
    syn_words: dict[str, int] | None = None
    for j, wi, hit in zip(jl, wl, hits, strict=True):  # by candidate, windows in PHRASE_WINDOWS order
        if j != cur:
            if best is not None:
                out[pcl[cur]] = best
            cur, best, syn_words = j, None, None
        if not hit:
            continue
        length = _WINDOW_LEN[wi]
        if best is not None and length <= best[1]:
            continue
        if syn_words is None:
            if Tl is None:
                Tl = Tw.tolist()
            syn_words = m.syn_words(int(m._t_vid[Tl[fl[j]]]))
        # the first filler (in table order) that is a synonym of the word
        fit = hit.keys() & syn_words.keys()
        if fit:
            filler = next(x for x in hit if x in fit) if len(fit) > 1 else next(iter(fit))
            best = (syn_words[filler], length, hit[filler])
    if best is not None:
        out[pcl[cur]] = best
    return out


@cache
def _window_table(np):
    """PHRASE_WINDOWS as columns: first/last offsets, the other words' offsets (the second only in
    3-word windows) and the phrase_pat kind (shifted)."""
    rows = []
    for a, b in PHRASE_WINDOWS:
        others = [q for q in range(a, b + 1) if q]
        rows.append((a, b, others[0], others[-1], len(others) == 2, _PHRASE_KIND[(b - a + 1, -a)] << 28))
    return tuple(np.array(col)[:, None] for col in zip(*rows, strict=True))


def _context(m: GenericModel, sc: dict, j: int) -> tuple[str, str, str, str]:
    """(p2, p1, n1, n2) around candidate j, with <s>/</s> at sentence edges."""
    f = int(sc["f"][j])
    low, Tw, first, last = m._t_low, sc["Tw"], sc["first"], sc["last"]
    p1 = "<s>" if first[f] else low[int(Tw[f - 1])]
    p2 = "<s>" if first[f] or first[f - 1] else low[int(Tw[f - 2])]
    n1 = "</s>" if last[f] else low[int(Tw[f + 1])]
    n2 = "</s>" if last[f] or last[f + 1] else low[int(Tw[f + 2])]
    return p2, p1, n1, n2


def candidates(doc: Document, stream: MatchStream, model: GenericModel,
               prefilter: bool | None = None) -> list[dict[str, Any]]:
    """Words that may be spun, with the features of their best synonym swap (training, threshold
    curves). ``prefilter=False`` returns every expanded word; otherwise only words whose score is
    at least threshold - prefilter_margin (when the model has a threshold)."""
    from ..text import Token

    m = model
    with m.lock:  # score_words keeps per-document arrays on the model (own_context)
        sc = score_words(m, doc, stream)
    if sc is None:
        return []
    idx = range(len(sc["f"]))
    if prefilter is not False and "threshold" in m.weights:
        floor = m.weights["threshold"] - m.weights.get("prefilter_margin", PREFILTER_MARGIN)
        idx = m.np.flatnonzero(sc["score"] >= floor).tolist()
    return [_candidate(m, sc, j, Token) for j in idx]


def _candidate(m: GenericModel, sc: dict, j: int, Token) -> dict[str, Any]:
    k = int(sc["wpos"][int(sc["f"][j])])
    tok = Token(sc["texts"][k], sc["starts"][k], sc["ends"][k])
    feats = {name: float(col[j]) for name, col in sc["cols"].items()}
    return {"tok": tok, "word": m._t_low[int(sc["Tw"][int(sc["f"][j])])], "sub": m.word(int(sc["sub"][j])),
            "feats": feats, "context": _context(m, sc, j), "phrase_src": sc["phrase_src"][j]}


def generic_findings(doc: Document, stream: MatchStream, fb: FindingBuilder,
                     prefilter: bool | None = None) -> list[Finding]:
    """US201 findings. (``prefilter`` is accepted for compatibility; findings never depend on it.)"""
    try:
        model = load_model()
    except (FileNotFoundError, ImportError):
        return []
    if not model.weights:
        return []
    with model.lock:
        return _findings(model, doc, stream, fb)


def _findings(model: GenericModel, doc: Document, stream: MatchStream, fb: FindingBuilder) -> list[Finding]:
    sc = score_words(model, doc, stream)
    keep_on_stream(stream, "_us201_scored", sc)  # the soft scores of every slot: detect/article.py reads them
    if sc is None:
        return []
    thr = model.weights["threshold"]
    flagged = model.np.flatnonzero(sc["score"] >= thr).tolist()
    if not flagged:
        return []
    from ..model import Suggestion
    from ..rewrite.case import match_case
    from ..text import Token

    cal = model.weights.get("calibration", {})
    out = []
    for j in flagged:
        c = _candidate(model, sc, j, Token)
        score = float(sc["score"][j])
        tok = c["tok"]
        suggestion = match_case(tok.text, c["sub"])
        conf = calibrated_confidence(score, thr, cal)
        f = c["feats"]
        p2, p1, n1, n2 = c["context"]
        ctx_l = " ".join(x for x in (p2, p1) if x != "<s>")
        ctx_r = " ".join(x for x in (n1, n2) if x != "</s>")
        ev = {k: round(float(f[k]), 3) for k in (
            "gain", "gain_left", "gain_right", "own_left", "own_right", "zipf_w", "zipf_s",
            "symspell_s", "symspell_w")}
        ev["in_phrase_table"] = bool(f["phrase"])
        ev["score"] = round(score, 3)
        ev["threshold"] = round(float(thr), 3)
        ev["replaced"] = c["word"]
        ev["neighbour"] = " ".join(x for x in (ctx_l, c["sub"], ctx_r) if x)
        why = "a known phrase" if f["phrase"] else \
            f"{10 ** min(f['gain'], 9):,.0f}x more probable in context per the LM"
        msg = (f"{tok.text!r} reads like a synonym swap: {c['sub']!r} (a WordNet synonym) makes "
               f"{ev['neighbour']!r} {why}; use {suggestion!r}")
        out.append(fb.make(RULE, tok.start, tok.end, msg,
                           suggestions=[Suggestion(suggestion, "generic", round(conf, 4))],
                           confidence=conf, evidence=ev))
    return out


def keep_on_stream(stream: MatchStream, name: str, value: Any) -> None:
    try:
        setattr(stream, name, value)
    except AttributeError:  # pragma: no cover - a stream type without a __dict__
        pass


def calibrated_confidence(score: float, thr: float, cal: dict) -> float:
    """Map the combiner's log-odds to [0, 1]; the threshold maps to cal["at_threshold"]."""
    at = cal.get("at_threshold", 0.5)
    slope = cal.get("slope", 1.0)
    base = math.log(at / (1 - at))
    return 1.0 / (1.0 + math.exp(-(base + slope * (score - thr))))
