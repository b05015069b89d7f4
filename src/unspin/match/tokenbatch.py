"""Tokens of many texts at once, in numpy: content hashes, skeleton words, n-gram keys.

Archiving an article scans its text three times with regular expressions (``content_hash``'s
``WORD_RE``, the fingerprint's skeleton tokens, the n-gram counts' words and run breaks) and then runs
Python code per token. The same tokens follow from character classes: a word is a run of characters
that ``[^\\W_]`` matches (``str.isalnum``), with an apostrophe or hyphen (' ’ - ‐) kept when such a
character stands on both sides of it -- exactly ``[^\\W_]+(?:['’\\-‐][^\\W_]+)*``; every other
character that is neither a word character nor a space is a one-character token (``[^\\w\\s]``).
Those classes are array operations over the code points of a whole batch of texts (per code point
class tables, filled lazily from the ``str`` predicates the regular expressions use); the CRC-32 of
each word's UTF-8 bytes comes from a character-by-character loop over all words at once (each
character's CRC step from ``match.crc``'s tables), and which words are function words from a 6-bit
packing of the (short) words.

Every result is the same, bit for bit, as the per-text code it replaces (tests/test_archive_speed.py
compares them on many texts). A text this module does not take (``eligible``: a character beyond
U+FFFF, or one whose lower case is not one character or depends on its neighbours, such as "İ" or
"Σ") goes the per-text way.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Any

from .crc import tables

_FW_MAX = 10  # function words are at most this long (6 bits per character: 60 bits)
_PACK = "abcdefghijklmnopqrstuvwxyz0123456789'-"
# class bits
_ALNUM, _UPPER, _DECIMAL, _JOINER, _PUNCT, _SKEL_END, _BREAK, _OK = (1 << i for i in range(8))
_LOCK = threading.Lock()


class _Classes:
    """Per code point (U+0000..U+FFFF) tables, filled for the code points met so far."""

    def __init__(self) -> None:
        import numpy as np

        size = 1 << 16
        self.known = np.zeros(size, dtype=bool)
        self.flags = np.zeros(size, dtype=np.uint8)
        self.low = np.zeros(size, dtype=np.uint32)  # lower case (one code point when _OK)
        self.fold = np.zeros(size, dtype=np.uint32)  # the skeleton's form: lower case, ’ -> ', hyphens -> space
        self.code = np.zeros(size, dtype=np.int64)  # 6-bit packing code of the lower case (0: none)
        # UTF-8 lengths of the lower case and of the fold
        self.n_low = np.zeros(size, dtype=np.int64)
        self.n_fold = np.zeros(size, dtype=np.int64)
        self._fw: dict[frozenset[str], Any] = {}

    def function_word_codes(self, words: frozenset[str]):
        """The 6-bit packings of these function words (those that pack: at most _FW_MAX characters of
        the packing alphabet; the others can never equal a packed word), sorted."""
        import numpy as np

        got = self._fw.get(words)
        if got is None:
            fw = [sum((_PACK.index(c) + 1) << (6 * j) for j, c in enumerate(w)) for w in words
                  if len(w) <= _FW_MAX and all(c in _PACK for c in w)]
            got = self._fw[words] = np.array(sorted(fw), dtype=np.int64)
        return got

    def learn(self, cps) -> None:
        """Fill the tables for these code points (those not known yet)."""
        import numpy as np

        new = np.unique(cps[~self.known[cps]])
        for cp in new.tolist():
            ch = chr(cp)
            f = 0
            if ch.isalnum():
                f |= _ALNUM
            if ch.isupper():
                f |= _UPPER
            if ch.isdecimal():
                f |= _DECIMAL
            if ch in "'’-‐":
                f |= _JOINER
            if not ch.isalnum() and ch != "_" and not ch.isspace():
                f |= _PUNCT
            if ch in '.!?"“”':
                f |= _SKEL_END
            if ch in ".!?;:":
                f |= _BREAK
            low = ch.lower()
            if len(low) == 1 and ch != "Σ" and not 0xD800 <= cp < 0xE000:
                f |= _OK
            else:
                low = ch
            fold = low.translate(_FOLD)
            self.flags[cp] = f
            self.low[cp] = ord(low)
            self.fold[cp] = ord(fold)
            self.code[cp] = _PACK.index(low) + 1 if low in _PACK else 0
            self.n_low[cp] = len(low.encode("utf-8", "surrogatepass"))
            self.n_fold[cp] = len(fold.encode("utf-8", "surrogatepass"))
            self.known[cp] = True


_FOLD = str.maketrans({"’": "'", "‐": " ", "-": " "})
_CLASSES: _Classes | None = None


def _classes() -> _Classes:
    global _CLASSES
    if _CLASSES is None:
        with _LOCK:
            if _CLASSES is None:
                _CLASSES = _Classes()
    return _CLASSES


@dataclass
class _Batch:
    cps: Any  # code points of all texts, each followed by one space
    doc_start: Any  # offset of each text in cps (and the total length at the end)
    flags: Any  # class bits of each code point
    ws: Any  # word starts
    we: Any  # word ends (exclusive)
    wdoc: Any  # text of each word
    first: Any  # whether a word is its text's first word
    inword: Any  # whether each code point is inside a word


def _code_points(texts: list[str]):
    import numpy as np

    joined = " ".join(texts) + " "
    return np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def eligible_mask(texts: list[str]) -> list[bool]:
    """Which texts this module takes (every code point below U+10000 and with a plain lower case)."""
    import numpy as np

    if all(map(str.isascii, texts)):
        return [True] * len(texts)
    k = _classes()
    cps = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    starts = np.cumsum(lens) - lens
    big = cps > 0xFFFF
    bad = big.copy()
    small = cps[~big]
    with _LOCK:
        k.learn(small)
    bad[~big] = (k.flags[small] & _OK) == 0
    count = _prefix(bad)
    return ((count[starts + lens] - count[starts]) == 0).tolist()


def _tokenise(texts: list[str]) -> _Batch | None:
    """The words of these texts (one array pass), or None when one of them is not ``eligible``."""
    import numpy as np

    k = _classes()
    cps = _code_points(texts)
    if len(cps) and int(cps.max()) > 0xFFFF:
        return None
    with _LOCK:
        k.learn(cps)
    flags = k.flags[cps]
    if not (flags & _OK).all():
        return None
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    doc_start = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lens + 1, out=doc_start[1:])
    alnum = (flags & _ALNUM) > 0
    inword = alnum.copy()
    if len(cps) > 2:  # an apostrophe or hyphen between two word characters belongs to the word
        inword[1:-1] |= ((flags[1:-1] & _JOINER) > 0) & alnum[:-2] & alnum[2:]
    edge = np.flatnonzero(np.diff(inword.astype(np.int8), prepend=np.int8(0), append=np.int8(0)))
    ws, we = edge[0::2], edge[1::2]
    wdoc = np.searchsorted(doc_start, ws, side="right") - 1
    first = np.ones(len(ws), dtype=bool)
    first[1:] = wdoc[1:] != wdoc[:-1]
    return _Batch(cps, doc_start, flags, ws, we, wdoc, first, inword)


def _marks_between(marks, lo, hi):
    """Whether any of the (sorted) positions ``marks`` falls in [lo[i], hi[i]) for each i."""
    import numpy as np

    return np.searchsorted(marks, hi) > np.searchsorted(marks, lo)


def _prefix(mask):
    """Exclusive prefix counts: out[i] = mask[:i].sum()."""
    import numpy as np

    out = np.zeros(len(mask) + 1, dtype=np.int64)
    np.cumsum(mask, out=out[1:])
    return out


def _word_crcs(cps, ws, we, mapping, nbytes):
    """(CRC-32 of each word's UTF-8 bytes, byte length) for the words cps[ws:we], each code point
    mapped by ``mapping`` (lower case, or the skeleton's fold) whose UTF-8 lengths are ``nbytes``.

    The mapped text is encoded to UTF-8 once; the CRC then runs byte by byte over all words at once
    (zlib's table step), longest words first so the words still going are a prefix."""
    import numpy as np

    t, _ = tables()
    mapped = mapping[cps]
    single = int(mapped.max()) < 0x80 if len(mapped) else True
    if single:  # all one byte: the mapped code points are the bytes
        bs, be = ws, we
    else:
        cum = _prefix(nbytes[cps])
        bs, be = cum[ws], cum[we]
    blen = be - bs
    if not len(ws):
        return np.zeros(0, dtype=np.int64), blen
    if single:
        buf = mapped.astype(np.uint8)
    else:
        buf = np.frombuffer(mapped.tobytes().decode("utf-32-le", "surrogatepass").encode("utf-8", "surrogatepass"),
                            dtype=np.uint8)
    order = np.argsort(-blen, kind="stable")
    s_sorted = bs[order]
    maxlen = int(blen[order[0]])
    active = np.searchsorted(-blen[order], -np.arange(1, maxlen + 1), side="right").tolist()
    r = np.full(len(ws), 0xFFFFFFFF, dtype=np.int64)
    for j in range(maxlen):
        a = active[j]
        rr = r[:a]
        r[:a] = t[(rr ^ buf[s_sorted[:a] + j]) & 255] ^ (rr >> 8)
    out = np.empty_like(r)
    out[order] = r ^ 0xFFFFFFFF
    return out, blen


def _function_words(k: _Classes, cps, ws, lens, codes):
    """Whether each word (lower-cased) is a function word: words of at most _FW_MAX characters
    packed 6 bits a character (exact: a character outside the packing alphabet marks the word as
    none), longest first so the words still going at character j are a prefix."""
    import numpy as np

    short = np.flatnonzero(lens <= _FW_MAX)
    order = short[np.argsort(-lens[short], kind="stable")]
    s_sorted = ws[order]
    l_sorted = lens[order]
    packed = np.zeros(len(order), dtype=np.int64)
    maxlen = int(l_sorted[0]) if len(l_sorted) else 0
    active = np.searchsorted(-l_sorted, -np.arange(1, maxlen + 1), side="right").tolist()
    for j in range(maxlen):
        a = active[j]
        c = k.code[cps[s_sorted[:a] + j]]
        c[c == 0] = 1 << 6  # not packable: pushes the code out of the function words' range
        packed[:a] |= c << (6 * j)
    fw = np.zeros(len(ws), dtype=bool)
    fw[order] = np.isin(packed, codes)
    return fw


def _content_hashes(b: _Batch, n_texts: int) -> list[str]:
    """``archive.content_hash`` of each (eligible) text: SHA-256 of its ``WORD_RE`` tokens, lower-cased
    and joined by single spaces."""
    import numpy as np

    k = _classes()
    pp = np.flatnonzero(((b.flags & _PUNCT) > 0) & ~b.inword)  # one-character tokens
    starts = np.concatenate([b.ws, pp])
    lens = np.concatenate([b.we - b.ws, np.ones(len(pp), dtype=np.int64)])
    order = np.argsort(starts, kind="stable")
    starts, lens = starts[order], lens[order]
    tdoc = np.searchsorted(b.doc_start, starts, side="right") - 1
    # every token followed by one space, in one output array; each text's part is then a slice
    slot = lens + 1
    off = np.cumsum(slot) - slot
    out = np.full(int(slot.sum()), 32, dtype=np.uint32)
    within = np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens)
    out[np.repeat(off, lens) + within] = k.low[b.cps[np.repeat(starts, lens) + within]]
    data = out.tobytes().decode("utf-32-le", "surrogatepass")
    bounds = np.searchsorted(tdoc, np.arange(n_texts + 1)).tolist()
    offs, ends = off.tolist(), (off + lens).tolist()
    hashes = []
    for d in range(n_texts):
        t0, t1 = bounds[d], bounds[d + 1]
        piece = data[offs[t0]:ends[t1 - 1]] if t1 > t0 else ""
        hashes.append(hashlib.sha256(piece.encode("utf-8", "surrogatepass")).hexdigest())
    return hashes


def _skeleton_crcs(b: _Batch, n_texts: int, function_words: frozenset[str]) -> list[tuple[Any, Any, Any]]:
    """For each (eligible) text: (CRC-32 of the UTF-8 of each ``fingerprint.skeleton`` word, its byte
    length, a function returning the skeleton words as strings), without building the strings."""
    import numpy as np

    k = _classes()
    cps, flags, ws, we = b.cps, b.flags, b.ws, b.we
    lens = we - ws
    # a sentence starts at a text's first word, and after an end mark (. ! ? " “ ”)
    start = b.first.copy()
    start[1:] |= _marks_between(np.flatnonzero(flags & _SKEL_END), we[:-1], ws[1:])
    # a decimal digit: not all letters, and a number
    keep = _marks_between(np.flatnonzero(flags & _DECIMAL), ws, we)
    keep |= ((flags[ws] & _UPPER) > 0) & ~start
    keep |= _function_words(k, cps, ws, lens, k.function_word_codes(function_words))
    kept = np.flatnonzero(keep)
    crcs, blen = _word_crcs(cps, ws[kept], we[kept], k.fold, k.n_fold)
    kdoc = b.wdoc[kept]
    bounds = np.searchsorted(kdoc, np.arange(n_texts + 1)).tolist()
    out = []
    for d in range(n_texts):
        sel = kept[bounds[d]:bounds[d + 1]]

        def words(idx: Any = None, sel: Any = sel) -> list[str]:
            """The skeleton words (all, or those at positions ``idx``) as strings."""
            pick = sel if idx is None else sel[list(idx)]
            fold = k.fold
            return [fold[cps[s:e]].tobytes().decode("utf-32-le", "surrogatepass")
                    for s, e in zip(ws[pick].tolist(), we[pick].tolist(), strict=True)]

        out.append((crcs[bounds[d]:bounds[d + 1]], blen[bounds[d]:bounds[d + 1]], words))
    return out


def _ngram_keys(b: _Batch, n_texts: int, buckets: int) -> list[tuple[Any, list[int]]]:
    """``corpus.text_keys`` of each (eligible) text: the bucket of every 1-, 2- and 3-gram occurrence
    (CRC-32 of the lower-cased words joined by spaces, masked) and the totals per order."""
    import numpy as np

    from .crc import join_space

    k = _classes()
    cps, ws, we = b.cps, b.ws, b.we
    c1, l1 = _word_crcs(cps, ws, we, k.low, k.n_low)
    # a run break between two words: . ! ? ; : or a blank line ("\n\n")
    brk = (b.flags & _BREAK) > 0
    brk[:-1] |= (cps[:-1] == 10) & (cps[1:] == 10)
    new_run = b.first.copy()
    new_run[1:] |= _marks_between(np.flatnonzero(brk), we[:-1], ws[1:])
    run = np.cumsum(new_run)
    c2 = join_space(c1[:-1], c1[1:], l1[1:])
    c3 = join_space(c2[:-1], c1[2:], l1[2:])
    ok2 = run[:-1] == run[1:]
    ok3 = run[:-2] == run[2:]
    mask = buckets - 1
    doc = b.wdoc
    n_docs = n_texts
    parts = []
    for keys, docs in ((c1, doc), (c2[ok2], doc[:-1][ok2]), (c3[ok3], doc[:-2][ok3])):
        parts.append(((keys & mask).astype(np.int64), np.searchsorted(docs, np.arange(n_docs + 1)).tolist()))
    out = []
    for d in range(n_docs):
        pieces = [keys[bounds[d]:bounds[d + 1]] for keys, bounds in parts]
        out.append((np.concatenate(pieces), [len(p) for p in pieces]))
    return out


CHUNK = 64  # texts per array pass: their arrays stay in the CPU cache (measured: 32-64 best, 1000 is 1.4x slower)


def _each(fn: Any, texts: list[str], *args: Any) -> list[Any]:
    """``fn(batch, n, *args)`` over the texts, CHUNK at a time; None for a text not ``eligible``."""
    out: list[Any] = []
    for i in range(0, len(texts), CHUNK):
        chunk = texts[i:i + CHUNK]
        b = _tokenise(chunk)
        if b is not None:
            out.extend(fn(b, len(chunk), *args))
            continue
        ok = eligible_mask(chunk)  # some text not taken: the others on their own
        sub = [t for t, e in zip(chunk, ok, strict=True) if e]
        b = _tokenise(sub) if sub else None
        got = iter(fn(b, len(sub), *args) if b is not None else [None] * len(sub))
        out.extend(next(got) if e else None for e in ok)
    return out


def content_hashes(texts: list[str]) -> list[str | None]:
    """``archive.content_hash`` of each text (None for a text not ``eligible``)."""
    return _each(_content_hashes, texts)


def skeleton_crcs(texts: list[str], function_words: frozenset[str]) -> list[tuple[Any, Any, Any] | None]:
    """(CRC-32 and byte length of each skeleton word, words function) of each text (None: not eligible);
    ``function_words``: ``fingerprint.FUNCTION_WORDS`` (passed in: this module does not import that one)."""
    return _each(_skeleton_crcs, texts, function_words)


def _hash_and_skeleton(b: _Batch, n_texts: int, function_words: frozenset[str]) -> list[tuple[str, Any]]:
    return list(zip(_content_hashes(b, n_texts), _skeleton_crcs(b, n_texts, function_words), strict=True))


def hashes_and_skeletons(texts: list[str], function_words: frozenset[str]) -> list[tuple[str, Any] | None]:
    """(content hash, skeleton CRCs) of each text from one tokenisation (None: not eligible)."""
    return _each(_hash_and_skeleton, texts, function_words)


def ngram_keys(texts: list[str], buckets: int) -> list[tuple[Any, list[int]] | None]:
    """``corpus.text_keys`` of each text (None for a text not ``eligible``)."""
    return _each(_ngram_keys, texts, buckets)
