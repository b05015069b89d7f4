"""Text-quality repairs before an article enters the archive: mojibake, Unicode form, control characters, spaces.

Four rules, each a finding whose suggestion (source "normalise") is the repaired text of its span:

* US401 mojibake: text garbled by a wrong encoding round trip ("didnâ€™t"), repaired by ftfy;
* US402 unicode-normalisation: characters that NFC would change (decomposed accents);
* US403 control-characters: stray C0/C1 controls, zero-width spaces, soft hyphens, a BOM inside text;
* US404 whitespace: runs of spaces inside a sentence, and trailing spaces or tabs at the end of a line.

This pass runs on every ``unspin check``, so each rule starts with a cheap regular-expression test and
only clean-looking text costs no more than that; ftfy is imported only when a mojibake marker is seen.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from itertools import chain
from typing import Any

from ..model import Document, Finding, Suggestion

# A UTF-8 lead byte read as Latin-1/cp1252 (Â..ô) followed by a continuation byte read the same way
# (0x80-0xBF as Latin-1, or the cp1252 printable glyphs of 0x80-0x9F); or a bare C1 control.
_MOJIBAKE_HINT = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039"
    "\u0152\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u017e\u0178]"
)
# Invisible characters that do not belong inside prose. ZWJ/ZWNJ are legitimate in emoji and some
# scripts, so they count only between two Latin letters.
_CONTROL_RE = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b\u2060\u00ad\ufeff\u200e\u200f]"
    "|(?<=[A-Za-z])[\u200c\u200d](?=[A-Za-z])"
)
# Two or more spaces between words, not after the end of a sentence (a typing habit, not an artefact).
_SPACE_RUN_RE = re.compile(r"(?<=[^\s.!?:;\"'”’)\]])[ \u00a0]{2,}(?=\S)")
# (the look-behind: a run of blanks is tried once, from its start, so a long run costs linear time)
_TRAILING_RE = re.compile(r"(?<![ \t])[ \t]+(?=\r?\n|\Z)")
# Every character that US401 or US403 could be about (mojibake lead bytes, C1, controls, invisible
# characters): one fast scan tells whether the slower rule patterns need to run at all.
_SUSPECT_RE = re.compile("[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u00c2-\u00f4"
                         "\u200b-\u200f\u2060\ufeff]")
# Line starts whose following spaces are layout, not prose: list markers, quotes, headings, tables.
# Matched with match(text, line_start, end): possessive blanks, so a long prefix costs linear time.
_LAYOUT_PREFIX_RE = re.compile(r"[ \t]*+(?:[-*+]|\d++[.)]|>++|#{1,6}|\|)?[ \t]*+\Z")


def _fixer_config():
    from ftfy import TextFixerConfig

    # Encoding repairs only: no HTML unescaping, quote uncurling, width or NFC changes (US402 does NFC).
    return TextFixerConfig(unescape_html=False, remove_terminal_escapes=False, fix_latin_ligatures=False,
                           fix_character_width=False, uncurl_quotes=False, fix_line_breaks=False,
                           remove_control_chars=False, normalization=None, explain=False)


def fix_mojibake(text: str) -> str:
    """Repair encoding round-trip damage with ftfy; text without a mojibake marker is returned as is."""
    if not _MOJIBAKE_HINT.search(text) and not re.search("[\u0080-\u009f]", text):
        return text
    import ftfy

    return ftfy.fix_text(text, _fixer_config())


def strip_controls(text: str) -> str:
    return _CONTROL_RE.sub("", text)


# ASCII control characters that ``normalise_text`` strips (US403)
_ASCII_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def unchanged_by_normalise(text: str) -> bool:
    """Whether ``normalise_text(text)`` would return ``text`` itself, by a few C-level scans (the
    archive calls this before the substitutions; tests/test_archive_speed.py and
    tests/test_archive_fastpath_fuzz.py compare both on many texts). The space repairs need a tab, two
    blanks in a row (space or no-break space), or a space before a line break or at the end; the
    mojibake, NFC and control-character repairs run only when their own patterns find something, and
    never on ASCII text without control characters."""
    if "  " in text or "\t" in text or " \n" in text or " \r" in text or "\u00a0" in text or text.endswith(" "):
        return False
    if text.isascii():
        return not _ASCII_CONTROL_RE.search(text)
    return unicodedata.is_normalized("NFC", text) and (
        not _SUSPECT_RE.search(text)  # no character any of the three patterns starts with
        or (not _MOJIBAKE_HINT.search(text) and not re.search("[\u0080-\u009f]", text)
            and not _CONTROL_RE.search(text)))


def normalise_text(text: str) -> str:
    """The repaired text of a whole article: what the archive stores. Cheap when the text is clean."""
    text = fix_mojibake(text)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if _CONTROL_RE.search(text):
        text = strip_controls(text)
    text = _TRAILING_RE.sub("", text)
    return _collapse_spaces(text)


class _LineStarts:
    """The start of the line holding an offset, for offsets asked in increasing order: each search
    goes back only to the previous offset, so a whole pass over a long line costs linear time."""

    def __init__(self, text: str):
        self.text = text
        self.at = 0
        self.start = 0

    def __call__(self, offset: int) -> int:
        if offset < self.at:  # out of order (not in the passes here): search from the text's start
            self.at, self.start = 0, 0
        nl = self.text.rfind("\n", self.at, offset)
        if nl >= 0:
            self.start = nl + 1
        self.at = offset
        return self.start


def _is_layout(text: str, line_start: int, at: int) -> bool:
    """Whether the spaces at ``at`` follow only layout on their line (a list marker, quote, heading, table)."""
    return _LAYOUT_PREFIX_RE.match(text, line_start, at) is not None or text[line_start:line_start + 1] == "|"


def _collapse_spaces(text: str) -> str:
    line_of = _LineStarts(text)

    def repl(m: re.Match) -> str:
        return m.group() if _is_layout(text, line_of(m.start()), m.start()) else " "

    return _SPACE_RUN_RE.sub(repl, text)


# ---------------------------------------------------------------------------------------------------
# Findings


MAX_PER_RULE = 5_000  # findings made per rule and document (analysis.MAX_FINDINGS lists at most as many)
_BLANKS_RE = re.compile(r"[ \t\r\n]+")
DIFF_LIMIT = 2000  # characters: a changed stretch longer than this is reported whole, not diffed


def diff_spans(old: str, new: str) -> list[tuple[int, int, int, int]]:
    """Changed regions between old and new, widened to whole words: (old_start, old_end, new_start, new_end).

    Linear time: the repairs never add or remove a space, tab or line break, so old and new are
    compared blank-separated chunk by chunk; only a changed chunk (at most DIFF_LIMIT characters) is
    diffed character by character. When the blanks do differ, the common prefix and suffix are cut
    off and the stretch between them is one region."""
    return list(iter_diff_spans(old, new))


def iter_diff_spans(old: str, new: str) -> Iterator[tuple[int, int, int, int]]:
    """diff_spans, region by region (a caller that has enough can stop early)."""
    if _BLANKS_RE.findall(old) != _BLANKS_RE.findall(new):
        yield from _diff_chunk(old, new, limit=0)
        return
    i = j = 0  # where the current chunk (the text between two blank runs) starts in old and in new
    for ma, mb in zip(chain(_BLANKS_RE.finditer(old), (None,)), chain(_BLANKS_RE.finditer(new), (None,)),
                      strict=True):
        ea = ma.start() if ma is not None else len(old)
        eb = mb.start() if mb is not None else len(new)
        if old[i:ea] != new[j:eb]:
            for s1, s2, t1, t2 in _diff_chunk(old[i:ea], new[j:eb]):
                yield i + s1, i + s2, j + t1, j + t2
        if ma is not None and mb is not None:
            i, j = ma.end(), mb.end()


def _diff_chunk(old: str, new: str, limit: int = DIFF_LIMIT) -> list[tuple[int, int, int, int]]:
    """diff_spans of two short texts by difflib; past ``limit`` characters, one region between the
    common prefix and suffix (widened to whole words)."""
    if len(old) + len(new) > limit:
        p = 0
        top = min(len(old), len(new))
        while p < top and old[p] == new[p]:
            p += 1
        q = 0
        while q < top - p and old[len(old) - 1 - q] == new[len(new) - 1 - q]:
            q += 1
        return _widen(old, new, [("replace", p, len(old) - q, p, len(new) - q)])
    from difflib import SequenceMatcher

    return _widen(old, new, SequenceMatcher(None, old, new, autojunk=False).get_opcodes())


def _widen(old: str, new: str, opcodes) -> list[tuple[int, int, int, int]]:
    ops = [op for op in opcodes if op[0] != "equal"]
    spans: list[list[int]] = []
    for _tag, i1, i2, j1, j2 in ops:
        # Widen into the surrounding equal text (same shift on both sides) up to whitespace.
        while i1 > 0 and j1 > 0 and not old[i1 - 1].isspace() and old[i1 - 1] == new[j1 - 1]:
            i1, j1 = i1 - 1, j1 - 1
        while i2 < len(old) and j2 < len(new) and not old[i2].isspace() and old[i2] == new[j2]:
            i2, j2 = i2 + 1, j2 + 1
        if spans and i1 <= spans[-1][1]:
            spans[-1][1], spans[-1][3] = max(spans[-1][1], i2), max(spans[-1][3], j2)
        else:
            spans.append([i1, i2, j1, j2])
    return [tuple(s) for s in spans]  # type: ignore[misc]


def _segment_spans(doc: Document) -> list[tuple[int, int]]:
    """Prose spans, each extended over trailing blanks at the end of its last line."""
    out = []
    for seg in doc.segments:
        m = _TRAILING_RE.match(doc.text, seg.end)
        out.append((seg.start, m.end() if m else seg.end))
    return out


def _repairs(doc: Document, spans: list[tuple[int, int]], repair) -> Iterator[tuple[int, int, str]]:
    for s, e in spans:
        old = doc.text[s:e]
        new = repair(old)
        if new == old:
            continue
        for i1, i2, j1, j2 in iter_diff_spans(old, new):
            yield s + i1, s + i2, new[j1:j2]


def normalisation_findings(doc: Document, fb) -> list[Finding]:
    """US401-US404 findings over a document's prose, each suggesting the repaired text of its span."""
    spans = _segment_spans(doc)
    if not spans:
        return []
    findings: list[Finding] = []
    taken = _Spans()

    per_rule: dict[str, int] = {}

    def add(rule: str, start: int, end: int, repaired: str, message: str, confidence: float) -> None:
        n = per_rule.get(rule, 0)
        if n >= MAX_PER_RULE or not taken.claim(start, end):
            return  # past the cap: analysis keeps MAX_FINDINGS per document anyway, so stop making them
        per_rule[rule] = n + 1
        findings.append(fb.make(rule, start, end, message, (Suggestion(repaired, "normalise"),), confidence,
                                {"normalise": rule}))

    def full(rule: str) -> bool:
        return per_rule.get(rule, 0) >= MAX_PER_RULE

    prose = "".join(doc.text[s:e] for s, e in spans)
    suspect = _SUSPECT_RE.search(prose) is not None
    if suspect and (_MOJIBAKE_HINT.search(prose) or re.search("[\u0080-\u009f]", prose)):
        for s, e, new in _repairs(doc, spans, fix_mojibake):
            if full("US401"):
                break
            add("US401", s, e, new, f"garbled encoding {doc.text[s:e]!r}; read {new!r}", 0.95)
    if not unicodedata.is_normalized("NFC", prose):
        for s, e, new in _repairs(doc, spans, lambda t: unicodedata.normalize("NFC", t)):
            if full("US402"):
                break
            add("US402", s, e, new, f"{doc.text[s:e]!r} is not in Unicode NFC form", 0.9)
    if suspect and _CONTROL_RE.search(prose):
        for s, e, new in _repairs(doc, spans, strip_controls):
            if full("US403"):
                break
            names = sorted({unicodedata.name(c, f"U+{ord(c):04X}") for c in doc.text[s:e] if _CONTROL_RE.match(c)
                            or c in "\u200c\u200d"})
            what = ", ".join(names) or "invisible character"
            add("US403", s, e, new, f"stray {what.lower()} in {doc.text[s:e].strip()!r}", 0.95)
    if "  " in prose or "\u00a0\u00a0" in prose or _has_trailing_blank(prose):
        line_of = _LineStarts(doc.text)  # one for all spans, which come in text order: linear over the text
        for s, e in spans:
            _whitespace_findings(doc, s, e, add, line_of)
    findings.sort(key=lambda f: (f.start, f.end))
    return findings


class _Spans:
    """Disjoint claimed spans; ``claim`` takes a span unless it overlaps one already taken.

    Spans are mostly claimed in increasing order (each rule walks the text forwards), so a claim
    is an append; an out-of-order one is a bisect and an insert."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def claim(self, start: int, end: int) -> bool:
        from bisect import bisect_left

        starts, ends = self.starts, self.ends
        if not starts or start >= ends[-1] and start >= starts[-1]:
            if starts and start < ends[-1]:
                return False
            starts.append(start)
            ends.append(end)
            return True
        k = bisect_left(starts, end)  # spans starting before our end: only the one before k can overlap
        if k > 0 and ends[k - 1] > start:
            return False
        if k < len(starts) and starts[k] < end:
            return False
        starts.insert(k, start)
        ends.insert(k, end)
        return True


def _has_trailing_blank(text: str) -> bool:
    """Whether _TRAILING_RE finds anything (a space or tab before a line end or the end), by substring tests."""
    return (" \n" in text or "\t\n" in text or " \r\n" in text or "\t\r\n" in text
            or text.endswith((" ", "\t")))


def _whitespace_findings(doc: Document, s: int, e: int, add, line_of: _LineStarts) -> None:
    text = doc.text
    markdown = doc.kind == "markdown"
    for m in _SPACE_RUN_RE.finditer(text, s, e):
        if _is_layout(text, line_of(m.start()), m.start()):
            continue
        add("US404", m.start(), m.end(), " ", f"{m.end() - m.start()} spaces between words", 0.9)
    for m in _TRAILING_RE.finditer(text, s, e):
        if m.start() == m.end():
            continue
        # Two trailing spaces are a hard line break in Markdown: layout, not a stray.
        if markdown and text[m.start():m.end()] == "  " and m.end() < len(text):
            continue
        add("US404", m.start(), m.end(), "", "trailing whitespace at the end of the line", 0.9)


def detect(doc: Document, stream: Any, fb: Any, ctx: Any) -> list[Finding]:
    """The registry's US4xx detector (stage ``text``)."""
    return normalisation_findings(doc, fb)
