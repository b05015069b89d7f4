"""Bytes to documents: decoding, front matter, HTML, JSONL records, and which spans are prose.

Offsets in a Document always index ``Document.text``, which is the whole decoded file (front matter
included) for text, Markdown and HTML. A JSONL record has no such file of its own: its text is the
record's ``title``, a blank line, and its ``text`` field, and its path is ``feed.jsonl#LINE``.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model import Document, InputError, Segment

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# Hard caps on what one input may hold (see docs/formats.md, "Limits"): past them the input is refused
# with one plain line instead of taking unbounded time or memory.
MAX_NESTING = 100  # levels of lists/objects in front matter or a JSONL record
MAX_FRONT_MATTER = 256 * 1024  # characters of YAML front matter
MAX_SEGMENT = 1024 * 1024  # characters in one paragraph of prose (no blank line, tag or code block inside)
EXTENSIONS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdx": "markdown",
    ".txt": "text",
    ".text": "text",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache"}


class InputProblem(Exception):
    """A user's file cannot be checked; the message is one plain sentence."""


class PartialInput(InputProblem):
    """Some records of a JSONL file are bad: the good ones are in ``documents``, the bad lines in ``problems``."""

    def __init__(self, documents: list[Document], problems: list[InputError]):
        super().__init__(f"{len(problems)} bad record(s)")
        self.documents = documents
        self.problems = problems


@dataclass(frozen=True)
class Source:
    """Something to read: a file path, or '-' for standard input."""

    path: str
    kind: str | None = None


# ---------------------------------------------------------------------------------------------------
# Finding inputs


def discover(paths: list[str], errors: list[InputError]) -> Iterator[Source]:
    """Expand paths (files, folders recursively, '-') into sources; problems go to ``errors``."""
    for raw in paths:
        if raw == "-":
            yield Source("-")
            continue
        p = Path(raw)
        try:
            st = p.stat()
        except FileNotFoundError:
            errors.append(InputError(raw, "no such file or folder"))
            continue
        except PermissionError:
            errors.append(InputError(raw, "permission denied"))
            continue
        except OSError as exc:
            errors.append(InputError(raw, f"cannot read: {exc.strerror or exc}"))
            continue
        if stat.S_ISDIR(st.st_mode):
            yield from _walk(p, errors)
        else:
            yield Source(raw)


def _walk(root: Path, errors: list[InputError]) -> Iterator[Source]:
    def onerror(exc: OSError) -> None:
        reason = "permission denied" if isinstance(exc, PermissionError) else (exc.strerror or str(exc))
        errors.append(InputError(exc.filename or str(root), f"cannot list folder: {reason}"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=onerror):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if Path(name).suffix.lower() in EXTENSIONS and not name.startswith("."):
                yield Source(os.path.join(dirpath, name))


# ---------------------------------------------------------------------------------------------------
# Reading and decoding


def read_bytes(source: Source, *, max_bytes: int = DEFAULT_MAX_BYTES, stdin_name: str = "-") -> tuple[str, bytes]:
    """The raw bytes of a source and the path to report for it; raises InputProblem."""
    if source.path == "-":
        data = sys.stdin.buffer.read(max_bytes + 1)
        path = stdin_name
    else:
        path = source.path
        try:
            size = os.stat(path).st_size
            if size > max_bytes:
                raise InputProblem(
                    f"file is {_mb(size)}, over the {_mb(max_bytes)} limit (raise max-file-size to check it)"
                )
            with open(path, "rb") as fh:
                data = fh.read(max_bytes + 1)
        except InputProblem:
            raise
        except PermissionError:
            raise InputProblem("permission denied") from None
        except IsADirectoryError:
            raise InputProblem("is a folder") from None
        except OSError as exc:
            raise InputProblem(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise InputProblem(f"input is over the {_mb(max_bytes)} limit (raise max-file-size to check it)")
    return path, data


# The one document reader. Every surface (check, match, learn, archive, fix, the web page, the report
# workers) turns input into documents through these: read_bytes -> decode_input -> parse_text.
def decode_input(data: bytes, path: str, *, encoding: str | None = None, kind: str | None = None) -> tuple[str, str]:
    """Bytes read from ``path`` as (text, kind): decoded (``encoding`` or UTF-8, with the plain messages
    of ``decode``) and the kind decided from the name and text unless ``kind`` is given."""
    text = decode(data, encoding)
    return text, kind or kind_for(path, text)


def parse_bytes(data: bytes, path: str, *, encoding: str | None = None, kind: str | None = None) -> list[Document]:
    """Bytes read from ``path`` as documents; raises InputProblem with a plain message."""
    text, kind = decode_input(data, path, encoding=encoding, kind=kind)
    return parse_text(text, path, kind)


def read_input(source: Source, *, max_bytes: int = DEFAULT_MAX_BYTES, encoding: str | None = None,
               stdin_name: str = "-") -> tuple[str, bytes, str, str]:
    """Read one source, keeping its bytes: (path, bytes, text, kind); raises InputProblem."""
    path, data = read_bytes(source, max_bytes=max_bytes, stdin_name=stdin_name)
    text, kind = decode_input(data, path, encoding=encoding, kind=source.kind)
    return path, data, text, kind


def read_source(source: Source, *, max_bytes: int = DEFAULT_MAX_BYTES, encoding: str | None = None,
                stdin_name: str = "-") -> list[Document]:
    """Read and parse one source into documents; raises InputProblem with a plain message."""
    path, _, text, kind = read_input(source, max_bytes=max_bytes, encoding=encoding, stdin_name=stdin_name)
    return parse_text(text, path, kind)


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def decode(data: bytes, encoding: str | None = None) -> str:
    """Decode bytes as UTF-8 (or a BOM-marked UTF-16/32, or an explicit encoding)."""
    if encoding:
        try:
            text = data.decode(encoding)
        except LookupError:
            raise InputProblem(f"unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            raise InputProblem(f"not valid {encoding}: byte 0x{data[exc.start]:02x} at offset {exc.start}") from None
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputProblem("not valid UTF-16 despite its byte-order mark") from None
    else:
        if b"\x00" in data[:8192]:
            raise InputProblem("binary file (contains NUL bytes), not text")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise InputProblem(
                f"not valid UTF-8: byte 0x{data[exc.start]:02x} on line {line} (offset {exc.start}); "
                "re-save the file as UTF-8 or pass --encoding"
            ) from None
    if encoding and _SURROGATE_RE.search(text):
        raise InputProblem(f"decoding as {encoding} gives a broken character (an unpaired surrogate)")
    if not text.strip():
        raise InputProblem("empty file, nothing to check")
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(8, len(text[:8192]) // 50):
        raise InputProblem("binary file (full of control characters), not text")
    return text


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def kind_for(path: str, text: str) -> str:
    ext = Path(path).suffix.lower()
    if ext in EXTENSIONS:
        return EXTENSIONS[ext]
    head = text.lstrip()[:200].lower()
    if text.startswith("---\n") or text.startswith("---\r\n"):
        return "markdown"
    if head.startswith(("<!doctype html", "<html", "<article", "<body", "<p>", "<div")):
        return "html"
    if head.startswith("{"):
        return "jsonl"
    return "text"


def parse_text(text: str, path: str, kind: str) -> list[Document]:
    if kind == "markdown":
        return [parse_markdown(text, path)]
    if kind == "html":
        return [parse_html(text, path)]
    if kind == "jsonl":
        return parse_jsonl(text, path)
    return [Document(path=path, text=text, segments=tuple(paragraph_segments(text, [(0, len(text))])),
                     kind="text")]


# ---------------------------------------------------------------------------------------------------
# Prose segments


def paragraph_segments(text: str, spans: list[tuple[int, int]], field: str = "body") -> list[Segment]:
    """Split prose spans at blank lines; drop empty pieces."""
    out: list[Segment] = []
    blank = _BLANK_LINE_RE.finditer
    for start, end in spans:
        cur = start
        for m in blank(text, start, end):
            _add(out, text, cur, m.start(), field)
            cur = m.end()
        _add(out, text, cur, end, field)
    return out


_BLANK_LINE_RE = re.compile(r"\n[ \t]*\n")


def _strip_span(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def _add(out: list[Segment], text: str, s: int, e: int, field: str) -> None:
    s, e = _strip_span(text, s, e)
    if e - s > MAX_SEGMENT:
        line = text.count("\n", 0, s) + 1
        raise InputProblem(f"the paragraph starting on line {line} is {e - s:,} characters long, over the "
                           f"{MAX_SEGMENT:,} limit; split it with blank lines")
    if e > s and _LETTER_RE.search(text, s, e):
        out.append(Segment(s, e, field))


_LETTER_RE = re.compile(r"[^\W\d_]")


def _holes_to_spans(start: int, end: int, holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of [start, end) not covered by holes."""
    spans = []
    cur = start
    for hs, he in sorted(holes):
        if he <= cur:
            continue
        if hs > cur:
            spans.append((cur, min(hs, end)))
        cur = max(cur, he)
        if cur >= end:
            break
    if cur < end:
        spans.append((cur, end))
    return spans


# Every pattern below runs on user text, so each must be linear: a pattern that scans ahead from an
# opener stops at the next opener (``[^<>]*``, not ``[^>]*``), an e-mail address is tried once per run
# of address characters (the look-behind), and what needs a matching closer (code spans, comments,
# <script>...</script>) is paired by hand with str.find, remembering when no closer is left.
URL_RE = re.compile(r"\b(?:https?://|ftp://|www\.)[^\s<>()\[\]\"']+|(?<![\w.+-])[\w.+-]+@[\w-]+\.[\w.-]+\b")
_FENCE_RE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})[^\n]*\n.*?(?:^[ ]{0,3}\1[`~]*[ \t]*$|\Z)", re.M | re.S)
_INDENTED_RE = re.compile(r"(?:^|\n[ \t]*\n)((?:(?:    |\t)[^\n]*(?:\n|$))+)")
_MD_INLINE_RE = re.compile(  # inline code spans and HTML comments: _code_spans, _closed_spans
    r"(?P<image>!\[[^\[\]\n]*\]\([^()\n]*\))"  # images
    r"|\]\((?P<dest>[^()\n]*(?:\([^()\n]*\)[^()\n]*)?)\)"  # link destinations (one level of parentheses)
    r"|(?P<refdef>^[ ]{0,3}\[[^\]\n]+\]:[^\n]*$)"  # reference definitions
    r"|(?P<html></?[A-Za-z][^<>\n]*>)"  # inline HTML
    r"|(?P<auto><(?:https?|mailto):[^<>\n]*>)",
    re.M,
)
_TICKS_RE = re.compile(r"`+")


def _closed_spans(text: str, opener: str, closer: str, start: int = 0) -> list[tuple[int, int]]:
    """[start, end) of each ``opener ... closer`` (the first closer after each opener), in one pass."""
    out: list[tuple[int, int]] = []
    i = text.find(opener, start)
    while i >= 0:
        j = text.find(closer, i + len(opener))
        if j < 0:
            break  # no closer after this opener, so none after any later one
        out.append((i, j + len(closer)))
        i = text.find(opener, j + len(closer))
    return out


def _code_spans(body: str, skip: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Markdown code spans: a run of backticks up to the next run of the same length (linear time;
    runs inside ``skip`` spans, such as HTML comments, are not openers)."""
    runs = [m.span() for m in _TICKS_RE.finditer(body)]
    if skip:
        from bisect import bisect_right

        starts = [a for a, _ in skip]
        runs = [(a, b) for a, b in runs
                if not ((k := bisect_right(starts, a) - 1) >= 0 and a < skip[k][1])]
    nxt = [-1] * len(runs)
    last: dict[int, int] = {}
    for k in range(len(runs) - 1, -1, -1):
        n = runs[k][1] - runs[k][0]
        nxt[k] = last.get(n, -1)
        last[n] = k
    spans = []
    k = 0
    while k < len(runs):
        j = nxt[k]
        if j >= 0:
            spans.append((runs[k][0], runs[j][1]))
            k = j + 1
        else:
            k += 1
    return spans


def _can_match(body: str, needles: str | tuple[str, ...]) -> bool:
    """Whether ``body`` holds one of the strings a pattern cannot match without: most prose holds
    none, and a regex with many branches costs about 100 ns per character to scan."""
    return any(n in body for n in needles)


def markdown_prose(text: str, start: int, end: int) -> list[Segment]:
    """Prose segments of Markdown text[start:end]: code, URLs, HTML and link targets left out."""
    body = text[start:end]
    holes: list[tuple[int, int]] = []
    if _can_match(body, ("```", "~~~")):
        for m in _FENCE_RE.finditer(body):
            holes.append((m.start(), m.end()))
    if _can_match(body, ("    ", "\t")):
        for m in _INDENTED_RE.finditer(body):
            holes.append((m.start(1), m.end(1)))
    comments = _closed_spans(body, "<!--", "-->") if "<!--" in body else []
    holes += comments
    if "`" in body:
        holes += _code_spans(body, comments)
    if _can_match(body, "![]<"):  # the first character of each branch (a reference definition: "[")
        for m in _MD_INLINE_RE.finditer(body):
            g = "dest" if m.group("dest") is not None else None
            if g:
                holes.append((m.start(g), m.end(g)))
            else:
                holes.append((m.start(), m.end()))
    if _can_match(body, ("://", "www.", "@")):
        for m in URL_RE.finditer(body):
            holes.append((m.start(), m.end()))
    spans = [(start + s, start + e) for s, e in _holes_to_spans(0, len(body), holes)]
    return paragraph_segments(text, spans)


# ---------------------------------------------------------------------------------------------------
# Markdown with YAML front matter

_FM_OPEN_RE = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n")
_FM_CLOSE_RE = re.compile(r"^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.M)


def parse_markdown(text: str, path: str) -> Document:
    meta: dict[str, Any] = {}
    segments: list[Segment] = []
    body_start = 0
    m = _FM_OPEN_RE.match(text)
    if m:
        close = _FM_CLOSE_RE.search(text, m.end())
        if not close:
            raise InputProblem("malformed front matter: the opening '---' has no closing '---'")
        fm_start, fm_end = m.end(), close.start()
        meta, field_spans = _parse_front_matter(text, fm_start, fm_end)
        for field, (s, e) in field_spans.items():
            segments.extend(paragraph_segments(text, [(s, e)], field))
        body_start = close.end()
    segments.extend(markdown_prose(text, body_start, len(text)))
    provider = meta.get("provider")
    pname = pdomain = None
    if isinstance(provider, dict):
        pname, pdomain = _str(provider.get("name")), _str(provider.get("domain"))
    elif provider is not None:
        pname = _str(provider)
    title = _str(meta.get("title"))
    if title is None:
        h = re.search(r"^#[ \t]+(.+)$", text[body_start:], re.M)
        title = h.group(1).strip() if h else None
    return Document(
        path=path,
        text=text,
        segments=tuple(segments),
        id=_str(meta.get("id")),
        title=title,
        url=_str(meta.get("webUrl") or meta.get("url")),
        provider_name=pname,
        provider_domain=pdomain,
        published=_str(meta.get("publishedDateTime") or meta.get("published") or meta.get("date")),
        kind="markdown",
        meta=meta,
    )


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def _parse_front_matter(text: str, start: int, end: int) -> tuple[dict[str, Any], dict[str, tuple[int, int]]]:
    """Parse YAML front matter; return its data and the offsets of the title/excerpt values.

    Every way the YAML can be wrong (syntax, a value PyYAML cannot build such as ``date: 2024-02-30``
    or ``!!int abc``, an integer over Python's digit limit, nesting past MAX_NESTING) is an
    InputProblem naming the key and line where it can."""
    import yaml

    block = text[start:end]
    first_line = text.count("\n", 0, start) + 1
    if len(block) > MAX_FRONT_MATTER:
        raise InputProblem(f"front matter is {len(block):,} characters, over the {MAX_FRONT_MATTER:,} limit")
    fast = _fast_front_matter(yaml, block)
    if fast is not None:
        node, data = fast
    else:
        node, data = _pure_front_matter(yaml, block, first_line)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputProblem("malformed front matter: expected 'key: value' pairs, found a "
                           f"{type(data).__name__}")
    spans: dict[str, tuple[int, int]] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = getattr(key_node, "value", None)
            if key in ("title", "excerpt", "description", "summary") and isinstance(value_node, yaml.ScalarNode):
                span = _scalar_span(block, value_node)
                if span:
                    spans[key] = (start + span[0], start + span[1])
    return data, spans


# Where libyaml and PyYAML's pure-Python scanner read the same text differently (found by a
# differential fuzz of the two, docs/robustness.md): tabs, a BOM, the YAML 1.1 line breaks NEL, LS
# and PS and a lone CR, tags and directives and the reserved indicators, a comment glued to a
# block-scalar header. Front matter holding any of them, or a character the pure reader refuses,
# goes to the pure loader.
_PURE_ONLY_RE = re.compile(r"[\t\ufeff\x85\u2028\u2029]|\r(?!\n)|(?:^|[\s\[\]{},])[!%@`]|[|>][-+0-9]*#")


def _fast_front_matter(yaml: Any, block: str) -> tuple[Any, Any] | None:
    """(node, data) read with libyaml (``yaml.CSafeLoader``, ~5x faster), or None: no libyaml, text
    it may read differently (``_PURE_ONLY_RE``), or anything wrong with it at all. Then the pure
    loader reads it again, which gives the result and every error message exactly as before."""
    loader_class = getattr(yaml, "CSafeLoader", None)
    if loader_class is None or _PURE_ONLY_RE.search(block) or yaml.reader.Reader.NON_PRINTABLE.search(block):
        return None
    try:
        loader = loader_class(block)
        try:
            node = loader.get_single_node()  # libyaml refuses nesting past 1,000 levels (an error: see below)
            if node is not None and _node_depth(node) > MAX_NESTING:
                return None
            data = loader.construct_document(node) if node is not None else {}
        finally:
            loader.dispose()
    except Exception:  # (a YAMLError, a value Python cannot build, ...): the pure loader names it
        return None
    return node, data


def _pure_front_matter(yaml: Any, block: str, first_line: int) -> tuple[Any, Any]:
    """(node, data) read with PyYAML's pure-Python SafeLoader; every problem is an InputProblem."""
    node = None
    try:
        loader = yaml.SafeLoader(block)
        try:
            node = loader.get_single_node()
            if node is not None and _node_depth(node) > MAX_NESTING:
                raise InputProblem(f"malformed front matter: nested more than {MAX_NESTING} levels deep")
            data = loader.construct_document(node) if node is not None else {}
        finally:
            loader.dispose()
    except InputProblem:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = ""
        if mark is not None:
            where = f" at line {first_line + mark.line}"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputProblem(f"malformed front matter: {problem}{where}") from None
    except RecursionError:
        raise InputProblem(f"malformed front matter: nested more than {MAX_NESTING} levels deep") from None
    except Exception as exc:  # a value PyYAML parsed but cannot build (bad date, bad tagged value, huge int)
        raise InputProblem(_unbuildable_value(node, exc, first_line)) from None
    return node, data


def _node_depth(root: Any) -> int:
    """The nesting depth of a composed YAML node tree, without recursion (aliases are visited once)."""
    deepest = 0
    seen: set[int] = set()
    stack = [(root, 1)]
    while stack:
        node, d = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        deepest = max(deepest, d)
        if deepest > MAX_NESTING:
            return deepest
        value = node.value
        if isinstance(value, list):
            for item in value:
                if isinstance(item, tuple):
                    stack.extend((n, d + 1) for n in item)
                else:
                    stack.append((item, d + 1))
    return deepest


def _unbuildable_value(node: Any, exc: Exception, first_line: int) -> str:
    """One sentence naming the front matter key whose value cannot be built, and why."""
    import yaml

    culprit = key = None
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            probe = yaml.SafeLoader("")
            try:
                probe.construct_object(key_node, deep=True)
                probe.construct_object(value_node, deep=True)
            except Exception:
                culprit, key = value_node, getattr(key_node, "value", None)
                break
            finally:
                probe.dispose()
    reason = _reason(exc)
    if culprit is None:
        return f"malformed front matter: a value cannot be read ({reason})"
    tag = str(getattr(culprit, "tag", "")).rsplit(":", 1)[-1]
    raw = getattr(culprit, "value", "")
    shown = f" {raw[:40]!r}" if isinstance(raw, str) and raw else ""
    return (f"malformed front matter: {key!r} on line {first_line + culprit.start_mark.line} is not a valid "
            f"{tag or 'value'}{shown} ({reason})")


def _reason(exc: Exception) -> str:
    """A short plain reason for a value Python could not build."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    if "Exceeds the limit" in text and "digits" in text:
        return "an integer of more than 4,300 digits"
    if "offset must be" in text:
        return "the time zone offset is out of range"
    if isinstance(exc, (KeyError, AttributeError, TypeError)) or not text:
        return "not a value of that type"
    return text[:100]


def _scalar_span(block: str, node: Any) -> tuple[int, int] | None:
    """Offsets of a scalar's text inside the block, when the source text equals the value."""
    s, e = node.start_mark.index, node.end_mark.index
    raw = block[s:e]
    if node.style in ('"', "'") and len(raw) >= 2:
        return s + 1, e - 1  # the quoted source text is prose even where escapes make it differ
    elif node.style in ("|", ">"):
        return None if "\n" not in raw else (s + raw.index("\n") + 1, e)
    return (s, e) if block[s:e] == node.value or node.style in (None, "") else None


# ---------------------------------------------------------------------------------------------------
# HTML

_HTML_SKIP_OPEN_RE = re.compile(r"<(script|style|pre|code|noscript|svg|template|head)\b[^<>]*>|<!--|<!|<\?", re.I)
_TAG_RE = re.compile(r"<[^<>]*>")
_TITLE_OPEN_RE = {"title": re.compile(r"<title\b[^<>]*>", re.I), "h1": re.compile(r"<h1\b[^<>]*>", re.I)}
_CLOSE_RE_CACHE: dict[str, re.Pattern] = {}


def _close_re(name: str) -> re.Pattern:
    got = _CLOSE_RE_CACHE.get(name)
    if got is None:
        got = _CLOSE_RE_CACHE[name] = re.compile(rf"</{name}\s*>", re.I)
    return got


def _html_skips(text: str) -> list[tuple[int, int]]:
    """Spans that are never prose: <script>/<style>/<pre>/... elements, comments, <!...> declarations,
    <?...?> instructions. Linear: each opener looks for its closer once; when none is left after it,
    that is remembered, so repeated unclosed openers cost no rescans."""
    holes: list[tuple[int, int]] = []
    unclosed: set[str] = set()
    pos = 0

    def closer_at(kind: str, find) -> int | None:
        if kind in unclosed:
            return None
        end = find()
        if end is None:
            unclosed.add(kind)
        return end

    while True:
        m = _HTML_SKIP_OPEN_RE.search(text, pos)
        if m is None:
            return holes
        tok, after = m.group(), m.end()
        end: int | None
        if m.group(1):
            name = m.group(1).lower()
            end = closer_at(name, lambda n=name, a=after: (c.end() if (c := _close_re(n).search(text, a)) else None))
        elif tok == "<?":
            end = closer_at("?", lambda a=after: (j + 2 if (j := text.find("?>", a)) >= 0 else None))
        else:
            end = None
            if tok == "<!--":
                end = closer_at("--", lambda a=after: (j + 3 if (j := text.find("-->", a)) >= 0 else None))
            if end is None:  # <!DOCTYPE ...>, <![CDATA[...]>, or a comment that is never closed
                begin = m.start() + 2
                end = closer_at("!", lambda b=begin: (j + 1 if (j := text.find(">", b)) >= 0 else None))
        if end is None:
            pos = after
            continue
        holes.append((m.start(), end))
        pos = end


def _html_title(text: str) -> tuple[str, int, int] | None:
    """The first <title>...</title> or <h1>...</h1> (whichever starts first): (which, inner start, inner end)."""
    best: tuple[int, str, int, int] | None = None
    for name, opener in _TITLE_OPEN_RE.items():
        m = opener.search(text)
        if m is None:
            continue
        c = _close_re(name).search(text, m.end())
        if c is not None and (best is None or m.start() < best[0]):
            best = (m.start(), name, m.end(), c.start())
    return None if best is None else best[1:]


_INLINE_RE = re.compile(
    r"</?(?:a|abbr|b|bdi|bdo|cite|data|dfn|em|font|i|ins|kbd|mark|q|s|samp|small|span|strong|sub|sup|time|u|var)"
    r"\b[^<>]*>|&#?\w+;",
    re.I,
)


def parse_html(text: str, path: str) -> Document:
    from bisect import bisect_left

    holes = _html_skips(text)
    soft = [(m.start(), m.end()) for m in _INLINE_RE.finditer(text)]  # inside a sentence: no barrier
    soft_starts = {s for s, _ in soft}
    soft_at = [s for s, _ in soft]
    holes += [(m.start(), m.end()) for m in _TAG_RE.finditer(text) if m.start() not in soft_starts]
    lts = [m.start() for m in re.finditer("<", text)]
    gts = [m.start() for m in re.finditer(">", text)]

    def last_before(positions: list[int], p: int) -> int:
        k = bisect_left(positions, p) - 1
        return positions[k] if k >= 0 else -1

    holes += [(m.start(), m.end()) for m in URL_RE.finditer(text)
              if last_before(lts, m.start()) <= last_before(gts, m.start())]  # not inside a tag
    segments = []
    for seg in paragraph_segments(text, _holes_to_spans(0, len(text), holes)):
        # only the soft holes near this segment (finditer gives them in order): linear over the file
        lo = max(0, bisect_left(soft_at, seg.start) - 1)
        near = soft[lo:bisect_left(soft_at, seg.end, lo)]
        pieces = [_strip_span(text, s, e) for s, e in _holes_to_spans(seg.start, seg.end, near)]
        pieces = [(s, e) for s, e in pieces if e > s]
        segments += [Segment(s, e, seg.field, joined=k > 0) for k, (s, e) in enumerate(pieces)]
    title = None
    found = _html_title(text)
    if found:
        import html

        which, s1, e1 = found
        title = html.unescape(_TAG_RE.sub("", text[s1:e1])).strip() or None
        if which == "title":  # <title> sits in <head>, which is skipped: lint it as the title field
            inner = [(t.start() + s1, t.end() + s1) for t in re.finditer(r"<[^<>]*>|&#?\w+;", text[s1:e1])]
            segments = paragraph_segments(text, _holes_to_spans(s1, e1, inner), "title") + segments
    return Document(path=path, text=text, segments=tuple(segments), title=title, kind="html")


# ---------------------------------------------------------------------------------------------------
# JSONL records


def jsonl_lines(text: str) -> list[str]:
    """The lines of a JSONL file: split at \n only (U+2028 and friends may stand raw inside JSON strings)."""
    lines = text.split("\n")
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


def parse_jsonl(text: str, path: str) -> list[Document]:
    """Every record of a JSONL file; bad lines raise PartialInput (with the good records) at the end."""
    docs: list[Document] = []
    problems: list[InputError] = []
    for lineno, line in enumerate(jsonl_lines(text), 1):
        if not line.strip():
            continue
        got = jsonl_record(line, path, lineno)
        if isinstance(got, InputError):
            problems.append(got)
        else:
            docs.append(got[1])
    if problems:
        raise PartialInput(docs, problems)
    if not docs:
        raise InputProblem("empty file, nothing to check")
    return docs


def jsonl_record(line: str, path: str, lineno: int) -> tuple[dict, Document] | InputError:
    """One line of a JSONL feed as (record, Document), or the InputError naming its problem
    (``feed.jsonl#LINE``: not valid JSON, not an object, no text...)."""
    where = record_path(path, lineno)
    try:
        rec = json.loads(line)
        if not isinstance(rec, dict):
            raise InputProblem("expected a JSON object")
        check_json_value(rec, surrogates="\\u" in line)
        return rec, record_document(rec, where, lineno)
    except json.JSONDecodeError as exc:
        return InputError(where, f"not valid JSON ({exc.msg})")
    except RecursionError:
        return InputError(where, f"nested more than {MAX_NESTING} levels deep")
    except ValueError as exc:  # json's own limits: an integer of more than 4300 digits
        return InputError(where, f"not a usable JSON record ({_reason(exc)})")
    except InputProblem as exc:
        return InputError(where, str(exc).removeprefix(f"line {lineno}: "))
    except Exception as exc:  # a bug while reading this record: reported for it, the others are read
        from .failures import failure

        return failure(where, exc, "could not be read")


def check_json_value(value: Any, *, surrogates: bool = True) -> None:
    """Refuse (InputProblem) a decoded JSON value nested past MAX_NESTING or holding a string with an
    unpaired surrogate (``"\\ud800"`` decodes, but cannot be written as UTF-8); no recursion."""
    stack: list[tuple[Any, int, str]] = [(value, 1, "")]
    while stack:
        v, depth, key = stack.pop()
        if isinstance(v, dict):
            if depth > MAX_NESTING:
                raise InputProblem(f"nested more than {MAX_NESTING} levels deep")
            for k, item in v.items():
                if surrogates and isinstance(k, str) and _SURROGATE_RE.search(k):
                    raise InputProblem("a key has a broken character (an unpaired surrogate escape)")
                stack.append((item, depth + 1, k if depth == 1 else key))
        elif isinstance(v, list):
            if depth > MAX_NESTING:
                raise InputProblem(f"nested more than {MAX_NESTING} levels deep")
            stack.extend((item, depth + 1, key) for item in v)
        elif surrogates and isinstance(v, str):
            m = _SURROGATE_RE.search(v)
            if m:
                field = f"'{key}'" if key else "a string"
                raise InputProblem(f"{field} has a broken character (an unpaired surrogate "
                                   f"\\u{ord(m.group()):04x}) at character {m.start()}")


def record_path(path: str, lineno: int) -> str:
    """How a JSONL record is named in reports: ``feed.jsonl#LINE``."""
    return f"{path}#{lineno}"


def split_record_path(path: str) -> tuple[str, int | None]:
    """(file, line) for a JSONL record path ``feed.jsonl#LINE``; (path, None) for anything else."""
    base, sep, line = path.rpartition("#")
    if sep and base and line.isdigit():
        return base, int(line)
    return path, None


def record_document(rec: dict[str, Any], path: str, lineno: int = 0) -> Document:
    """A JSONL/API record (id, title, text, url, provider) as a document."""
    body = rec.get("text", rec.get("body"))
    if not isinstance(body, str):
        raise InputProblem(f"line {lineno}: record has no 'text' string")
    title = rec.get("title") if isinstance(rec.get("title"), str) else None
    excerpt = rec.get("excerpt") if isinstance(rec.get("excerpt"), str) else None
    parts: list[tuple[str, str]] = []
    if title:
        parts.append(("title", title))
    if excerpt:
        parts.append(("excerpt", excerpt))
    parts.append(("body", body))
    text = ""
    segments: list[Segment] = []
    for field, value in parts:
        if text:
            text += "\n\n"
        base = len(text)
        text += value
        if field == "body":
            segments.extend(markdown_prose(text, base, len(text)))  # its segments' field is "body" already
        else:
            segments.extend(paragraph_segments(text, [(base, len(text))], field))
    provider = rec.get("provider")
    pname = pdomain = None
    if isinstance(provider, dict):
        pname, pdomain = _str(provider.get("name")), _str(provider.get("domain"))
    elif provider is not None:
        pname = _str(provider)
    rid = rec.get("id")
    return Document(
        path=path,
        text=text,
        segments=tuple(segments),
        id=None if rid is None else str(rid),
        title=title,
        url=_str(rec.get("url") or rec.get("webUrl")),
        provider_name=pname,
        provider_domain=pdomain or _str(rec.get("domain")),
        published=_str(rec.get("published") or rec.get("publishedDateTime") or rec.get("date")),
        kind="jsonl",
        meta={k: v for k, v in rec.items() if k not in ("text", "body")},
    )


def load_documents(paths: list[str], *, max_bytes: int = DEFAULT_MAX_BYTES, encoding: str | None = None,
                   stdin_name: str = "-") -> tuple[list[Document], list[InputError]]:
    """Read every input; return the documents and one error per unreadable input."""
    errors: list[InputError] = []
    docs = list(iter_documents(paths, errors, max_bytes=max_bytes, encoding=encoding, stdin_name=stdin_name))
    return docs, errors


def iter_documents(paths: list[str], errors: list[InputError], *, max_bytes: int = DEFAULT_MAX_BYTES,
                   encoding: str | None = None, stdin_name: str = "-") -> Iterator[Document]:
    """Like load_documents, lazily: documents are yielded as files are read."""
    for src in discover(paths, errors):
        yield from read_source_reporting(src, errors, max_bytes=max_bytes, encoding=encoding, stdin_name=stdin_name)


def read_source_reporting(src: Source, errors: list[InputError], *, max_bytes: int = DEFAULT_MAX_BYTES,
                          encoding: str | None = None, stdin_name: str = "-") -> list[Document]:
    """read_source, with problems appended to ``errors``: a JSONL file's good records still come back."""
    try:
        return read_source(src, max_bytes=max_bytes, encoding=encoding, stdin_name=stdin_name)
    except PartialInput as exc:
        errors.extend(exc.problems)
        return exc.documents
    except InputProblem as exc:
        errors.append(InputError(stdin_name if src.path == "-" else src.path, str(exc)))
        return []
    except Exception as exc:  # a bug while reading: reported for this input, the others are still read
        from .failures import failure

        errors.append(failure(stdin_name if src.path == "-" else src.path, exc, "could not be read"))
        return []
