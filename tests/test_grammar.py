"""The optional LanguageTool pass, against a small local server that speaks LanguageTool's /v2 JSON."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from unspin.detect import grammar
from unspin.document import parse_text
from unspin.findings import FindingBuilder


class FakeLanguageTool(BaseHTTPRequestHandler):
    """Answers /v2/languages and /v2/check; flags every "he go" like LanguageTool's agreement rule."""

    requests: list[dict] = []

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def _json(self, payload) -> None:
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path.startswith("/v2/languages"):
            self._json([{"name": "English (US)", "code": "en", "longCode": "en-US"}])
        else:
            self.send_error(404)

    def do_POST(self) -> None:
        if not self.path.startswith("/v2/check"):
            self.send_error(404)
            return
        length = int(self.headers.get("Content-Length", 0))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        FakeLanguageTool.requests.append(form)
        text = form.get("text", "")
        matches = []
        start = 0
        while (i := text.find("He go ", start)) >= 0:
            matches.append({
                "message": "The pronoun 'He' must be used with a third-person verb: 'goes'.",
                "shortMessage": "Grammatical problem",
                "offset": i + 3, "length": 2,
                "replacements": [{"value": "goes"}, {"value": "went"}],
                "context": {"text": text[max(0, i - 10):i + 20], "offset": min(i, 10) + 3, "length": 2},
                "sentence": text,
                "rule": {"id": "HE_VERB_AGR", "description": "agreement", "issueType": "grammar",
                         "category": {"id": "GRAMMAR", "name": "Grammar"}},
            })
            start = i + 1
        self._json({"software": {"name": "LanguageTool"}, "language": {"code": "en-US"}, "matches": matches})


@pytest.fixture
def lt_server():
    FakeLanguageTool.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeLanguageTool)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    grammar.reset()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        grammar.reset()


def _doc(text: str, kind: str = "markdown"):
    return parse_text(text, "a.md", kind)[0]


def test_findings_map_back_to_document_offsets(lt_server):
    text = "---\ntitle: Market day\n---\n\nThe stall opened early.\n\n```\nHe go code\n```\n\nHe go to the market.\n"
    doc = _doc(text)
    found = grammar.grammar_findings(doc, FindingBuilder(doc), lt_server)
    assert len(found) == 1  # the code block is not prose and is never sent
    f = found[0]
    assert (f.rule, f.text) == ("US501", "go")
    assert text[f.start:f.end] == "go" and f.start == text.rindex("He go") + 3
    assert [s.text for s in f.suggestions] == ["goes", "went"]
    assert f.suggestions[0].source == "grammar"
    assert f.evidence["languagetool_rule"] == "HE_VERB_AGR"
    assert "He go code" not in FakeLanguageTool.requests[-1]["text"]


@pytest.mark.parametrize("suffix", ["", "/", "/v2", "/v2/", "/v2/check"])
def test_url_forms_are_accepted(lt_server, suffix):
    doc = _doc("He go home.", "text")
    assert len(grammar.grammar_findings(doc, FindingBuilder(doc), lt_server + suffix)) == 1


def test_unreachable_server_warns_once_and_yields_nothing(capsys):
    grammar.reset()
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    doc = _doc("He go home.", "text")
    assert grammar.grammar_findings(doc, FindingBuilder(doc), url) == []
    assert grammar.grammar_findings(doc, FindingBuilder(doc), url) == []
    err = capsys.readouterr().err
    assert err.count("warning") == 1
    assert "unreachable" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    grammar.reset()


def test_no_url_means_no_pass():
    doc = _doc("He go home.", "text")
    assert grammar.grammar_findings(doc, FindingBuilder(doc), "") == []
