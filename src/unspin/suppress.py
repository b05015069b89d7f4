"""Findings the user asked not to see: inline comments, per-file ignores, allowed words and phrases.

A post-filter on findings by their offsets, run once per document after every detector (so it works
the same for each rule and each input kind). Conventions, as in ruff / Vale / markdownlint:

- ``<!-- unspin: ignore US101, US2 -->`` hides those rules (code prefixes; every rule when none is
  named) in the next paragraph: from the comment to the first blank line after some text.
- ``<!-- unspin: off -->`` ... ``<!-- unspin: on -->`` hides every rule (or the rules named after
  ``off``) in between; an ``off`` without ``on`` runs to the end of the document.
- ``per-file-ignores = {"drafts/*.md" = ["US201"]}`` in the settings hides rules in matching files.
- ``allow = ["squeeze play", "acknowledgment"]`` in the settings: a finding that lies within an
  allowed word or phrase (whole words, any case) is not reported.
- ``exclude = ["drafts/**", "vendor"]`` in the settings: matching files are not checked at all
  (``excluded``; applied where files are discovered).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

from .model import Finding

# ([^<>]: an unclosed comment's scan stops at the next tag or comment, so repeated ones cost linear time)
_COMMENT_RE = re.compile(r"<!--\s*unspin\s*:\s*(ignore|off|on)\b([^<>]*?)-->", re.I)
_CODE_RE = re.compile(r"US\d+", re.I)
_BLANK_LINE_RE = re.compile(r"\n[ \t]*\r?\n")

# (start, end, code prefixes or () for every rule)
Region = tuple[int, int, tuple[str, ...]]


def inline_regions(text: str) -> list[Region]:
    """The spans of the text where inline comments hide findings."""
    if "unspin" not in text:  # the common case: no comment to look for
        return []
    regions: list[Region] = []
    off_at: int | None = None
    off_codes: tuple[str, ...] = ()
    blanks: list[int] | None = None  # blank-line starts, found once (many comments: no rescans)
    for m in _COMMENT_RE.finditer(text):
        verb = m.group(1).lower()
        codes = tuple(c.upper() for c in _CODE_RE.findall(m.group(2)))
        if verb == "ignore":
            if blanks is None:
                blanks = [b.start() for b in _BLANK_LINE_RE.finditer(text)]
            regions.append((m.start(), _paragraph_end(text, m.end(), blanks), codes))
        elif verb == "off":
            if off_at is None:
                off_at, off_codes = m.start(), codes
        elif off_at is not None:  # on
            regions.append((off_at, m.end(), off_codes))
            off_at = None
    if off_at is not None:
        regions.append((off_at, len(text), off_codes))
    return regions


def _paragraph_end(text: str, at: int, blanks: list[int]) -> int:
    """The end of the paragraph that follows ``at`` (blank lines right after the comment are skipped);
    ``blanks``: where every blank line (``_BLANK_LINE_RE``) starts, in order."""
    from bisect import bisect_left

    m = _NON_BLANK_RE.search(text, at)
    if m is None:
        return len(text)
    k = bisect_left(blanks, m.start())
    return blanks[k] if k < len(blanks) else len(text)


_NON_BLANK_RE = re.compile(r"\S")


def _matches(rule: str, codes: tuple[str, ...]) -> bool:
    return not codes or any(rule.startswith(c) for c in codes)


def allowed_spans(text: str, allow: Iterable[str]) -> list[tuple[int, int]]:
    """Where the allowed words and phrases occur (whole words, any case, any run of spaces)."""
    spans: list[tuple[int, int]] = []
    for phrase in allow:
        words = phrase.split()
        if not words:
            continue
        pattern = r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)"
        spans += [(m.start(), m.end()) for m in re.finditer(pattern, text, re.I)]
    return spans


def path_matches(path: str, pattern: str, base: Path | None = None) -> bool:
    """Whether a file path matches a glob from the settings.

    The path is taken relative to ``base`` (the folder of the config file, else the working folder)
    when it lies below it. ``*`` stays within one folder, ``**`` crosses folders; a pattern without
    a ``/`` also matches any single folder or file name on the path (``vendor``, ``*.txt``); a
    pattern naming a folder matches everything below it."""
    p = Path(path.split("#", 1)[0])  # a JSONL record path is FILE#LINE
    try:
        rel = p.resolve().relative_to((base or Path.cwd()).resolve())
    except (ValueError, OSError):
        rel = p
    posix = PurePosixPath(rel.as_posix())
    text = posix.as_posix()
    pattern = pattern.strip().rstrip("/")
    if pattern.startswith("./"):
        pattern = pattern[2:]
    if "/" not in pattern:
        return any(fnmatchcase(part, pattern) for part in posix.parts)
    regex = _glob_regex(pattern)
    return re.fullmatch(f"(?:{regex.pattern})(?:/.*)?", text) is not None  # the file, or a folder above it


def _glob_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def excluded(path: str, patterns: Iterable[str], base: Path | None = None) -> bool:
    return path != "-" and any(path_matches(path, p, base) for p in patterns)


def file_ignores(path: str, per_file_ignores: Iterable[tuple[str, tuple[str, ...]]], base: Path | None = None
                 ) -> tuple[str, ...] | None:
    """The rule prefixes the settings ignore in this file (``()`` = none; None when no pattern matches)."""
    codes: list[str] = []
    hit = False
    for pattern, rules in per_file_ignores:
        if path_matches(path, pattern, base):
            hit = True
            codes += rules
    return tuple(codes) if hit else None


def suppress(text: str, path: str, findings: list[Finding], *, allow: Iterable[str] = (),
             per_file_ignores: Iterable[tuple[str, tuple[str, ...]]] = (), base: Path | None = None
             ) -> list[Finding]:
    """The findings left after inline comments, per-file ignores and the allow-list."""
    if not findings:
        return findings
    ignored = file_ignores(path, per_file_ignores, base) if per_file_ignores else None
    regions = inline_regions(text)
    spans = allowed_spans(text, allow) if allow else []
    if ignored is None and not regions and not spans:
        return findings
    out = []
    for f in findings:
        if ignored and _matches(f.rule, ignored):
            continue
        if any(s <= f.start < e and _matches(f.rule, codes) for s, e, codes in regions):
            continue
        if f.end > f.start and any(s <= f.start and f.end <= e for s, e in spans):
            continue
        out.append(f)
    return out
