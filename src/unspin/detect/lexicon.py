"""Rule type "substitution": reviewed phrase lists compiled into one Aho-Corasick automaton.

Two row shapes are read from ``data/lexicon/*.tsv``:

* unspin's own: ``id, spun, canonical, condition, source, example_bad, example_good``;
* the Problematic Paper Screener's export: ``tortured_phrase, canonical_phrase, papers, pps_query``.

A row's condition uses the screener's query syntax: ``"X" AND "Y"`` (X counts only when the document
also contains Y), ``"X" NOT "Z"``, ``OR``, parentheses, bare words with a trailing ``*`` wildcard, and
proximity ``"a b"~N`` (the words in order, at most N extra words apart).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..model import Suggestion
from ..text import BARRIER, MatchStream, normalise_phrase, phrase_in

SCREENER_SOURCE = "pps"


@dataclass(frozen=True)
class Entry:
    id: str
    spun: str
    canonical: str
    condition: str = ""
    source: str = ""
    example_bad: str = ""
    example_good: str = ""
    weight: int = 0  # screener: papers containing the phrase; learned: times seen

    @property
    def rule(self) -> str:
        if self.source == SCREENER_SOURCE:
            return "US102"
        if self.source.startswith("learned"):
            return "US103"
        return "US101"

    def suggestions(self) -> tuple[str, ...]:
        return canonical_variants(self.canonical)


def canonical_variants(canonical: str) -> tuple[str, ...]:
    """Clean a screener canonical field into replacement strings (drop notes, split alternatives)."""
    text = re.sub(r",?\s*see https?://\S+", "", canonical).strip()
    if len(text.split()) > 8:  # a note, not a replacement ("The word 'are' as in ...")
        return ()
    out = []
    for alt in re.split(r"\s+OR\s+", text):
        alt = alt.replace("[", "").replace("]", "").strip(" ,;")
        if alt and alt not in out:
            out.append(alt)
    return tuple(out)


# ---------------------------------------------------------------------------------------------------
# Loading


def read_tsv(path: Path) -> list[Entry]:
    """Read one lexicon file in either row shape."""
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = [h.strip() for h in next(reader, [])]
        rows = [dict(zip(header, (c.strip() for c in row), strict=False)) for row in reader if row and row[0].strip()]
    if "tortured_phrase" in header:
        return [
            Entry(id=f"PPS-{n:04d}", spun=r["tortured_phrase"], canonical=r.get("canonical_phrase", ""),
                  condition=r.get("pps_query", ""), source=SCREENER_SOURCE,
                  weight=int(r["papers"]) if r.get("papers", "").isdigit() else 0)
            for n, r in enumerate(rows, 1)
        ]
    if header and not {"id", "spun", "canonical"} <= set(header):
        missing = {"id", "spun", "canonical"} - set(header)
        raise ValueError(f"{path}: lexicon header lacks {', '.join(sorted(missing))}")
    return [
        Entry(id=r["id"], spun=r["spun"], canonical=r["canonical"], condition=r.get("condition", ""),
              source=r.get("source", ""), example_bad=r.get("example_bad", ""),
              example_good=r.get("example_good", ""),
              weight=int(r["count"]) if r.get("count", "").isdigit() else 0)
        for r in rows if not r["id"].startswith("#")
    ]


def default_lexicon_files() -> list[Path]:
    from ..resources import data_path

    return sorted(data_path("lexicon").glob("*.tsv"))


# ---------------------------------------------------------------------------------------------------
# Conditions


class Query:
    """A parsed screener query; ``holds(stream)`` evaluates it against a document's match stream."""

    _TOKEN_RE = re.compile(r'"([^"]*)"(?:~(\d+))?|\(|\)|\bAND\b|\bADN\b|\bOR\b|\bNOT\b|[^\s()"]+')

    def __init__(self, text: str):
        self.text = text
        self._toks = [m for m in self._TOKEN_RE.finditer(text)]
        self._pos = 0
        self.tree = self._or() if self._toks else None
        self.head = self.tree if isinstance(self.tree, Term) else _first_term(self.tree)

    def _peek(self) -> str | None:
        return self._toks[self._pos].group(0) if self._pos < len(self._toks) else None

    def _or(self):
        node = self._and()
        while self._peek() == "OR":
            self._pos += 1
            node = ("or", node, self._and())
        return node

    def _and(self):
        node = self._unary()
        while self._peek() in ("AND", "ADN", "NOT"):
            op = self._toks[self._pos].group(0)
            self._pos += 1
            right = self._unary()
            node = ("and", node, right) if op != "NOT" else ("andnot", node, right)
        return node

    def _unary(self):
        tok = self._peek()
        if tok is None:
            return Term("", 0, False)
        m = self._toks[self._pos]
        self._pos += 1
        if tok == "(":
            node = self._or()
            if self._peek() == ")":
                self._pos += 1
            return node
        if m.group(1) is not None:
            return Term(normalise_phrase(m.group(1)), int(m.group(2)) if m.group(2) else 0, False)
        return Term(normalise_phrase(tok.rstrip("*")), 0, tok.endswith("*"))

    def holds(self, stream: str, node=None) -> bool:
        node = self.tree if node is None else node
        if node is None:
            return True
        if isinstance(node, Term):
            return node.found(stream)
        op, a, b = node
        if op == "or":
            return self.holds(stream, a) or self.holds(stream, b)
        if op == "and":
            return self.holds(stream, a) and self.holds(stream, b)
        return self.holds(stream, a) and not self.holds(stream, b)


@dataclass(frozen=True)
class Term:
    phrase: str
    slop: int
    prefix: bool

    def found(self, stream: str) -> bool:
        if not self.phrase:
            return True
        if self.slop:
            return bool(proximity_spans(stream, self.phrase.split(), self.slop))
        if self.prefix:
            return re.search(r"(?:^| )" + re.escape(self.phrase), stream) is not None
        return phrase_in(stream, self.phrase)


def _first_term(node) -> Term | None:
    while isinstance(node, tuple):
        node = node[1]
    return node


def proximity_spans(stream: str, words: list[str], slop: int) -> list[tuple[int, int]]:
    """Stream ranges where ``words`` occur in order with at most ``slop`` extra words between them."""
    toks = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", stream)]
    out = []
    for i, (s, _e, w) in enumerate(toks):
        if w != words[0]:
            continue
        k, j, extra = 1, i + 1, 0
        end = _e
        while k < len(words) and j < len(toks) and extra <= slop:
            if toks[j][2] == BARRIER or toks[j][2] in ".!?;":
                break
            if toks[j][2] == words[k]:
                k += 1
                end = toks[j][1]
            else:
                extra += 1
            j += 1
        if k == len(words) and extra <= slop:
            out.append((s, end))
    return out


# ---------------------------------------------------------------------------------------------------
# Matching


@dataclass(frozen=True)
class Hit:
    entry: Entry
    start: int  # offsets into the original text
    end: int


class Lexicon:
    """All substitution entries, compiled once into an automaton plus a few proximity rules.

    Compiling the shipped ~4,000 rows takes about 40 ms (measured; a cached automaton loaded from
    disk was no faster), so it is done once per process.
    """

    def __init__(self, entries: list[Entry]):
        self.entries = entries
        self._queries: dict[int, Query | None] = {}
        self._automaton, proximity = self._compile()
        self._proximity = [(i, self.query(i).head) for i in proximity]

    def query(self, index: int) -> Query | None:
        """The parsed condition of entry ``index`` (parsed on first use)."""
        if index not in self._queries:
            cond = self.entries[index].condition
            self._queries[index] = Query(cond) if cond else None
        return self._queries[index]

    def _compile(self) -> tuple[object, list[int]]:
        import ahocorasick

        auto = ahocorasick.Automaton()
        keyed: dict[str, list[int]] = {}
        proximity: list[int] = []
        for i, e in enumerate(self.entries):
            q = self.query(i)
            if q is not None and q.head is not None and q.head.slop and q.head.phrase:
                proximity.append(i)
                continue
            key = normalise_phrase(e.spun)
            if key:
                keyed.setdefault(key, []).append(i)
        for key, items in keyed.items():
            auto.add_word(key, [len(key), items])
        if not keyed:
            return None, proximity
        auto.make_automaton()
        return auto, proximity

    @classmethod
    def from_files(cls, paths: Iterable[Path]) -> Lexicon:
        entries: list[Entry] = []
        for p in paths:
            entries.extend(read_tsv(Path(p)))
        return cls(entries)

    def find(self, stream: MatchStream) -> list[Hit]:
        """Every entry occurrence whose condition holds, longest match first where they overlap."""
        s = stream.stream
        raw: list[tuple[int, int, Entry]] = []
        if self._automaton is not None and s:
            for end_idx, (length, items) in self._automaton.iter(s):
                i, j = end_idx - length + 1, end_idx + 1
                if not stream.is_boundary(i, j):
                    continue
                for k in items:
                    q = self.query(k)
                    if q is None or q.holds(s):
                        raw.append((i, j, self.entries[k]))
        vocab = stream.vocabulary
        for k, head in self._proximity:
            if not vocab.issuperset(head.phrase.split()):
                continue
            spans = proximity_spans(s, head.phrase.split(), head.slop)
            if spans and self.query(k).holds(s):
                raw.extend((i, j, self.entries[k]) for i, j in spans)
        # Keep the longest of overlapping matches; prefer the news lexicon on ties.
        raw.sort(key=lambda t: (t[0], -(t[1] - t[0]), t[2].rule))
        hits: list[Hit] = []
        last_end = -1
        for i, j, e in raw:
            if i < last_end:
                continue
            start, end = stream.span(i, j)
            hits.append(Hit(e, start, end))
            last_end = j
        return hits


@cache
def default_lexicon(extra: tuple[str, ...] = ()) -> Lexicon:
    """The shipped lexicons plus any extra files (learned lexicons, user lists)."""
    return Lexicon.from_files([*default_lexicon_files(), *(Path(p) for p in extra)])


def suggestion_objects(entry: Entry, matched: str) -> tuple[Suggestion, ...]:
    from ..rewrite.case import match_case

    source = "learned" if entry.rule == "US103" else "lexicon"
    return tuple(Suggestion(match_case(matched, v), source) for v in entry.suggestions())

