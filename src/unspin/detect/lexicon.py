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
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..model import Document, Finding, Suggestion
from ..text import BARRIER, MatchStream, normalise_phrase, phrase_in

if TYPE_CHECKING:  # pragma: no cover
    from ..findings import FindingBuilder

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
# The compiled table of the shipped lexicons
#
# Reading the shipped TSVs, normalising 4,000 keys and parsing their conditions takes 20-40 ms at
# every start. ``data/lexicon/compiled.json`` (built by ``scripts/build_lexicon_table.py``) holds the
# rows, the normalised keys and the proximity rows ready to load. It is used only while the size and
# CRC-32 of every shipped TSV equal the ones recorded in it; otherwise the TSVs are compiled as
# before. User lexicons (``--lexicon``, the ``lexicons`` setting) are always read and compiled at run
# time, on top of the table.

TABLE_NAME = "compiled.json"
TABLE_FORMAT = 1  # bump when the table's layout or the meaning of its keys changes
TABLE_ATTRIBUTION = (
    "Compiled from data/lexicon/*.tsv by scripts/build_lexicon_table.py; do not edit. "
    "Rows with source 'pps' (rule US102) come from the Problematic Paper Screener (Guillaume Cabanac, "
    "Cyril Labbé, Alexander Magazinov; https://dbrech.irit.fr/pls/apex/f?p=9999:5), licensed CC BY 4.0 "
    "(https://creativecommons.org/licenses/by/4.0/); the other rows are the unspin project's (MIT). "
    "See data/lexicon/README.md."
)
_TABLE_FIELDS = 8  # Entry's fields, tab-joined in one string per row


def table_path() -> Path:
    from ..resources import data_path

    return data_path("lexicon", TABLE_NAME)


def source_fingerprint(paths: Iterable[Path]) -> list[list[Any]]:
    """[file name, bytes, CRC-32] per source file: cheap to compute at start-up, changes with any edit."""
    import zlib

    out = []
    for p in paths:
        data = Path(p).read_bytes()
        out.append([Path(p).name, len(data), zlib.crc32(data)])
    return out


def build_table(paths: Iterable[Path]) -> dict[str, Any]:
    """The compiled table of these lexicon files (what the build script writes and the tests compare)."""
    paths = [Path(p) for p in paths]
    lexicon = Lexicon.from_files(paths)
    firsts = lexicon._first_words()
    if firsts is None:
        raise ValueError("a lexicon key has an empty word; the compiled table cannot hold it")
    rows = []
    for e in lexicon.entries:
        fields = [str(v) for v in astuple(e)]
        if len(fields) != _TABLE_FIELDS or any("\t" in f for f in fields):
            raise ValueError(f"entry {e.id}: cannot be stored in the compiled table")
        rows.append("\t".join(fields))
    return {
        "format": TABLE_FORMAT,
        "attribution": TABLE_ATTRIBUTION,
        "sources": source_fingerprint(paths),
        "proximity": [i for i, _ in lexicon._proximity],
        "entries": rows,
        "keys": lexicon._keys,
        "firsts": firsts,
    }


def dump_table(table: dict[str, Any]) -> str:
    """Deterministic JSON text, one entry or key per line so that rebuilds diff readably."""
    import json

    def enc(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    head = ",\n".join(f"{enc(k)}:{enc(table[k])}" for k in ("format", "attribution", "sources", "proximity"))
    entries = ",\n".join(enc(row) for row in table["entries"])
    keys = ",\n".join(f"{enc(k)}:{enc(v)}" for k, v in table["keys"].items())
    firsts = ",\n".join(f"{enc(k)}:{enc(v)}" for k, v in table["firsts"].items())
    return f'{{{head},\n"entries":[\n{entries}\n],\n"keys":{{\n{keys}\n}},\n"firsts":{{\n{firsts}\n}}}}\n'


def load_table(paths: list[Path], path: Path | None = None) -> dict[str, Any] | None:
    """The compiled table if it exists, has this format and matches ``paths`` byte for byte; else None."""
    import json

    path = table_path() if path is None else path
    try:
        fingerprint = source_fingerprint(paths)
        with open(path, encoding="utf-8") as fh:
            table = json.load(fh)
    except (OSError, ValueError):
        return None
    if not isinstance(table, dict) or table.get("format") != TABLE_FORMAT or table.get("sources") != fingerprint:
        return None
    return table


class EntryTable(Sequence[Entry]):
    """Entries made on first use from the table's rows (a check looks at a handful of the 4,000),
    followed by ``extra`` entries read at run time."""

    def __init__(self, rows: list[str], extra: Sequence[Entry] = ()):
        self._rows = rows
        self._extra = list(extra)
        self._made: dict[int, Entry] = {}

    def __len__(self) -> int:
        return len(self._rows) + len(self._extra)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
            if index < 0:
                raise IndexError("entry index out of range")
        n = len(self._rows)
        if index >= n:
            return self._extra[index - n]
        entry = self._made.get(index)
        if entry is None:
            f = self._rows[index].split("\t")
            entry = self._made[index] = Entry(*f[:7], weight=int(f[7]))
        return entry


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
    """All substitution entries: normalised keys (matched whole-token in the stream) plus a few
    proximity rules.

    Keys are found with an Aho-Corasick automaton. Building it for the shipped ~4,200 keys takes about
    8 ms, more than looking up the word n-grams of a short document in a dict, so the first documents
    (up to ``DICT_SCAN_CHARS`` of matching stream in total) are scanned that way and the automaton is
    built when that budget runs out. Both give the same matches.
    """

    DICT_SCAN_CHARS = 60_000

    def __init__(self, entries: Sequence[Entry], *,
                 compiled: tuple[dict[str, list[int]], list[int], int, dict[str, list[int]]] | None = None):
        """``compiled``: (keys, proximity rows, n, first words) of ``entries[:n]`` from the compiled
        table; the remaining entries are indexed here."""
        self.entries = entries
        self._queries: dict[int, Query | None] = {}
        firsts: dict[str, list[int]] | None = None
        if compiled is None:
            keys: dict[str, list[int]] = {}
            proximity: list[int] = []
            start = 0
        else:
            keys, proximity, start, firsts = compiled
        added = self._index(range(start, len(entries)), keys, proximity)
        self._keys = keys  # normalised key -> indices of its entries
        self._firsts = firsts if not added else None  # first word of a key -> its keys' lengths in words
        self._automaton: Any = None
        self._dict_scan_left = self.DICT_SCAN_CHARS
        self._proximity = [(i, self.query(i).head) for i in proximity]

    def query(self, index: int) -> Query | None:
        """The parsed condition of entry ``index`` (parsed on first use)."""
        if index not in self._queries:
            cond = self.entries[index].condition
            self._queries[index] = Query(cond) if cond else None
        return self._queries[index]

    def _index(self, indices: Iterable[int], keys: dict[str, list[int]], proximity: list[int]) -> bool:
        """Add entries to ``keys`` or ``proximity``; True if a key was added."""
        added = False
        for i in indices:
            q = self.query(i)
            if q is not None and q.head is not None and q.head.slop and q.head.phrase:
                proximity.append(i)
                continue
            key = normalise_phrase(self.entries[i].spun)
            if key:
                keys.setdefault(key, []).append(i)
                added = True
        return added

    def _first_words(self) -> dict[str, list[int]] | None:
        """First word of each key -> the distinct lengths, in words, of the keys starting with it;
        None if a key has an empty word (then only the automaton can find it)."""
        if self._firsts is None:
            firsts: dict[str, set[int]] = {}
            for key in self._keys:
                words = key.split(" ")
                if "" in words:
                    self._dict_scan_left = 0
                    return None
                firsts.setdefault(words[0], set()).add(len(words))
            self._firsts = {w: sorted(ns) for w, ns in sorted(firsts.items())}
        return self._firsts

    def _build_automaton(self) -> Any:
        import ahocorasick

        auto = ahocorasick.Automaton()
        add = auto.add_word
        for key, items in self._keys.items():
            add(key, (len(key), items))
        auto.make_automaton()
        return auto

    def _key_matches(self, stream: MatchStream) -> list[tuple[int, int, list[int]]]:
        """(start, end, entry indices) of every key occurring whole-token in the stream."""
        s = stream.stream
        if not self._keys or not s:
            return []
        if self._automaton is None and len(s) <= self._dict_scan_left:
            firsts = self._first_words()
            if firsts is not None:
                self._dict_scan_left -= len(s)
                return self._dict_scan(s, firsts)
        if self._automaton is None:
            self._automaton = self._build_automaton()
        out = []
        for end_idx, (length, items) in self._automaton.iter(s):
            i, j = end_idx - length + 1, end_idx + 1
            if stream.is_boundary(i, j):
                out.append((i, j, items))
        return out

    def _dict_scan(self, s: str, firsts: dict[str, list[int]]) -> list[tuple[int, int, list[int]]]:
        """What the automaton finds, by dict look-ups: a whole-token occurrence starts and ends at a
        space or an end of the stream (``MatchStream.is_boundary``), and no key has an empty word, so
        every occurrence is a run of whole space-separated words of the stream starting with a key's
        first word. (Only the order differs, and ``find`` sorts.)"""
        keys = self._keys
        words = s.split(" ")
        nwords = len(words)
        pos = 0
        out = []
        for a, w in enumerate(words):
            lengths = firsts.get(w)
            if lengths is not None:
                for n in lengths:
                    if a + n > nwords:
                        break
                    key = w if n == 1 else " ".join(words[a:a + n])
                    items = keys.get(key)
                    if items is not None:
                        out.append((pos, pos + len(key), items))
            pos += len(w) + 1
        return out

    @classmethod
    def from_files(cls, paths: Iterable[Path]) -> Lexicon:
        entries: list[Entry] = []
        for p in paths:
            entries.extend(read_tsv(Path(p)))
        return cls(entries)

    @classmethod
    def from_table(cls, table: dict[str, Any], extra: Sequence[Entry] = ()) -> Lexicon:
        """The lexicon of a compiled table (``load_table``) plus ``extra`` entries compiled now."""
        keys = {key: list(items) for key, items in table["keys"].items()} if extra else table["keys"]
        rows = table["entries"]
        return cls(EntryTable(rows, extra), compiled=(keys, list(table["proximity"]), len(rows), table["firsts"]))

    def find(self, stream: MatchStream) -> list[Hit]:
        """Every entry occurrence whose condition holds, longest match first where they overlap."""
        s = stream.stream
        raw: list[tuple[int, int, Entry]] = []
        for i, j, items in self._key_matches(stream):
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
    """The shipped lexicons (from the compiled table when it is current) plus any extra files."""
    files = default_lexicon_files()
    table = load_table(files)
    if table is None:
        return Lexicon.from_files([*files, *(Path(p) for p in extra)])
    extra_entries: list[Entry] = []
    for p in extra:
        extra_entries.extend(read_tsv(Path(p)))
    return Lexicon.from_table(table, extra_entries)


def suggestion_objects(entry: Entry, matched: str) -> tuple[Suggestion, ...]:
    from ..rewrite.case import match_case

    source = "learned" if entry.rule == "US103" else "lexicon"
    return tuple(Suggestion(match_case(matched, v), source) for v in entry.suggestions())


def lexicon_findings(doc: Document, stream: MatchStream, lexicon: Lexicon, fb: FindingBuilder) -> list[Finding]:
    """US101-US103 findings: every lexicon entry found in the document."""
    out = []
    made: dict[tuple[int, str], tuple] = {}  # a phrase repeated in one document is worded once
    for hit in lexicon.find(stream):
        e = hit.entry
        matched = doc.text[hit.start:hit.end]
        key = (id(e), matched)
        known = made.get(key)
        if known is None:
            known = made[key] = _wording(e, matched)
        msg, sugg, conf, ev = known
        out.append(fb.make(e.rule, hit.start, hit.end, msg, sugg, conf, dict(ev)))
    return out


def _wording(e: Entry, matched: str) -> tuple[str, tuple[Suggestion, ...], float, dict[str, Any]]:
    """A lexicon finding's message, suggestions, confidence and evidence for an entry and matched text."""
    sugg = suggestion_objects(e, matched)
    want = f"; use {sugg[0].text!r}" if sugg else ""
    if e.rule == "US102":
        msg = f"tortured phrase {matched!r} (Problematic Paper Screener: {e.canonical}){want}"
        conf = 0.9 if e.condition or e.weight >= 5 else 0.8
    elif e.rule == "US103":
        msg = f"{matched!r} is a learned spinner substitution{want}"
        conf = min(0.95, 0.6 + 0.05 * e.weight)
    else:
        msg = f"{matched!r} is spun wording{want}"
        conf = 0.95
    ev: dict[str, Any] = {"lexicon": e.source or "unspin", "entry": e.id}
    if e.condition:
        ev["condition"] = e.condition
    if e.weight:
        ev["weight"] = e.weight
    return msg, sugg, conf, ev


def detect(doc: Document, stream: MatchStream, fb: FindingBuilder, ctx: Any) -> list[Finding]:
    """The registry's US1xx detector (stage ``words``): the context's lexicon."""
    return lexicon_findings(doc, stream, ctx.get_lexicon(), fb)
