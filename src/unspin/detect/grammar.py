"""Optional grammar pass (US501) through a LanguageTool server, via language-tool-python's remote mode.

Off unless a server URL is configured (``--languagetool-url``, ``UNSPIN_LANGUAGETOOL_URL`` or
``languagetool-url`` in the config file). Only the remote mode is used: language-tool-python never
downloads or starts a local Java server from here. When the server cannot be reached, one plain
warning goes to stderr (once per run and URL), the pass yields no findings, and the rest of the
analysis goes on; later documents do not wait on the same dead server again.
"""

from __future__ import annotations

import sys
from typing import Any

from ..model import Document, Finding, Suggestion

TIMEOUT_SECONDS = 15
MAX_SUGGESTIONS = 3
_clients: dict[str, object] = {}
_unreachable: set[str] = set()


def _client(url: str):
    tool = _clients.get(url)
    if tool is None:
        from language_tool_python import LanguageTool

        class _RemoteTool(LanguageTool):
            _TIMEOUT = TIMEOUT_SECONDS  # the library waits 300 s by default

        tool = _RemoteTool(language="en-US", remote_server=server_root(url))
        _clients[url] = tool
    return tool


def server_root(url: str) -> str:
    """The server's base URL: accepts ``http://host:8081``, ``.../v2`` or ``.../v2/check``."""
    import re

    root = re.sub(r"/v2(?:/check)?/?$", "", url.strip().rstrip("/"))
    return root + "/"


def _warn_once(url: str, reason: str) -> None:
    if url in _unreachable:
        return
    _unreachable.add(url)
    print(f"unspin: warning: LanguageTool server {url} is unreachable ({reason}); grammar checks (US501) "
          "skipped", file=sys.stderr)


def _short_reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "Connection refused" in text or "NewConnectionError" in text:
        return "connection refused"
    if "timed out" in text.lower():
        return "timed out"
    return text[:120]


def grammar_findings(doc: Document, fb, url: str) -> list[Finding]:
    """US501 findings from the LanguageTool server at ``url`` for the document's prose."""
    if not url or url in _unreachable or not doc.segments:
        return []
    # One request per document: the prose segments joined by blank lines, offsets mapped back.
    pieces: list[tuple[int, int]] = []  # (offset in joined text, offset in document)
    parts: list[str] = []
    pos = 0
    for seg in doc.segments:
        if parts:
            parts.append("\n\n")
            pos += 2
        pieces.append((pos, seg.start))
        chunk = doc.text[seg.start:seg.end]
        parts.append(chunk)
        pos += len(chunk)
    joined = "".join(parts)
    try:
        matches = _client(url).check(joined)
    except ImportError:
        _warn_once(url, "language-tool-python is not installed: pip install 'unspin[grammar]'")
        return []
    except Exception as exc:  # connection errors, bad JSON, HTTP errors: all mean "no grammar pass"
        _clients.pop(url, None)
        _warn_once(url, _short_reason(exc))
        return []
    out: list[Finding] = []
    for m in matches:
        start = int(m.offset)
        length = int(m.error_length)
        base = next((p for p in reversed(pieces) if p[0] <= start), None)
        if base is None or length <= 0:
            continue
        s = base[1] + (start - base[0])
        e = s + length
        seg = next((g for g in doc.segments if g.start <= s and e <= g.end), None)
        if seg is None:  # the match runs across the blank line between two segments
            continue
        suggestions = tuple(Suggestion(r, "grammar", 0.5) for r in list(m.replacements)[:MAX_SUGGESTIONS])
        out.append(fb.make("US501", s, e, f"{m.message} ({m.rule_id})", suggestions, 0.5,
                           {"languagetool_rule": m.rule_id, "category": getattr(m, "category", None)}))
    return out


def reset() -> None:
    """Forget clients and unreachable servers (for tests and long-running servers)."""
    _clients.clear()
    _unreachable.clear()


def detect(doc: Document, stream: Any, fb: Any, ctx: Any) -> list[Finding]:
    """The registry's US501 detector (stage ``text``): only with a LanguageTool server configured."""
    url = ctx.config.languagetool_url
    return grammar_findings(doc, fb, url) if url else []
