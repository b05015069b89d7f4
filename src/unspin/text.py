"""Tokens with character offsets, matching-normalised token streams and sentence splitting."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from itertools import accumulate, chain, count, repeat
from operator import add, itemgetter
from typing import NamedTuple

from .model import Segment

# Words keep inner apostrophes and hyphens ("don't", "state-of-the-art"); everything else that is not
# space is a one-character punctuation token.
WORD_RE = re.compile(r"[^\W_]+(?:['’\-‐][^\W_]+)*|[^\w\s]", re.UNICODE)
_QUOTE_FOLDS = (("’", "'"), ("‘", "'"), ("‐", "-"), ("‑", "-"), ("–", "-"), ("—", "-"))


def _fold_quotes(s: str) -> str:
    """Typographic quotes and dashes as ASCII (str.replace per character present: several times
    faster than str.translate over a long text)."""
    for a, b in _QUOTE_FOLDS:
        if a in s:
            s = s.replace(a, b)
    return s

BARRIER = "¦"  # separates prose segments in the matching stream; never produced by WORD_RE on text
_SPLIT_RE = re.compile(f"({WORD_RE.pattern})", re.UNICODE)
# WORD_RE on ASCII-only text, with explicit classes (about 40% faster than the Unicode categories)
_ASCII_SPLIT_RE = re.compile(r"([A-Za-z0-9]+(?:['\-][A-Za-z0-9]+)*|[\x00-\x08\x0e-\x1b\x7f!-/:-@\[-^`{-~])")


def normalise_token(token: str) -> str:
    """Lower-case and fold typographic quotes/dashes; inner hyphens become spaces for phrase matching."""
    if not token.isascii():
        token = _fold_quotes(token)
    token = token.lower()
    if len(token) > 1 and "-" in token:
        token = token.replace("-", " ")
    return token


_INNER_HYPHEN = re.compile(r"(?<=[^\W_])-(?=[^\W_])")


def _folded_run(chunk: str) -> str:
    """Typographic quotes/dashes folded and inner hyphens spaced over a whole run of text at once, as
    ``normalise_token`` does per token but without the lower-casing (always the same length)."""
    if not chunk.isascii():
        chunk = _fold_quotes(chunk)
    if "-" in chunk:
        chunk = _INNER_HYPHEN.sub(" ", chunk)
    return chunk


def normalise_phrase(phrase: str) -> str:
    """Normalise a lexicon key exactly like text is normalised (token by token, single spaces)."""
    return " ".join(normalise_token(t) for t in WORD_RE.findall(phrase))


class Token(NamedTuple):
    text: str
    start: int
    end: int

    @property
    def is_word(self) -> bool:
        return self.text[:1].isalnum()


class MatchStream:
    """A lower-cased, single-spaced token stream over a document's prose, mapped back to offsets.

    Phrase matchers (Aho-Corasick, proximity) search ``stream``; ``span(i, j)`` maps stream offsets
    back to offsets in the original text. Segments are separated by a barrier so that no phrase is
    matched across a code block, a URL or from the title into the body. Every token is normalised by
    ``normalise_token``. ``cased`` is the same stream before lower-casing (the same words at the same
    places), for detectors that need to know how a word was written.

    Built with one regex split per segment and whole-string normalisation (no Python work per token);
    token offsets (``tokens``, ``token_starts``, ``span``, ...) are worked out from the split on first
    use.
    """

    def __init__(self, text: str, segments: Iterable[Segment]):
        self._text = text
        parts: list[str] = []
        cased: list[str] = []
        seg_pos: list[int] = []  # stream offset of each tokenised segment's first token
        segs: list[Segment] = []
        pos = 0
        nwords = 0
        split, ascii_split = _SPLIT_RE.split, _ASCII_SPLIT_RE.split
        ascii_text = text.isascii()
        pieces_of: list[list[str]] = []  # per tokenised segment: gap, token, gap, token, ..., gap
        same_len: list[bool] = []
        for seg in segments:
            if parts and not seg.joined:
                parts.append(BARRIER)
                cased.append(BARRIER)
                pos += 2
            chunk = text[seg.start:seg.end]
            pieces = ascii_split(chunk) if ascii_text or chunk.isascii() else split(chunk)
            if len(pieces) > 1:
                toks = pieces[1::2]
                folded = _folded_run(" ".join(toks))
                low = folded.lower()
                same_len.append(len(low) == len(folded))
                cased.append(folded)
                parts.append(low)
                seg_pos.append(pos)
                segs.append(seg)
                pieces_of.append(pieces)
                pos += len(low) + 1
                nwords += sum(map(str.isalnum, map(itemgetter(0), toks)))
        self.stream = " ".join(parts)
        self.cased = " ".join(cased)
        self.word_count = nwords  # prose words (tokens that start with a letter or digit)
        self._seg_pos = seg_pos
        self._segs = segs
        self._pieces = pieces_of
        self._same_len = same_len
        self._seg_offsets: dict[int, tuple[list[str], list[int], list[int], list[int]]] = {}
        self._words: set[str] | None = None
        self._tokens: list[Token] | None = None
        self._all: tuple[list[str], list[int], list[int], list[int]] | None = None
        # several documents laid end to end (``analysis._joined``): per document (first token, end
        # token, text start, text end, segments); None for one document
        self.parts: list[tuple[int, int, int, int, tuple[Segment, ...]]] | None = None

    @classmethod
    def concat(cls, text: str, streams: list[MatchStream], bases: list[int]) -> MatchStream:
        """One stream over several documents laid end to end in ``text`` (document k's text starting at
        ``bases[k]``), without tokenising again: the streams joined by a barrier (no phrase matches
        across two documents), their segments moved by the bases, the tokens those of the streams in
        order. Sentence boundaries are the reader's business (``analysis._joined`` lists where each
        document starts)."""
        new = cls.__new__(cls)
        new._text = text
        parts: list[str] = []
        cased: list[str] = []
        seg_pos: list[int] = []
        segs: list[Segment] = []
        pieces: list[list[str]] = []
        same_len: list[bool] = []
        pos = 0
        for s, base in zip(streams, bases, strict=True):
            if not s._segs:
                continue
            if parts:
                parts.append(BARRIER)
                cased.append(BARRIER)
                pos += 2
            parts.append(s.stream)
            cased.append(s.cased)
            seg_pos += [p + pos for p in s._seg_pos]
            segs += [Segment(g.start + base, g.end + base, g.field, g.joined) for g in s._segs]
            pieces += s._pieces
            same_len += s._same_len
            pos += len(s.stream) + 1
        new.stream = " ".join(parts)
        new.cased = " ".join(cased)
        new.word_count = sum(s.word_count for s in streams)
        new._seg_pos = seg_pos
        new._segs = segs
        new._pieces = pieces
        new._same_len = same_len
        new._seg_offsets = {}
        new._words = None
        new._tokens = None
        new._all = None
        new.parts = None
        return new

    def _offsets(self, k: int) -> tuple[list[str], list[int], list[int], list[int]]:
        """Segment k's token texts, start and end offsets in the text, and start offsets in ``stream``."""
        got = self._seg_offsets.get(k)
        if got is None:
            base = self._segs[k].start
            pieces = self._pieces[k]
            n = len(pieces) // 2
            toks = pieces[1::2]
            offs = list(accumulate(map(len, pieces)))  # token i = piece 2i+1 spans offs[2i]:offs[2i+1]
            starts = list(map(base.__add__, offs[0:2 * n:2]))
            ends = list(map(base.__add__, offs[1:2 * n:2]))
            # lower-casing keeps lengths unless a segment got longer (only ever by "İ" -> "i̇")
            lens = map(len, toks) if self._same_len[k] else map(len, map(str.lower, toks))
            nstarts = list(map(add, accumulate(lens, initial=self._seg_pos[k]), count()))
            got = self._seg_offsets[k] = (toks, starts, ends, nstarts[:-1])
        return got

    def _all_offsets(self) -> tuple[list[str], list[int], list[int], list[int]]:
        """Every token's text, start and end offsets in the text and start offset in ``stream``: what
        ``_offsets`` gives segment by segment, worked out for all segments in a few array operations."""
        if self._all is None:
            import numpy as np

            pieces = self._pieces
            if not pieces:
                self._all = ([], [], [], [])
                return self._all
            counts = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))
            flat = list(chain.from_iterable(pieces))
            cs = np.zeros(len(flat) + 1, dtype=np.int64)
            np.cumsum(np.fromiter(map(len, flat), dtype=np.int64, count=len(flat)), out=cs[1:])
            first = np.cumsum(counts) - counts  # each segment's first piece
            starts_of = np.fromiter((g.start for g in self._segs), dtype=np.int64, count=len(pieces))
            # the end offset of every piece in the text; a token is every second piece of a segment
            offs = cs[1:] + np.repeat(starts_of - cs[first], counts)
            tok = np.flatnonzero((np.arange(len(flat)) - np.repeat(first, counts)) & 1)
            texts: list[str] = []
            for p in pieces:
                texts += p[1::2]
            ntok = counts // 2
            # lower-casing keeps lengths unless a segment got longer (only ever by "İ" -> "i̇")
            if all(self._same_len):
                lens = cs[tok + 1] - cs[tok]
            else:
                lens = np.fromiter(chain.from_iterable(
                    map(len, p[1::2] if same else map(str.lower, p[1::2]))
                    for p, same in zip(pieces, self._same_len, strict=True)), dtype=np.int64, count=len(tok))
            c = np.zeros(len(tok) + 1, dtype=np.int64)
            np.cumsum(lens + 1, out=c[1:])
            tfirst = np.cumsum(ntok) - ntok
            seg_pos = np.asarray(self._seg_pos, dtype=np.int64)
            nstarts = c[:-1] + np.repeat(seg_pos - c[tfirst], ntok)
            self._all = (texts, offs[tok - 1].tolist(), offs[tok].tolist(), nstarts.tolist())
        return self._all

    @property
    def token_texts(self) -> list[str]:
        """The original text of every token (as ``tokens``, without building tuples)."""
        return self._all_offsets()[0]

    @property
    def token_starts(self) -> list[int]:
        return self._all_offsets()[1]

    @property
    def token_ends(self) -> list[int]:
        return self._all_offsets()[2]

    _texts, _starts, _ends = token_texts, token_starts, token_ends  # (names an earlier layout used)

    @property
    def tokens(self) -> list[Token]:
        """Every token of the prose with its original text and offsets (worked out on first use)."""
        if self._tokens is None:
            texts, starts, ends, _ = self._all_offsets()
            self._tokens = list(map(tuple.__new__, repeat(Token), zip(texts, starts, ends, strict=True)))
        return self._tokens

    @property
    def vocabulary(self) -> set[str]:
        """The set of normalised tokens, for quick 'does this word occur' tests."""
        if self._words is None:
            self._words = set(self.stream.split(" "))
        return self._words

    def token_index(self, stream_pos: int) -> int:
        """Index of the token covering stream position ``stream_pos``."""
        return bisect_right(self._all_offsets()[3], stream_pos) - 1

    def _offset(self, stream_pos: int, end: bool) -> int:
        k = max(bisect_right(self._seg_pos, stream_pos) - 1, 0)
        _, starts, ends, nstarts = self._offsets(k)
        i = bisect_right(nstarts, stream_pos) - 1
        return ends[i] if end else starts[i]

    def span(self, i: int, j: int) -> tuple[int, int]:
        """Original [start, end) for the stream range [i, j) (only the segments it touches are
        re-tokenised for offsets)."""
        return self._offset(i, False), self._offset(j - 1, True)

    def is_boundary(self, i: int, j: int) -> bool:
        """True when stream range [i, j) starts and ends on token boundaries."""
        s = self.stream
        return (i == 0 or s[i - 1] == " ") and (j == len(s) or s[j] == " ")

    def contains(self, phrase: str) -> bool:
        """Whole-token, case-insensitive containment of an already normalised phrase."""
        return phrase_in(self.stream, phrase)


def phrase_in(stream: str, phrase: str) -> bool:
    start = 0
    while True:
        i = stream.find(phrase, start)
        if i < 0:
            return False
        j = i + len(phrase)
        if (i == 0 or stream[i - 1] == " ") and (j == len(stream) or stream[j] == " "):
            return True
        start = i + 1


class LineIndex:
    """Maps string offsets to 1-based (line, column); the line starts are found on first use."""

    def __init__(self, text: str):
        self._text = text
        self._starts: list[int] | None = None

    def position(self, offset: int) -> tuple[int, int]:
        starts = self._starts
        if starts is None:
            starts = self._starts = [0] + [m.end() for m in re.finditer("\n", self._text)]
        line = bisect_right(starts, offset) - 1
        return line + 1, offset - starts[line] + 1


# (the look-behind: a run of . ! ? is tried once, from its start, so a long run costs linear time)
_SENT_RE = re.compile(r"((?<![.!?])[.!?]+[\"'”’)\]]*)\s+(?=[\"'“‘(\[]?[A-Z0-9])|\n[ \t]*\n\s*")
_ABBREV = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Sen|Rep|Gov|Gen|Col|Lt|Sgt|St|Jr|Sr|Inc|Corp|Co|Ltd|No|vs|etc|e\.g|i\.e|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|U\.S|U\.K|a\.m|p\.m)\.|\b[A-Z]\.)$"
)


def sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans of text[start:end] as (start, end) offsets.

    A fast rule-based splitter (abbreviation-aware) for the hot path: it breaks after . ! ? followed
    by space and a capital or digit, and at blank lines.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cur = start
    for m in _SENT_RE.finditer(text, start, end):
        stop = m.end(1) if m.group(1) else m.start()
        if m.group(1) and _ABBREV.search(text, max(cur, m.start() - 8), m.start() + 1):
            continue
        s, e = _strip(text, cur, stop)
        if e > s:
            spans.append((s, e))
        cur = m.end()
    s, e = _strip(text, cur, end)
    if e > s:
        spans.append((s, e))
    return spans


def _strip(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def word_count(text: str) -> int:
    return sum(1 for m in WORD_RE.finditer(text) if m.group()[:1].isalnum())
