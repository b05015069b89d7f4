"""Issue #15: no input can crash unspin or abort a run; CSV cannot smuggle formulas; fix --write tidies up.

Every input problem is one line naming the file (and JSONL record), exit 2, after the other inputs
were processed; an unexpected exception in one document is reported for that document.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time

import pytest

from unspin.cli import cli
from unspin.document import InputProblem, PartialInput, markdown_prose, parse_text

GOOD = "The council approved the budget on Tuesday after a long debate.\n"

BAD_FRONT_MATTER = {
    "bad-date.md": ("date: 2024-02-30", "'date' on line 2 is not a valid timestamp '2024-02-30'"),
    "bad-hour.md": ("published: 2024-01-01T25:00:00Z", "'published' on line 2 is not a valid timestamp"),
    "bad-offset.md": ("published: 2024-01-01T10:00:00+99:00", "the time zone offset is out of range"),
    "bad-ts-tag.md": ("when: !!timestamp foo", "'when' on line 2 is not a valid timestamp 'foo'"),
    "bad-bool.md": ("draft: !!bool maybe", "'draft' on line 2 is not a valid bool 'maybe'"),
    "bad-int.md": ("n: !!int abc", "'n' on line 2 is not a valid int 'abc'"),
    "bad-float.md": ("x: !!float x", "'x' on line 2 is not a valid float 'x'"),
    "huge-int.md": ("n: " + "9" * 5000, "an integer of more than 4,300 digits"),
    "deep-list.md": ("t: " + "[" * 1000 + "]" * 1000, "nested more than 100 levels deep"),
    "deep-map.md": ("t: " + "{a: " * 1000 + "1" + "}" * 1000, "nested more than 100 levels deep"),
    "deep-block.md": ("".join(" " * i + f"k{i}:\n" for i in range(150)) + " " * 150 + "v: 1",
                      "nested more than 100 levels deep"),
}


def run(cli_runner, *args):
    result = cli_runner.invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("name", sorted(BAD_FRONT_MATTER))
def test_front_matter_values_python_cannot_build_are_one_plain_problem(name):
    yaml_text, expected = BAD_FRONT_MATTER[name]
    with pytest.raises(InputProblem) as info:
        parse_text(f"---\n{yaml_text}\n---\n{GOOD}", name, "markdown")
    message = str(info.value)
    assert message.startswith("malformed front matter: ") and expected in message
    assert "\n" not in message and len(message) < 300


def test_check_reports_every_bad_file_and_still_checks_the_good_ones(cli_runner, tmp_path):
    for name, (yaml_text, _) in BAD_FRONT_MATTER.items():
        (tmp_path / name).write_text(f"---\n{yaml_text}\n---\n{GOOD}", encoding="utf-8")
    (tmp_path / "good.md").write_text("---\ntitle: Fine\n---\n" + GOOD, encoding="utf-8")
    code, out, err = run(cli_runner, "check", "--no-generic", "--format", "json", str(tmp_path))
    assert code == 2
    payload = json.loads(out)
    assert [d["path"] for d in payload["documents"]] == [str(tmp_path / "good.md")]
    lines = err.strip().splitlines()
    assert len(lines) == len(BAD_FRONT_MATTER) and "Traceback" not in err and "internal error" not in err
    for name in BAD_FRONT_MATTER:
        assert any(line.startswith(f"{tmp_path / name}: malformed front matter: ") for line in lines), name


def test_bad_jsonl_records_are_named_by_line_and_the_rest_are_checked(cli_runner, tmp_path):
    feed = tmp_path / "feed.jsonl"
    lines = [
        json.dumps({"id": "a", "text": GOOD}),
        '{"id": "b", "text": "Fine text here.", "n": ' + "9" * 5000 + "}",
        '{"id": "c", "text": "Fine text here.", "deep": ' + "[" * 5000 + "]" * 5000 + "}",
        '{"id": "d", "text": "Half a pair \\ud800 here."}',
        '{"id": "e", "text": "Fine.", "deep": ' + "[" * 150 + "]" * 150 + "}",
        json.dumps({"id": "f", "text": GOOD}),
    ]
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for fmt in ("text", "json", "sarif", "github"):
        code, out, err = run(cli_runner, "check", "--no-generic", "--format", fmt, str(feed))
        assert code == 2, fmt
        errs = err.strip().splitlines()
        assert [e.split(":")[0] for e in errs] == [f"{feed}#2", f"{feed}#3", f"{feed}#4", f"{feed}#5"], fmt
        assert "4,300 digits" in errs[0] and "nested more than 100" in errs[1]
        assert "unpaired surrogate" in errs[2] and "nested more than 100" in errs[3]
        out.encode("utf-8")  # what went to stdout is valid UTF-8
    code, out, _ = run(cli_runner, "check", "--no-generic", "--format", "json", str(feed))
    assert [d["path"] for d in json.loads(out)["documents"]] == [f"{feed}#1", f"{feed}#6"]


def test_an_exception_in_one_document_is_reported_for_it_and_the_run_goes_on(cli_runner, tmp_path, monkeypatch):
    import unspin.analysis as analysis

    real = analysis._finish

    def flaky(doc, *args, **kwargs):
        if "boom" in doc.path:
            raise RuntimeError("detector exploded")
        return real(doc, *args, **kwargs)

    monkeypatch.setattr(analysis, "_finish", flaky)
    for name in ("a.txt", "boom.txt", "c.txt"):
        (tmp_path / name).write_text(GOOD, encoding="utf-8")
    code, out, err = run(cli_runner, "check", "--no-generic", "--format", "json", str(tmp_path))
    assert code == 2
    assert [d["path"] for d in json.loads(out)["documents"]] == [str(tmp_path / "a.txt"), str(tmp_path / "c.txt")]
    assert err.strip() == (f"{tmp_path / 'boom.txt'}: could not be analysed (RuntimeError: detector exploded); "
                           "this is a bug in unspin, please report it")


def test_archive_add_stores_the_good_articles_next_to_bad_ones(cli_runner, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "bad.md").write_text("---\ndate: 2024-02-30\n---\n" + GOOD, encoding="utf-8")
    (tmp_path / "in" / "good.md").write_text("---\ntitle: Fine\n---\n" + GOOD, encoding="utf-8")
    (tmp_path / "in" / "feed.jsonl").write_text(
        json.dumps({"id": "x", "text": "Another article about the harbour works and the ferry."}) + "\n"
        + '{"id": "y", "text": "t", "n": ' + "[" * 3000 + "]" * 3000 + "}\n", encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'a.db'}"
    code, out, err = run(cli_runner, "archive", "add", "--no-progress", "--db", db, str(tmp_path / "in"))
    assert code == 2
    assert "2 added" in out
    assert f"{tmp_path / 'in' / 'bad.md'}: error: malformed front matter" in err
    assert f"{tmp_path / 'in' / 'feed.jsonl'}#2: error: nested more than 100 levels deep" in err


def test_report_and_match_go_on_past_bad_inputs(cli_runner, tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join([
        json.dumps({"id": "a", "text": GOOD, "provider": "P"}),
        '{"id": "b", "text": "x", "n": ' + "9" * 4400 + "}",
    ]) + "\n", encoding="utf-8")
    code, _, err = run(cli_runner, "report", "--no-generic", "--jobs", "1", "--no-progress", "--out",
                       str(tmp_path / "out"), str(feed))
    assert code == 2 and f"{feed}#2: error: not a usable JSON record" in err
    assert (tmp_path / "out" / "articles.csv").read_text(encoding="utf-8").count("\n") == 2
    db = f"sqlite:///{tmp_path / 'a.db'}"
    run(cli_runner, "archive", "add", "--no-progress", "--db", db, str(tmp_path / "feed.jsonl"))
    code, out, err = run(cli_runner, "match", "--db", db, "--format", "json", str(feed))
    assert code == 2 and f"{feed}#2: not a usable JSON record" in err
    assert [d["path"] for d in json.loads(out)["documents"]] == [f"{feed}#1"]


# ---------------------------------------------------------------------------------------------------
# Linear-time patterns: the same holes as before, found without rescans (timing is in benchmarks/)


def _holes(body: str) -> list[str]:
    segs = markdown_prose(body, 0, len(body))
    return [body[s.start:s.end] for s in segs]


def test_code_spans_pair_runs_of_equal_length():
    assert _holes("Use `x` and ``a ` b`` here, then ` alone.") == ["Use", "and", "here, then ` alone."]
    assert _holes("<!-- a ` b --> text `code` end") == ["text", "end"]


def test_unclosed_openers_leave_the_prose():
    text = "Words " + "<!-- " * 50 + " more words " + "![x " * 20 + "](y " * 20
    got = "".join(_holes(text))
    assert "Words" in got and "more words" in got
    doc = parse_text("<p>Alpha</p>" + "<script>" * 30 + "<?" * 30 + "<p>Beta</p>", "x.html", "html")[0]
    prose = doc.prose()
    assert "Alpha" in prose and "Beta" in prose  # an opener without its closer hides nothing after it


def test_html_title_and_skips_match_the_first_closed_element():
    doc = parse_text("<html><head><title>Old &amp; new</title><script>var x = '<p>no</p>';</script></head>"
                     "<body><h1>Head</h1><p>Body text here.</p><!-- gone --></body></html>", "x.html", "html")[0]
    assert doc.title == "Old & new"
    prose = doc.prose()
    assert "no" not in prose.split() and "gone" not in prose and "Body text here." in prose


def test_paragraph_cap_is_a_clear_refusal():
    from unspin.document import MAX_SEGMENT

    with pytest.raises(InputProblem, match=r"paragraph starting on line 3 is [\d,]+ characters long, over the"):
        parse_text("Title\n\n" + "word " * (MAX_SEGMENT // 5 + 10), "x.txt", "text")


def test_findings_are_capped_per_document_with_the_total_kept():
    from unspin.analysis import MAX_FINDINGS, Context, analyze
    from unspin.config import Config

    doc = parse_text("a\u200bb  " * (MAX_FINDINGS // 2 + 500), "x.txt", "text")[0]  # US403 and US404 each
    report = analyze(doc, Context(config=Config(generic=False)))
    assert len(report.findings) == MAX_FINDINGS
    assert report.extra["findings_total"] > MAX_FINDINGS
    assert report.to_json()["findings_total"] == report.extra["findings_total"]


def test_normalisation_diff_regions_rebuild_the_repaired_text():
    from unspin.detect.normalise import diff_spans, strip_controls

    old = "Alpha be\u200bta gamma\x07 delta " + "x" * 3000 + "\u200b end"
    new = strip_controls(old)
    out, prev = [], 0
    for i1, i2, j1, j2 in diff_spans(old, new):
        out += [old[prev:i1], new[j1:j2]]
        prev = i2
    out.append(old[prev:])
    assert "".join(out) == new
    assert [old[i1:i2] for i1, i2, _, _ in diff_spans(old, new)][:2] == ["be\u200bta", "gamma\x07"]


# ---------------------------------------------------------------------------------------------------
# CSV


def test_csv_cells_cannot_start_rows_or_formulas():
    from unspin.report.export import _csv

    evil = ["\r=1+1", "ok\n=2+2", "  @SUM(A1)", "\t=3", "-2+3", "+cmd", "a,b", 'say "hi"', "x\r\n-y", "-0.25",
            "plain"]
    text = _csv(tuple(f"c{i}" for i in range(len(evil))), [evil])
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 2 and len(rows[1]) == len(evil)
    for cell in rows[1]:
        for line in cell.replace("\r", "\n").split("\n"):
            assert not line.lstrip(" \t").startswith(("=", "+", "@")) or line.startswith("'")
            assert not line.lstrip(" \t").startswith("-") or line.startswith("'") or cell == "-0.25"
    assert rows[1][6] == "a,b" and rows[1][7] == 'say "hi"' and rows[1][9] == "-0.25" and rows[1][10] == "plain"
    # a lax reader that splits on any line break still sees no formula at a line start
    for line in text.replace("\r", "\n").split("\n"):
        assert not line.startswith(("=", "+", "-", "@"))


# ---------------------------------------------------------------------------------------------------
# fix --write: stale temp files, symlinks out of a folder

SPUN = "The White House squeeze secretary said an aid vector machine was trained.\n"


def test_fix_write_removes_only_its_own_stale_temp_files(cli_runner, tmp_path):
    target = tmp_path / "story.txt"
    target.write_text(SPUN, encoding="utf-8")
    stale = tmp_path / ".story.txt.ab12cd.unspin-tmp"
    fresh = tmp_path / ".story.txt.ef34gh.unspin-tmp"
    other = tmp_path / ".other.txt.ab12cd.unspin-tmp"
    mine_not_tmp = tmp_path / ".story.txt.ab12cd.bak"
    for p in (stale, fresh, other, mine_not_tmp):
        p.write_text("partial", encoding="utf-8")
    old = time.time() - 2 * 3600
    for p in (stale, other, mine_not_tmp):
        os.utime(p, (old, old))
    code, _, err = run(cli_runner, "fix", "--write", "--no-generic", "-q", str(target))
    assert code == 0, err
    assert not stale.exists()
    assert fresh.exists() and other.exists() and mine_not_tmp.exists()
    assert "press secretary" in target.read_text(encoding="utf-8")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_fix_write_folder_refuses_a_link_out_of_it_unless_asked(cli_runner, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text(SPUN, encoding="utf-8")
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "inside.txt").write_text(SPUN, encoding="utf-8")
    (folder / "link.txt").symlink_to(outside)
    code, _, err = run(cli_runner, "fix", "--write", "--no-generic", "-q", str(folder))
    assert code == 2
    assert f"{folder / 'link.txt'}: error: not written: a symbolic link to a file outside the folder" in err
    assert "squeeze secretary" in outside.read_text(encoding="utf-8")
    assert "press secretary" in (folder / "inside.txt").read_text(encoding="utf-8")
    code, _, err = run(cli_runner, "fix", "--write", "--no-generic", "-q", "--follow-symlinks", str(folder))
    assert code == 0, err
    assert "press secretary" in outside.read_text(encoding="utf-8") and (folder / "link.txt").is_symlink()


def test_fix_reports_a_feed_record_that_fails_and_fixes_the_rest(cli_runner, tmp_path, monkeypatch):
    import unspin.rewrite.pipeline as pipeline

    real = pipeline.fix_document

    def flaky(doc, *args, **kwargs):
        if doc.path.endswith("#2"):
            raise ValueError("cannot fix this one")
        return real(doc, *args, **kwargs)

    monkeypatch.setattr(pipeline, "fix_document", flaky)
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(json.dumps({"id": str(i), "text": SPUN}) for i in range(3)) + "\n", encoding="utf-8")
    code, _, err = run(cli_runner, "fix", "--write", "--no-generic", "-q", str(feed))
    assert code == 2
    assert f"{feed}#2: error: could not be fixed (record left unchanged) (ValueError: cannot fix this one)" in err
    lines = feed.read_text(encoding="utf-8").splitlines()
    assert "press secretary" in lines[0] and "squeeze secretary" in lines[1] and "press secretary" in lines[2]


def test_partial_input_keeps_good_records():
    with pytest.raises(PartialInput) as info:
        parse_text('{"text": "Good one here."}\n{"text": "bad \\udfff"}\n', "f.jsonl", "jsonl")
    assert len(info.value.documents) == 1 and info.value.problems[0].path == "f.jsonl#2"


# ---------------------------------------------------------------------------------------------------
# The page under load: threads, a backlog, a time budget, 400 for unusable JSON


def _page(**kwargs):
    from unspin.config import Config
    from unspin.web.server import WebApp, start_in_thread

    app = WebApp(config=Config(generic=False), **kwargs)
    server, thread = start_in_thread(app)
    return app, server, thread


def _post(server, body: bytes, timeout: float = 60.0):
    import http.client

    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("POST", "/api/check", body, {"Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


@pytest.fixture
def page():
    made = []

    def start(**kwargs):
        app, server, thread = _page(**kwargs)
        made.append((app, server, thread))
        return app, server

    yield start
    for app, server, thread in made:
        server.shutdown()
        server.server_close()
        app.close()
        thread.join(5)


def test_two_hundred_concurrent_checks_are_all_answered(page):
    import threading

    from unspin.web.server import REQUEST_QUEUE_SIZE

    _, server = page()
    assert server.socket.getsockopt(__import__("socket").SOL_SOCKET, __import__("socket").SO_ACCEPTCONN)
    assert REQUEST_QUEUE_SIZE >= 200
    n = 200
    barrier = threading.Barrier(n)
    statuses: list = []
    lock = threading.Lock()
    body = json.dumps({"text": "The White House squeeze secretary spoke on Tuesday."}).encode()

    def client():
        barrier.wait()
        try:
            got = _post(server, body)[0]
        except Exception as exc:  # a reset or timeout would be a failure of the page
            got = type(exc).__name__
        with lock:
            statuses.append(got)

    threads = [threading.Thread(target=client) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert statuses.count(200) == n, __import__("collections").Counter(statuses)


def test_a_check_past_the_budget_is_504_and_others_are_answered_meanwhile(page, monkeypatch):
    import threading

    import unspin.analysis as analysis

    real = analysis.analyze
    release = threading.Event()

    def slow_on_marker(doc, ctx=None):
        if "SLOWMARKER" in doc.text:
            release.wait(10)
        return real(doc, ctx)

    monkeypatch.setattr(analysis, "analyze", slow_on_marker)
    app, server = page(budget=1.0, workers=2)
    got: dict = {}
    slow = threading.Thread(target=lambda: got.setdefault("slow", _post(server, json.dumps(
        {"text": "A slow article SLOWMARKER here."}).encode())))
    slow.start()
    status, body = _post(server, json.dumps({"text": "A quick article about the harbour."}).encode())
    assert status == 200 and body["verdict"]
    slow.join(30)
    release.set()
    status, body = got["slow"]
    assert status == 504 and "took longer than 1 seconds" in body["error"]


def test_a_full_lane_is_503_with_a_message(page, monkeypatch):
    import threading

    import unspin.analysis as analysis

    real = analysis.analyze
    release = threading.Event()

    def blocked(doc, ctx=None):
        release.wait(10)
        return real(doc, ctx)

    monkeypatch.setattr(analysis, "analyze", blocked)
    app, server = page(budget=20.0, workers=1, queue=0)
    first = threading.Thread(target=lambda: _post(server, json.dumps({"text": "First article here."}).encode()))
    first.start()
    time.sleep(0.5)
    status, body = _post(server, json.dumps({"text": "Second article here."}).encode())
    release.set()
    first.join(30)
    assert status == 503 and "busy" in body["error"]


@pytest.mark.parametrize("body, reason", [
    (b'{"text": "a", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}", "nested too deeply"),
    (b'{"text": "a", "x": ' + b"[" * 150 + b"]" * 150 + b"}", "nested more than 100 levels deep"),
    (b'{"text": "a", "n": ' + b"9" * 5000 + b"}", "number too long"),
    (b'{"text": "half \\ud800 pair"}', "unpaired surrogate"),
])
def test_unusable_json_bodies_are_400_not_500(page, body, reason):
    _, server = page()
    status, payload = _post(server, body)
    assert status in (400, 422) and reason in payload["error"]
    assert status == 400 or "surrogate" in reason


def test_learn_reports_unusable_match_files_and_goes_on(cli_runner, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 5000 + "]" * 5000, encoding="utf-8")
    huge = tmp_path / "huge.json"
    huge.write_text('{"documents": [], "n": ' + "9" * 5000 + "}", encoding="utf-8")
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"schema_version": 1, "documents": [], "errors": []}), encoding="utf-8")
    result = cli_runner.invoke(cli, ["learn", "--from-match", str(deep), "--from-match", str(huge),
                                     "--from-match", str(good)], catch_exceptions=False)
    assert result.exit_code == 2
    err = result.stderr
    assert f"{deep}: error: not usable: nested too deeply" in err
    assert f"{huge}: error: " in err and "Traceback" not in err and "internal error" not in err


@pytest.mark.skipif(os.name != "posix", reason="file names as bytes")
def test_a_file_name_that_is_not_utf8_is_checked_and_reported(cli_runner, tmp_path):
    folder = os.fsencode(tmp_path)
    with open(os.path.join(folder, b"bad\xff.md"), "wb") as fh:
        fh.write(SPUN.encode())
    (tmp_path / "good.md").write_text(SPUN, encoding="utf-8")
    out = tmp_path / "report.json"
    code, _, err = run(cli_runner, "check", "--no-generic", "--format", "json", "-o", str(out), str(tmp_path))
    assert code == 1, err
    assert out.read_bytes().count(b'"path"') == 2 and b"bad\xff.md" in out.read_bytes()
