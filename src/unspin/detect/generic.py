"""US201 odd-collocation: list-free detection of synonym-spun words.

A spinner swaps a word for a WordNet synonym of the wrong sense ("facial recognition" -> "facial
acknowledgment", "scraped from" -> "scratched from"). For every content word we ask a generic
English trigram LM (pocketsphinx en-us, loaded from the installed package, memory-mapped) how much
more probable its context becomes when the word is swapped back for one of its WordNet synonyms
(any sense, re-inflected): gain = [log P(s|p2 p1) + log P(n1|p1 s) + log P(n2|s n1)] - [same for w].
Context includes function words. Two extra evidence sources cover collocations the LM lacks: a
phrase table of known multi-word terms (WordNet multi-word lemmas and the screener lexicon's TRAIN
canonical phrases) and symspell's bigram counts. A logistic regression fitted at build time
(``scripts/build_generic_model.py``, weights in ``models/generic/weights.json``) combines the
numbers; a threshold calibrated on clean news decides. Findings cover the single suspicious word.

Speed: a vectorised prefilter (numpy, one pass per document) first scores every candidate with the
LM's unigram/bigram levels, precomputed into ``models/generic/lm_*.npy`` (no LM needed); only words
whose approximate combiner score comes within ``prefilter_margin`` of the threshold, or that have a
phrase-table match, get the exact trigram scoring below (so the LM is loaded only when some word
survives). The exact path: a word is only expanded when its own context log-probability is low
(``prune_own``), at most ``max_syn`` synonyms (most frequent first) get the left-context probe, and
only the ``top_right`` best of those get the right-context probes. LM calls are cached across
documents (bounded).
"""

from __future__ import annotations

import json
import math
import re
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis import FindingBuilder
    from ..model import Document, Finding
    from ..text import MatchStream

RULE = "US201"
LOG10_BASE = math.log10(1.0001)  # pocketsphinx log-math base
FLOOR = -7.0  # log10 probability of a word the LM does not know
_BREAK = frozenset(".!?;:()[]{}\"“”")
_BLOCK_START = re.compile(r"[#>|*+-]|\d+[.)]\s")
# phrase-table match kinds: a window of the text that differs from a known phrase in one word
PHRASE_WINDOWS = ((0, 1), (-1, 0), (0, 2), (-1, 1), (-2, 0))  # (first, last) token offsets around w
# prefilter: a word goes to the exact (trigram) path only if its bigram-level approximate score is at
# least threshold - PREFILTER_MARGIN and its approximate own context log-probability at most
# prune_own + PREFILTER_OWN_MARGIN, or it has a phrase-table filler among its synonyms. Calibrated on
# Wikinews TRAIN (clean + spun at 0.15 and 0.3): the flagged word farthest below needs 3.2 / 1.0.
# Overridable in weights.json.
PREFILTER_MARGIN = 3.5
PREFILTER_OWN_MARGIN = 1.0  # ... and its approximate own context log-prob at most prune_own + this
CACHE_MAX = 400_000  # LM calls remembered across documents

FEATURES = [
    "gain", "gain_left", "gain_right", "own_left", "own_right", "own_pmi", "uni_w", "uni_s",
    "zipf_w", "zipf_s", "zipf_diff", "log_nsyn", "gain_left:pos", "gain_right:pos",
    "gain_left:neg", "gain_right:neg", "gain:sq", "symspell_s", "symspell_w", "symspell_diff",
    "phrase", "phrase_len", "sent_start",
]


class GenericModel:
    """The compiled tables, the phrase table, the combiner weights and (lazily) the LM."""

    def __init__(self, root: Any = None):
        import numpy as np

        if root is None:
            from ..resources import model_path

            root = model_path("generic")
        self.np = np

        def arr(name: str):
            # memory-mapped, viewed as a plain ndarray (np.memmap's __getitem__ is slow)
            return np.asarray(np.load(root / f"{name}.npy", mmap_mode="r", allow_pickle=False))

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
        try:
            self.lm_words = arr("lm_words")  # sorted ASCII LM words
            self.lm_rank = arr("lm_rank")  # their rank (most probable first)
            self.lm_uni = arr("lm_uni").astype(np.float64)  # log10 P(w) per rank
            self.lm_bo = arr("lm_bo").astype(np.float64)  # log10 backoff weight per rank
            self.lm_bikeys = arr("lm_bikeys")  # sorted rank_a << 16 | rank_b
            self.lm_bilp = arr("lm_bilp")  # log10 P(b|a)
            self.vocab_lm = arr("vocab_lm")  # LM rank of each vocabulary word, -1 if unknown
            self.phrase_words = arr("phrase_words")  # sorted words that occur in a known phrase
            self.syn_phrase = arr("syn_phrase")  # per word: one of its synonyms is a phrase word
            self.prefilter = True
        except FileNotFoundError:
            self.prefilter = False
        self._lm = None
        self._specials: tuple[int, int] | None = None
        self._idc: dict[str, tuple[int, int]] = {}
        self._synw: dict[int, dict[str, int]] = {}
        self._pwc: dict[str, bool] = {}
        self._phc: dict[str, Any] = {}  # phrase_hits results per key, across documents
        self.cache: dict[tuple[str, str, str], float] = {}  # exact LM calls, across documents
        self._ss: dict[int, float] | None = None
        self.use_phrases = True
        self.phrase_sources = 0xFF  # bit 1: WordNet multi-word lemmas, bit 2: screener TRAIN canonicals

    # -- resources loaded on first use -----------------------------------------------------------
    @property
    def lm(self):
        """The pocketsphinx trigram LM, loaded on first use (only when a word survives the
        prefilter). Shared with the article scorer (``detect.lm``), so one process reads it once."""
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
            hit = {self.phrase_fill[j].decode("ascii"): int(self.phrase_bits[j])
                   for j in range(int(lo[k]), int(hi[k])) if self.phrase_bits[j] & self.phrase_sources}
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
        np = self.np
        if not words:
            return np.zeros(0, dtype=np.int64)
        width = self.vocab.dtype.itemsize
        arr = np.array([w if w.isascii() and len(w) <= width else "" for w in words],
                       dtype=self.vocab.dtype)
        pos = np.searchsorted(self.vocab, arr)
        pos[pos >= len(self.vocab)] = 0
        return np.where(self.vocab[pos] == arr, pos, -1).astype(np.int64)

    def is_phrase_word(self, words: list[str]) -> list[bool]:
        """Whether each word occurs in some known phrase (vectorised, remembered across documents)."""
        c = self._pwc
        miss = list({w for w in words if w not in c})
        if miss:
            np = self.np
            if len(c) > CACHE_MAX:
                c.clear()
            t = self.phrase_words
            width = t.dtype.itemsize
            arr = np.array([w if w.isascii() and len(w) <= width else "" for w in miss], dtype=t.dtype)
            pos = np.searchsorted(t, arr)
            pos[pos >= len(t)] = 0
            c.update(zip(miss, ((t[pos] == arr) & (arr != b"")).tolist(), strict=True))
        return [c[w] for w in words]

    def lm_specials(self) -> tuple[int, int]:
        """LM ranks of <s> and </s>."""
        if self._specials is None:
            r = self.lm_ids(["<s>", "</s>"]).tolist()
            self._specials = (r[0], r[1])
        return self._specials

    def ids_cached(self, words: list[str]):
        """(vocabulary ids, LM ranks) of words, remembered across documents."""
        np = self.np
        c = self._idc
        miss = list({w for w in words if w not in c})
        if miss:
            if len(c) > CACHE_MAX:
                c.clear()
            v = self.ids(miss).tolist()
            r = self.lm_ids(miss).tolist() if self.prefilter else [-1] * len(miss)
            c.update(zip(miss, zip(v, r, strict=True), strict=True))
        pairs = [c[w] for w in words]
        if not pairs:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        a = np.array(pairs, dtype=np.int64)
        return a[:, 0], a[:, 1]

    def lm_ids(self, words: list[str]):
        """LM ranks of words (-1 when unknown), vectorised."""
        np = self.np
        if not words:
            return np.zeros(0, dtype=np.int64)
        lw = self.lm_words
        width = lw.dtype.itemsize
        arr = np.array([w if w.isascii() and len(w) <= width else "" for w in words], dtype=lw.dtype)
        pos = np.searchsorted(lw, arr)
        pos[pos >= len(lw)] = 0
        return np.where(lw[pos] == arr, self.lm_rank[pos], -1).astype(np.int64)

    def bigram(self, a, b):
        """log10 P(b|a) from the LM's bigram level with backoff (arrays of LM ranks, -1 unknown):
        what lm.prob([b, a]) returns, up to float16 rounding; FLOOR for an unknown b."""
        np = self.np
        if a.shape != b.shape:
            a, b = np.broadcast_arrays(a, b)
        ka = np.maximum(a, 0)
        kb = np.maximum(b, 0)
        lp = self.lm_uni[kb] + np.where(a >= 0, self.lm_bo[ka], 0.0)
        keys = self.lm_bikeys
        inside = (a >= 0) & (b >= 0) & (a < 65536) & (b < 65536)
        key = ((ka.astype(np.int64) << 16) | kb).astype(keys.dtype)
        pos = np.searchsorted(keys, key)
        pos[pos >= len(keys)] = 0
        hit = inside & (keys[pos] == key)
        lp = np.where(hit, self.lm_bilp[pos].astype(np.float64), lp)
        return np.where(b >= 0, np.maximum(lp, FLOOR), FLOOR)

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
        return w["intercept"] + ((X - mean) / scale) @ coef


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
    flagged only at a sentence start or in a title (elsewhere it is taken for a name)."""
    text = doc.text
    titles = [(s.start, s.end) for s in doc.segments if s.field == "title"]
    # A sentence ends at a new prose segment (paragraph, field, code or URL in between) and at a line
    # that starts a Markdown block (heading, list item, quote, table row); a plain line break inside
    # a paragraph does not end it, so hard-wrapped Markdown reads like the same text unwrapped.
    seg_starts = {s.start for s in doc.segments if not s.joined}
    out: list[list[tuple[str, Any, bool]]] = []
    cur: list[tuple[str, Any, bool]] = []
    prev_end = -1
    brk = _BREAK
    find = text.find
    for tok in stream.tokens:
        w, start, end = tok
        if cur and (start in seg_starts or (
                prev_end >= 0 and find("\n", prev_end, start) >= 0 and _BLOCK_START.match(text, start))):
            out.append(cur)
            cur = []
        prev_end = end
        if not w[:1].isalnum():
            if w in brk and cur:
                out.append(cur)
                cur = []
            continue
        ok = False
        if w.isalpha() and w.isascii() and len(w) <= 24:
            if w.islower():
                cur.append((w, tok, True))
                continue
            if w[0].isupper() and (len(w) == 1 or w[1:].islower()):
                ok = not cur or any(s <= start < e for s, e in titles)
        cur.append((w.lower(), tok, ok))
    if cur:
        out.append(cur)
    return out


class _Scorer:
    """Exact trigram LM scoring, with a cache shared across documents."""

    def __init__(self, model: GenericModel):
        self.m = model
        self.lm = model.lm
        self.cache = model.cache
        if len(self.cache) > CACHE_MAX:
            self.cache.clear()
        w = model.weights
        self.prune_own = w.get("prune_own", -8.0)
        self.max_syn = w.get("max_syn", 8)
        self.top_right = w.get("top_right", 3)

    def p(self, w: str, a: str, b: str) -> float:
        k = (w, a, b)
        v = self.cache.get(k)
        if v is None:
            r = self.lm.prob([w, a, b])
            v = r * LOG10_BASE if r > -400_000_000 else FLOOR
            if v < FLOOR:
                v = FLOOR
            self.cache[k] = v
        return v

    def right(self, x: str, p1: str, n1: str, n2: str) -> float:
        r = self.p(n1, x, p1)
        if n1 != "</s>":
            r += self.p(n2, n1, x)
        return r


def _phrase_keys(low: list[str], content: list[bool], i: int):
    """Wildcard keys of the phrase-table windows around word i of a sentence."""
    n = len(low)
    for a, b in PHRASE_WINDOWS:
        if i + a >= 0 and i + b < n and sum(content[i + a:i + b + 1]) >= 2:
            win = low[i + a:i + b + 1]
            win[-a] = "*"
            if "\x00" not in win:  # the prefilter's mark of a word that occurs in no phrase
                yield " ".join(win)


def _phrase_filler(m: GenericModel, phrases, keys, wid: int) -> bool:
    """Whether a phrase-table key around the word has one of its synonyms as filler."""
    syn = None
    for k in keys:
        hit = phrases.get(k)
        if hit:
            if syn is None:
                syn = m.syn_words(wid)
            if any(f in syn for f in hit):
                return True
    return False


def _approx_scores(model: GenericModel, sents, starts: list[int], pos_s, pos_i, vid_all,
                   own_margin: float, lm_all=None):
    """Bigram-level approximate combiner score of every candidate (vectorised prefilter).

    Same recipe as the exact path with every trigram probability replaced by the LM's bigram
    probability (backoff included): own context, the left probe of the first ``max_syn`` synonyms,
    the right probe of the best ``top_right``, features, combiner. Words whose approximate own
    context log-probability is above prune_own + own_margin get -inf."""
    np = model.np
    m = model
    w = m.weights
    max_syn = int(w.get("max_syn", 8))
    top_right = int(w.get("top_right", 3))
    if lm_all is None:
        lm_all = m.lm_ids([x[0] for sent in sents for x in sent])
    # the LM word sequence: <s> <s> sentence </s> </s>, per sentence
    sa = np.asarray(starts, dtype=np.int64)
    lens_all = np.array([len(x) for x in sents], dtype=np.int64)
    base = sa + 4 * np.arange(len(sents))
    bos, eos = m.lm_specials()
    R = np.full(len(lm_all) + 4 * len(sents), eos, dtype=np.int64)
    R[base] = bos
    R[base + 1] = bos
    R[np.repeat(base + 2 - sa, lens_all) + np.arange(len(lm_all))] = lm_all
    J = base[pos_s] + 2 + pos_i
    p1, wr, n1 = R[J - 1], R[J], R[J + 1]
    lens = lens_all[pos_s]
    notend = pos_i + 1 < lens
    nc = len(J)
    three = m.bigram(np.concatenate((p1, wr, n1)), np.concatenate((wr, n1, R[J + 2])))
    own_l, r_w = three[:nc], three[nc:2 * nc]
    own_r = r_w + np.where(notend, three[2 * nc:], 0.0)
    out = np.full(nc, -np.inf)
    # a word whose own context is clearly probable is not expanded by the exact path either
    sel = np.nonzero(own_l + own_r <= w.get("prune_own", -8.0) + own_margin)[0]
    if not len(sel):
        return out
    pos_s, pos_i, p1, n1, own_l, r_w, own_r, lens = (
        x[sel] for x in (pos_s, pos_i, p1, n1, own_l, r_w, own_r, lens))
    flat = np.asarray(starts, dtype=np.int64)[pos_s] + pos_i
    wid = vid_all[flat]
    off = m.syn_off[wid].astype(np.int64)
    nsyn = m.syn_off[wid + 1].astype(np.int64) - off
    k = np.minimum(nsyn, max_syn)
    col = np.arange(max_syn)
    valid = col[None, :] < k[:, None]
    S = m.syn_ids[np.where(valid, off[:, None] + col[None, :], 0)].astype(np.int64)
    SR = m.vocab_lm[S].astype(np.int64)
    left = np.full(valid.shape, -np.inf)
    left[valid] = m.bigram(np.broadcast_to(p1[:, None], valid.shape)[valid], SR[valid])
    order = np.argsort(-left, axis=1, kind="stable")[:, :top_right]
    pl = np.take_along_axis(left, order, axis=1)
    pS = np.take_along_axis(S, order, axis=1)
    pR = np.take_along_axis(SR, order, axis=1)
    gl = pl - own_l[:, None]
    gr = m.bigram(pR, n1[:, None]) - r_w[:, None]  # P(n2|n1) is the same for word and synonym
    tot = np.where(np.isfinite(pl), gl + gr, -np.inf)
    best = np.argmax(tot, axis=1)[:, None]
    gl = np.take_along_axis(gl, best, axis=1)[:, 0]
    gr = np.take_along_axis(gr, best, axis=1)[:, 0]
    s = np.take_along_axis(pS, best, axis=1)[:, 0]
    # symspell evidence with the content neighbours
    prev_id = np.where(pos_i > 0, vid_all[np.maximum(flat - 1, 0)], -1)
    nxt_id = np.where(pos_i + 1 < lens, vid_all[np.minimum(flat + 1, len(vid_all) - 1)], -1)
    ss = m.symspell_many(np.concatenate((prev_id, s, prev_id, wid)),
                         np.concatenate((s, nxt_id, wid, nxt_id))).reshape(4, -1)
    ss_s = np.maximum(ss[0], ss[1])
    ss_w = np.maximum(ss[2], ss[3])
    uni_w = m.uni_lp[wid].astype(np.float64)
    uni_s = m.uni_lp[s].astype(np.float64)
    zw = m.zipf[wid].astype(np.float64)
    zs = m.zipf[s].astype(np.float64)
    zero = np.zeros(len(sel))
    cols = {
        "gain": gl + gr, "gain_left": gl, "gain_right": gr, "own_left": own_l, "own_right": own_r,
        "own_pmi": own_l - uni_w, "uni_w": uni_w, "uni_s": uni_s, "zipf_w": zw, "zipf_s": zs,
        "zipf_diff": zs - zw, "log_nsyn": np.log1p(nsyn), "symspell_s": ss_s, "symspell_w": ss_w,
        "symspell_diff": ss_s - ss_w, "phrase": zero, "phrase_len": zero,
        "sent_start": (pos_i == 0).astype(np.float64),
    }
    out[sel] = m.combine_columns(cols)
    return out


def candidates(doc: Document, stream: MatchStream, model: GenericModel,
               prefilter: bool | None = None) -> list[dict[str, Any]]:
    """Words that may be spun, with the features of their best synonym swap.

    With the prefilter (default when its tables are installed and the model has a threshold) only
    words that can come near the threshold are returned; ``prefilter=False`` returns every
    expanded word (training, threshold curves)."""
    m = model
    np = m.np
    if prefilter is None:
        prefilter = m.prefilter
    if prefilter and (not m.prefilter or "threshold" not in m.weights):
        prefilter = False
    sents = sentences(doc, stream)
    if not sents:
        return []
    starts = []
    all_low: list[str] = []
    for sent in sents:
        starts.append(len(all_low))
        all_low += [x[0] for x in sent]
    vid_all, lm_all = m.ids_cached(all_low)
    known = vid_all >= 0
    kid = np.maximum(vid_all, 0)
    content_all = (~(known & m.stop[kid])).tolist()
    vid_list = vid_all.tolist()
    # candidate positions (sentence, word): flaggable words with synonyms
    ok_all = np.fromiter((x[2] for sent in sents for x in sent), dtype=bool, count=len(all_low))
    flat_c = np.nonzero(ok_all & known & m.expand_ok[kid])[0]
    if not len(flat_c):
        return []
    starts_arr = np.asarray(starts, dtype=np.int64)
    pos_s = np.searchsorted(starts_arr, flat_c, side="right") - 1
    pos_i = flat_c - starts_arr[pos_s]
    pos = list(zip(pos_s.tolist(), pos_i.tolist(), strict=True))
    # phrase table: a window around w that, with w swapped for a synonym, is a known phrase
    phrases: dict[str, dict[str, int]] = {}
    key_pos: dict[tuple[int, int], list[str]] = {}
    if m.use_phrases and m.phrase_keys is not None:
        # only expandable words can take a phrase-table filler (it must be one of their synonyms);
        # with the prefilter tables, only words with a synonym that occurs in some phrase, and only
        # windows whose other words all occur in some phrase (exact shortcut, same hits)
        keys = []
        if prefilter:
            pw = m.is_phrase_word(all_low)
            sp = m.syn_phrase[kid].tolist()
        cur = -1
        for p in pos:
            si, i = p
            if prefilter:
                f = starts[si] + i
                # every window holds a neighbour of the word: one must occur in some phrase
                if not sp[f] or not ((i > 0 and pw[f - 1]) or (i + 1 < len(sents[si]) and pw[f + 1])):
                    continue
            if si != cur:
                cur = si
                st = starts[si]
                low = all_low[st:st + len(sents[si])]
                content = content_all[st:st + len(low)]
                if prefilter:
                    # words that occur in no phrase become "\x00": a window holding one cannot match
                    low = [x if ok else "\x00" for x, ok in zip(low, pw[st:st + len(low)], strict=True)]
            ks = list(_phrase_keys(low, content, i))
            keys += ks
            key_pos[p] = ks
        phrases = m.phrase_hits(keys)
    if prefilter:
        approx = _approx_scores(m, sents, starts, pos_s, pos_i, vid_all,
                                m.weights.get("prefilter_own_margin", PREFILTER_OWN_MARGIN), lm_all)
        floor = m.weights["threshold"] - m.weights.get("prefilter_margin", PREFILTER_MARGIN)
        near = (approx >= floor).tolist()
        pos = [p for p, keep in zip(pos, near, strict=True) if keep or
               (phrases and _phrase_filler(m, phrases, key_pos.get(p, ()),
                                           vid_list[starts[p[0]] + p[1]]))]
        if not pos:
            return []
    sc = _Scorer(m)
    out = []
    cur = -1
    for si, i in pos:
        if si != cur:
            cur = si
            sent = sents[si]
            n = len(sent)
            words = ["<s>", "<s>"] + [x[0] for x in sent] + ["</s>", "</s>"]
            st = starts[si]
        c = _exact(m, sc, sent, n, words, i, vid_list, st, phrases)
        if c is not None:
            out.append(c)
    return out


def _exact(m: GenericModel, sc: _Scorer, sent, n: int, words: list[str], i: int, vid_list,
           st: int, phrases) -> dict[str, Any] | None:
    """Exact trigram scoring of word i of a sentence: None when it is not expanded."""
    wid = vid_list[st + i]
    j = i + 2
    p2, p1, w, n1, n2 = words[j - 2], words[j - 1], words[j], words[j + 1], words[j + 2]
    own_l = sc.p(w, p1, p2)
    own_r = sc.right(w, p1, n1, n2)
    syn = m.synonyms(wid)
    phrase_hit = None
    syn_words = None
    if phrases:
        for a, b in PHRASE_WINDOWS:
            if i + a < 0 or i + b >= n:
                continue
            win = words[j + a:j + b + 1]
            win[-a] = "*"
            hit = phrases.get(" ".join(win))
            if not hit:
                continue
            if syn_words is None:
                syn_words = m.syn_words(wid)
            for f in hit:
                if f in syn_words and (phrase_hit is None or b - a + 1 > phrase_hit[1]):
                    phrase_hit = (f, b - a + 1, hit[f])
    if own_l + own_r > sc.prune_own and phrase_hit is None:
        return None
    cand = syn[:sc.max_syn]
    left = sorted(((sc.p(m.word(s), p1, p2), s) for s in cand), reverse=True)
    probe = [s for _, s in left[:sc.top_right]]
    if phrase_hit is not None:
        ps = syn_words[phrase_hit[0]]
        if ps not in probe:
            probe.append(ps)
    best = None
    for s in probe:
        sw = m.word(s)
        gl = sc.p(sw, p1, p2) - own_l
        gr = sc.right(sw, p1, n1, n2) - own_r
        ph = phrase_hit is not None and phrase_hit[0] == sw
        key = (ph, gl + gr)
        if best is None or key > best[0]:
            best = (key, s, sw, gl, gr)
    _, s, sw, gl, gr = best
    ph = phrase_hit is not None and phrase_hit[0] == sw
    # symspell evidence for the content-word neighbours
    left_id = vid_list[st + i - 1] if i > 0 else -1
    right_id = vid_list[st + i + 1] if i + 1 < n else -1
    ss_s = max(m.symspell(left_id, s), m.symspell(s, right_id))
    ss_w = max(m.symspell(left_id, wid), m.symspell(wid, right_id))
    feats = {
        "gain": gl + gr, "gain_left": gl, "gain_right": gr, "own_left": own_l,
        "own_right": own_r, "own_pmi": own_l - float(m.uni_lp[wid]),
        "uni_w": float(m.uni_lp[wid]), "uni_s": float(m.uni_lp[s]),
        "zipf_w": float(m.zipf[wid]), "zipf_s": float(m.zipf[s]),
        "zipf_diff": float(m.zipf[s] - m.zipf[wid]), "log_nsyn": math.log1p(len(syn)),
        "symspell_s": ss_s, "symspell_w": ss_w, "symspell_diff": ss_s - ss_w,
        "phrase": float(ph), "phrase_len": float(phrase_hit[1]) if ph else 0.0,
        "sent_start": float(i == 0),
    }
    return {"tok": sent[i][1], "word": w, "sub": sw, "feats": feats, "context": (p2, p1, n1, n2),
            "phrase_src": phrase_hit[2] if ph else 0}


def generic_findings(doc: Document, stream: MatchStream, fb: FindingBuilder,
                     prefilter: bool | None = None) -> list[Finding]:
    try:
        model = load_model()
    except (FileNotFoundError, ImportError):
        return []
    if not model.weights:
        return []
    cands = candidates(doc, stream, model, prefilter)
    if not cands:
        return []
    from ..model import Suggestion
    from ..rewrite.case import match_case

    thr = model.weights["threshold"]
    cal = model.weights.get("calibration", {})
    out = []
    scores = model.combine_many([c["feats"] for c in cands]).tolist()
    for c, score in zip(cands, scores, strict=True):
        if score < thr:
            continue
        tok = c["tok"]
        suggestion = match_case(tok.text, c["sub"])
        conf = _confidence(score, thr, cal)
        f = c["feats"]
        p2, p1, n1, n2 = c["context"]
        ctx_l = " ".join(x for x in (p2, p1) if x != "<s>")
        ctx_r = " ".join(x for x in (n1, n2) if x != "</s>")
        ev = {k: round(float(f[k]), 3) for k in (
            "gain", "gain_left", "gain_right", "own_left", "own_right", "zipf_w", "zipf_s",
            "symspell_s", "symspell_w")}
        ev["in_phrase_table"] = bool(f["phrase"])
        ev["score"] = round(float(score), 3)
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


def _confidence(score: float, thr: float, cal: dict) -> float:
    """Map the combiner's log-odds to [0, 1]; the threshold maps to cal["at_threshold"]."""
    at = cal.get("at_threshold", 0.5)
    slope = cal.get("slope", 1.0)
    base = math.log(at / (1 - at))
    return 1.0 / (1.0 + math.exp(-(base + slope * (score - thr))))
