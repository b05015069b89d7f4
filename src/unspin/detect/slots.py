"""Candidate slots: every content word, judged against the words a spinner could have replaced by it.

Public API (used by the article rescoring and the ranked suspicious words)::

    from unspin.detect.slots import Slot, score_slots, score_slots_many
    slots = score_slots(doc, stream)           # one document
    per_doc = score_slots_many(docs, streams)  # a batch, the same slots as one by one

A :class:`Slot` is one content word (or, for phrase candidates, a run of 2-4 words) that the
detector considered: ``start``/``end`` are character offsets in ``doc.text``, ``text`` the slot's
text, ``best`` the best restoration (inflected to the observed form, the case not yet matched; None
when the word has no candidate), ``p_spun`` the calibrated probability that the slot is spun (the
logistic combiner, trained on our own spinner's tokens; see models/MODEL_CARD.md, "US203"),
``margin`` the trigram LM gain in log10 of the best restoration over the text (>0: the LM prefers
the restoration) and ``features`` the combiner's inputs by name. Slots come in text order.

How: for each content word the reverse-thesaurus table (``models/thesaurus/``, built by
``scripts/build_thesaurus.py`` from WordNet 3.0, Moby and MyThes) lists the words a spinner could
have replaced by it, already in the word's inflection. Each candidate gets the left LM probe
log P(c | p2 p1); the best ``TOP_RIGHT`` by it get the right probes log P(n1 | p1 c) + log P(n2 | c n1)
(the generic model's exact trigram tables, ``detect.generic``). A slot whose own context is very
probable is not expanded (``prune_own``): it keeps candidate-free features only. The features (LM
gain, frequency ratio, symspell bigram counts, candidate sources, a candidate-free oddness
signal) go to a combiner exported as JSON (boosted trees or a logistic regression;
``models/thesaurus/weights.json``, fitted by ``scripts/build_slots.py``); US203 flags slots at its
threshold, which keeps false flags on held-out clean news under the budget.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from ..findings import FindingBuilder
    from ..model import Document, Finding
    from ..text import MatchStream

RULE = "US203"
TOP_RIGHT = 3  # candidates per slot that get the right LM probes
MAX_CAND = 48  # candidates per slot probed (the table's cap)
DEDUP_MIN = 256  # slots to expand in one call from which repeated contexts are probed once


@dataclass(frozen=True)
class Slot:
    """One considered slot of a document (see the module docstring)."""

    start: int
    end: int
    text: str
    best: str | None
    p_spun: float
    margin: float
    features: dict[str, float] = field(default_factory=dict, compare=False, hash=False)


class SlotModel:
    """The reverse-thesaurus tables and the combiner weights (loaded once, memory-mapped)."""

    def __init__(self, root: Any = None):
        import numpy as np

        if root is None:
            from ..resources import model_path

            root = model_path("thesaurus")
        self.np = np
        self.root = root

        from .lm_tables import load_npy

        def arr(name: str):
            return load_npy(root / f"{name}.npy")

        self.cand_off = arr("cand_off").astype(np.int64)
        self.cand_ids = arr("cand_ids")
        self.cand_src = arr("cand_src")
        self.n_cand = self.cand_off[1:] - self.cand_off[:-1]
        wpath = root / "weights.json"
        self.weights: dict[str, Any] = json.loads(wpath.read_text(encoding="utf-8")) if wpath.exists() else {}
        self._phrases: dict[str, list[str]] | None = None
        self._glove: Any = None
        self._trees: Any = None

    @property
    def phrases(self) -> dict[str, list[str]]:
        if self._phrases is None:
            path = self.root / "phrases.json"
            self._phrases = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        return self._phrases

    def candidates(self, vid: int) -> list[int]:
        """Vocabulary ids of the words a spinner could have replaced by word ``vid`` (none if vid < 0)."""
        if not 0 <= vid < len(self.n_cand):
            return []
        a, b = int(self.cand_off[vid]), int(self.cand_off[vid + 1])
        return self.cand_ids[a:b].tolist()

    @property
    def trained(self) -> bool:
        """Whether a combiner is present (the build script computes features without one)."""
        return self.weights.get("kind") in ("logistic", "boosted-trees")

    @property
    def glove(self):
        """int8 unit GloVe vectors (x 127) per vocabulary id, zero rows for unknown words."""
        if self._glove is None:
            from .lm_tables import load_npy

            self._glove = load_npy(self.root / "glove.npy")
        return self._glove

    def log_odds(self, cols: dict[str, Any]):
        """Combiner log-odds of feature columns (numpy): boosted trees walked as in US202
        (``SpinMap.score``), or a logistic regression summed feature by feature (batch-invariant)."""
        np = self.np
        w = self.weights
        if w.get("kind") == "boosted-trees":
            names = w["features"]
            if self._trees is None:  # the walk, or leaf masks for batches once enough rows were scored
                from .spinmap import SpinMap

                self._trees = SpinMap({"pairs": {}, "weights": w})
            return self._trees.score({name: _expand(np, cols, name) for name in names})
        names = list(w["coef"])
        n = len(next(iter(cols.values()))) if cols else 0
        z = np.full(n, float(w["intercept"]))
        for name in names:
            x = _expand(np, cols, name)
            z += (x - w["mean"][name]) / w["scale"][name] * w["coef"][name]
        return z


def _expand(np, cols: dict[str, Any], name: str):
    base, _, op = name.partition(":")
    x = np.asarray(cols[base], dtype=np.float64)
    if op == "neg":
        return np.minimum(x, 0.0)
    if op == "pos":
        return np.maximum(x, 0.0)
    if op == "sq":
        return x * x
    if op == "clip":
        return np.clip(x, -6.0, 6.0)
    return x


@cache
def load_slot_model() -> SlotModel:
    return SlotModel()


FEATURES = (
    "own_left", "own_right", "own", "own_pmi", "uni_w", "zipf_w", "expanded", "log_ncand",
    "gain", "gain_left", "gain_right", "zipf_c", "zipf_diff", "src_syn", "src_hop", "src_moby",
    "src_mythes", "n_src", "rank", "ss_w", "ss_c", "ss_diff", "sent_start", "gain2",
    "fit_w", "fit_c", "fit_diff", "bi_w", "bi_c", "bi_diff", "nb_gain", "nb_zipf_diff",
)
WINDOW = 5  # content words on each side that make the GloVe context


def score_slots(doc: Document, stream: MatchStream) -> list[Slot]:
    """The slots of one document (see the module docstring)."""
    return score_slots_many([doc], [stream])[0]


def score_slots_many(docs: list[Document], streams: list[MatchStream]) -> list[list[Slot]]:
    """``score_slots`` of each document (list of lists, in order)."""
    out = []
    for doc, stream in zip(docs, streams, strict=True):
        res = slot_columns(doc, stream)
        out.append(_slots_of(res) if res is not None else [])
    return out


def _slots_of(res: SlotColumns) -> list[Slot]:
    cols = res["cols"]
    names = list(cols)
    p = res["p"]
    best = res["best"]
    starts, ends, text = res["start"], res["end"], res["doc"].text
    rows = [dict(zip(names, vals, strict=True)) for vals in zip(*(cols[n].tolist() for n in names), strict=True)]
    out = []
    for k, r in enumerate(rows):
        s, e = starts[k], ends[k]
        out.append(Slot(s, e, text[s:e], best[k], float(p[k]), float(cols["gain"][k]), r))
    return out


def slot_columns(doc: Document, stream: MatchStream, model: SlotModel | None = None,
                 every: bool = True) -> SlotColumns | None:
    """Every slot of the document as feature columns (numpy), with offsets, best candidates and the
    combiner's p_spun (None without a trained combiner: 0.0 everywhere), or None without words.
    ``every=False`` (US203's own findings and the article's slots, which read ``p``, ``gain`` and the
    best candidates only) leaves the symspell and GloVe columns at 0 for the slots the combiner
    does not score (those not expanded); ``p`` and everything else is the same."""
    from .generic import load_model
    from .words import split as _split

    m = load_model()
    sm = model or load_slot_model()
    with m.lock:
        split = _split(m, doc, stream)
        if split is None:
            return None
        return _columns(m, sm, doc, split, getattr(stream, "parts", None), every)


def _columns(m, sm: SlotModel, doc: Document, split, parts=None, every: bool = True) -> SlotColumns | None:
    from .generic import own_context, right_probes

    np = m.np
    texts, starts, ends, wpos, Tw, first, last, ok = split
    vid = m._t_vid[Tw]
    nv = len(sm.n_cand)
    # slots: words that may be flagged, known, content (not a stop word), alphabetic
    c = np.flatnonzero(ok & (vid >= 0) & m._t_content[Tw])
    if len(c):
        c = c[vid[c] < nv]
    if not len(c):
        return None
    w_ = sm.weights
    prune_own = float(w_.get("prune_own", -6.0))
    max_cand = int(w_.get("max_cand", MAX_CAND))
    nw = len(Tw)
    R, J_all, L, B, HB, hbo, LP = own_context(m, Tw, first, c)
    J = J_all[c]
    notend = ~last[c]
    n = len(c)
    own_l = LP[J]
    own_r = LP[J + 1] + np.where(notend, LP[J + 2], 0.0)
    wid = vid[c]
    uni_w = m.uni_lp[wid].astype(np.float64)
    ncand = np.minimum(sm.n_cand[wid], max_cand)
    expand = (own_l + own_r <= prune_own) & (ncand > 0)
    rows = np.flatnonzero(expand)
    gain = np.zeros(n)
    gain_l = np.zeros(n)
    gain_r = np.zeros(n)
    gain2 = np.zeros(n)
    best = np.full(n, -1, dtype=np.int64)
    bsrc = np.zeros(n, dtype=np.int64)
    brank = np.zeros(n)
    k3 = np.zeros(n, dtype=bool)
    k4 = np.zeros(n, dtype=bool)
    rows_all, inv = rows, None
    if len(rows) > DEDUP_MIN:
        # slots in the same 5-word context (and the same word) probe the same candidates with the same
        # result: probe each distinct context once and copy the results (repetitive text costs little)
        Jr = J[rows]
        ctx = (R[Jr - 2], R[Jr - 1], R[Jr], R[Jr + 1], np.where(notend[rows], R[Jr + 2], -2), wid[rows])
        first_k, inv = _distinct_rows(np, ctx)
        if len(first_k) < len(rows):
            rows, inv = rows[first_k], np.asarray(inv).ravel()
        else:
            inv = None
    if len(rows):
        k = ncand[rows]
        rr = np.repeat(rows, k)
        off = sm.cand_off[wid[rows]]
        pos = np.repeat(off - (np.cumsum(k) - k), k) + np.arange(len(rr))
        S = sm.cand_ids[pos].astype(np.int64)
        SRC = sm.cand_src[pos].astype(np.int64)
        RANK = (pos - np.repeat(off, k)).astype(np.float64)
        SR = m.vocab_lm[S]
        Jq = J[rr]
        p1, p2 = R[Jq - 1], R[Jq - 2]
        bS, hbS = m._bi(SR, p1)
        tS, htS = m._tri(bS, hbS, p2)
        left = m._lp(SR, p1, p2, bS, hbS, hbo[Jq], tS, htS) - own_l[rr]
        # the best TOP_RIGHT by left probe get the right probes
        # (per slot a row of a matrix: a stable sort along the rows keeps the table's order on ties)
        nr = len(rows)
        ri = np.repeat(np.arange(nr), k)
        M = np.full((nr, int(k.max())), -np.inf)
        M[ri, pos - np.repeat(off, k)] = left
        top_c = np.argsort(-M, axis=1, kind="stable")[:, :TOP_RIGHT]
        valid = top_c < k[:, None]
        sel = ((np.cumsum(k) - k)[:, None] + top_c)[valid]  # by slot, then by left probe
        pr, s_, Jp, p1 = rr[sel], SR[sel], Jq[sel], p1[sel]
        n1, n2 = R[Jp + 1], R[Jp + 2]
        r1, r2, hb1 = right_probes(m, s_, p1, n1, n2, bS[sel], hbS[sel], B[Jp + 2], HB[Jp + 2])
        right = r1 + np.where(notend[pr], r2, 0.0) - own_r[pr]
        tot = left[sel] + right
        # best and second best per slot
        T2 = np.full(valid.shape, -np.inf)
        T2[valid] = tot
        Idx = np.zeros(valid.shape, dtype=np.int64)
        Idx[valid] = np.arange(len(sel))
        o2 = np.argsort(-T2, axis=1, kind="stable")
        at = np.arange(nr)
        top = Idx[at, o2[:, 0]]
        gain[rows] = tot[top]
        gain_l[rows] = left[sel][top]
        gain_r[rows] = right[top]
        if valid.shape[1] > 1:
            has2 = valid.sum(axis=1) > 1
            gain2[rows] = np.where(has2, tot[Idx[at, o2[:, 1]]], -10.0)
        else:
            gain2[rows] = -10.0
        best[rows] = S[sel][top]
        bsrc[rows] = SRC[sel][top]
        brank[rows] = RANK[sel][top]
        k3[rows] = hbS[sel][top]
        k4[rows] = hb1[top]
        if inv is not None:  # copy each distinct context's results to every slot that has it
            for arr in (gain, gain_l, gain_r, gain2, best, bsrc, brank, k3, k4):
                arr[rows_all] = arr[rows][inv]
            rows = rows_all
    bid = np.maximum(best, 0)
    has = best >= 0
    zipf_w = m.zipf[wid].astype(np.float64)
    zipf_c = np.where(has, m.zipf[bid].astype(np.float64), zipf_w)
    fst, lst = first[c], last[c]
    prev_id = np.where(fst, -1, vid[np.maximum(c - 1, 0)])
    next_id = np.where(lst, -1, vid[np.minimum(c + 1, nw - 1)])
    bb = np.where(has, best, -1)
    # the combiner's inputs below (symspell counts, GloVe fit) are made for every slot, or with
    # ``every`` false only for the slots it scores (the expanded ones; the others keep zeros): each
    # value is a function of its own slot, the same either way
    sub = np.arange(n) if every else rows
    ss = m.symspell_many(np.concatenate((prev_id[sub], bb[sub], prev_id[sub], wid[sub])),
                         np.concatenate((bb[sub], next_id[sub], wid[sub], next_id[sub]))).reshape(4, -1)
    ss_c = np.zeros(n)
    ss_w = np.zeros(n)
    ss_c[sub] = np.maximum(ss[0], ss[1])
    ss_w[sub] = np.maximum(ss[2], ss[3])
    # GloVe fit of the word and of its best candidate to the context window (content words within
    # WINDOW words on each side, the slot itself left out)
    # (a batch of documents laid end to end: the window stays inside the slot's own document)
    G = sm.glove
    cw = m._t_content[Tw] & (vid >= 0) & (vid < nv)
    # integer sums of the int8 vectors, offset by offset (exact: the same value alone and in a batch)
    V = np.zeros((nw + 1, G.shape[1]), dtype=np.int8)  # row nw: zeros (outside the document)
    V[:nw][cw] = G[vid[cw]]
    cs = c[sub]
    ns = len(cs)
    lo_w = np.zeros(ns, dtype=np.int64)
    hi_w = np.full(ns, nw, dtype=np.int64)
    if parts and len(parts) > 1:
        bounds = np.searchsorted(wpos, np.array([p[0] for p in parts] + [parts[-1][1]]))
        d = np.searchsorted(bounds, cs, side="right") - 1
        lo_w, hi_w = bounds[d], bounds[d + 1]
    acc = np.zeros((ns, G.shape[1]), dtype=np.int32)
    for o in range(-WINDOW, WINDOW + 1):
        if o:
            at = cs + o
            acc += V[np.where((at >= lo_w) & (at < hi_w), at, nw)]
    ctx = acc.astype(np.float32)
    cn = np.linalg.norm(ctx, axis=1) * 127.0
    cn[cn == 0] = 1.0
    Gw = np.asarray(G[wid[sub]], dtype=np.float32)
    Gc = np.asarray(G[bid[sub]], dtype=np.float32)
    fit_w = np.zeros(n, dtype=np.float32)
    fit_c = np.zeros(n, dtype=np.float32)
    fw = np.einsum("ij,ij->i", Gw, ctx) / cn
    fit_w[sub] = fw
    fit_c[sub] = np.where(has[sub], np.einsum("ij,ij->i", Gc, ctx) / cn, fw)
    # explicit LM bigrams (not backoff) around the word and around its best candidate
    bi_w = HB[J].astype(np.float64) + (HB[J + 1] & notend)
    bi_c = np.where(has, k3.astype(np.float64) + (k4 & notend), bi_w)
    # the neighbouring slots (adjacent words): tortured phrases come in runs
    adj_l = np.zeros(n, dtype=bool)
    adj_l[1:] = (c[1:] == c[:-1] + 1) & ~fst[1:]
    adj_r = np.zeros(n, dtype=bool)
    adj_r[:-1] = adj_l[1:]
    zd = zipf_c - zipf_w
    g_l = np.where(adj_l, np.roll(gain, 1), 0.0)
    g_r = np.where(adj_r, np.roll(gain, -1), 0.0)
    z_l = np.where(adj_l, np.roll(zd, 1), 0.0)
    z_r = np.where(adj_r, np.roll(zd, -1), 0.0)
    cols = {
        "fit_w": fit_w.astype(np.float64), "fit_c": fit_c.astype(np.float64),
        "fit_diff": (fit_c - fit_w).astype(np.float64), "bi_w": bi_w, "bi_c": bi_c, "bi_diff": bi_c - bi_w,
        "nb_gain": np.maximum(g_l, g_r), "nb_zipf_diff": np.maximum(z_l, z_r),
        "own_left": own_l, "own_right": own_r, "own": own_l + own_r, "own_pmi": own_l - uni_w,
        "uni_w": uni_w, "zipf_w": zipf_w, "expanded": expand.astype(np.float64),
        "log_ncand": np.log1p(ncand.astype(np.float64)), "gain": gain, "gain_left": gain_l,
        "gain_right": gain_r, "zipf_c": zipf_c, "zipf_diff": zipf_c - zipf_w,
        "src_syn": (bsrc & 1 > 0).astype(np.float64), "src_hop": (bsrc & 2 > 0).astype(np.float64),
        "src_moby": (bsrc & 4 > 0).astype(np.float64), "src_mythes": (bsrc & 8 > 0).astype(np.float64),
        "n_src": np.array([0.0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4])[bsrc & 15],
        "rank": brank / max_cand, "ss_w": ss_w, "ss_c": ss_c, "ss_diff": np.where(has, ss_c - ss_w, 0.0),
        "sent_start": fst.astype(np.float64), "gain2": gain2,
    }
    p = np.zeros(n)
    if sm.trained:  # the combiner scores the expanded slots; the others get their base rate
        p[:] = float(w_.get("p_unexpanded", 0.0))
        if len(rows):
            p[rows] = 1.0 / (1.0 + np.exp(-sm.log_odds({k: v[rows] for k, v in cols.items()})))
    return SlotColumns(m, doc, cols, p, best, wpos[c], starts, ends, (m._t_low, Tw[c]))


def _distinct_rows(np, cols: tuple) -> tuple[Any, Any]:
    """``np.unique(np.stack(cols, axis=1), axis=0, return_index=True, return_inverse=True)[1:]`` for
    integer columns, the same result: the ids (>= -2) packed 18 bits each into two keys (three
    columns per key, in order, so that the keys sort as the rows do) and sorted with a stable
    lexsort; ``np.unique`` itself when an id does not fit."""
    lo = min(int(c.min()) for c in cols)
    hi = max(int(c.max()) for c in cols)
    if lo < -2 or hi >= (1 << 18) - 2 or len(cols) != 6:
        _, first_k, inv = np.unique(np.stack(cols, axis=1), axis=0, return_index=True, return_inverse=True)
        return first_k, np.asarray(inv).ravel()
    a, b, c, d, e, f = (x.astype(np.int64) + 2 for x in cols)
    k1 = (a << 36) | (b << 18) | c
    k2 = (d << 36) | (e << 18) | f
    o = np.lexsort((k2, k1))
    new = np.ones(len(o), dtype=bool)
    new[1:] = (k1[o[1:]] != k1[o[:-1]]) | (k2[o[1:]] != k2[o[:-1]])
    inv = np.empty(len(o), dtype=np.int64)
    inv[o] = np.cumsum(new) - 1
    return o[new], inv


class SlotColumns:
    """``slot_columns`` result: feature columns ``cols``, ``p`` (p_spun), and per slot (built on first
    use) ``best`` (restoration or None), ``start``/``end`` (offsets), ``words`` (lower-case text).
    (Made with ``every=False``, the symspell and GloVe columns hold 0 for the slots not expanded.)"""

    def __init__(self, m, doc, cols, p, best_ids, wpos, starts, ends, types):
        self.m, self.doc, self.cols, self.p, self.best_ids = m, doc, cols, p, best_ids
        self._wpos, self._starts, self._ends = wpos, starts, ends
        self._types = types  # (the model's token-text list at the time, type ids): a later reset
        self._best: list[str | None] | None = None  # of the model's tables makes a new list

    @property
    def words(self) -> list[str]:
        low, ids = self._types
        return [low[t] for t in ids.tolist()]

    def name(self, k: int) -> str | None:
        b = int(self.best_ids[k])
        return None if b < 0 else self.m.word(b)

    def span(self, k: int) -> tuple[int, int]:
        i = int(self._wpos[k])
        return self._starts[i], self._ends[i]

    @property
    def best(self) -> list[str | None]:
        if self._best is None:
            self._best = [self.name(k) for k in range(len(self.best_ids))]
        return self._best

    @property
    def start(self) -> list[int]:
        return [self._starts[i] for i in self._wpos.tolist()]

    @property
    def end(self) -> list[int]:
        return [self._ends[i] for i in self._wpos.tolist()]

    def __getitem__(self, key: str):
        return getattr(self, key)


def slot_findings(doc: Document, stream: MatchStream, fb: FindingBuilder) -> list[Finding]:
    """US203 findings: slots whose p_spun reaches the calibrated threshold."""
    try:
        sm = load_slot_model()
    except (FileNotFoundError, ImportError):  # pragma: no cover - no model installed
        return []
    thr = sm.weights.get("threshold")
    if thr is None:
        return []
    from .generic import keep_on_stream

    res = slot_columns(doc, stream, sm, every=False)
    keep_on_stream(stream, "_us203_columns", res)  # the article's slots (detect/article.py) reuse these columns
    if res is None:
        return []
    flagged = sm.np.flatnonzero(res["p"] >= thr).tolist()
    if not flagged:
        return []
    from ..model import Suggestion
    from ..rewrite.case import match_case

    out = []
    cols = res["cols"]
    for k in flagged:
        best = res.name(k)
        if best is None:
            continue
        s, e = res.span(k)
        word = doc.text[s:e]
        sug = match_case(word, best)
        p = float(res["p"][k])
        gain = float(cols["gain"][k])
        ev = {"p_spun": round(p, 4), "threshold": round(float(thr), 4), "gain": round(gain, 3),
              "replaced": best}
        msg = (f"{word!r} reads like a thesaurus swap: {sug!r} fits the context "
               f"{10 ** min(gain, 9):,.0f}x better per the LM (p_spun {p:.2f}); use {sug!r}")
        out.append(fb.make(RULE, s, e, msg, suggestions=[Suggestion(sug, "thesaurus", round(p, 4))],
                           confidence=round(p, 4), evidence=ev))
    return out


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))
