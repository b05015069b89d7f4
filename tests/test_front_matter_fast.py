"""YAML front matter read with libyaml (yaml.CSafeLoader) gives what PyYAML's pure-Python loader gives.

``document._parse_front_matter`` reads front matter with libyaml when PyYAML has it, and falls back to
the pure-Python SafeLoader for text libyaml may read differently and for anything libyaml refuses,
so that every result, error message and cap stays as it was. Each case here is parsed both ways
(the pure way by switching the fast path off) and must come out the same: the same data and prose
spans, or the same one-line problem.
"""

from __future__ import annotations

import os

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unspin import document
from unspin.document import InputProblem, parse_text

pytestmark = pytest.mark.skipif(not hasattr(yaml, "CSafeLoader"), reason="PyYAML without libyaml")

BODY = "The council kept library hours unchanged on Wednesday.\n"

CASES = {
    "plain": 'title: "Council keeps library hours"\nexcerpt: Members voted.\nprovider:\n  name: Courier\n',
    "non-ascii spans": "title: \"Café — naïve 😀 title\"\nexcerpt: plain ü text 😀 here\n",
    "block scalars": "title: |\n  A block\n  title\nexcerpt: >\n  folded\n  text\n",
    "single quotes": "title: 'it''s here'\n",
    "escapes": 'title: "esc \\x41 \\u00e9"\n',
    "duplicate keys": "title: first\ntitle: second\n",
    "huge int": "n: " + "9" * 5000 + "\n",
    "bad date": "date: 2024-02-30\n",
    "bad tag": "n: !!int abc\n",
    "python tag": "x: !!python/object:os.system x\n",
    "deep flow 101": "t: " + "[" * 101 + "]" * 101 + "\n",
    "deep flow 500": "t: " + "[" * 500 + "]" * 500 + "\n",
    "deep flow 2000": "t: " + "[" * 2000 + "]" * 2000 + "\n",
    "deep map 120": "t: " + "{a: " * 120 + "1" + "}" * 120 + "\n",
    "deep block 150": "".join(" " * i + f"k{i}:\n" for i in range(150)) + " " * 150 + "v: 1\n",
    "deep block seq 500": "x:\n  " + "- " * 500 + "1\n",
    "block seq on one line": "x: " + "- " * 5000 + "1\n",
    "exactly 100 deep": "t: " + "[" * 99 + "]" * 99 + "\n",
    "recursive alias": "a: &a [*a]\ntitle: x\n",
    "undefined alias": "x: *nope\n",
    "alias bomb": "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                  "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n",
    "merge key": "<<: {x: 1}\ny: 2\n",
    "tab in value": "title: a\tb\nexcerpt:\tx\n",
    "tab indent": "provider:\n\tname: x\n",
    "bom inside": "title: a\ufeffb\n",
    "nel and line separators": "title: a\x85b\u2028c\u2029d\n",
    "lone cr": "title: a\rexcerpt: b\n",
    "lone surrogate": "title: a\ud800b\n",
    "control character": "title: a\x07b\n",
    "bare tag": "title: !\n",
    "glued comment": "title: |-#x\n",
    "not a mapping": "- a\n- b\n",
    "a scalar": "just text\n",
    "empty": "",
    "only a comment": "# nothing\n",
    "syntax error": "a: b: c\n",
    "unclosed quote": 'title: "open\n',
    "long key": "k" * 2000 + ": v\n",
    "directive": "%TAG ! x\n",
    "empty values": "title:\nexcerpt: ''\nx: {a: }\n",
    "windows line ends": "title: Council\r\nexcerpt: Members\r\n",
}


def _outcome(fm: str):
    try:
        doc = parse_text(f"---\n{fm}---\n{BODY}", "x.md", "markdown")[0]
    except InputProblem as exc:
        return "problem", str(exc)
    segments = [(s.start, s.end, s.field) for s in doc.segments if s.end > s.start]
    return "ok", repr(doc.meta), segments, doc.title


def _pure_outcome(fm: str, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(document, "_fast_front_matter", lambda yaml_module, block: None)
        return _outcome(fm)


@pytest.mark.parametrize("name", sorted(CASES))
def test_front_matter_reads_the_same_with_libyaml(name, monkeypatch):
    fm = CASES[name]
    assert _outcome(fm) == _pure_outcome(fm, monkeypatch)


def test_the_caps_and_messages_are_the_ones_documented():
    for name, expected in [("huge int", "an integer of more than 4,300 digits"),
                           ("deep flow 101", "nested more than 100 levels deep"),
                           ("deep flow 2000", "nested more than 100 levels deep"),
                           ("deep block seq 500", "nested more than 100 levels deep"),
                           ("syntax error", "mapping values are not allowed here at line 2"),
                           ("lone surrogate", "special characters are not allowed")]:
        kind, message = _outcome(CASES[name])
        assert kind == "problem" and message.startswith("malformed front matter: ") and expected in message, name
    assert _outcome(CASES["exactly 100 deep"])[0] == "ok"
    kind, message = _outcome("x: '" + "a" * (document.MAX_FRONT_MATTER + 1) + "'\n")
    assert kind == "problem" and "over the 262,144 limit" in message


def test_plain_front_matter_does_not_need_the_pure_loader(monkeypatch):
    """The fast path is really taken: with the pure loader broken, plain front matter still reads."""
    def broken(*args, **kwargs):
        raise AssertionError("the pure-Python loader was used")

    monkeypatch.setattr(yaml, "SafeLoader", broken)
    doc = parse_text(f"---\n{CASES['non-ascii spans']}---\n{BODY}", "x.md", "markdown")[0]
    assert doc.title == "Café — naïve 😀 title"
    fields = {s.field: doc.text[s.start:s.end] for s in doc.segments if s.field != "body"}
    assert fields == {"title": "Café — naïve 😀 title", "excerpt": "plain ü text 😀 here"}


def test_text_libyaml_reads_differently_goes_to_the_pure_loader():
    for name in ("tab in value", "bom inside", "nel and line separators", "lone cr", "bare tag", "glued comment",
                 "directive", "lone surrogate", "control character"):
        assert document._fast_front_matter(yaml, CASES[name]) is None, name
    assert document._fast_front_matter(yaml, CASES["plain"]) is not None


# Random front matter from YAML's indicators and the corners above: the differential fuzz that chose
# _PURE_ONLY_RE. UNSPIN_FM_EXAMPLES=20000 runs it at the scale of docs/robustness.md.
PIECES = ["\n", " ", "  ", "\t", ": ", ":", "- ", "-", "? ", "[", "]", "{", "}", ",", "#", "&a ", "*a", "!", "!!str ",
          "'", '"', "\\", "|", ">", "|-", ">+", "---", "...", "%", "@", "`", "\ufeff", "\x85", "\u2028", "\r",
          "\r\n", "title", "excerpt: ", "x", "é", "😀", "2024-01-01", "1", "0x1F", "~", "null", "yes", "1e400",
          "<<", "a b", " #c", "\u00a0", "\u200b"]


@settings(max_examples=int(os.environ.get("UNSPIN_FM_EXAMPLES", "300")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=25).map("".join))
def test_any_front_matter_reads_the_same_with_libyaml(fm):
    fm = fm.replace("---", "-x-").replace("...", ".x.")  # (a line of them would close the front matter)
    fast = _outcome(fm + "\n")
    saved = document._fast_front_matter
    document._fast_front_matter = lambda yaml_module, block: None
    try:
        pure = _outcome(fm + "\n")
    finally:
        document._fast_front_matter = saved
    assert fast == pure
