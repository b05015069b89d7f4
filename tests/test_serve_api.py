"""``unspin serve`` without a browser: the JSON API, upload limits, error JSON, headers, the command."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from unspin.config import Config
from unspin.detect.lexicon import Lexicon
from unspin.web.server import CONTENT_SECURITY_POLICY, WebApp, start_in_thread

# A lexicon owned by this test, so that expected findings do not move when the shipped lists grow.
NEWS_TSV = (
    "id\tspun\tcanonical\tcondition\tsource\texample_bad\texample_good\n"
    "T001\tsqueeze secretary\tpress secretary\t\t\t\t\n"
    "T002\tfacial acknowledgment\tfacial recognition\t\t\t\t\n"
    "T003\tcommon freedoms\tcivil liberties OR civil rights\t\t\t\t\n"
    "T004\tenormous information\tbig data\t\t\t\t\n"
    "T005\texploration and advancement\tR&D\t\t\t\t\n"
)
ARTICLE = (
    "The White House squeeze secretary said on Tuesday that facial acknowledgment cameras would not be "
    "used at the border. Groups that defend common freedoms asked for the rules in writing.\n"
)


def make_app(tmp_path: Path, **kwargs) -> WebApp:
    tsv = tmp_path / "news-test.tsv"
    tsv.write_text(NEWS_TSV, encoding="utf-8")
    app = WebApp(config=Config(generic=False), **kwargs)
    app.context.lexicon = Lexicon.from_files([tsv])
    return app


@pytest.fixture
def server(tmp_path):
    srv, thread = start_in_thread(make_app(tmp_path, max_upload=4096))
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(5)


@pytest.fixture
def default_server():
    """A server with the shipped lexicons, as 'unspin serve --no-generic' runs it."""
    srv, thread = start_in_thread(WebApp(config=Config(generic=False)))
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def request(srv, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    host, port = srv.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, dict(resp.getheaders()), data
    finally:
        conn.close()


def post_json(srv, payload) -> tuple[int, dict]:
    status, _, data = request(srv, "POST", "/api/check", json.dumps(payload).encode(),
                              {"Content-Type": "application/json"})
    return status, json.loads(data)


def upload(srv, data: bytes, name: str = "story.txt", kind: str = "auto") -> tuple[int, dict]:
    status, _, body = request(srv, "POST", f"/api/check?name={name}&kind={kind}", data,
                              {"Content-Type": "application/octet-stream"})
    return status, json.loads(body)


# ---------------------------------------------------------------------------------------------------
# Checking articles


def test_info_reports_limit_and_no_archive(server):
    status, headers, data = request(server, "GET", "/api/info")
    info = json.loads(data)
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    assert info["max_upload"] == 4096 and info["max_upload_text"] == "4 KB"
    assert info["archive"] is False


def test_pasted_article_gets_findings_with_offsets_and_suggestions(server):
    status, report = post_json(server, {"text": ARTICLE, "kind": "auto"})
    assert status == 200
    assert report["text"] == ARTICLE and report["kind"] == "text" and report["path"] == "pasted text"
    spans = [f for f in report["findings"] if f["scope"] == "span"]
    assert [(f["text"], [s["text"] for s in f["suggestions"]]) for f in spans] == [
        ("squeeze secretary", ["press secretary"]),
        ("facial acknowledgment", ["facial recognition"]),
        ("common freedoms", ["civil liberties", "civil rights"]),
    ]
    for f in spans:
        assert ARTICLE[f["start"]:f["end"]] == f["text"]
        assert f["rule"] == "US101" and f["rule_name"] == "news-spinner-phrase"
    assert 0 <= report["score"] <= 1 and report["verdict"] in ("clean", "suspect", "spun")
    assert report["archive"] is False and report["sources"] is None


def test_clean_article_has_no_span_findings(server):
    status, report = post_json(server, {"text": "The press secretary spoke about facial recognition."})
    assert status == 200
    assert report["verdict"] == "clean" and report["findings"] == []


def test_whole_article_finding_is_marked_document_scope(default_server):
    text = "We trained an aid vector machine and a counterfeit neural network on the data."
    status, report = post_json(default_server, {"text": text})
    assert status == 200 and report["verdict"] == "spun"
    scopes = {f["rule"]: f["scope"] for f in report["findings"]}
    assert scopes["US901"] == "document"
    assert scopes["US102"] == "span"
    by_text = {f["text"]: f for f in report["findings"] if f["scope"] == "span"}
    assert by_text["aid vector machine"]["suggestions"][0]["text"] == "support vector machine"


def test_markdown_upload_offsets_index_the_whole_file(server):
    md = ("---\ntitle: Border cameras\nauthor: A. Reporter\n---\n\n# Border cameras\n\n"
          "The squeeze secretary spoke.\n\n```\nsqueeze secretary in code is not prose\n```\n")
    status, report = upload(server, md.encode(), name="story.md")
    assert status == 200 and report["kind"] == "markdown" and report["path"] == "story.md"
    assert report["text"] == md and report["title"] == "Border cameras"
    spans = [f for f in report["findings"] if f["scope"] == "span"]
    assert len(spans) == 1  # the fenced code block is not prose
    assert md[spans[0]["start"]:spans[0]["end"]] == "squeeze secretary"
    assert spans[0]["start"] == md.index("The squeeze") + 4


def test_html_upload(server):
    page = "<html><head><title>T</title></head><body><p>The squeeze secretary spoke.</p></body></html>"
    status, report = upload(server, page.encode(), name="page.html")
    assert status == 200 and report["kind"] == "html"
    [f] = [f for f in report["findings"] if f["scope"] == "span"]
    assert page[f["start"]:f["end"]] == "squeeze secretary"


def test_explicit_kind_overrides_detection(server):
    md = "---\ntitle: X\n---\n\nThe squeeze secretary spoke.\n"
    _, as_md = upload(server, md.encode(), name="x.txt", kind="markdown")
    assert as_md["kind"] == "markdown" and as_md["title"] == "X"


def test_non_bmp_characters_keep_python_offsets(server):
    text = "📰🗞 The squeeze secretary spoke. ✓\n"
    _, report = post_json(server, {"text": text})
    [f] = [f for f in report["findings"] if f["scope"] == "span"]
    assert text[f["start"]:f["end"]] == "squeeze secretary" and f["start"] == 7


def test_uploaded_name_is_reduced_to_a_plain_file_name(server):
    status, report = upload(server, b"The squeeze secretary spoke.", name="..%2F..%2Fetc%2Fpasswd.txt")
    assert status == 200 and report["path"] == "passwd.txt"


# ---------------------------------------------------------------------------------------------------
# Likely sources from an archive

SOURCE_MD = """---
title: "Press secretary defends facial recognition cameras at transit hubs"
webUrl: "https://example.org/news/cameras"
---

The White House press secretary on Tuesday defended the use of facial recognition cameras at three transit \
hubs, saying the system had helped police find two missing children last month.

Critics said the images were scraped from social media without consent. "People never agreed to be in a \
database," said Dana Morrow, who leads a privacy group in Baltimore.

The city is in the middle of a financial crisis, and officials said the cameras cost $4.2 million a year. \
The program will be reviewed in September by the city council.
"""
SPUN_MD = (SOURCE_MD.replace("press secretary", "squeeze secretary").replace("Press secretary", "Squeeze secretary")
           .replace("facial recognition", "facial acknowledgment").replace("scraped", "scratched")
           .replace('webUrl: "https://example.org/news/cameras"\n', ""))
UNRELATED_MD = """---
title: "Harbour seals return to the estuary"
webUrl: "https://example.org/news/seals"
---

Harbour seals have returned to the estuary for the first time in a decade, volunteers counting them said.

The count found forty-one seals on the sandbanks at low tide, up from twelve last spring.

Wardens asked walkers to keep dogs on leads near the water until the pups are weaned in August.
"""


@pytest.fixture
def archive_server(tmp_path):
    from unspin.document import parse_text
    from unspin.match.archive import open_archive

    archive = open_archive(f"sqlite:///{tmp_path / 'archive.sqlite'}")
    archive.add_documents([parse_text(SOURCE_MD, "source.md", "markdown")[0],
                           parse_text(UNRELATED_MD, "seals.md", "markdown")[0]])
    srv, thread = start_in_thread(make_app(tmp_path, archive=archive))
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(5)
    archive.close()


def test_sources_are_listed_with_aligned_passages(archive_server):
    _, info, data = request(archive_server, "GET", "/api/info")
    assert json.loads(data)["archive"] is True
    status, report = upload(archive_server, SPUN_MD.encode(), name="copy.md")
    assert status == 200 and report["archive"] is True
    [source] = report["sources"]  # the unrelated article is not a likely source
    assert source["id"] == "https://example.org/news/cameras" and source["url"] == source["id"]
    assert source["title"] == "Press secretary defends facial recognition cameras at transit hubs"
    assert 0.5 < source["score"] <= 1 and 0.5 < source["coverage"] <= 1
    assert len(source["passages"]) >= 3
    for p in source["passages"]:
        assert SPUN_MD[p["query_start"]:p["query_end"]] == p["query"]
        assert p["source"] and p["source"] in SOURCE_MD
    pairs = {(s["spun"], s["original"]) for s in source["substitutions"]}
    assert ("acknowledgment", "recognition") in pairs and ("scratched", "scraped") in pairs


def test_an_original_article_has_no_sources(archive_server):
    status, report = post_json(archive_server, {"text": "The council met on Monday to discuss parking fees "
                                                        "and a new bus lane on the high street."})
    assert status == 200 and report["archive"] is True and report["sources"] == []


# ---------------------------------------------------------------------------------------------------
# Applying accepted suggestions (POST /api/fix runs unspin fix's apply_edits)


def post_fix(srv, payload) -> tuple[int, dict]:
    status, _, data = request(srv, "POST", "/api/fix", json.dumps(payload).encode(),
                              {"Content-Type": "application/json"})
    return status, json.loads(data)


def accept(report, choose: dict[str, int] | None = None) -> list[dict]:
    """The edits the page sends: each span finding with its chosen suggestion (the first by default)."""
    choose = choose or {}
    return [{"start": f["start"], "end": f["end"], "original": f["text"], "rule": f["rule"],
             "confidence": f["confidence"], "suggestion": f["suggestions"][choose.get(f["text"], 0)]}
            for f in report["findings"] if f["scope"] == "span" and f["suggestions"]]


def test_fix_applies_the_accepted_suggestions(server):
    _, report = post_json(server, {"text": ARTICLE})
    status, fixed = post_fix(server, {"text": report["text"], "kind": report["kind"],
                                      "edits": accept(report, {"common freedoms": 1})})
    assert status == 200 and fixed["skipped"] == []
    assert fixed["text"] == (
        "The White House press secretary said on Tuesday that facial recognition cameras would not be "
        "used at the border. Groups that defend civil rights asked for the rules in writing.\n")
    assert [a["replacement"] for a in fixed["applied"]] == ["press secretary", "facial recognition",
                                                             "civil rights"]


def test_fix_fits_replacements_to_their_place(server):
    """What a plain splice would get wrong: "an" before a consonant, "&" in HTML."""
    text = "They built an enormous information set for exploration and advancement."
    _, report = post_json(server, {"text": text})
    _, fixed = post_fix(server, {"text": text, "kind": "text", "edits": accept(report)})
    assert fixed["text"] == "They built a big data set for R&D."
    page = f"<p>{text}</p>"
    _, report = upload(server, page.encode(), name="p.html")
    _, fixed = post_fix(server, {"text": page, "kind": "html", "edits": accept(report)})
    assert fixed["text"] == "<p>They built a big data set for R&amp;D.</p>"


def test_fix_skips_edits_that_do_not_match_the_text(server):
    text = "The squeeze secretary spoke."
    edit = {"start": 4, "end": 21, "original": "squeeze secretary", "suggestion": {"text": "press secretary"}}
    stale = {**edit, "start": 0, "end": 17}
    _, fixed = post_fix(server, {"text": text, "kind": "text", "edits": [stale]})
    assert fixed["text"] == text
    assert fixed["skipped"] == [{"start": 0, "end": 17, "reason": "the text at this position is not what was marked"}]
    _, fixed = post_fix(server, {"text": text, "kind": "text", "edits": [edit]})
    assert fixed["text"] == "The press secretary spoke." and fixed["skipped"] == []


@pytest.mark.parametrize("payload, fragment", [
    ({"text": "abc", "kind": "text", "edits": [{"start": 0, "end": 9, "suggestion": {"text": "x"}}]},
     "outside the text"),
    ({"text": "abc", "kind": "text", "edits": [{"start": 0, "end": 1}]}, '"suggestion"'),
    ({"text": "abc", "kind": "pdf", "edits": []}, "unknown kind"),
    ({"text": "abc"}, '"edits"'),
])
def test_fix_rejects_malformed_edits(server, payload, fragment):
    status, body = post_fix(server, payload)
    assert status == 400 and fragment in body["error"]


# ---------------------------------------------------------------------------------------------------
# Bad input: plain messages, 4xx statuses, JSON bodies


@pytest.mark.parametrize("data, message", [
    (b"\x00\x01\x02binary\x00", "binary file"),
    (b"caf\xe9 au lait", "not valid UTF-8: byte 0xe9 on line 1"),
    (b"   \n\n  ", "empty file, nothing to check"),
])
def test_bad_uploads_get_the_decoders_plain_message(server, data, message):
    status, body = upload(server, data, name="bad.txt")
    assert status == 422
    assert body["error"].startswith("bad.txt: ") and message in body["error"]
    assert "--encoding" not in body["error"]  # a command-line hint means nothing in the page


def test_empty_paste(server):
    status, body = post_json(server, {"text": "  \n "})
    assert status == 422 and body == {"error": "the pasted text is empty; paste an article first"}


def test_unpaired_surrogate_in_json_is_a_plain_error(server):
    body = b'{"text": "The squeeze \\ud800 secretary"}'
    status, _, data = request(server, "POST", "/api/check", body, {"Content-Type": "application/json"})
    assert status == 422 and "unpaired surrogate" in json.loads(data)["error"]
    body = b'{"text": "a \\ud800", "kind": "text", "edits": []}'
    status, _, data = request(server, "POST", "/api/fix", body, {"Content-Type": "application/json"})
    assert status == 422 and "unpaired surrogate" in json.loads(data)["error"]


def test_jsonl_feed_is_refused_with_a_pointer_to_check(server):
    status, body = upload(server, b'{"id": "1", "text": "x"}\n', name="feed.jsonl")
    assert status == 422 and "unspin check" in body["error"]


def test_pasted_text_starting_with_a_brace_is_text(server):
    status, report = post_json(server, {"text": "{Update} The squeeze secretary spoke."})
    assert status == 200 and report["kind"] == "text"
    assert [f["text"] for f in report["findings"] if f["scope"] == "span"] == ["squeeze secretary"]


def test_upload_over_the_limit_is_413_json_and_the_connection_answers(server):
    status, headers, data = request(server, "POST", "/api/check?name=big.txt", b"a" * 5000,
                                    {"Content-Type": "application/octet-stream"})
    assert status == 413 and headers["Content-Type"].startswith("application/json")
    assert json.loads(data)["error"] == (
        "the article is 5 KB, over this server's 4 KB limit (start it with a larger --max-upload)")
    # exactly at the limit is accepted
    text = ("The squeeze secretary spoke. " * 200)[:4096].encode()
    status, report = upload(server, text)
    assert status == 200 and report["findings"]


def test_pasted_json_over_the_limit_is_413(server):
    status, body = post_json(server, {"text": "word " * 2000})
    assert status == 413 and "limit" in body["error"]


@pytest.mark.parametrize("body, ctype, status, fragment", [
    (b"{not json", "application/json", 400, "not valid JSON"),
    (b'{"txt": "x"}', "application/json", 400, '{"text"'),
    (b'["x"]', "application/json", 400, '{"text"'),
    (b'{"text": "x", "kind": "pdf"}', "application/json", 400, "unknown kind 'pdf'"),
    (b"text=hello", "application/x-www-form-urlencoded", 415, "application/json"),
])
def test_malformed_requests(server, body, ctype, status, fragment):
    got, headers, data = request(server, "POST", "/api/check", body, {"Content-Type": ctype})
    assert got == status and fragment in json.loads(data)["error"]


def test_request_without_content_length_is_411(server):
    host, port = server.server_address[:2]
    with socket.create_connection((host, port), timeout=10) as s:
        s.sendall(b"POST /api/check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 411")
    assert json.loads(data.split(b"\r\n\r\n", 1)[1])["error"] == "the request has no Content-Length"


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/nope", 404), ("GET", "/api/check", 405), ("DELETE", "/", 405), ("PUT", "/api/check", 405),
    ("POST", "/api/info", 405), ("POST", "/elsewhere", 404), ("GET", "/static/../server.py", 404),
])
def test_unknown_routes_and_methods_answer_json(server, method, path, status):
    got, headers, data = request(server, method, path, b"" if method != "GET" else None)
    assert got == status and headers["Content-Type"].startswith("application/json")
    assert json.loads(data)["error"]


def test_internal_error_is_one_line_without_traceback(server, monkeypatch, capsys):
    import unspin.analysis

    def broken(doc, ctx=None):
        raise RuntimeError("boom")

    monkeypatch.setattr(unspin.analysis, "analyze", broken)
    status, body = post_json(server, {"text": "The squeeze secretary spoke."})
    # a failure on one article is that article's answer (422 naming it), never a 500 for the server
    assert status == 422
    assert body["error"].startswith("pasted text: could not be analysed (RuntimeError: boom)")
    assert "Traceback" not in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------------
# The page and its protections


def test_page_and_assets_are_served_with_a_strict_policy(server):
    status, headers, page = request(server, "GET", "/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY and "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    html = page.decode()
    # every script is an external file (inline scripts would be blocked by the policy anyway)
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/app.js" defer>',
                                                 '<script src="/static/review.js" defer>']  # the gate's review
    for path, ctype in (("/static/app.js", "text/javascript"), ("/static/app.css", "text/css")):
        status, headers, body = request(server, "GET", path)
        assert status == 200 and headers["Content-Type"].startswith(ctype) and len(body) > 1000


def test_page_script_never_writes_html():
    """Article text reaches the page through textContent only: the script has no HTML sinks at all."""
    js = (Path(__file__).resolve().parent.parent / "src/unspin/web/static/app.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in js, sink


def test_other_host_names_are_refused(server):
    status, _, data = request(server, "GET", "/", headers={"Host": "attacker.example:80"})
    assert status == 403 and "Host" in json.loads(data)["error"]
    status, _, _ = request(server, "GET", "/", headers={"Host": f"localhost:{server.server_address[1]}"})
    assert status == 200


def test_cross_site_posts_are_refused(server):
    port = server.server_address[1]
    status, _, data = request(server, "POST", "/api/check", b'{"text": "x"}', {
        "Content-Type": "application/json", "Origin": "http://attacker.example", "Host": f"127.0.0.1:{port}"})
    assert status == 403 and "other sites" in json.loads(data)["error"]
    status, _, _ = request(server, "POST", "/api/check", b'{"text": "The squeeze secretary."}', {
        "Content-Type": "application/json", "Origin": f"http://127.0.0.1:{port}", "Host": f"127.0.0.1:{port}"})
    assert status == 200


# ---------------------------------------------------------------------------------------------------
# The command


def _unspin(*args: str, **kwargs) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("unspin")
    return subprocess.Popen([str(exe), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "UNSPIN_DB": ""}, **kwargs)


def test_serve_command_starts_answers_and_stops():
    proc = _unspin("serve", "--port", "0", "--no-generic", "--no-config", "--quiet", "--max-upload", "1KB")
    try:
        line = proc.stderr.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert m, line
        conn = http.client.HTTPConnection("127.0.0.1", int(m.group(1)), timeout=30)
        conn.request("GET", "/api/info")
        info = json.loads(conn.getresponse().read())
        assert info["max_upload"] == 1024 and info["archive"] is False
        conn.request("POST", "/api/check", body=json.dumps({"text": "x " * 600}),
                     headers={"Content-Type": "application/json"})
        assert conn.getresponse().status == 413
        conn.close()
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0 and err.strip().endswith("unspin serve: stopped") and "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_serve_command_port_in_use_is_a_plain_error():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        proc = _unspin("serve", "--port", str(port), "--no-generic", "--no-config")
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert err.strip() == f"unspin: port {port} on 127.0.0.1 is already in use; pick another with --port " \
                          "(0 picks a free one)"


@pytest.mark.parametrize("args, fragment", [
    (["--max-upload", "lots"], "is not a size"),
    (["--port", "70000"], "70000"),
])
def test_serve_command_rejects_bad_options(args, fragment):
    proc = _unspin("serve", "--no-config", *args)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and fragment in err and "Traceback" not in err


def test_max_upload_sizes_parse():
    from unspin.commands.serve import ByteSize

    size = ByteSize()
    assert [size.convert(v, None, None) for v in ("2MB", "500KB", "1048576", "1.5m", "10 kib")] == [
        2 * 1024 * 1024, 500 * 1024, 1048576, 1572864, 10240]

