"""Soft evidence per candidate slot, summed over the article, and the article's most suspicious words.

A *slot* is a span of the text (a word, or a phrase a spinner's swap covers) with the best
restoration a judge found for it and the judge's probability that the span was spun::

    Slot(start, end, text, best, p_spun, margin, features)

``batch_slots`` gives every document's slots from what the list-free detectors computed on the
batch (``analysis._joined``; no second LM pass): US203's slot judge (``unspin.detect.slots``:
reverse WordNet/Moby/MyThes candidates; capitalised words inside a sentence -- names -- skipped),
every word US201 expands (its best WordNet synonym; the combiner's log-odds) and every occurrence
of a known spinner word US202 restores (its boosted-tree log-odds); where spans overlap, the higher
``p_spun`` wins. No threshold is applied: the article score and the ranking use the soft values.

* ``slot_features`` sums the slots over the article for the article scorer (``detect/scorer.py``):
  the share of slots whose restoration the judge prefers, counts per 100 words above a few
  probabilities, the mean of the top 5 / top 10, the mean log-odds -- shrunk towards a clean
  article's values for short texts (``PSEUDO_SLOTS``, ``PSEUDO_WORDS``) -- and the same counts of
  the thesaurus judge's (US203) slots alone (at p >= 0.5 and 0.9, and their positive log-odds summed,
  per 100 words): US201/US202 probabilities are calibrated on other swaps and dilute them.
* ``suspicious`` ranks the slots (highest ``p_spun`` first, US201/US202 slots read ``RANK_OFFSET``
  lower in log-odds; one per span) into the additive JSON
  field ``suspicious`` of each document: ``{"start", "end", "line", "column", "text",
  "suggestion", "score"}``, at most ``TOP`` entries, above ``MIN_SCORE``.
* ``with_corpus``: with an archive configured (``--db``), the domain n-gram counts of the archived
  originals (``unspin.match.corpus``) add a collocation term to every slot's log-odds.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from functools import partial
from itertools import compress, islice
from operator import attrgetter
from typing import Any, NamedTuple

TOP = 10
MIN_SCORE = 0.05  # a slot below this is not listed as suspicious (clean words the judge keeps)
PSEUDO_WORDS = 200  # densities are taken over words + PSEUDO_WORDS (as the scorer's finding densities)
PSEUDO_SLOTS = 20  # shares and means are shrunk towards CLEAN with this many clean slots
# typical values over clean news (Wikinews train split), the shrinkage targets
CLEAN = {"slot_share_p50": 0.004, "slot_share_p20": 0.02, "slot_mean_lo": -6.0}
FEATURES = ("slot_share_p50", "slot_share_p20", "slot_per100_p50", "slot_per100_p20", "slot_per100_p05",
            "slot_top5", "slot_top10", "slot_mean_lo", "slot_lo_excess_per100",
            "slot203_per100_p50", "slot203_per100_p90", "slot203_lo_excess_per100")
LO_FLOOR = -12.0
# the ranking reads US201/US202 slots this much lower (log-odds) than the thesaurus judge's (US203):
# fitted on the training spinners' copies (half A; evaluation/article_features.py --ranking)
RANK_OFFSET = {201.0: -1.0, 202.0: -1.0}
_P_SPUN = attrgetter("p_spun")
_START = attrgetter("start")


class Slot(NamedTuple):
    """One candidate slot (a NamedTuple: a batch makes them by the ten thousand)."""

    start: int
    end: int
    text: str
    best: str | None  # None: the judge has no restoration for this slot
    p_spun: float
    margin: float  # the judge's own margin (US201/US202: log-odds; unspin.detect.slots: LM gain, log10)
    features: dict[str, float] = {}  # noqa: RUF012 - never mutated; which judge made the slot


def _logit(p: float) -> float:
    """log(p / (1 - p)), at least LO_FLOOR and at most -LO_FLOOR."""
    p = min(max(p, 1e-6), 1 - 1e-6)
    return max(LO_FLOOR, min(-LO_FLOOR, math.log(p / (1 - p))))


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


# ---------------------------------------------------------------------------------------------------
# Slots from the list-free detectors (US201 and US202)


def score_slots(doc: Any, stream: Any) -> list[Slot]:
    """The slots of one document (see the module doc)."""
    return batch_slots(doc, stream, [0], [doc])[0]


def batch_slots(joined: Any, stream: Any, bases: list[int], docs: list[Any]) -> list[list[Slot]]:
    """The slots of each document of a batch laid end to end (``analysis._joined``): the slot judge's
    (``unspin.detect.slots``, when installed) and the US201 / US202 scores, from what the detectors
    left on the joined stream (computed here when they did not run); one slot per span.

    Every judge's slots are columns (numpy) over the whole batch; ``_keep_one_per_span`` picks the
    slots to keep there, and only those become ``Slot`` objects (with their restoration's word)."""
    import numpy as np

    text = joined.text
    # per judge: starts, ends, p_spun, margin, the judge's features dict, and the restorations of
    # slots k (a function of an index array: a list of str or None)
    cols: list[tuple[Any, Any, Any, Any, dict[str, float], Any]] = []
    res = getattr(stream, "_us203_columns", False)
    if res is False:
        res = _us203(joined, stream)
    if res is not None:
        w = res._wpos
        starts = _pick(np, res._starts, w)
        upper = [k for k, a in enumerate(starts.tolist()) if text[a].isupper() and _name_like(text, a)]
        if upper:  # capitalised inside a sentence: a name, not a slot
            keep = np.ones(len(w), dtype=bool)
            keep[upper] = False
            kk = np.flatnonzero(keep)
            w, starts = w[kk], starts[kk]
            p, gain, best_ids = res["p"][kk], res["cols"]["gain"][kk], res.best_ids[kk]
        else:
            p, gain, best_ids = res["p"], res["cols"]["gain"], res.best_ids
        cols.append((starts, _pick(np, res._ends, w), p, gain, _US203, _namer(res.m, best_ids, best_ids >= 0)))
    sc = getattr(stream, "_us201_scored", False)
    if sc is False:
        sc = _us201(joined, stream)
    if sc is not None and sc.get("score") is not None:
        from .generic import load_model

        ks = sc["wpos"][sc["f"]]
        lo = sc["score"]
        # the restoration's word only where it may be shown or moved by the archive (p >= ~0.007)
        cols.append((_pick(np, sc["starts"], ks), _pick(np, sc["ends"], ks), [_sigmoid(x) for x in lo.tolist()],
                     lo, _US201, _namer(load_model(), sc["sub"], lo > -5.0)))
    us202 = getattr(stream, "_us202_scored", False)
    if us202 is False:
        us202 = _us202(joined, stream)
    if us202 is not None:
        found, scores = us202
        occ, opts, best_, starts_, ends_, wpos_ = found._details[:6]  # (what found.row(i) reads)
        texts = [opts[k].texts[b.option] for (_j, _n, k), b in zip(occ, best_, strict=True)]
        cols.append(([starts_[wpos_[j]] for j, _n, _k in occ], [ends_[wpos_[j + n - 1]] for j, n, _k in occ],
                     [_sigmoid(x) for x in scores.tolist()], scores, _US202,
                     lambda idx, texts=texts: [texts[i] for i in idx.tolist()]))
    out: list[list[Slot]] = [[] for _ in docs]
    if not cols:
        return out
    start = np.concatenate([np.asarray(c[0], dtype=np.int64) for c in cols])
    end = np.concatenate([np.asarray(c[1], dtype=np.int64) for c in cols])
    p = np.concatenate([np.asarray(c[2], dtype=np.float64) for c in cols])
    kept = _keep_one_per_span(np, start, end, p)
    slow = kept is None  # (spans of no length: the plain greedy, document by document)
    if slow:
        kept = np.arange(len(start))
    # the kept slots' fields, judge by judge (in text order below)
    sizes = np.cumsum([0] + [len(c[0]) for c in cols])
    judge = np.searchsorted(sizes, kept, side="right") - 1
    margin = np.empty(len(kept))
    best: list[Any] = [None] * len(kept)
    made: list[Any] = [None] * len(kept)
    for j, c in enumerate(cols):
        at = np.flatnonzero(judge == j)
        idx = kept[at] - sizes[j]
        margin[at] = np.asarray(c[3], dtype=np.float64)[idx]
        for i, b in zip(at.tolist(), c[5](idx), strict=True):
            best[i] = b
        for i in at.tolist():
            made[i] = c[4]
    ks, ke = start[kept], end[kept]
    bases_a = np.asarray(bases, dtype=np.int64)
    which = np.searchsorted(bases_a, ks, side="right") - 1
    base = bases_a[which]
    make = partial(tuple.__new__, Slot)  # (Slot(...) without the Python-level __new__)
    slots = list(map(make, zip((ks - base).tolist(), (ke - base).tolist(), [text[a:b] for a, b in
                                                                          zip(ks.tolist(), ke.tolist(), strict=True)],
                               best, p[kept].tolist(), margin.tolist(), made, strict=True)))
    if slow:
        for k, s in zip(which.tolist(), slots, strict=True):
            out[k].append(s)
        return [_one_per_span(s) for s in out]
    cut = np.searchsorted(which, np.arange(len(docs) + 1)).tolist()
    return [slots[cut[k]:cut[k + 1]] for k in range(len(docs))]


def _pick(np: Any, values: list[int], idx: Any):
    """values[idx] of a list of ints (token offsets) and an index array, as an array."""
    return np.fromiter(map(values.__getitem__, idx.tolist()), dtype=np.int64, count=len(idx))


def _namer(m: Any, ids: Any, shown: Any):
    """The restorations of slots (their vocabulary ids ``ids``, None where not ``shown``) by index."""

    def names(idx: Any) -> list[str | None]:
        word = m.word
        return [word(i) if s else None for i, s in zip(ids[idx].tolist(), shown[idx].tolist(), strict=True)]

    return names


def _keep_one_per_span(np: Any, start: Any, end: Any, p: Any):
    """The slots ``_one_per_span`` keeps (indices, in text order), computed on columns: the greedy
    (highest p_spun first; ties: lower start, then the earlier slot) only decides inside groups of
    slots linked by overlaps, and is run in Python only in groups of different spans; in a group of
    one span the slot of highest p_spun (the first of equals) wins. None when a slot has no length
    (the greedy's overlap test is not symmetric there: callers run ``_one_per_span`` instead)."""
    n = len(start)
    if not n:
        return np.zeros(0, dtype=np.int64)
    if (end <= start).any():
        return None
    order = np.lexsort((np.arange(n), start))  # by start, then slot order
    st, en = start[order], end[order]
    runmax = np.maximum.accumulate(en)
    new = np.ones(n, dtype=bool)
    new[1:] = st[1:] >= runmax[:-1]  # no slot before reaches this one: a new group
    grp = np.empty(n, dtype=np.int64)
    grp[order] = np.cumsum(new) - 1
    size = np.bincount(grp)
    # groups of one span: all their slots have the group's first start and the group's max end
    gfirst = st[new]
    gmax = np.maximum.reduceat(en, np.flatnonzero(new))
    same = np.ones(len(size), dtype=bool)
    np.logical_and.at(same, grp, (start == gfirst[grp]) & (end == gmax[grp]))
    # in every group, slots by p_spun (highest first), then start, then slot order
    by = np.lexsort((np.arange(n), start, -p, grp))
    head = np.ones(n, dtype=bool)
    head[1:] = grp[by[1:]] != grp[by[:-1]]
    single = same[grp[by]]
    keep = by[head & single]
    mixed = by[~single]
    if len(mixed):
        from bisect import bisect_right

        extra = []
        cur = -1
        starts: list[int] = []
        ends: list[int] = []
        for i, g, a, b in zip(mixed.tolist(), grp[mixed].tolist(), start[mixed].tolist(), end[mixed].tolist(),
                              strict=True):
            if g != cur:
                cur, starts, ends = g, [], []
            k = bisect_right(starts, a)
            if k and ends[k - 1] > a:
                continue
            if k < len(starts) and starts[k] < b:
                continue
            starts.insert(k, a)
            ends.insert(k, b)
            extra.append(i)
        keep = np.concatenate((keep, np.asarray(extra, dtype=np.int64)))
    return keep[np.argsort(start[keep], kind="stable")]


_US201 = {"judge": 201.0}  # Slot.features: which judge made the slot (shared, never mutated)
_US202 = {"judge": 202.0}
_US203 = {"judge": 203.0}


def _name_like(text: str, start: int) -> bool:
    """A capitalised word that does not start a sentence, paragraph or quote: likely a name."""
    if not text[start:start + 1].isupper():
        return False
    k = start - 1
    while k >= 0 and text[k] in " \t":
        k -= 1
    return k >= 0 and text[k] not in ".!?:\"“'‘\n([#>*-"


def _us203(doc: Any, stream: Any):
    """The slot judge's columns (``unspin.detect.slots.slot_columns``), None when it is not installed."""
    try:
        from .slots import load_slot_model, slot_columns

        sm = load_slot_model()
        if not sm.trained:
            return None
        return slot_columns(doc, stream, sm, every=False)  # (p, gain and the best candidates are read)
    except (FileNotFoundError, ImportError):
        return None


def _us201(doc: Any, stream: Any):
    try:
        from .generic import load_model, score_words

        m = load_model()
        if not m.weights:
            return None
        with m.lock:
            return score_words(m, doc, stream)
    except (FileNotFoundError, ImportError):
        return None


def _us202(doc: Any, stream: Any):
    try:
        from .spinmap import load_spinmap, occurrences

        smap = load_spinmap()
        if not smap.weights:
            return None
        found = occurrences(doc, stream, smap)
    except (FileNotFoundError, ImportError, ValueError, KeyError):
        return None
    return None if found is None else (found, smap.score(found.columns))


def _one_per_span(slots: list[Slot]) -> list[Slot]:
    """Overlapping slots (the same word from two judges, a US202 phrase over a word): taken by
    p_spun, highest first, each unless it overlaps one taken before; in text order."""
    slots.sort(key=lambda s: (-s.p_spun, s.start))
    starts: list[int] = []  # the kept slots, sorted by start (they do not overlap)
    kept: list[Slot] = []
    for s in slots:
        i = bisect_right(starts, s.start)
        if i and kept[i - 1].end > s.start:
            continue
        if i < len(starts) and starts[i] < s.end:
            continue
        starts.insert(i, s.start)
        kept.insert(i, s)
    return kept


# ---------------------------------------------------------------------------------------------------
# Archive as a corpus: domain collocation evidence


CORPUS_WEIGHT = 0.5  # log-odds per natural-log unit of domain n-gram gain (see docs/evaluation-article.md)
CORPUS_CAP = 4.0


def with_corpus(doc: Any, slots: list[Slot], corpus: Any) -> list[Slot]:
    """Slots with the domain collocation term added to their log-odds: how much more often the
    archived originals show the restoration than the observed word between the same neighbours
    (``CorpusCounts.gain``), capped, times ``CORPUS_WEIGHT``."""
    if corpus is None or not slots or not corpus.documents:
        return slots
    from ..text import WORD_RE

    text = doc.text
    ctx: list[tuple[list[str], list[str], list[str], list[str]] | None] = []
    grams: list[tuple[str, ...]] = []
    for s in slots:
        if not s.best:
            ctx.append(None)
            continue
        left = [m.group().lower() for m in WORD_RE.finditer(text, max(0, s.start - 40), s.start)][-2:]
        right = [m.group().lower() for m in WORD_RE.finditer(text, s.end, s.end + 40)][:2]
        obs, res = s.text.lower().split(), s.best.lower().split()
        ctx.append((left, obs, res, right))
        grams += corpus.windows(left, obs, right)
        grams += corpus.windows(left, res, right)
    corpus.fetch(grams)  # one query per 500 n-grams for the whole document
    out = []
    for s, c in zip(slots, ctx, strict=True):
        if c is None:
            out.append(s)
            continue
        g = corpus.gain(*c)
        g = max(-CORPUS_CAP, min(CORPUS_CAP, g))
        lo = _logit(s.p_spun) + CORPUS_WEIGHT * g
        out.append(Slot(s.start, s.end, s.text, s.best, _sigmoid(lo), s.margin, s.features | {"corpus_gain": g}))
    return out


# ---------------------------------------------------------------------------------------------------
# Article features and the ranking


def slot_features(slots: list[Slot], words: int) -> dict[str, float]:
    """Document features from the slots of one article (see the module doc)."""
    import numpy as np

    n = len(slots)
    ps = sorted(map(_P_SPUN, slots), reverse=True)
    per = 100.0 / (max(words, 0) + PSEUDO_WORDS)
    pa = np.clip(np.asarray(ps, dtype=np.float64), 1e-6, 1 - 1e-6)
    k50 = int((pa >= 0.5).sum())
    k20 = int((pa >= 0.2).sum())
    k05 = int((pa >= 0.05).sum())
    lo = np.clip(np.log(pa / (1 - pa)), LO_FLOOR, -LO_FLOOR)
    # the thesaurus judge's slots alone (US203): its p_spun is the one trained on thesaurus swaps
    p203 = np.clip(np.asarray([s.p_spun for s in slots if s.features.get("judge") == 203.0], dtype=np.float64),
                   1e-6, 1 - 1e-6)
    lo203 = np.clip(np.log(p203 / (1 - p203)), LO_FLOOR, -LO_FLOOR)
    return {
        "slot_share_p50": (k50 + PSEUDO_SLOTS * CLEAN["slot_share_p50"]) / (n + PSEUDO_SLOTS),
        "slot_share_p20": (k20 + PSEUDO_SLOTS * CLEAN["slot_share_p20"]) / (n + PSEUDO_SLOTS),
        "slot_per100_p50": per * k50,
        "slot_per100_p20": per * k20,
        "slot_per100_p05": per * k05,
        "slot_top5": sum(ps[:5]) / 5.0,
        "slot_top10": sum(ps[:10]) / 10.0,
        "slot_mean_lo": (float(lo.sum()) + PSEUDO_SLOTS * CLEAN["slot_mean_lo"]) / (n + PSEUDO_SLOTS),
        "slot_lo_excess_per100": per * float(np.maximum(lo + 2.0, 0.0).sum()),
        "slot203_per100_p50": per * float((p203 >= 0.5).sum()),
        "slot203_per100_p90": per * float((p203 >= 0.9).sum()),
        "slot203_lo_excess_per100": per * float(np.maximum(lo203, 0.0).sum()),
    }


def _rank(s: Slot) -> float:
    """The ranking's key: the slot's log-odds, US201/US202 slots ``RANK_OFFSET`` lower."""
    return _logit(s.p_spun) + RANK_OFFSET.get(s.features.get("judge", 0.0), 0.0)


def suspicious(slots: list[Slot], lines: Any, top: int = TOP, min_score: float = MIN_SCORE) -> list[dict[str, Any]]:
    """The ``top`` most suspicious slots, most suspicious first, as JSON-ready dicts (``lines``: a
    ``text.LineIndex`` of the document, for line and column)."""
    likely = compress(slots, map(float(min_score).__le__, map(_P_SPUN, slots)))  # p_spun >= min_score
    # by the judge-adjusted log-odds (RANK_OFFSET), highest first, then start (two stable sorts), and the
    # first ``top`` of those that suggest another word
    order = sorted(sorted(likely, key=_START), key=_rank, reverse=True)
    shown = (s for s in order if s.best and s.best.lower() != s.text.lower())
    ranked = list(islice(shown, top)) if top >= 0 else list(shown)[:top]
    out = []
    from ..rewrite.case import match_case

    for s in ranked:
        line, col = lines.position(s.start)
        out.append({"start": s.start, "end": s.end, "line": line, "column": col, "text": s.text,
                    "suggestion": match_case(s.text, s.best), "score": round(s.p_spun, 4)})
    return out
