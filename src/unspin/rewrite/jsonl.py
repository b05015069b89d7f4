"""Rewrite a JSONL feed record by record, changing only the bytes of the prose that changed.

A record is checked as a document whose text is its ``title``, ``excerpt`` and ``text`` (or ``body``)
fields joined by blank lines (``document.record_document``). ``fix_feed`` applies each record's edits to
that text as usual, then carries every change back into the record's JSON string literals: the
changed characters are escaped the way ``json.dumps`` does and spliced into the literal in place, so
the rest of the literal (its escapes included), the other fields, the key order, the spacing and
every other line stay byte for byte as they were. A record without changes is not touched at all.

Non-ASCII characters in a replacement are written raw when the literal (or else the line, or else the
file) already has raw non-ASCII text, and as ``\\uXXXX`` escapes otherwise (``json.dumps``'s default).

Blank lines are kept; a line that is not a JSON object with a ``text`` string is kept as it is and
reported like ``unspin check`` reports it (``feed.jsonl#LINE``, "not valid JSON (...)").
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from json.decoder import scanstring
from typing import Any

from ..document import jsonl_record, record_document, record_path
from ..model import Document, InputError

_WS = " \t\n\r"
_NON_ASCII_ESCAPE = re.compile(r"\\u(?:00[89a-fA-F][0-9a-fA-F]|0[1-9a-fA-F][0-9a-fA-F]{2}|[1-9a-fA-F][0-9a-fA-F]{3})")
_RAW_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@dataclass
class RecordFix:
    """One record's outcome: its line number, document and fix (``pipeline.DocumentFix``)."""

    lineno: int
    document: Document
    fix: Any
    new_document: Document | None = None  # the record as rewritten (None when unchanged)


@dataclass
class FeedFix:
    """A whole feed's outcome: the new text, each record's fix, and the lines that were not records."""

    text: str
    records: list[RecordFix] = field(default_factory=list)
    problems: list[InputError] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(r.new_document is not None for r in self.records)


def fix_feed(text: str, path: str, fix_record: Callable[[Document], Any]) -> FeedFix:
    """Rewrite every record of the JSONL ``text``; ``fix_record(doc)`` returns a ``DocumentFix``."""
    out: list[str] = []
    result = FeedFix(text)
    file_raw = bool(_RAW_NON_ASCII.search(text))
    for lineno, line in enumerate(text.split("\n"), 1):
        body, cr = (line[:-1], "\r") if line.endswith("\r") else (line, "")
        if not body.strip():
            out.append(line)
            continue
        where = record_path(path, lineno)
        got = jsonl_record(body, path, lineno)
        if isinstance(got, InputError):
            result.problems.append(got)
            out.append(line)
            continue
        rec, doc = got
        try:
            fixed = fix_record(doc)
        except Exception as exc:  # a bug: this record is kept as it was and reported, the others fixed
            from ..failures import failure

            result.problems.append(failure(where, exc, "could not be fixed (record left unchanged)"))
            out.append(line)
            continue
        record = RecordFix(lineno, doc, fixed)
        result.records.append(record)
        if not fixed.rewrite.splices:
            out.append(line)
            continue
        try:
            new_body, new_rec = rewrite_record(body, rec, doc, fixed.rewrite.splices, file_raw=file_raw)
        except _CannotMap as exc:  # defensive: the record is left as it was, and said so
            result.problems.append(InputError(where, f"not rewritten: {exc}"))
            out.append(line)
            continue
        if new_body != body:
            record.new_document = record_document(new_rec, where, lineno)
        out.append(new_body + cr)
    result.text = "\n".join(out)
    return result


class _CannotMap(Exception):
    """A change that cannot be carried back into the record's JSON (should not happen)."""


def record_fields(rec: dict[str, Any]) -> list[tuple[str, str]]:
    """The (key, value) fields a record's document is made of, in order (as ``record_document`` joins them)."""
    parts: list[tuple[str, str]] = []
    for key in ("title", "excerpt"):
        value = rec.get(key)
        if isinstance(value, str) and value:
            parts.append((key, value))
    key = "text" if "text" in rec else "body"
    parts.append((key, rec[key]))
    return parts


def rewrite_record(line: str, rec: dict[str, Any], doc: Document, splices, *, file_raw: bool = False
                   ) -> tuple[str, dict[str, Any]]:
    """The record's line with ``splices`` (offsets in ``doc.text``) applied inside its string literals."""
    parts = record_fields(rec)
    if "\n\n".join(v for _, v in parts) != doc.text:
        raise _CannotMap("the record's fields do not make up its text")
    bases: list[tuple[str, int, int]] = []
    pos = 0
    for key, value in parts:
        bases.append((key, pos, pos + len(value)))
        pos += len(value) + 2
    per_field: dict[str, list[tuple[int, int, str]]] = {}
    for s, e, new in splices:
        owner = next(((k, b) for k, b, end in bases if b <= s and e <= end), None)
        if owner is None:
            raise _CannotMap("a change runs across two fields")
        per_field.setdefault(owner[0], []).append((s - owner[1], e - owner[1], new))
    literals = string_literals(line)
    line_raw = bool(_RAW_NON_ASCII.search(line))
    line_escaped = bool(_NON_ASCII_ESCAPE.search(line))
    edits: list[tuple[int, int, str]] = []
    new_rec = dict(rec)
    for key, changes in per_field.items():
        if key not in literals:
            raise _CannotMap(f"the {key!r} string was not found in the line")
        ls, le = literals[key]
        raw = line[ls + 1:le - 1]
        value = rec[key]
        index = _char_offsets(raw)
        if len(index) != len(value) + 1:
            raise _CannotMap(f"the {key!r} string could not be mapped")
        # Non-ASCII as the file has it: raw or escaped, judged by the literal, else the line, else the file.
        if _RAW_NON_ASCII.search(raw) or _NON_ASCII_ESCAPE.search(raw):
            ensure_ascii = not _RAW_NON_ASCII.search(raw)
        elif line_raw or line_escaped:
            ensure_ascii = not line_raw
        else:
            ensure_ascii = not file_raw
        new_raw, new_value, prev_raw, prev_val = [], [], 0, 0
        for s, e, new in sorted(changes):
            new_raw += [raw[prev_raw:index[s]], json.dumps(new, ensure_ascii=ensure_ascii)[1:-1]]
            new_value += [value[prev_val:s], new]
            prev_raw, prev_val = index[e], e
        new_raw.append(raw[prev_raw:])
        new_value.append(value[prev_val:])
        new_rec[key] = "".join(new_value)
        edits.append((ls + 1, le - 1, "".join(new_raw)))
    new_line = line
    for s, e, new in sorted(edits, reverse=True):
        new_line = new_line[:s] + new + new_line[e:]
    reread = json.loads(new_line)
    if list(reread) != list(rec) or any(reread[k] != new_rec[k] for k in per_field):
        raise _CannotMap("the rewritten line does not read back as the rewritten record")
    return new_line, new_rec


def string_literals(line: str) -> dict[str, tuple[int, int]]:
    """[start, end) of each top-level string value of the JSON object on ``line``, quotes included
    (the last one for a repeated key, as json.loads keeps)."""
    decoder = json.JSONDecoder()
    out: dict[str, tuple[int, int]] = {}
    i = _skip(line, 0)
    if line[i:i + 1] != "{":
        return out
    i = _skip(line, i + 1)
    if line[i:i + 1] == "}":
        return out
    while i < len(line):
        if line[i] != '"':
            break
        key, i = scanstring(line, i + 1)
        i = _skip(line, i)
        if line[i:i + 1] != ":":
            break
        i = _skip(line, i + 1)
        start = i
        if line[i:i + 1] == '"':
            _, i = scanstring(line, i + 1)
            out[key] = (start, i)
        else:
            _, i = decoder.raw_decode(line, i)
            out.pop(key, None)
        i = _skip(line, i)
        if line[i:i + 1] != ",":
            break
        i = _skip(line, i + 1)
    return out


def _skip(line: str, i: int) -> int:
    while i < len(line) and line[i] in _WS:
        i += 1
    return i


def _char_offsets(raw: str) -> list[int]:
    """For each character of the decoded string literal ``raw`` (without quotes), where it starts in
    ``raw``; plus ``len(raw)`` at the end. A surrogate pair escape is one character."""
    index: list[int] = []
    i, n = 0, len(raw)
    while i < n:
        index.append(i)
        if raw[i] != "\\":
            i += 1
        elif raw[i + 1:i + 2] != "u":
            i += 2
        else:
            code = int(raw[i + 2:i + 6], 16)
            i += 6
            if 0xD800 <= code <= 0xDBFF and raw[i:i + 2] == "\\u":
                low = int(raw[i + 2:i + 6], 16)
                if 0xDC00 <= low <= 0xDFFF:
                    i += 6
    index.append(n)
    return index
