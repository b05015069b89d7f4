"""Word splitting for the list-free detectors (US201, US202): a document's tokens classified once per
distinct text (kind, lower-case form) and cut into the sentences the LM reads.

``split`` is the numpy split the detectors use (cached on the stream, so US201 and US202 share it);
``sentences_plain`` is the same split token by token in Python, the reference it is tested against.
A sentence ends after sentence punctuation, at a new prose segment and at a line that starts a
Markdown block; a capitalised word may be flagged only at a sentence start or in a title.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from itertools import repeat
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Document
    from ..text import MatchStream

BREAK = frozenset(".!?;:()[]{}\"“”")
BLOCK_START = re.compile(r"[#>|*+-]|\d+[.)]\s")
# token kinds (per distinct token text)
LOWER, CAPITAL, OTHER, STOP_PUNCT, PUNCT = 0, 1, 2, 3, 4


def token_kind(w: str) -> tuple[int, str]:
    """Token kind and the lower-case form the LM sees (as the split decides them)."""
    if not w[:1].isalnum():
        return (STOP_PUNCT if w in BREAK else PUNCT), w
    if w.isalpha() and w.isascii() and len(w) <= 24:
        if w.islower():
            return LOWER, w
        if w[0].isupper() and (len(w) == 1 or w[1:].islower()):
            return CAPITAL, w.lower()
    return OTHER, w.lower()


def sentences_plain(doc: Document, stream: MatchStream) -> list[list[tuple[str, Any, bool]]]:
    """sentences(), token by token in Python (the reference the numpy split is tested against)."""
    text = doc.text
    titles = [(s.start, s.end) for s in doc.segments if s.field == "title"]
    # A sentence ends at a new prose segment (paragraph, field, code or URL in between) and at a line
    # that starts a Markdown block (heading, list item, quote, table row); a plain line break inside
    # a paragraph does not end it, so hard-wrapped Markdown reads like the same text unwrapped.
    seg_starts = {s.start for s in doc.segments if not s.joined}
    out: list[list[tuple[str, Any, bool]]] = []
    cur: list[tuple[str, Any, bool]] = []
    prev_end = -1
    brk = BREAK
    find = text.find
    for tok in stream.tokens:
        w, start, end = tok
        if cur and (start in seg_starts or (
                prev_end >= 0 and find("\n", prev_end, start) >= 0 and BLOCK_START.match(text, start))):
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


def split(m: Any, doc: Document, stream: MatchStream):
    """The document's words as flat arrays, cut into sentences exactly as sentences() cuts them:
    (token texts, starts, ends, token index of each word, type id of each word, first-in-sentence,
    last-in-sentence, may-be-flagged), or None when there is no word."""
    cached = getattr(stream, "_generic_split", None)
    if cached is not None and cached[0] is m and cached[1] is doc and cached[2] == m.generation:
        return cached[3]  # US201 and US202 split the same document (type ids of this generation)
    out = split_uncached(m, doc, stream)
    try:
        stream._generic_split = (m, doc, m.generation, out)
    except AttributeError:  # pragma: no cover - a stream type without a __dict__
        pass
    return out


def split_uncached(m: Any, doc: Document, stream: MatchStream):
    np = m.np
    texts = getattr(stream, "_texts", None)
    if texts is not None:
        starts, ends = stream._starts, stream._ends
    else:  # pragma: no cover - another MatchStream layout
        toks = stream.tokens
        texts, starts, ends = [t[0] for t in toks], [t[1] for t in toks], [t[2] for t in toks]
    n = len(texts)
    if not n:
        return None
    # type ids (-1: a text not seen yet), one pass; only the new texts are added and looked up again
    T = np.fromiter(map(m._tid.get, texts, repeat(-1)), dtype=np.int64, count=n)
    miss = np.flatnonzero(T < 0)
    if len(miss):
        missing = list(map(texts.__getitem__, miss.tolist()))
        generation = m.generation
        m._add_types(texts, list(dict.fromkeys(missing)))  # (first-seen order, as _add_types finds them)
        if m.generation != generation:  # the tables were reset: every id is new
            T = np.fromiter(map(m._tid.__getitem__, texts), dtype=np.int64, count=n)
        else:
            T[miss] = list(map(m._tid.__getitem__, missing))
    kind = m._t_kind[T]
    wpos = np.flatnonzero(kind <= OTHER)
    if not len(wpos):
        return None
    # brk[k]: a sentence ends before token k (after sentence punctuation, at a new prose segment,
    # at a line that starts a Markdown block, at a new document). A batch of documents laid end to
    # end (``analysis._joined``) lists its documents in ``stream.parts``: (first token, end token,
    # text start, text end, segments) each, and every search below stays inside its part, so each
    # document is split exactly as it is alone (even when its segments are not in text order).
    brk = np.zeros(n, dtype=bool)
    np.equal(kind[:-1], STOP_PUNCT, out=brk[1:])
    text = doc.text
    match = BLOCK_START.match
    find = text.find
    parts = getattr(stream, "parts", None) or ((0, n, 0, len(text), doc.segments),)
    for lo, hi, t0, t1, segments in parts:
        if 0 < lo < n:
            brk[lo] = True
        for s in segments:
            if not s.joined:
                k = bisect_left(starts, s.start, lo, hi)
                if lo < k < hi and starts[k] == s.start:
                    brk[k] = True
        p = find("\n", t0, t1)
        while p >= 0:
            k = bisect_right(starts, p, lo, hi)  # the first token after the line break
            if k >= hi:
                break
            if k > lo and ends[k - 1] <= p and match(text, starts[k], t1):
                brk[k] = True
            p = find("\n", max(p + 1, ends[k]), t1)
    sid = np.cumsum(brk)[wpos]
    nw = len(wpos)
    first = np.empty(nw, dtype=bool)
    first[0] = True
    np.not_equal(sid[1:], sid[:-1], out=first[1:])
    last = np.empty(nw, dtype=bool)
    last[-1] = True
    last[:-1] = first[1:]
    Tw = T[wpos]
    wk = kind[wpos]
    ok = wk == LOWER
    capital = wk == CAPITAL
    if capital.any():
        cap_ok = first.copy()
        for lo, hi, _t0, _t1, segments in parts:
            for s in segments:
                if s.field == "title":  # words whose token starts inside the title
                    a, b = np.searchsorted(wpos, (bisect_left(starts, s.start, lo, hi),
                                                  bisect_left(starts, s.end, lo, hi)))
                    cap_ok[a:b] = True
        ok |= capital & cap_ok
    return texts, starts, ends, wpos, Tw, first, last, ok
