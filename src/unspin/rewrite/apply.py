"""Apply chosen edits to a document's text; unified diffs; safe in-place writes.

Replacements are shaped to fit where they land: the spun phrase's case carries over ("Facial
acknowledgment" -> "Facial recognition"), a base-form lexicon suggestion takes the spun word's
inflection ("scratched" -> "scraped"), an "a"/"an" before the replaced phrase is corrected, and in
HTML the replacement is escaped. Front matter is only touched inside its prose fields (title,
excerpt), and never with a replacement that would need YAML quoting.

Markup inside a marked span survives (HTML, Markdown and JSONL records): in HTML an inline tag or an
entity does not split a phrase, so "<em>prime</em> pastor" can be marked as a whole. The replacement
goes into the words between the tags, word by word when it has as many words as the span ("<em>
prime</em> minister"); otherwise the tags move to the edges of the replacement (opening tags before,
closing tags after, so nothing is lost or left unbalanced). Markdown emphasis delimiters (``*``, ``_``,
``~``) at a word's edge count as tags. An entity between the words is kept in place in the first case;
in the second the edit is skipped rather than dropping it.

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
# The same with inline markup allowed between the article and the phrase ("an <em>enormous</em>").
_ARTICLE_BEFORE_MARKUP = re.compile(r"(?<![\w'’])(a|an|A|An|AN)((?:\s|<[A-Za-z/][^<>\n]*>|[*_])+)$")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_MARKUP_KINDS = frozenset({"html", "markdown", "jsonl"})
_TAG_OR_ENTITY = r"<!--.*?-->|</?[A-Za-z][^<>]*>|&#?\w+;"
_HTML_MARKUP_RE = re.compile(_TAG_OR_ENTITY, re.S)
_MD_MARKUP_RE = re.compile(_TAG_OR_ENTITY + r"|[*_~]+", re.S)
_VOID_TAGS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                        "track", "wbr"})
_TAG_NAME = re.compile(r"</?([A-Za-z][\w:-]*)")
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
    # Every change as (start, end, new text) in the ORIGINAL text's offsets, in order: the applied edits
    # and the a/an corrections next to them. Lets a caller re-apply the rewrite to another copy of the
    # same text (a JSONL record's fields inside their JSON string literals).
    splices: tuple[tuple[int, int, str], ...] = ()


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
    return match_case(original, inflect_like(original, text, known_word))


def known_word(word: str) -> bool:
    """Whether a lower-case word is in the generic model's vocabulary (the LM's words and wordfreq's
    top 60,000; ``models/generic``); every word counts as known without the model."""
    try:
        from ..detect.generic import load_model

        return bool(load_model().ids([word])[0] >= 0)
    except (FileNotFoundError, ImportError, OSError):
        return True


def _field_of(doc: Document, start: int, end: int) -> str | None:
    for seg in doc.segments:
        if seg.start <= start and end <= seg.end:
            return seg.field
    return None


def apply_edits(doc: Document, edits: Iterable[Edit]) -> Rewrite:
    """The document's text with the edits applied (edits must not overlap; they are sorted here)."""
    text = doc.text
    markup_re = _markup_re(doc.kind)
    out: list[str] = []
    applied: list[AppliedEdit] = []
    skipped: list[tuple[Edit, str]] = []
    splices: list[tuple[int, int, str]] = []
    pos = 0
    new_len = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < pos:
            skipped.append((edit, "overlaps an earlier change"))
            continue
        if text[edit.start:edit.end] != edit.original:
            skipped.append((edit, "the text at this position is not what was marked"))
            continue
        pieces = _markup_pieces(edit.original, markup_re) if markup_re is not None else []
        if pieces:
            fitted = _fit_around_markup(edit, pieces, doc.kind)
            if isinstance(fitted, str):
                skipped.append((edit, fitted))
                continue
            shaped, replacement = fitted
        else:
            shaped = replacement = shape_replacement(edit.original, edit)
        field = _field_of(doc, edit.start, edit.end)
        in_front_matter = doc.kind == "markdown" and field in ("title", "excerpt")
        if in_front_matter and _YAML_UNSAFE.search(replacement):
            skipped.append((edit, "the replacement would need YAML quoting in the front matter"))
            continue
        if doc.kind == "html" and not pieces:
            replacement = html.escape(replacement, quote=False)
        chunk = text[pos:edit.start]
        # a/an agreement with the replacement's first word.
        if shaped and (art := _article_before(chunk, markup_re is not None)) \
                and (w := _FIRST_WORD.match(shaped)):
            a_start, a_end = art
            glued = a_start == 0 and pos > 0 and (text[pos - 1].isalnum() or text[pos - 1] in "'’")
            want = indefinite_article(w.group())
            have = chunk[a_start:a_end]
            if not glued and want != have.lower():
                fixed = want if have.islower() else want.upper() if len(have) > 1 and have.isupper() \
                    else want.capitalize()
                chunk = chunk[:a_start] + fixed + chunk[a_end:]
                splices.append((pos + a_start, pos + a_end, fixed))
        out.append(chunk)
        new_len += len(chunk)
        out.append(replacement)
        applied.append(AppliedEdit(edit, new_len, new_len + len(replacement), replacement))
        splices.append((edit.start, edit.end, replacement))
        new_len += len(replacement)
        pos = edit.end
    out.append(text[pos:])
    return Rewrite("".join(out), tuple(applied), tuple(skipped), tuple(splices))


def _article_before(chunk: str, markup: bool) -> tuple[int, int] | None:
    """Where an "a"/"an" right before the replaced phrase is in ``chunk`` (not across a blank line; across
    inline tags and emphasis in markup)."""
    off = max(0, len(chunk) - 200)
    m = (_ARTICLE_BEFORE_MARKUP if markup else _ARTICLE_BEFORE).search(chunk, off)
    if m is None or _BLANK_LINE.search(m.group(2)) or not any(c.isspace() for c in m.group(2)):
        return None
    if m.start(1) == off and off > 0 and (chunk[off - 1].isalnum() or chunk[off - 1] in "_'’"):
        return None
    return m.start(1), m.end(1)


# ---------------------------------------------------------------------------------------------------
# Markup inside a marked span


@dataclass(frozen=True)
class _Piece:
    """A piece of markup inside a span: [start, end) in the span, and what it does."""

    start: int
    end: int
    role: str  # "open", "close", "void" (tags, emphasis delimiters) or "entity"
    key: str = ""  # what pairs an opener with its closer: the tag name or the delimiter run


def _markup_re(kind: str) -> re.Pattern | None:
    if kind == "html":
        return _HTML_MARKUP_RE
    if kind in _MARKUP_KINDS:
        return _MD_MARKUP_RE
    return None


def _markup_pieces(span: str, markup_re: re.Pattern) -> list[_Piece]:
    """The tags, entities and Markdown emphasis delimiters inside ``span`` (intraword ``_``/``*`` are text)."""
    if not any(c in span for c in "<&*_~"):
        return []
    pieces: list[_Piece] = []
    for m in markup_re.finditer(span):
        tok = m.group()
        before = span[m.start() - 1] if m.start() > 0 else " "
        after = span[m.end()] if m.end() < len(span) else " "
        if tok.startswith("&"):
            if before.isalnum() and after.isalnum() and not html.unescape(tok).isspace():
                continue  # inside a word (AT&amp;T, caf&eacute;s): part of the word it is in
            pieces.append(_Piece(m.start(), m.end(), "entity", tok))
        elif tok.startswith("<!--"):
            pieces.append(_Piece(m.start(), m.end(), "void", tok))
        elif tok.startswith("<"):
            name = _TAG_NAME.match(tok).group(1).lower()
            role = "close" if tok.startswith("</") else "void" if tok.endswith("/>") or name in _VOID_TAGS \
                else "open"
            pieces.append(_Piece(m.start(), m.end(), role, name))
        else:  # a run of *, _ or ~: emphasis when it sits at a word's edge
            if before.isspace() and after.isspace():
                continue  # a lone "*" between words
            if before.isalnum() and after.isalnum():
                continue  # snake_case, 2*3
            if after.isspace() or not after.isalnum():
                role = "close"
            else:
                role = "open"
            pieces.append(_Piece(m.start(), m.end(), role, tok))
    return pieces


def _fit_around_markup(edit: Edit, pieces: list[_Piece], kind: str) -> tuple[str, str] | str:
    """(shaped replacement, text to write) for a span with markup inside, or the reason to skip it."""
    span = edit.original
    esc = (lambda t: html.escape(t, quote=False)) if kind == "html" else (lambda t: t)
    marks = [span[p.start:p.end] for p in pieces]
    # A suggestion that already carries the same markup (a repair computed on the raw text) is written as is.
    sugg = edit.suggestion.text
    if [m.group() for m in _markup_re(kind).finditer(sugg)] == marks:
        return " ".join(_markup_re(kind).sub(" ", sugg).split()), sugg
    # The words of the span: runs of non-space text between the pieces.
    words: list[tuple[int, int]] = []
    cur = 0
    for p in [*pieces, _Piece(len(span), len(span), "end")]:
        words += [(cur + m.start(), cur + m.end()) for m in re.finditer(r"\S+", span[cur:p.start])]
        cur = p.end
    if not words:
        return "the marked text has no words outside its markup"
    plain = " ".join(span[s:e] for s, e in words)
    shaped = shape_replacement(plain, edit)
    new_words = shaped.split()
    if not new_words:
        return "the replacement is empty and the marked text has markup inside"
    if len(new_words) == len(words):
        # Word by word: every tag, entity and space stays where it was.
        out, cur = [], 0
        for (s, e), w in zip(words, new_words, strict=True):
            out += [span[cur:s], esc(w)]
            cur = e
        out.append(span[cur:])
        return shaped, "".join(out)
    first, last = words[0][0], words[-1][1]
    inner = [p for p in pieces if first <= p.start and p.end <= last]
    if any(p.role == "entity" for p in inner):
        ent = next(span[p.start:p.end] for p in inner if p.role == "entity")
        return (f"the marked text has {ent} between its words and the replacement has a different number "
                "of words; left as is so that the entity is not lost")
    # The tags move to the edges: pairs wrap the replacement, a closer whose opener is before the span
    # goes after it (or before it, when an opener closed after the span is also moved), openers before.
    stack: list[int] = []
    partner: dict[int, int] = {}
    for k, p in enumerate(inner):
        if p.role == "open":
            stack.append(k)
        elif p.role == "close":
            j = next((j for j in reversed(stack) if inner[j].key == p.key), None)
            if j is not None:
                stack = stack[:stack.index(j)] + stack[stack.index(j) + 1:]
                partner[j], partner[k] = k, j
    lone_openers = [k for k, p in enumerate(inner) if p.role == "open" and k not in partner]
    lone_closers = [k for k, p in enumerate(inner) if p.role == "close" and k not in partner]
    closers_first = bool(lone_openers)
    paired_openers = [k for k, p in enumerate(inner) if p.role == "open" and k in partner]
    head = [inner[k] for k in lone_closers] if closers_first else []
    head += [inner[k] for k in lone_openers] + [inner[k] for k in paired_openers]
    tail = [p for p in inner if p.role == "void"]
    tail += [inner[partner[k]] for k in reversed(paired_openers)]
    tail += [] if closers_first else [inner[k] for k in lone_closers]
    text = (span[:first] + "".join(span[p.start:p.end] for p in head) + esc(shaped)
            + "".join(span[p.start:p.end] for p in tail) + span[last:])
    return shaped, text


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
