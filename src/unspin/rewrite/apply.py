"""Apply chosen edits to a document's text; unified diffs; safe in-place writes.

Replacements are shaped to fit where they land: the spun phrase's case carries over ("Facial
acknowledgment" -> "Facial recognition"), a base-form lexicon suggestion takes the spun word's
inflection ("scratched" -> "scraped"), an "a"/"an" before the replaced phrase is corrected, and in
HTML the replacement is escaped. Front matter is only touched inside its prose fields (title,
excerpt), and never with a replacement that would need YAML quoting.

Writes go through ``write_if_unchanged``: the file is re-read and compared with the bytes the edits
were computed from, then replaced atomically (temporary file in the same folder, fsync, rename, mode
kept). A file that changed in the meantime is not overwritten.
"""

from __future__ import annotations

import difflib
import html
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..model import Document
from .case import match_case
from .inflect import indefinite_article, inflect_like
from .suggest import Edit

_ARTICLE_BEFORE = re.compile(r"(?<![\w'’])(a|an|A|An|AN)(\s+)$")
_FIRST_WORD = re.compile(r"[\w'’\-]+")
_YAML_UNSAFE = re.compile(r"[\"'\\:#\n\r{}\[\]|>&*!%@`]")


class FileChangedError(Exception):
    """The file on disk is not the one the edits were computed from."""


@dataclass(frozen=True)
class AppliedEdit:
    """An edit as written: where it landed in the new text and what was written."""

    edit: Edit
    new_start: int
    new_end: int
    replacement: str


@dataclass(frozen=True)
class Rewrite:
    text: str
    applied: tuple[AppliedEdit, ...]
    skipped: tuple[tuple[Edit, str], ...] = ()  # edits not applied, with the reason


def shape_replacement(original: str, edit: Edit) -> str:
    """The suggestion's text fitted to the spun text's case and inflection."""
    s = edit.suggestion
    text = s.text
    if s.source in ("normalise", "grammar"):
        return text
    if s.source == "source":
        # The source's own words, as written; only a sentence-initial capital is carried over.
        if original[:1].isupper() and text[:1].islower():
            return text[:1].upper() + text[1:]
        return text
    return match_case(original, inflect_like(original, text))


def _field_of(doc: Document, start: int, end: int) -> str | None:
    for seg in doc.segments:
        if seg.start <= start and end <= seg.end:
            return seg.field
    return None


def apply_edits(doc: Document, edits: Iterable[Edit]) -> Rewrite:
    """The document's text with the edits applied (edits must not overlap; they are sorted here)."""
    text = doc.text
    out: list[str] = []
    applied: list[AppliedEdit] = []
    skipped: list[tuple[Edit, str]] = []
    pos = 0
    new_len = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < pos:
            skipped.append((edit, "overlaps an earlier change"))
            continue
        if text[edit.start:edit.end] != edit.original:
            skipped.append((edit, "the text at this position is not what was marked"))
            continue
        replacement = shape_replacement(edit.original, edit)
        field = _field_of(doc, edit.start, edit.end)
        in_front_matter = doc.kind == "markdown" and field in ("title", "excerpt")
        if in_front_matter and _YAML_UNSAFE.search(replacement):
            skipped.append((edit, "the replacement would need YAML quoting in the front matter"))
            continue
        if doc.kind == "html":
            replacement = html.escape(replacement, quote=False)
        chunk = text[pos:edit.start]
        # a/an agreement with the replacement's first word.
        if replacement and (m := _ARTICLE_BEFORE.search(chunk)) and (w := _FIRST_WORD.match(replacement)):
            glued = m.start(1) == 0 and pos > 0 and (text[pos - 1].isalnum() or text[pos - 1] in "'’")
            want = indefinite_article(w.group())
            have = m.group(1)
            if not glued and want != have.lower():
                fixed = want if have.islower() else want.upper() if len(have) > 1 and have.isupper() \
                    else want.capitalize()
                chunk = chunk[:m.start(1)] + fixed + chunk[m.end(1):]
        out.append(chunk)
        new_len += len(chunk)
        out.append(replacement)
        applied.append(AppliedEdit(edit, new_len, new_len + len(replacement), replacement))
        new_len += len(replacement)
        pos = edit.end
    out.append(text[pos:])
    return Rewrite("".join(out), tuple(applied), tuple(skipped))


def unified_diff(path: str, old: str, new: str, context: int = 3) -> str:
    """A unified diff of old -> new with a/ and b/ file names, '' when nothing changed."""
    if old == new:
        return ""
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                 fromfile=f"a/{path.lstrip('/')}", tofile=f"b/{path.lstrip('/')}", n=context)
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


# ---------------------------------------------------------------------------------------------------
# Encoding and writing back


def encode_like(original: bytes, text: str, encoding: str | None = None) -> bytes:
    """Encode ``text`` the way ``original`` was encoded (explicit encoding, UTF-16 or UTF-8 with/without BOM)."""
    if encoding:
        return text.encode(encoding)
    if original.startswith(b"\xff\xfe"):
        return b"\xff\xfe" + text.encode("utf-16-le")
    if original.startswith(b"\xfe\xff"):
        return b"\xfe\xff" + text.encode("utf-16-be")
    if original.startswith(b"\xef\xbb\xbf"):
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    return text.encode("utf-8")


def write_if_unchanged(path: str | os.PathLike, expected: bytes, data: bytes) -> None:
    """Atomically replace ``path`` with ``data`` unless it no longer holds ``expected``.

    Raises FileChangedError when the file changed since it was read; OSError from the write leaves
    the original file as it was (the temporary file is removed).
    """
    from ..fileio import atomic_write_bytes

    try:
        with open(path, "rb") as fh:
            current = fh.read()
    except FileNotFoundError:
        raise FileChangedError("the file was removed after it was read") from None
    if current != expected:
        raise FileChangedError("the file changed after it was read; run fix again")
    atomic_write_bytes(path, data)
