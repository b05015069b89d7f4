"""Reading inputs: formats, prose spans with offsets into the original file, and bad input."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from unspin.document import InputProblem, decode, load_documents, parse_text
from unspin.model import InputError

MD = """---
title: "Squeeze secretary speaks"
excerpt: Facial acknowledgment is used.
provider:
  name: Quick Wire
  domain: quick.example
webUrl: https://quick.example/a
publishedDateTime: "2026-06-02T08:15:00Z"
related: [a, b]
---

Body text with `inline code here` and a [link](https://quick.example/x) in it.

```python
squeeze_secretary = facial_acknowledgment()
```

Visit https://quick.example/squeeze-secretary for more.
"""


def prose_texts(doc):
    return [(s.field, doc.text[s.start:s.end]) for s in doc.segments]


def test_markdown_front_matter_fields_point_into_the_file():
    doc = parse_text(MD, "a.md", "markdown")[0]
    fields = dict((f, t) for f, t in prose_texts(doc) if f != "body")
    assert fields == {"title": "Squeeze secretary speaks", "excerpt": "Facial acknowledgment is used."}
    assert doc.title == "Squeeze secretary speaks"
    assert doc.provider_name == "Quick Wire" and doc.provider_domain == "quick.example"
    assert doc.url == "https://quick.example/a"
    assert doc.published == "2026-06-02T08:15:00Z"


def test_markdown_code_urls_and_yaml_keys_are_not_prose():
    doc = parse_text(MD, "a.md", "markdown")[0]
    body = " ".join(t for f, t in prose_texts(doc) if f == "body")
    assert "Body text with" in body and "in it." in body and "link" in body
    assert "inline code here" not in body
    assert "facial_acknowledgment" not in body
    assert "https://" not in body
    assert "provider" not in " ".join(t for _, t in prose_texts(doc))


def test_html_skips_tags_scripts_and_keeps_offsets():
    html = ("<html><head><title>T &amp; Q</title><script>var squeeze = 1;</script></head>"
            "<body><p>The squeeze secretary spoke.</p><pre>code here</pre></body></html>")
    doc = parse_text(html, "a.html", "html")[0]
    texts = [doc.text[s.start:s.end] for s in doc.segments]
    assert "The squeeze secretary spoke." in texts
    assert not any("var squeeze" in t or "code here" in t for t in texts)
    assert doc.title == "T & Q"


def test_jsonl_records_become_documents_with_metadata(tmp_path):
    p = tmp_path / "feed.jsonl"
    p.write_text('{"id": "r1", "title": "Hello", "text": "First body.", "url": "https://x.example/1", '
                 '"provider": {"name": "X", "domain": "x.example"}}\n\n'
                 '{"id": 2, "title": "Bye", "text": "Second body.", "provider": "Plain Name"}\n', encoding="utf-8")
    docs, errors = load_documents([str(p)])
    assert errors == []
    assert [d.id for d in docs] == ["r1", "2"]
    assert docs[0].path.endswith("feed.jsonl#1") and docs[1].path.endswith("feed.jsonl#3")
    assert docs[0].provider_domain == "x.example" and docs[1].provider_name == "Plain Name"
    assert [docs[0].text[s.start:s.end] for s in docs[0].segments] == ["Hello", "First body."]


def test_folder_is_read_recursively_and_skips_hidden_and_other_files(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    (tmp_path / "a" / "b" / "deep.md").write_text("Some text here.\n")
    (tmp_path / "a" / "x.txt").write_text("Plain text here.\n")
    (tmp_path / ".git" / "y.md").write_text("hidden\n")
    (tmp_path / "a" / "image.png").write_bytes(b"\x89PNG\x00\x00")
    docs, errors = load_documents([str(tmp_path)])
    assert sorted(Path(d.path).name for d in docs) == ["deep.md", "x.txt"]
    assert errors == []


@pytest.mark.parametrize("data, problem", [
    (b"\x00\x01\x02binary\x00stuff" * 10, "binary file"),
    (b"caf\xe9 au lait, the council said", "not valid UTF-8"),
    (b"", "empty file"),
    (b"   \n\n  ", "empty file"),
])
def test_undecodable_input_gets_a_plain_problem(data, problem):
    with pytest.raises(InputProblem) as exc:
        decode(data)
    assert problem in str(exc.value)
    assert "\n" not in str(exc.value)


def test_explicit_encoding_and_utf16_bom_decode():
    assert decode("café".encode("cp1252"), "cp1252") == "café"
    assert decode("café council".encode("utf-16")) == "café council"
    assert decode(b"\xef\xbb\xbfcaf\xc3\xa9") == "café"


def test_malformed_front_matter_names_the_problem(tmp_path):
    p = tmp_path / "bad.md"
    p.write_text('---\ntitle: "unclosed\nprovider: [\n---\nBody.\n')
    docs, errors = load_documents([str(p)])
    assert docs == []
    assert len(errors) == 1 and errors[0].path == str(p)
    assert errors[0].error.startswith("malformed front matter")
    q = tmp_path / "open.md"
    q.write_text("---\ntitle: x\nBody without closing fence.\n")
    _, errors = load_documents([str(q)])
    assert "no closing" in errors[0].error


def test_front_matter_that_is_not_a_mapping(tmp_path):
    p = tmp_path / "list.md"
    p.write_text("---\n- a\n- b\n---\nBody text.\n")
    _, errors = load_documents([str(p)])
    assert "expected 'key: value' pairs" in errors[0].error


def test_large_file_is_refused_without_reading_it(tmp_path):
    p = tmp_path / "huge.txt"
    with open(p, "wb") as fh:  # a sparse 50 MB file
        fh.truncate(50 * 1024 * 1024)
    docs, errors = load_documents([str(p)])
    assert docs == [] and "50.0 MB, over the 10.0 MB limit" in errors[0].error


def test_missing_paths_and_good_files_in_the_same_run(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("A perfectly good sentence.\n")
    docs, errors = load_documents([str(tmp_path / "nope.md"), str(good)])
    assert [Path(d.path).name for d in docs] == ["good.txt"]
    assert errors == [InputError(str(tmp_path / "nope.md"), "no such file or folder")]


def test_unreadable_file_and_folder(tmp_path, monkeypatch):
    secret = tmp_path / "secret.md"
    secret.write_text("Private words.\n")
    sub = tmp_path / "locked"
    sub.mkdir()
    (sub / "inner.md").write_text("Inner words.\n")
    real_open, real_scandir = open, os.scandir

    def fake_open(path, *a, **kw):
        if str(path) == str(secret):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *a, **kw)

    def fake_scandir(path="."):
        if str(path) == str(sub):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr("builtins.open", fake_open)
    monkeypatch.setattr(os, "scandir", fake_scandir)
    docs, errors = load_documents([str(tmp_path)])
    assert docs == []
    msgs = {Path(e.path).name: e.error for e in errors}
    assert msgs["secret.md"] == "permission denied"
    assert msgs["locked"].startswith("cannot list folder: permission denied")


def test_bad_jsonl_lines_are_reported_and_good_records_still_read(tmp_path):
    p = tmp_path / "feed.jsonl"
    p.write_text('{"id": 1, "text": "ok"}\n{"id": 2, "text": \n[1, 2]\n{"id": 4, "title": "no text"}\n'
                 '{"id": 5, "text": "fine too"}\n')
    docs, errors = load_documents([str(p)])
    assert [d.id for d in docs] == ["1", "5"]
    assert [(e.path, e.error.split(" (")[0]) for e in errors] == [
        (f"{p}#2", "not valid JSON"), (f"{p}#3", "expected a JSON object"), (f"{p}#4", "record has no 'text' string")]


def test_jsonl_text_may_hold_unicode_line_separators(tmp_path):
    import json

    p = tmp_path / "ls.jsonl"
    rec = {"id": "x", "text": "The squeeze secretary said.\u2028Next\u2029line\x85end"}
    p.write_text(json.dumps(rec, ensure_ascii=False) + "\r\n" + json.dumps({"id": "y", "text": "b"}) + "\n",
                 encoding="utf-8")
    docs, errors = load_documents([str(p)])
    assert errors == [] and [d.id for d in docs] == ["x", "y"]
    assert docs[1].path.endswith("#2")


def test_escaped_front_matter_title_is_still_prose():
    md = '---\ntitle: "A \\"quoted\\" title on facial acknowledgment"\n---\n\nBody.\n'
    doc = parse_text(md, "a.md", "markdown")[0]
    title = next(s for s in doc.segments if s.field == "title")
    assert doc.text[title.start:title.end] == 'A \\"quoted\\" title on facial acknowledgment'
    assert doc.title == 'A "quoted" title on facial acknowledgment'


def test_html_title_is_linted_as_the_title_field():
    html = "<html><head><title>The squeeze secretary &amp; more</title></head><body><p>Body.</p></body></html>"
    doc = parse_text(html, "a.html", "html")[0]
    assert [(s.field, doc.text[s.start:s.end]) for s in doc.segments] == [
        ("title", "The squeeze secretary"), ("title", "more"), ("body", "Body.")]


def test_inline_html_tags_and_entities_do_not_split_phrases():
    from unspin.detect.lexicon import Entry, Lexicon
    from unspin.text import MatchStream

    html = ('<p>The squeeze <em>secretary</em> said a money&nbsp;related emergency was '
            '<a href="https://x.example/a">over</a>.</p><p>Secretary two.</p>')
    doc = parse_text(html, "a.html", "html")[0]
    assert "https" not in doc.prose() and "em>" not in doc.prose()
    lex = Lexicon([Entry(id="a", spun="squeeze secretary", canonical="press secretary", source="t"),
                   Entry(id="b", spun="money related emergency", canonical="financial crisis", source="t"),
                   Entry(id="c", spun="over secretary", canonical="x", source="t")])
    hits = [doc.text[h.start:h.end] for h in lex.find(MatchStream(doc.text, doc.segments))]
    assert hits == ["squeeze <em>secretary", "money&nbsp;related emergency"]  # never across paragraphs
