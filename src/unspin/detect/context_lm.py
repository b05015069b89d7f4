"""Substitution gain: how much more probable, in its own context, a synonym would be than the word used.

Writers pick the idiomatic word; a synonym spinner swaps many content words for dictionary synonyms
that are less probable where they stand ("facial acknowledgment", "squeeze secretary"). For every
content word ``w`` with context ``p2 p1 _ n1 n2`` the gain is

    gain(w) = max(0, max over synonyms s of w [ lp(s | p2 p1) + lp(n1 | p1 s) + lp(n2 | s n1) ]
                     - [ lp(w | p2 p1) + lp(n1 | p1 w) + lp(n2 | w n1) ])      (natural log)

with pocketsphinx's generic US-English trigram LM (``en-us.lm.bin``, BSD) as US201 ships it: flat
sorted numpy tables of its whole trie (``models/generic/lm_*.npy``, read through ``GenericModel``;
``TrigramLM`` gives what ``NGramModel.prob`` gives), each term floored at ``FLOOR`` (ln -25). The
synonym table is ``models/context/syn_*.npy`` (WordNet synonyms of any sense in the same inflection,
most frequent first; built by ``scripts/build_context_tables.py``). Both sides share the context, so
the gain compares the writer's choice with its alternatives rather than the text's style with a
reference -- 1987 wire copy and a science feature are judged alike. ``features`` aggregates it over
an article. The values are those of the earlier per-word pocketsphinx implementation (to the LM's
integer rounding), so ``models/scorer.json`` is unchanged by the rewrite.

Speed: a document is scored in one vectorised pass, with no LM calls from Python and no pocketsphinx
at run time: every candidate word's own left context (one batch of bigram-entry and one of
trigram-entry look-ups), then, for the words worth replacing, the right context and all three terms
of every synonym (one batch each again, sharing entries between probes). The cost is dominated by
those binary searches in the LM tables (memory latency), not by Python. The words come from the
document's ``MatchStream`` (no second tokenisation); each distinct token is classified once and
remembered across documents. Synonyms are tried only for words whose own left-context
log-probability is below their unigram log-probability plus ``PRUNE`` (a word its context predicts
well is not worth replacing), at most ``MAX_SYN`` of them; long articles are sub-sampled to at most
``MAX_WORDS`` candidate words (evenly spaced, deterministic).

Robustness: words next to a token the LM does not know (numbers, names, wire jargon such as "mln")
are skipped -- with no usable context the "gain" would only say that the synonym is a more frequent
word; a context window already seen in the article (tables, repeated boilerplate) counts once; and
the article averages are shrunk towards clean news (``PSEUDO_WORDS``, ``CLEAN_MEANS``).
"""

from __future__ import annotations

import math
import re
import threading
from functools import cache
from itertools import repeat
from typing import Any

from ..text import BARRIER, MatchStream
from .lm_tables import TrigramLM, grow_columns, load_npy

LN = math.log(1.0001)  # pocketsphinx log base -> natural log
FLOOR = -25.0 / LN  # floor of one term, pocketsphinx units
WORD_BITS = 17  # bits of an LM word id in the n-gram keys (scripts/build_generic_tables.py)
MAX_SYN = 4
PRUNE = -1.0  # ln units: expand when lp(w | left context) - lp(w) <= PRUNE
MAX_WORDS = 400
CACHE_MAX = 500_000  # distinct tokens remembered across documents
GAIN_THRESHOLDS = (1.0, 2.5, 5.0)
# Short articles give noisy averages: every feature is shrunk towards its typical value in clean
# news (approximate means over the Wikinews training articles) with the weight of PSEUDO_WORDS
# candidate words, so a 40-word wire brief is not judged on three unlucky words.
PSEUDO_WORDS = 60
CLEAN_MEANS = {"ctx_gain_mean": 0.19, "ctx_lift_mean": 1.70, "ctx_low_lift_frac": 0.136,
               "ctx_gain_gt1": 0.053, "ctx_gain_gt2.5": 0.031, "ctx_gain_gt5": 0.012}
FEATURES = ("ctx_gain_mean", "ctx_lift_mean", "ctx_low_lift_frac") + tuple(
    f"ctx_gain_gt{t:g}" for t in GAIN_THRESHOLDS)
TABLE_FILES = ("syn_words.npy", "syn_off.npy", "syn_ids.npy")
_BREAKS = frozenset(".!?" + BARRIER)  # sentence ends in a MatchStream: . ! ? and a segment barrier
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
# The LM's words: a letter run keeps inner apostrophes, any other run of word characters is one token
# ("G7" -> "G", "7"; "18b's" -> "18b", "s"). MatchStream tokens that this splits are split the same way.
_LM_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*|\w+")
_LOWER, _CAPITALISED, _OTHER = 0, 1, 2  # how a token is written


def tables_dir():
    from ..resources import model_path

    return model_path("context")


class Tables:
    """US201's model (its LM), the synonym table as LM ids, and a per-process cache of the tokens seen
    so far.

    A token (as written, from ``MatchStream.cased``) gets an id on first sight; per id the cache holds
    the LM id of its lower-case form, the id of that form (for repeated windows), its synonym row, how
    it is written and whether it ends a sentence or is dropped. The cache is emptied at the start of a
    document (or of a batch of them) once it holds ``CACHE_MAX`` tokens."""

    def __init__(self, generic: Any, root: Any):
        np = generic.np
        self.np = np
        self.generic = lm = generic
        self.lm = TrigramLM(generic)

        def arr(name: str):
            return load_npy(root / name)

        self.words, self.off, self.syn_ids = (arr(n) for n in TABLE_FILES)
        nsyn = np.diff(self.off)
        self.has_syn = nsyn > 0
        # synonym rows (LM ids, -1 pads, most frequent first), made for a table word when it is first
        # seen: mapping all 27k words to LM ids up front would cost tens of ms at every start-up
        self.syn = np.full((256, max(int(nsyn.max()) if len(nsyn) else 0, 1)), -1, dtype=np.int64)
        self._row_of: dict[int, int] = {}  # table position -> row of syn
        self.specials = tuple(int(x) for x in lm.lm_ids(["<s>", "</s>"]).tolist())
        self.lock = threading.RLock()
        self._reset()

    def rows(self, positions: list[int]) -> list[int]:
        """Rows of ``syn`` for table words (by position), making the missing ones."""
        np = self.np
        row_of = self._row_of
        new = [p for p in dict.fromkeys(positions) if p not in row_of]
        if new:
            off, ids = self.off, self.syn_ids
            na = np.asarray(new, dtype=np.int64)
            lo, hi = off[na].astype(np.int64), off[na + 1].astype(np.int64)
            k = hi - lo
            before = np.cumsum(k) - k  # where each new word's synonyms start in flat
            at = np.arange(int(k.sum()))
            flat = ids[np.repeat(lo - before, k) + at].astype(np.int64)
            first = len(row_of)
            if first + len(new) > len(self.syn):
                grown = np.full((max(first + len(new), 2 * len(self.syn)), self.syn.shape[1]), -1, dtype=np.int64)
                grown[:first] = self.syn[:first]
                self.syn = grown
            # row first + i holds word i's synonyms (LM ids) in its first k[i] columns
            self.syn[np.repeat(first + np.arange(len(new)), k), at - np.repeat(before, k)] = \
                self._lm_ids(self.words[flat])
            row_of.update(zip(new, range(first, first + len(new)), strict=True))
        return [row_of[p] for p in positions]

    def _lm_ids(self, words):
        """LM ids (-1 unknown) of table words (an array of their bytes): what ``generic.lm_ids`` gives
        for the decoded words (an exact match in ``lm_words``; a word longer than its width is
        unknown), without decoding them."""
        np = self.np
        lw = self.generic.lm_words
        arr = words.astype(lw.dtype)
        arr[np.char.str_len(words) > lw.dtype.itemsize] = b""
        pos = np.searchsorted(lw, arr)
        pos[pos >= len(lw)] = 0
        return np.where((lw[pos] == arr) & (arr != b""), pos, -1).astype(np.int64)

    def _reset(self) -> None:
        np = self.np
        self.ids: dict[str, int] = {"<s>": 0, "</s>": 1}
        self.lows: dict[str, int] = {"<s>": 0, "</s>": 1}
        size = 4096
        self.lm_id = np.zeros(size, dtype=np.int64)  # LM id of the lower-case form, -1 unknown
        self.lm_id[:2] = self.specials
        self.low = np.arange(size, dtype=np.int64)  # id of the lower-case form
        self.form = np.full(size, -1, dtype=np.int64)  # row of syn (a 3+ letter word with synonyms)
        self.case = np.zeros(size, dtype=np.int8)  # _LOWER, _CAPITALISED or _OTHER
        self.brk = np.zeros(size, dtype=bool)  # sentence end: . ! ? or a segment barrier
        self.keep = np.ones(size, dtype=bool)  # a word or a sentence end (other punctuation is dropped)
        self.split = np.zeros(size, dtype=bool)  # a word the LM reads as several ("G7", "covid19")

    def lookup(self, toks: list[str]):
        """Ids of tokens as written, adding the new ones to the cache."""
        np = self.np
        known = self.ids
        # one pass (-1: not seen yet); only the new tokens are added and looked up again
        ids = np.fromiter(map(known.get, toks, repeat(-1)), dtype=np.int64, count=len(toks))
        miss = np.flatnonzero(ids < 0)
        if len(miss):
            missing = list(map(toks.__getitem__, miss.tolist()))
            self._add(sorted(set(missing)))
            ids[miss] = list(map(known.__getitem__, missing))
        return ids

    def _add(self, new: list[str]) -> None:
        if not new:
            return
        np = self.np
        first = len(self.ids)
        need = first + len(new)
        grow_columns(self, ("lm_id", "low", "form", "case", "brk", "keep", "split"), need)
        low = [t.lower() for t in new]
        lows = self.lows
        for w in low:
            if w not in lows:
                lows[w] = len(lows)
        rng = slice(first, need)
        self.low[rng] = [lows[w] for w in low]
        self.lm_id[rng] = self.generic.lm_ids(low)
        tw = self.words
        enc = np.array([w if len(w) > 2 and w.isascii() and w.isalpha() else "" for w in low], dtype=tw.dtype)
        pos = np.minimum(np.searchsorted(tw, enc), len(tw) - 1)
        hit = (tw[pos] == enc) & (enc != b"") & self.has_syn[pos]
        form = np.full(len(new), -1, dtype=np.int64)
        form[hit] = self.rows(pos[hit].tolist())
        self.form[rng] = form
        self.case[rng] = [_LOWER if t == w else _CAPITALISED if t[1:] == w[1:] else _OTHER
                          for t, w in zip(new, low, strict=True)]
        self.brk[rng] = [t in _BREAKS for t in new]
        self.keep[rng] = [t[:1].isalnum() or t in _BREAKS for t in new]
        self.split[rng] = [t[:1].isalnum() and not t.isalpha() and _LM_TOKEN.findall(t) != [t] for t in new]
        self.ids.update(zip(new, range(first, need), strict=True))


@cache
def load_tables() -> Tables | None:
    """US201's model (for its LM tables) and the synonym table, or None when either is missing."""
    try:
        from .generic import load_model

        generic = load_model()
        return Tables(generic, tables_dir())
    except (OSError, ImportError, ValueError, AttributeError):  # no tables, or an older LM layout
        return None


def available() -> bool:
    return load_tables() is not None


def synonyms(word: str) -> list[str]:
    """The synonym table's entry for a lower-case word form (most frequent first; [] when none)."""
    t = load_tables()
    if t is None:
        return []
    tw = t.words
    i = int(t.np.searchsorted(tw, word.encode("ascii", "replace")))
    if i >= len(tw) or tw[i] != word.encode("ascii", "replace") or not t.has_syn[i]:
        return []
    lw = t.generic.lm_words
    row = t.rows([i])[0]
    return [lw[j].decode("ascii") for j in t.syn[row].tolist() if j >= 0]


def _gains(toks: list[str], prune: float | None = PRUNE, max_syn: int = MAX_SYN, max_words: int = MAX_WORDS,
           skip_oov: bool = True, sizes: list[int] | None = None):
    """(gain, lift, doc) arrays over the scored candidate words, natural log; None without the tables.

    ``toks``: a MatchStream's tokens as written (``stream.cased.split(" ")``). . ! ? and segment
    barriers end a sentence (several in a row count once); other punctuation is dropped (the speech
    LM has none). An abbreviation splitting a sentence costs a little context, equally for clean and
    spun text. Candidates: words of the synonym table (3+ letters) in lower case, or capitalised at a
    sentence start.

    Several documents are scored in one pass when ``toks`` holds their token lists one after the
    other with a barrier between them and ``sizes`` gives each list's length (barrier included, on
    the document before it): ``doc`` says which document each scored word is from, and every
    per-document rule (sub-sampling to ``max_words``, a repeated window counting once) applies per
    document, so each document gets exactly what it gets alone."""
    t = load_tables()
    if t is None:
        return None
    with t.lock:  # the token tables grow (and are reset) in several steps: one document at a time
        return _gains_locked(t, toks, prune, max_syn, max_words, skip_oov, sizes)


def _gains_locked(t: Tables, toks: list[str], prune: float | None, max_syn: int, max_words: int,
                  skip_oov: bool, sizes: list[int] | None):
    np = t.np
    if len(t.ids) > CACHE_MAX:
        t._reset()
    ids = t.lookup(toks)
    doc = np.repeat(np.arange(len(sizes)), sizes) if sizes is not None else np.zeros(len(ids), dtype=np.int64)
    split = np.flatnonzero(t.split[ids]).tolist()
    if split:  # the LM reads these tokens as several words: only they are cut ("G7" -> "G", "7")
        out: list[str] = []
        counts = np.ones(len(toks), dtype=np.int64)
        at = 0
        for i in split:
            out += toks[at:i]
            pieces = _LM_TOKEN.findall(toks[i])
            out += pieces
            counts[i] = len(pieces)
            at = i + 1
        out += toks[at:]
        doc = np.repeat(doc, counts)
        toks = out
        ids = t.lookup(toks)
    kept = t.keep[ids]
    ids, doc = ids[kept], doc[kept]
    n = len(ids)
    # padded with two sentence ends either side: token i sits at i + 2
    brk = np.ones(n + 4, dtype=bool)
    brk[2:-2] = t.brk[ids]
    tid = np.zeros(n + 4, dtype=np.int64)
    tid[2:-2] = ids
    case = t.case[ids]
    start = brk[1:n + 1]  # the token before is a sentence end (or the start)
    cand = np.flatnonzero((t.form[ids] >= 0) & ((case == _LOWER) | ((case == _CAPITALISED) & start)))
    d = doc[cand]
    # long documents: every step-th candidate (as cand[::step] per document)
    per_doc = np.bincount(d)
    if len(per_doc) and per_doc.max() > max_words:
        step = np.maximum(1, -(-per_doc // max_words))
        first = np.cumsum(per_doc) - per_doc
        keep_c = (np.arange(len(cand)) - first[d]) % step[d] == 0
        cand, d = cand[keep_c], d[keep_c]
    c = cand + 2  # padded positions
    b1, a1 = brk[c - 1], brk[c + 1]
    p1 = np.where(b1, 0, tid[c - 1])  # token ids; 0 is <s>, 1 is </s>
    p2 = np.where(b1 | brk[c - 2], 0, tid[c - 2])
    n1 = np.where(a1, 1, tid[c + 1])
    n2 = np.where(a1 | brk[c + 2], 1, tid[c + 2])
    w = tid[c]
    lm_id = t.lm_id
    if skip_oov:
        # unknown neighbour (number, name, jargon): the gain would be mere frequency
        ok = (lm_id[p1] >= 0) & (lm_id[n1] >= 0)
        if not ok.all():
            p2, p1, w, n1, n2, d = p2[ok], p1[ok], w[ok], n1[ok], n2[ok], d[ok]
    if len(w) > 1:
        # tables and boilerplate repeat whole lines: count each context window (two words either
        # side) once per document. Windows can only repeat where "p1 w n1" repeats: only those few
        # are compared.
        low = t.low
        k3 = (low[p1] << 42) | (low[w] << 21) | low[n1]
        o = np.lexsort((k3, d))  # by document, then window; stable: text order among equals
        same = (k3[o[1:]] == k3[o[:-1]]) & (d[o[1:]] == d[o[:-1]])
        if same.any():
            rows = np.zeros(len(w), dtype=bool)
            rows[o[1:][same]] = True
            rows[o[:-1][same]] = True
            rows = np.flatnonzero(rows)  # in text order: the first of equal windows is kept
            seen: set[tuple[int, int, int, int]] = set()
            drop = []
            for i, key in zip(rows.tolist(), zip(d[rows].tolist(), low[p2[rows]].tolist(), k3[rows].tolist(),
                                                    low[n2[rows]].tolist(), strict=True), strict=True):
                if key in seen:
                    drop.append(i)
                else:
                    seen.add(key)
            if drop:
                keep = np.ones(len(w), dtype=bool)
                keep[drop] = False
                p2, p1, w, n1, n2, d = p2[keep], p1[keep], w[keep], n1[keep], n2[keep], d[keep]
    lm = t.lm
    P2, P1, W, N1, N2 = lm_id[p2], lm_id[p1], lm_id[w], lm_id[n1], lm_id[n2]
    # own left context of every word: lp(w | p2 p1)
    e, eh = lm.bigrams(np.concatenate((W, P1)), np.concatenate((P1, P2)))
    m = len(w)
    e_w, eh_w, f_1, fh_1 = e[:m], eh[:m], e[m:], eh[m:]  # "p1 w"; "p2 p1" (history back-off)
    t_w, th_w = lm.trigrams(e_w, eh_w, P2)
    own = np.maximum(lm.score(W, P1, e_w, eh_w, f_1, fh_1, t_w, th_w), FLOOR)
    lift = own - lm.uprob[np.maximum(W, 0)]
    gain = np.zeros(m)
    ex = np.flatnonzero(lift <= (math.inf if prune is None else prune / LN))
    if len(ex):
        # the words worth replacing: their right context, and all three terms of every synonym
        rows = t.syn[t.form[w[ex]], :max_syn]  # LM ids of the synonyms, -1 pads
        has = rows >= 0
        r = np.broadcast_to(np.arange(len(ex))[:, None], rows.shape)[has]  # synonym -> its word
        S = rows[has]
        j, k = len(ex), len(S)
        eP2, eP1, eW, eN1, eN2 = P2[ex], P1[ex], W[ex], N1[ex], N2[ex]
        sP2, sP1, sN1, sN2 = eP2[r], eP1[r], eN1[r], eN2[r]
        # five probes each: "p1 w n1", "w n1 n2" for the words (the base), "p2 p1 s", "p1 s n1",
        # "s n1 n2" for the synonyms; the bigram entries "w n1", "n1 n2", "p1 s", "s n1" are looked up
        # once and serve both as predicted bigram of one probe and history back-off of the next
        pred = np.concatenate((eN1, eN2, S, sN1))
        hist = np.concatenate((eW, eN1, sP1, S))
        e, eh = lm.bigrams(pred, hist)
        e_1, eh_1, e_2, eh_2 = e[:j], eh[:j], e[j:2 * j], eh[j:2 * j]
        e_s, eh_s, e_sn, eh_sn = e[2 * j:2 * j + k], eh[2 * j:2 * j + k], e[2 * j + k:], eh[2 * j + k:]
        e5, eh5 = np.concatenate((e, e_2[r])), np.concatenate((eh, eh_2[r]))
        t5, th5 = lm.trigrams(e5, eh5, np.concatenate((eP1, eW, sP2, sP1, S)))
        f5 = np.concatenate((e_w[ex], e_1, f_1[ex][r], e_s, e_sn))
        fh5 = np.concatenate((eh_w[ex], eh_1, fh_1[ex][r], eh_s, eh_sn))
        lp = np.maximum(lm.score(np.concatenate((pred, sN2)), np.concatenate((hist, sN1)), e5, eh5, f5, fh5, t5, th5),
                        FLOOR)
        end = eN1 == t.specials[1]  # n1 is </s>: no n2 term
        base = own[ex] + lp[:j] + np.where(end, 0.0, lp[j:2 * j])
        alt = np.full(rows.shape, -np.inf)
        alt[has] = lp[2 * j:2 * j + k] + lp[2 * j + k:2 * j + 2 * k] + np.where(end[r], 0.0, lp[2 * j + 2 * k:])
        gain[ex] = np.maximum(alt.max(axis=1) - base, 0.0) * LN
    return gain, lift * LN, d


def text_stream(text: str) -> MatchStream:
    """A MatchStream over plain text, blank lines separating segments (as in ``Document.prose``)."""
    from ..model import Segment

    segs, at = [], 0
    for m in _BLANK_LINE.finditer(text):
        segs.append(Segment(at, m.start(), "body"))
        at = m.end()
    segs.append(Segment(at, len(text), "body"))
    return MatchStream(text, segs)


def _stream_gains(text: str | MatchStream, **kw: Any):
    stream = text if isinstance(text, MatchStream) else text_stream(text)
    return _gains(stream.cased.split(" "), **kw)


def gains(text: str | MatchStream, prune: float | None = PRUNE, max_syn: int = MAX_SYN,
          max_words: int = MAX_WORDS, skip_oov: bool = True) -> tuple[list[float], list[float]] | None:
    """Per candidate word: (gain, lift = lp(w | left context) - lp(w)), natural log; None without the
    tables. ``text``: prose (blank lines end a paragraph) or a document's MatchStream."""
    res = _stream_gains(text, prune=prune, max_syn=max_syn, max_words=max_words, skip_oov=skip_oov)
    return None if res is None else (res[0].tolist(), res[1].tolist())


def features(text: str | MatchStream) -> dict[str, float]:
    """Article-level substitution-gain features of prose or of a document's MatchStream, shrunk
    towards clean news for short articles (``CLEAN_MEANS`` when the tables are unavailable)."""
    stream = text if isinstance(text, MatchStream) else text_stream(text)
    return features_many([stream])[0]


def features_many(streams: list[MatchStream]) -> list[dict[str, float]]:
    """``features`` of several documents' MatchStreams, scored in one vectorised pass (the same
    values as one at a time)."""
    if not streams:
        return []
    toks: list[str] = []
    sizes: list[int] = []
    for s in streams:
        part = s.cased.split(" ")
        if toks:
            toks.append(BARRIER)  # a sentence end between documents, counted with the one before
            sizes[-1] += 1
        toks += part
        sizes.append(len(part))
    res = _gains(toks, sizes=sizes)
    if res is None:
        return [dict(CLEAN_MEANS) for _ in streams]
    bounds = res[2].searchsorted(range(len(streams) + 1)).tolist()
    out = []
    for i in range(len(streams)):
        g, lift = res[0][bounds[i]:bounds[i + 1]], res[1][bounds[i]:bounds[i + 1]]
        raw = {"ctx_gain_mean": float(g.sum()), "ctx_lift_mean": float(lift.sum()),
               "ctx_low_lift_frac": float((lift <= PRUNE).sum())}
        for th in GAIN_THRESHOLDS:
            raw[f"ctx_gain_gt{th:g}"] = float((g > th).sum())
        n = len(g)
        out.append({k: (raw[k] + PSEUDO_WORDS * CLEAN_MEANS[k]) / (n + PSEUDO_WORDS) for k in FEATURES})
    return out
