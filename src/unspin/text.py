"""Tokens with character offsets, matching-normalised token streams and sentence splitting."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from typing import NamedTuple

from .model import Segment

# Words keep inner apostrophes and hyphens ("don't", "state-of-the-art"); everything else that is not
# space is a one-character punctuation token.
WORD_RE = re.compile(r"[^\W_]+(?:['’\-‐][^\W_]+)*|[^\w\s]", re.UNICODE)
_QUOTES = str.maketrans({"’": "'", "‘": "'", "‐": "-", "‑": "-", "–": "-", "—": "-"})
BARRIER = "¦"  # separates prose segments in the matching stream; never produced by WORD_RE on text


def normalise_token(token: str) -> str:
    """Lower-case and fold typographic quotes/dashes; inner hyphens become spaces for phrase matching."""
    if not token.isascii():
        token = token.translate(_QUOTES)
    token = token.lower()
    if len(token) > 1 and "-" in token:
        token = token.replace("-", " ")
    return token


_INNER_HYPHEN = re.compile(r"(?<=[^\W_])-(?=[^\W_])")


def _normalised_run(chunk: str) -> str | None:
    """normalise_token applied to a whole run of text at once, or None if lengths would change."""
    low = chunk.lower()
    if len(low) != len(chunk):
        return None
    if not low.isascii():
        low = low.translate(_QUOTES)
    if "-" in low:
        low = _INNER_HYPHEN.sub(" ", low)
    return low


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
    matched across a code block, a URL or from the title into the body.
    """

    def __init__(self, text: str, segments: Iterable[Segment]):
        parts: list[str] = []
        starts: list[int] = []  # stream offset where token k starts
        tokens: list[Token] = []
        pos = 0
        finditer = WORD_RE.finditer
        for seg in segments:
            if parts and not seg.joined:
                parts.append(BARRIER)
                pos += 2
            base = seg.start
            low = _normalised_run(text[base:seg.end])
            for m in finditer(text, base, seg.end):
                s, e = m.span()
                norm = low[s - base:e - base] if low is not None else normalise_token(m.group())
                starts.append(pos)
                tokens.append(Token(m.group(), s, e))
                parts.append(norm)
                pos += len(norm) + 1
        self._norm_starts = starts
        self.tokens = tokens
        self.stream = " ".join(parts)
        self._words: set[str] | None = None

    @property
    def word_count(self) -> int:
        """Prose words (tokens that start with a letter or digit)."""
        return sum(1 for t in self.tokens if t.text[:1].isalnum())

    @property
    def vocabulary(self) -> set[str]:
        """The set of normalised tokens, for quick 'does this word occur' tests."""
        if self._words is None:
            self._words = set(self.stream.split(" "))
        return self._words

    def token_index(self, stream_pos: int) -> int:
        """Index of the token covering stream position ``stream_pos``."""
        return bisect_right(self._norm_starts, stream_pos) - 1

    def span(self, i: int, j: int) -> tuple[int, int]:
        """Original [start, end) for the stream range [i, j)."""
        a = self.tokens[self.token_index(i)]
        b = self.tokens[self.token_index(j - 1)]
        return a.start, b.end

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
    """Maps string offsets to 1-based (line, column)."""

    def __init__(self, text: str):
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self._starts, offset) - 1
        return line + 1, offset - self._starts[line] + 1


_SENT_RE = re.compile(r"([.!?]+[\"'”’)\]]*)\s+(?=[\"'“‘(\[]?[A-Z0-9])|\n[ \t]*\n\s*")
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
