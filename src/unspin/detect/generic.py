"""US201 odd-collocation: list-free detection of synonym-spun word pairs.

A content-word pair is suspicious when it is rare as a combination while swapping one of its words
for a WordNet synonym (from any sense) gives a strong collocation: "facial acknowledgment" is not
an English bigram, "facial recognition" is. Pair statistics come from a generic English trigram LM
(pocketsphinx en-us, bigram section) and symspellpy's bigram counts, compiled into
``models/generic/`` by ``scripts/build_generic_model.py``; a small logistic regression trained at
build time on WordNet-spun vs clean text combines them, and a threshold calibrated on clean news
decides. Everything is vectorised per document with numpy; no per-token Python beyond tokenising.
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
_SENT_END = frozenset(".!?:;\"“”()[]")


class GenericModel:
    """The compiled tables and the combiner weights."""

    def __init__(self, root: Any = None):
        import numpy as np

        if root is None:
            from ..resources import model_path

            root = model_path("generic")
        self.np = np
        def arr(name: str):
            return np.load(root / f"{name}.npy", mmap_mode="r", allow_pickle=False)

        self.vocab = arr("vocab")  # sorted fixed-width ASCII words; a word's id is its position
        self.keys = arr("keys")
        self.big_lp = arr("big_lp")
        self.big_ss = arr("big_ss")
        self.uni_lp = arr("uni_lp")
        self.uni_bo = arr("uni_bo")
        self.zipf = arr("zipf")
        self.stop = arr("stop")
        self.syn_off = arr("syn_off")
        self.syn_ids = arr("syn_ids")
        self.shift = int(arr("shift")[0])
        self.has_syn = (self.syn_off[1:] - self.syn_off[:-1]) > 0
        weights_path = root / "weights.json"
        self.weights: dict[str, Any] = (
            json.loads(weights_path.read_text(encoding="utf-8")) if weights_path.exists() else {}
        )

    def word(self, i: int) -> str:
        return self.vocab[int(i)].decode("ascii")

    def ids(self, words: list[str]):
        """Vocabulary ids of lower-case ASCII words (-1 when unknown), vectorised."""
        np = self.np
        if not words:
            return np.zeros(0, dtype=np.int64)
        arr = np.array(words, dtype=self.vocab.dtype)
        pos = np.searchsorted(self.vocab, arr)
        pos[pos >= len(self.vocab)] = 0
        return np.where(self.vocab[pos] == arr, pos, -1).astype(np.int64)

    # -- table look-ups -------------------------------------------------------------------------
    def lookup(self, a, b):
        """(LM log10 P(b|a) or nan, symspell log10 count or nan) for id arrays a, b."""
        np = self.np
        k = a.astype(np.int64) * self.shift + b
        pos = np.searchsorted(self.keys, k)
        pos[pos >= len(self.keys)] = 0
        hit = self.keys[pos] == k
        lp = np.where(hit, self.big_lp[pos].astype(np.float32), np.nan)
        ss = np.where(hit, self.big_ss[pos].astype(np.float32), np.nan)
        return lp, ss

    def pair_stats(self, a, b, lp, ss):
        """Association features of pairs (a, b) given their table look-ups."""
        np = self.np
        exp = np.isfinite(lp)
        est = np.where(exp, lp, self.uni_bo[a] + self.uni_lp[b])
        pmi = est - self.uni_lp[b]
        joint = self.uni_lp[a] + est
        ssv = np.where(np.isfinite(ss), ss - 6.8, -0.5)
        return exp.astype(np.float32), est, pmi, joint, ssv

    def candidates(self, A, B):
        """Synonym-neighbour candidates of pairs (A[i], B[i]): returns (pair index, side, word id)."""
        np = self.np
        outs = []
        for side, W in ((0, A), (1, B)):
            starts = self.syn_off[W]
            counts = self.syn_off[W + 1] - starts
            total = int(counts.sum())
            if not total:
                continue
            rep = np.repeat(np.arange(len(W)), counts)
            offs = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
            syn = self.syn_ids[starts[rep] + offs]
            outs.append((rep, np.full(total, side, dtype=np.int8), syn))
        if not outs:
            e = np.zeros(0, dtype=np.int64)
            return e, e.astype(np.int8), e
        return (np.concatenate([o[0] for o in outs]), np.concatenate([o[1] for o in outs]),
                np.concatenate([o[2] for o in outs]))

    def candidate_features(self, A, B):
        """Every known-collocation neighbour of pairs (A[i], B[i]) with its features.

        Returns (pair index, side (0: first word swapped), neighbour word id, feature dict)."""
        np = self.np
        rep, side, syn = self.candidates(A, B)
        na = np.where(side == 0, syn, A[rep])
        nb = np.where(side == 0, B[rep], syn)
        n_lp, n_ss = self.lookup(na, nb)
        known = np.isfinite(n_lp) | np.isfinite(n_ss)
        rep, side, syn, na, nb, n_lp, n_ss = (x[known] for x in (rep, side, syn, na, nb, n_lp, n_ss))
        o_lp, o_ss = self.lookup(A, B)
        o_exp, o_est, o_pmi, o_joint, o_ssv = self.pair_stats(A, B, o_lp, o_ss)
        n_exp, n_est, n_pmi, n_joint, n_ssv = self.pair_stats(na, nb, n_lp, n_ss)
        orig = np.where(side == 0, A[rep], B[rep])
        other = np.where(side == 0, B[rep], A[rep])
        nsyn = (self.syn_off[orig + 1] - self.syn_off[orig]).astype(np.float32)
        feats = {
            "obs_explicit": o_exp[rep],
            "obs_logp": o_est[rep],
            "obs_pmi": o_pmi[rep],
            "obs_joint": o_joint[rep],
            "obs_symspell": o_ssv[rep],
            "nb_explicit": n_exp,
            "nb_logp": n_est,
            "nb_pmi": n_pmi,
            "nb_joint": n_joint,
            "nb_symspell": n_ssv,
            "delta_joint": n_joint - o_joint[rep],
            "delta_pmi": n_pmi - o_pmi[rep],
            "zipf_word": self.zipf[orig],
            "zipf_nb": self.zipf[syn],
            "zipf_other": self.zipf[other],
            "log_nsyn": np.log1p(nsyn),
            "side": side.astype(np.float32),
        }
        return rep, side, syn, feats

    def score_pairs(self, A, B):
        """Best neighbour per pair: (log-odds, neighbour word id, side, features, (rep, rows)).

        The log-odds is -inf where no neighbour is a known collocation."""
        np = self.np
        n = len(A)
        best = np.full(n, -np.inf, dtype=np.float64)
        best_word = np.full(n, -1, dtype=np.int64)
        best_side = np.zeros(n, dtype=np.int8)
        if not n:
            return best, best_word, best_side, {}, None
        rep, side, syn, feats = self.candidate_features(A, B)
        if not len(rep):
            return best, best_word, best_side, {}, None
        s = self.combine(feats)
        order = np.lexsort((-s, rep))  # per pair, best first
        first = np.ones(len(order), dtype=bool)
        first[1:] = rep[order][1:] != rep[order][:-1]
        sel = order[first]
        best[rep[sel]] = s[sel]
        best_word[rep[sel]] = syn[sel]
        best_side[rep[sel]] = side[sel]
        return best, best_word, best_side, feats, (rep, sel)

    def combine(self, feats: dict):
        np = self.np
        w = self.weights
        if not w:
            return feats["delta_joint"].astype(np.float64)
        z = np.full(len(feats["side"]), w["intercept"], dtype=np.float64)
        for name, coef in w["coef"].items():
            base, _, op = name.partition(":")
            x = feats[base]
            if op == "neg":
                x = np.minimum(x, 0.0)
            elif op == "pos":
                x = np.maximum(x, 0.0)
            elif op == "sq":
                x = x * x
            z += coef * (x - w["mean"][name]) / w["scale"][name]
        return z


@cache
def load_model() -> GenericModel:
    return GenericModel()


def content_pairs(doc: Document, stream: MatchStream, model: GenericModel):
    """Adjacent content-word token pairs that the model can score: [(tok_a, tok_b, id_a, id_b)]."""
    text = doc.text
    titles = [(s.start, s.end) for s in doc.segments if s.field == "title"]
    # 1. token-level filter in Python (cheap string tests), 2. vocabulary ids vectorised
    cand_tok = []
    cand_pos = []
    cand_word = []
    prev_tok = None
    for k, tok in enumerate(stream.tokens):
        w = tok.text
        if w.isalpha() and w.isascii() and len(w) <= 24:
            if w.islower():
                ok = True
            elif w[0].isupper() and (len(w) == 1 or w[1:].islower()):
                ok = prev_tok is None or prev_tok.text in _SENT_END or \
                    "\n" in text[prev_tok.end:tok.start] or any(s <= tok.start < e for s, e in titles)
            else:
                ok = False
            if ok:
                cand_tok.append(tok)
                cand_pos.append(k)
                cand_word.append(w.lower())
        prev_tok = tok
    if len(cand_tok) < 2:
        return []
    np = model.np
    ids = model.ids(cand_word)
    good = ids >= 0
    good[good] = ~model.stop[ids[good]]
    syn = np.zeros(len(ids), dtype=bool)
    syn[good] = model.has_syn[ids[good]]
    pos = np.asarray(cand_pos)
    nxt = np.nonzero(good[:-1] & good[1:] & (pos[1:] == pos[:-1] + 1) & (syn[:-1] | syn[1:]))[0]
    out = []
    for i in nxt.tolist():
        ta, tb = cand_tok[i], cand_tok[i + 1]
        gap = text[ta.end:tb.start]
        if len(gap) <= 2 and gap.isspace():
            out.append((ta, tb, int(ids[i]), int(ids[i + 1])))
    return out


def generic_findings(doc: Document, stream: MatchStream, fb: FindingBuilder) -> list[Finding]:
    try:
        model = load_model()
    except FileNotFoundError:
        return []
    pairs = content_pairs(doc, stream, model)
    if not pairs or not model.weights:
        return []
    np = model.np
    A = np.fromiter((p[2] for p in pairs), dtype=np.int64, count=len(pairs))
    B = np.fromiter((p[3] for p in pairs), dtype=np.int64, count=len(pairs))
    best, word, side, feats, sel = model.score_pairs(A, B)
    thr = model.weights["threshold"]
    hits = np.nonzero(best >= thr)[0]
    if not len(hits):
        return []
    from ..model import Suggestion
    from ..rewrite.case import match_case

    rep, chosen = sel
    row_of = {int(rep[k]): int(k) for k in chosen}
    cal = model.weights.get("calibration", {})
    flagged = []
    for i in sorted(hits.tolist(), key=lambda i: -best[i]):
        flagged.append(i)
    taken: set[int] = set()
    out = []
    for i in flagged:
        if i in taken or i - 1 in taken and _same_token(pairs, i - 1, i) or \
                i + 1 in taken and _same_token(pairs, i, i + 1):
            continue
        taken.add(i)
        ta, tb, ia, ib = pairs[i]
        k = row_of[i]
        nw = model.word(word[i])
        s = int(side[i])
        if s == 0:
            repl = nw + " " + model.word(ib)
            bad, good = ta.text, nw
        else:
            repl = model.word(ia) + " " + nw
            bad, good = tb.text, nw
        original = doc.text[ta.start:tb.end]
        suggestion = match_case(original, repl)
        if s == 0 and ta.text[:1].isupper() and not original.istitle():
            suggestion = suggestion[:1].upper() + suggestion[1:]
        conf = _confidence(float(best[i]), thr, cal)
        ev = {f: round(float(feats[f][k]), 3) for f in (
            "obs_logp", "obs_pmi", "obs_symspell", "nb_logp", "nb_pmi", "nb_symspell", "delta_joint",
            "zipf_word", "zipf_nb")}
        ev["obs_in_lm"] = bool(feats["obs_explicit"][k])
        ev["score"] = round(float(best[i]), 3)
        ev["threshold"] = round(float(thr), 3)
        ev["replaced"] = bad.lower()
        ev["neighbour"] = repl
        msg = (f"{original!r} is a rare pairing, while {repl!r} (with {good!r}, a WordNet synonym of "
               f"{bad.lower()!r}) is a common collocation; use {suggestion!r}")
        out.append(fb.make(RULE, ta.start, tb.end, msg,
                           suggestions=[Suggestion(suggestion, "generic", round(conf, 4))],
                           confidence=conf, evidence=ev))
    out.sort(key=lambda f: f.start)
    return out


def _same_token(pairs, i: int, j: int) -> bool:
    return pairs[i][1] is pairs[j][0]


def _confidence(score: float, thr: float, cal: dict) -> float:
    """Map the combiner's log-odds to [0, 1]; the threshold maps to cal["at_threshold"]."""
    at = cal.get("at_threshold", 0.5)
    slope = cal.get("slope", 1.0)
    base = math.log(at / (1 - at))
    return 1.0 / (1.0 + math.exp(-(base + slope * (score - thr))))
