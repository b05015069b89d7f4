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

Speed: a word is only expanded when its own context log-probability is low (``prune_own``), at most
``max_syn`` synonyms (most frequent first) get the left-context probe, and only the ``top_right``
best of those get the right-context probes. LM calls are cached per document.
"""

from __future__ import annotations

import json
import math
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from ..analyze import FindingBuilder
    from ..model import Document, Finding
    from ..text import MatchStream

RULE = "US201"
LOG10_BASE = math.log10(1.0001)  # pocketsphinx log-math base
FLOOR = -7.0  # log10 probability of a word the LM does not know
_BREAK = frozenset(".!?;:()[]{}\"“”")
# phrase-table match kinds: a window of the text that differs from a known phrase in one word
PHRASE_WINDOWS = ((0, 1), (-1, 0), (0, 2), (-1, 1), (-2, 0))  # (first, last) token offsets around w

FEATURES = [
    "gain", "gain_left", "gain_right", "own_left", "own_right", "own_pmi", "uni_w", "uni_s",
    "zipf_w", "zipf_s", "zipf_diff", "log_nsyn", "gain_left:pos", "gain_right:pos",
    "gain_left:neg", "gain_right:neg", "gain:sq", "symspell_s", "symspell_w", "symspell_diff",
    "phrase", "phrase_len", "sent_start",
]


def _lm_path():
    import os

    import pocketsphinx

    return os.path.join(os.path.dirname(pocketsphinx.__file__), "model", "en-us", "en-us.lm.bin")


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
        self._lm = None
        self._ss: dict[int, float] | None = None
        self.use_phrases = True
        self.phrase_sources = 0xFF  # bit 1: WordNet multi-word lemmas, bit 2: screener TRAIN canonicals

    # -- resources loaded on first use -----------------------------------------------------------
    @property
    def lm(self):
        if self._lm is None:
            from pocketsphinx import NGramModel

            self._lm = NGramModel.readfile(_lm_path())
        return self._lm

    def phrase_hits(self, keys: list[str]) -> dict[str, dict[str, int]]:
        """Known phrases matching wildcard keys ("support * machine"): key -> {filler: source bits}."""
        np = self.np
        if not keys or self.phrase_keys is None:
            return {}
        uniq = sorted(k for k in set(keys) if k.isascii())
        if not uniq:
            return {}
        arr = np.array(uniq, dtype=self.phrase_keys.dtype)
        lo = np.searchsorted(self.phrase_keys, arr, side="left")
        hi = np.searchsorted(self.phrase_keys, arr, side="right")
        out: dict[str, dict[str, int]] = {}
        for k in np.nonzero(hi > lo)[0].tolist():
            if len(uniq[k]) > self.phrase_keys.dtype.itemsize:
                continue  # truncated by the fixed width: not a real match
            hit = {self.phrase_fill[j].decode("ascii"): int(self.phrase_bits[j])
                   for j in range(int(lo[k]), int(hi[k])) if self.phrase_bits[j] & self.phrase_sources}
            if hit:
                out[uniq[k]] = hit
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
        X = np.array([[expand(f, n) for n in names] for f in feats], dtype=np.float64)
        X = X.reshape(len(feats), len(names))
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


@cache
def load_model() -> GenericModel:
    return GenericModel()


def sentences(doc: Document, stream: MatchStream) -> list[list[tuple[str, Any, bool]]]:
    """Word sequences for the LM: [(lower-case word, token, may be flagged)] per sentence.

    Punctuation other than sentence ends is skipped (the LM has none); a capitalised word may be
    flagged only at a sentence start or in a title (elsewhere it is taken for a name)."""
    text = doc.text
    titles = [(s.start, s.end) for s in doc.segments if s.field == "title"]
    out: list[list[tuple[str, Any, bool]]] = []
    cur: list[tuple[str, Any, bool]] = []
    prev = None
    for tok in stream.tokens:
        w = tok.text
        if prev is not None and cur and "\n" in text[prev.end:tok.start]:
            out.append(cur)
            cur = []
        prev = tok
        if not w[:1].isalnum():
            if w in _BREAK and cur:
                out.append(cur)
                cur = []
            continue
        ok = False
        if w.isalpha() and w.isascii() and len(w) <= 24:
            if w.islower():
                ok = True
            elif w[0].isupper() and (len(w) == 1 or w[1:].islower()):
                ok = not cur or any(s <= tok.start < e for s, e in titles)
        cur.append((w.lower(), tok, ok))
    if cur:
        out.append(cur)
    return out


class _Scorer:
    """Per-document LM scoring with a cache."""

    def __init__(self, model: GenericModel):
        self.m = model
        self.lm = model.lm
        self.cache: dict[tuple[str, str, str], float] = {}
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


def candidates(doc: Document, stream: MatchStream, model: GenericModel) -> list[dict[str, Any]]:
    """Every word that may be spun, with the features of its best synonym swap."""
    sc = _Scorer(model)
    m = model
    out = []
    sents = sentences(doc, stream)
    sent_ids = [m.ids([x[0] for x in sent]) for sent in sents]
    phrases: dict[str, dict[str, int]] = {}
    if model.use_phrases:
        keys = []
        for sent, ids in zip(sents, sent_ids, strict=True):
            n = len(sent)
            low = [x[0] for x in sent]
            content = (~((ids >= 0) & m.stop[ids])).tolist()
            for i, (_, _, ok) in enumerate(sent):
                if ok and content[i]:
                    for a, b in PHRASE_WINDOWS:
                        if i + a >= 0 and i + b < n and \
                                sum(content[i + a:i + b + 1]) >= 2:
                            win = low[i + a:i + b + 1]
                            win[-a] = "*"
                            keys.append(" ".join(win))
        phrases = m.phrase_hits(keys)
    for sent, ids_arr in zip(sents, sent_ids, strict=True):
        idx = [i for i, (_, _, ok) in enumerate(sent) if ok]
        if not idx:
            continue
        low = [x[0] for x in sent]
        all_ids = ids_arr.tolist()
        expandable = ((ids_arr >= 0) & m.expand_ok[ids_arr]).tolist()
        words = ["<s>", "<s>"] + low + ["</s>", "</s>"]
        n = len(sent)
        for i in idx:
            if not expandable[i]:
                continue
            wid = all_ids[i]
            j = i + 2
            p2, p1, w, n1, n2 = words[j - 2], words[j - 1], words[j], words[j + 1], words[j + 2]
            own_l = sc.p(w, p1, p2)
            own_r = sc.right(w, p1, n1, n2)
            syn = m.synonyms(wid)
            # phrase table: a window around w that, with w swapped for a synonym, is a known phrase
            phrase_hit = None
            if phrases:
                syn_words = None
                for a, b in PHRASE_WINDOWS:
                    if i + a < 0 or i + b >= n:
                        continue
                    win = [sent[k][0] for k in range(i + a, i + b + 1)]
                    win[-a] = "*"
                    hit = phrases.get(" ".join(win))
                    if not hit:
                        continue
                    if syn_words is None:
                        syn_words = {m.word(s): s for s in syn}
                    for f in hit:
                        if f in syn_words and (phrase_hit is None or b - a + 1 > phrase_hit[1]):
                            phrase_hit = (f, b - a + 1, hit[f])
            if own_l + own_r > sc.prune_own and phrase_hit is None:
                continue
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
            left_id = all_ids[i - 1] if i > 0 else -1
            right_id = all_ids[i + 1] if i + 1 < n else -1
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
            out.append({"tok": sent[i][1], "word": w, "sub": sw, "feats": feats,
                        "context": (p2, p1, n1, n2),
                        "phrase_src": phrase_hit[2] if ph else 0})
    return out


def generic_findings(doc: Document, stream: MatchStream, fb: FindingBuilder) -> list[Finding]:
    try:
        model = load_model()
    except (FileNotFoundError, ImportError):
        return []
    if not model.weights:
        return []
    cands = candidates(doc, stream, model)
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
