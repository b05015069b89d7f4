"""Property-based fuzzing (hypothesis) of the loaders, the detectors and all four emitters.

The properties: reading any bytes or text either gives documents whose segments lie inside their
text, or raises InputProblem (a JSONL file: PartialInput with the good records) with a one-line
message; analysing any document never raises, and every emitter renders it as valid UTF-8 (JSON and
SARIF parse back). Bounded for CI (max_examples below, no deadline); the long campaign is
scripts/fuzz_campaign.py (docs/robustness.md).
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unspin.analysis import Context
from unspin.config import Config
from unspin.document import InputProblem, PartialInput, decode, jsonl_record, parse_text
from unspin.formats import get_emitter
from unspin.guard import analyze_each
from unspin.model import InputError

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOWER = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces that steer random text into the corners the loaders care about.
MARKUP = ["`", "``", "```\n", "~~~\n", "<!--", "-->", "<script>", "</script>", "<style x>", "<title>", "</title>",
          "<h1>", "</h1>", "<?", "?>", "<!", "<a href='x'>", "</a>", "<p>", "</p>", "<", ">", "![", "](", ")",
          "[", "]:", "http://", "www.", "a@b.co", "&amp;", "&#x41;", "\n", "\n\n", "    ", "\t", "  ", " \n",
          "\r\n", "---\n", "...\n", "# ", "> ", "- ", "1. ", "|", "\u200b", "\u00ad", "\ufeff", "\x07", "\u0301",
          "\u00c3\u00a9", "\u00e2\u20ac\u2122", "\u2028", "İ", "ß", "Ⅻ", "!", "?", ".", "...", "\"", "'", "’", "—",
          "squeeze secretary", "press secretary", "The minister said", " that ", "counterfeit consciousness",
          "Big Data", "e.g.", "Mr.", "U.S."]
WORDS = st.sampled_from(MARKUP) | st.text(min_size=1, max_size=12)
TEXTS = st.lists(WORDS, min_size=1, max_size=60).map("".join)

YAML_SAMPLES = [
    "2024-02-30", "2024-01-01T25:00:00Z", "2024-01-01T10:00:00+99:00", "!!timestamp foo", "!!bool maybe",
    "!!int abc", "!!float x", "!!binary ###", "!!set {a}", "!!python/object:os.system x", "&a [*a]", "*nope",
    "[1, [2, [3]]]", "{a: {b: c}}", "'quoted'", '"esc \\x41"', "|\n  block\n  text", ">\n  folded", "~", "null",
    "1e400", "0x1F", "0o17", "-.inf", ".nan", "9" * 4400, "[" * 300 + "]" * 300, "{a: " * 120 + "1" + "}" * 120,
    "? [a, b]\n: c", "<<: {x: 1}", "!custom x", "%TAG ! x", "@bad", "`tick", "a: b: c",
]
YAML_VALUES = st.sampled_from(YAML_SAMPLES) | st.text(max_size=20)
FRONT_MATTER = st.lists(st.tuples(st.sampled_from(["title", "date", "provider", "id", "url", "x", "excerpt"]),
                                  YAML_VALUES), max_size=6).map(
    lambda kvs: "".join(f"{k}: {v}\n" for k, v in kvs))

JSON_LEAVES = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30))
JSON_VALUES = st.recursive(JSON_LEAVES, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)
RAW_SAMPLES = [
    "\\ud800", "\\udfff", "\\ud83d\\ude00", "\\u0000", "9" * 4400, "[" * 1200, "]" * 1200, "{", "}", ",", ":",
    '"', "\\", "\\n", "1e999", "-0", "NaN", "Infinity", "true", "null",
]
RAW_JSONL_PIECES = st.sampled_from(RAW_SAMPLES)

_CTX = {}


def context() -> Context:
    if "ctx" not in _CTX:
        _CTX["ctx"] = Context(config=Config())
    return _CTX["ctx"]


def _read(text: str, kind: str, path: str):
    """parse_text, with the contract checked: documents (segments in bounds) or a one-line InputProblem."""
    try:
        docs = parse_text(text, path, kind)
    except PartialInput as exc:
        assert all(isinstance(p, InputError) and "\n" not in p.error for p in exc.problems)
        docs = exc.documents
    except InputProblem as exc:
        assert "\n" not in str(exc) and str(exc)
        return []
    for d in docs:
        for seg in d.segments:
            assert 0 <= seg.start < seg.end <= len(d.text)
    return docs


def _emit_all(docs) -> None:
    errors: list[InputError] = []
    reports = list(analyze_each(docs, context(), errors))
    assert not errors, errors  # a document that loads must analyse
    for fmt in ("text", "json", "sarif", "github"):
        out = get_emitter(fmt)(reports, errors)
        out.encode("utf-8")
        if fmt in ("json", "sarif"):
            json.loads(out)


def decode_or_problem(data: bytes) -> None:
    try:
        text = decode(data)
    except InputProblem as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(text, str)


def check_raw_line(body: str) -> None:
    got = jsonl_record('{"text": "' + body + '"}', "f.jsonl", 1)
    if isinstance(got, InputError):
        assert got.path == "f.jsonl#1" and "\n" not in got.error
    else:
        got[1].text.encode("utf-8")  # no unpaired surrogate gets through


def check_csv_row(cells: list[str]) -> None:
    from unspin.report.export import _csv

    text = _csv(tuple(f"c{i}" for i in range(len(cells))), [cells])
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 2 and len(rows[1]) == len(cells)
    for cell in rows[1]:
        for line in cell.replace("\r", "\n").split("\n"):
            stripped = line.lstrip()
            if stripped.startswith(("=", "+", "@")) or (stripped.startswith("-") and not _number(stripped)):
                assert line.startswith("'")


def check_diff_regions(text: str) -> None:
    from unspin.detect.normalise import diff_spans, normalise_text

    new = normalise_text(text)
    out, prev = [], 0
    for i1, i2, j1, j2 in diff_spans(text, new):
        assert prev <= i1 <= i2 <= len(text)
        out += [text[prev:i1], new[j1:j2]]
        prev = i2
    out.append(text[prev:])
    assert "".join(out) == new


@FAST
@given(st.binary(max_size=400))
def test_any_bytes_decode_or_give_one_plain_problem(data):
    decode_or_problem(data)


@FAST
@given(TEXTS, st.sampled_from(["text", "markdown", "html"]))
def test_any_text_loads_within_bounds(text, kind):
    _read(text, kind, f"x.{kind}")


@FAST
@given(FRONT_MATTER, TEXTS)
def test_any_front_matter_loads_or_is_one_plain_problem(fm, body):
    _read(f"---\n{fm}---\n{body}", "markdown", "x.md")


@FAST
@given(st.dictionaries(st.sampled_from(["text", "title", "excerpt", "body", "id", "url", "provider", "x"]),
                       JSON_VALUES, max_size=6))
def test_any_json_record_loads_or_is_named(rec):
    got = jsonl_record(json.dumps(rec), "f.jsonl", 7)
    if isinstance(got, InputError):
        assert got.path == "f.jsonl#7" and "\n" not in got.error
    else:
        assert got[1].path == "f.jsonl#7"


@FAST
@given(st.lists(RAW_JSONL_PIECES | st.text(max_size=6), max_size=20).map("".join))
def test_any_jsonl_line_loads_or_is_named(body):
    check_raw_line(body)


@SLOWER
@given(TEXTS, st.sampled_from(["text", "markdown", "html"]))
def test_detectors_and_all_emitters_take_any_document(text, kind):
    _emit_all(_read(text, kind, f"x.{kind}"))


@SLOWER
@given(st.lists(st.fixed_dictionaries({"text": TEXTS}, optional={"title": TEXTS, "excerpt": TEXTS,
                                                                   "provider": JSON_VALUES, "id": JSON_VALUES}),
                min_size=1, max_size=4))
def test_detectors_and_emitters_take_any_feed(records):
    text = "\n".join(json.dumps(r) for r in records)
    _emit_all(_read(text, "jsonl", "feed.jsonl"))


@FAST
@given(st.lists(st.text(max_size=20) | st.sampled_from(["=1+1", "\r=1", "\n@x", " -2", "\t+3", "a,b", '"q"']),
                min_size=1, max_size=8))
def test_csv_rows_read_back_whole_and_formula_free(cells):
    check_csv_row(cells)


def _number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


@FAST
@given(TEXTS)
def test_normalisation_regions_rebuild_the_repair(text):
    check_diff_regions(text)


@pytest.mark.parametrize("body", [b'{"text": "a", "n": [' + b"[" * 3000 + b"]" * 3000 + b"]}",
                                  b'{"text": "' + b"9" * 5000 + b'", "n": ' + b"9" * 5000 + b"}"])
def test_page_json_bodies_json_cannot_build_are_400(body):
    from unspin.web.server import RequestProblem, WebApp

    app = WebApp(config=Config(generic=False))
    with pytest.raises(RequestProblem) as info:
        app.check_json(body)
    assert info.value.status == 400
