"""A stdlib HTTP server: one static page and a JSON API over ``analyze()``.

Why the standard library: the page is a local tool for a few editors at a time, so ``ThreadingHTTPServer``
is enough, adds no dependency, and keeps every security header under our control.

Concurrency (docs/serve.md, "Several users"): every connection has its own thread and the listen
backlog is REQUEST_QUEUE_SIZE, so a burst of requests is queued, not reset. Checks run on a pool of
``workers`` analysis threads; articles over LONG_INPUT characters run in a separate lane of one
thread, so long pastes never take every worker from the short ones. A request waits at most
``budget`` seconds for its answer, and gets 503 (its lane busy and too many waiting) or 504 (its own
check ran past the budget) with a message instead of holding up anyone else. Request bodies that
are not usable JSON (too deeply nested, an integer of more than 4,300 digits) are 400.

Endpoints::

    GET  /                 the page (static/index.html)
    GET  /static/app.js    its script and style sheet (a fixed list, no file-system paths)
    GET  /api/info         version, upload limit, whether an archive is configured
    POST /api/check        one article -> score, verdict, findings, its text, likely sources
    POST /api/fix          the text and the accepted suggestions -> the fixed text (rewrite.apply)
    GET/POST /api/review   the archive gate's held articles and copies; accept or reject (web/review.py)

``POST /api/check`` takes either JSON ``{"text": "...", "kind": "auto|text|markdown|html", "name": "..."}``
(pasted text) or the raw bytes of an uploaded file (``Content-Type: application/octet-stream``, with
``?name=FILE&kind=auto`` in the query). Raw bytes go through ``unspin.document.decode``, so binary,
invalid UTF-8 and empty files get the same plain messages as ``unspin check``. Every error is JSON:
``{"error": "one plain sentence"}`` with a 4xx/5xx status.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import sys
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .. import __version__
from ..config import Config
from ..model import SCHEMA_VERSION

DEFAULT_MAX_UPLOAD = 2 * 1024 * 1024
DEFAULT_TOP = 5
DEFAULT_BUDGET = 30.0  # seconds a request may wait for its check, queueing included
DEFAULT_QUEUE = 256  # checks waiting for a worker before new ones are turned away with 503
LONG_INPUT = 64 * 1024  # characters: a longer article is checked in the long lane (one worker, short queue)
LONG_QUEUE = 4
REQUEST_QUEUE_SIZE = 256  # the listen backlog: connections the kernel holds before we accept them
KINDS = ("auto", "text", "markdown", "html")
# Bodies over the limit are read and thrown away up to this size so that the browser sees the 413
# answer instead of a reset connection; anything larger is cut off.
_DRAIN_LIMIT = 64 * 1024 * 1024

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
)
_STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/static/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/static/app.css": ("app.css", "text/css; charset=utf-8"),
    "/static/review.js": ("review.js", "text/javascript; charset=utf-8"),
}


class RequestProblem(Exception):
    """A request the page or an API user got wrong: an HTTP status and one plain sentence."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def format_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"


@dataclass
class WebApp:
    """What the server does, apart from HTTP: check one article and describe it for the page."""

    config: Config = field(default_factory=Config)
    archive: Any = None  # unspin.match.archive.Archive, or None when no --db was given
    max_upload: int = DEFAULT_MAX_UPLOAD
    top: int = DEFAULT_TOP
    budget: float = DEFAULT_BUDGET  # seconds per request (waiting for a worker included)
    workers: int = 0  # analysis threads; 0: the number of usable cores (at least 2)
    queue: int = DEFAULT_QUEUE

    def __post_init__(self) -> None:
        from ..analysis import Context

        self.context = Context(config=self.config, archive=self.archive, top_sources=self.top)
        # The archive connection is not thread-safe: with an archive, source look-ups take turns.
        self._lock = threading.Lock()
        self._pools: dict[str, Any] = {}
        self._pool_lock = threading.Lock()
        self._slots = {"short": threading.BoundedSemaphore(self._worker_count() + max(0, self.queue)),
                       "long": threading.BoundedSemaphore(1 + LONG_QUEUE)}

    def _worker_count(self) -> int:
        if self.workers > 0:
            return self.workers
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:
            cores = os.cpu_count() or 1
        return max(2, cores)

    def warm_up(self) -> None:
        """Load the lexicon and models now so that the first check is as fast as the rest."""
        from ..rules import family

        if self.config.wants_family(family("lexicon")):
            self.context.get_lexicon()
        from ..analysis import analyze
        from ..document import parse_text

        doc = parse_text("The press secretary said the new figures were published on Monday.", "<warm-up>",
                         "text")[0]
        analyze(doc, self.context if self.archive is None else type(self.context)(config=self.config))

    def run_budgeted(self, fn: Any, *args: Any, size: int = 0) -> Any:
        """``fn(*args)`` on an analysis worker, answered within the time budget; ``size`` (characters
        of the article) picks the lane: over LONG_INPUT, the long lane.

        Raises RequestProblem 503 when the lane's workers are busy and its queue is full, 504 when
        the work is not done within ``budget`` seconds (it finishes in the background; its answer is
        dropped). An exception in ``fn`` is re-raised here."""
        import concurrent.futures

        lane = "long" if size > LONG_INPUT else "short"
        slots = self._slots[lane]
        if not slots.acquire(blocking=False):
            what = "other long articles" if lane == "long" else "other checks"
            raise RequestProblem(503, f"the server is busy with {what}; try again in a moment")
        try:
            with self._pool_lock:
                pool = self._pools.get(lane)
                if pool is None:
                    pool = self._pools[lane] = concurrent.futures.ThreadPoolExecutor(
                        self._worker_count() if lane == "short" else 1, thread_name_prefix=f"unspin-{lane}")
                future = pool.submit(fn, *args)
        except BaseException:
            slots.release()
            raise
        future.add_done_callback(lambda _f: slots.release())
        try:
            return future.result(timeout=self.budget)
        except concurrent.futures.TimeoutError:
            raise RequestProblem(504, f"this check took longer than {self.budget:g} seconds, the page's "
                                      "limit; check the article with 'unspin check FILE' instead") from None

    def close(self) -> None:
        """Stop the analysis workers (work in progress is abandoned)."""
        with self._pool_lock:
            for pool in self._pools.values():
                pool.shutdown(wait=False, cancel_futures=True)
            self._pools = {}

    def info(self) -> dict[str, Any]:
        return {
            "version": __version__,
            "schema_version": SCHEMA_VERSION,
            "max_upload": self.max_upload,
            "max_upload_text": format_size(self.max_upload),
            "archive": self.archive is not None,
            "kinds": list(KINDS),
        }

    # -- checking ----------------------------------------------------------------------------------

    def check_json(self, body: bytes) -> dict[str, Any]:
        """A pasted article sent as JSON ``{"text", "kind", "name"}``."""
        payload = _json_body(body)
        if not isinstance(payload, dict) or not isinstance(payload.get("text"), str):
            raise RequestProblem(400, 'send JSON like {"text": "the article", "kind": "auto"}')
        kind = payload.get("kind", "auto")
        name = payload.get("name", "pasted text")
        if not isinstance(name, str):
            raise RequestProblem(400, "'name' must be a string")
        # Through decode() like a file, so that empty or control-character text gets the same messages.
        return self.check_bytes(_utf8(payload["text"]), name=name, kind=kind)

    def check_bytes(self, data: bytes, *, name: str = "upload", kind: Any = "auto") -> dict[str, Any]:
        """An uploaded file's bytes: decode, parse, analyse, find sources."""
        from ..document import InputProblem, decode_input, parse_text

        if kind not in KINDS:
            raise RequestProblem(400, f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
        name = _display_name(name)
        try:
            text, detected = decode_input(data, name)
            if kind == "auto":
                kind = detected
                if kind == "jsonl":
                    if name.lower().endswith((".jsonl", ".ndjson")):
                        raise InputProblem("this page checks one article at a time; check JSONL feeds with "
                                           "'unspin check FILE.jsonl'")
                    kind = "text"  # pasted text that happens to start with "{"
            docs = parse_text(text, name, kind)
        except InputProblem as exc:
            raise RequestProblem(422, _plain_input_message(name, str(exc))) from None
        except Exception as exc:  # a bug while reading: this request's answer, not a 500
            raise RequestProblem(422, _failed(name, exc, "could not be read")) from None
        return self._analysed(docs[0])

    def _analysed(self, doc: Any) -> dict[str, Any]:
        from ..analysis import analyze

        def work() -> dict[str, Any]:
            if self.archive is None:
                report = analyze(doc, self.context)
                return self.describe(report, None)
            with self._lock:
                report = analyze(doc, self.context)
                sources = self._sources_json(doc, report.sources)
            return self.describe(report, sources)

        try:
            return self.run_budgeted(work, size=len(doc.text))
        except RequestProblem:
            raise
        except Exception as exc:  # a bug on this article: a plain answer for it; the server goes on
            raise RequestProblem(422, _failed(doc.path, exc, "could not be analysed")) from None

    def _sources_json(self, doc: Any, matches: Any) -> list[dict[str, Any]] | None:
        """The likely sources analyze() found (it looks them up once, when an archive is configured)."""
        if self.archive is None:
            return None
        out = []
        for m in matches:
            source_text = getattr(m, "source_text", None) or getattr(m, "text", None)
            if not isinstance(source_text, str) and getattr(m, "id", None) is not None:
                stored = self.archive.get(m.id)  # aligned offsets index the archived text
                source_text = stored.text if stored is not None else None
            out.append(source_json(m, doc.text, source_text))
        return out

    # -- applying accepted suggestions ----------------------------------------------------------

    def fix_json(self, body: bytes) -> dict[str, Any]:
        """Apply the suggestions an editor accepted, with ``unspin fix``'s own ``apply_edits``.

        JSON in: ``{"text", "kind", "name", "edits": [{"start", "end", "original", "suggestion":
        {"text", "source", "score"}, "rule", "confidence"}]}`` where ``text`` and ``kind`` are what
        /api/check returned. Out: the fixed text, each applied replacement (shaped to the spun
        text's case and inflection, escaped in HTML) and each edit that was skipped, with the reason.
        """
        from ..document import InputProblem, parse_text
        from ..model import Suggestion
        from ..rewrite.apply import apply_edits
        from ..rewrite.suggest import Edit

        payload = _json_body(body)
        if not isinstance(payload, dict) or not isinstance(payload.get("text"), str) \
                or not isinstance(payload.get("edits"), list):
            raise RequestProblem(400, 'send JSON like {"text": "...", "kind": "text", "edits": [...]}')
        text, kind = payload["text"], payload.get("kind", "text")
        _utf8(text)
        if kind not in KINDS[1:]:
            raise RequestProblem(400, f"unknown kind {kind!r}; use one of {', '.join(KINDS[1:])}")
        name = _display_name(str(payload.get("name") or "article"))
        edits = [_edit_from_json(e, text, Edit, Suggestion) for e in payload["edits"]]
        try:
            doc = parse_text(text, name, kind)[0]
        except InputProblem as exc:
            raise RequestProblem(422, _plain_input_message(name, str(exc))) from None
        try:
            rewrite = self.run_budgeted(apply_edits, doc, edits, size=len(text))
        except RequestProblem:
            raise
        except Exception as exc:  # a bug on this article: a plain answer for it; the server goes on
            raise RequestProblem(422, _failed(name, exc, "could not be fixed")) from None
        try:  # the title as it reads after the fix (the page shows it above the Fixed tab)
            fixed_title = parse_text(rewrite.text, name, kind)[0].title
        except InputProblem:
            fixed_title = doc.title
        return {
            "text": rewrite.text,
            "title": fixed_title,
            "applied": [{"start": a.edit.start, "end": a.edit.end, "replacement": a.replacement,
                         "new_start": a.new_start, "new_end": a.new_end} for a in rewrite.applied],
            "skipped": [{"start": e.start, "end": e.end, "reason": reason} for e, reason in rewrite.skipped],
        }

    def describe(self, report: Any, sources: list[dict[str, Any]] | None) -> dict[str, Any]:
        """The report as JSON for the page: the stable report fields plus the text the offsets index."""
        from ..rules import all_rules

        rules = all_rules()
        doc = report.document
        out = report.to_json()
        for f in out["findings"]:
            rule = rules.get(f["rule"])
            f["rule_name"] = rule.name if rule else f["rule"]
            # Article-level findings (stage "article", US9xx) describe the whole article, not a phrase.
            f["scope"] = "document" if rule is not None and rule.stage == "article" else "span"
        out.update({
            "schema_version": SCHEMA_VERSION,
            "kind": doc.kind,
            "title": doc.title,
            "text": doc.text,
            "front_matter": front_matter_json(doc),
            "archive": self.archive is not None,
            "sources": sources,
        })
        return out


def _json_body(body: bytes) -> Any:
    """A request body as JSON; anything json cannot or should not build is a 400 with a reason."""
    from ..document import InputProblem, check_json_value

    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise RequestProblem(400, "the request body is not valid JSON") from None
    except RecursionError:
        raise RequestProblem(400, "the request body is nested too deeply") from None
    except ValueError:  # an integer of more than 4,300 digits
        raise RequestProblem(400, "the request body has a number too long to read") from None
    try:
        check_json_value(payload, surrogates=False)
    except InputProblem as exc:
        raise RequestProblem(400, f"the request body is {exc}") from None
    return payload


def _failed(name: str, exc: BaseException, what: str) -> str:
    from ..failures import failure

    sys.stderr.write(f"unspin serve: internal error on {name}: {type(exc).__name__}: {exc}\n")
    return f"{name}: " + failure(name, exc, what).error


# Where YAML front matter opens and closes (as the Markdown reader finds it).
_FM_OPEN = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n")
_FM_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.M)


def front_matter_json(doc: Any) -> dict[str, Any] | None:
    """A Markdown document's front matter as fields for the page: ``{"end": offset where the body
    starts, "fields": [{"key", "value", "start", "end"}]}``; ``start``/``end`` are the offsets of a
    checked field's value in the text (title, excerpt), so its findings can be marked in place."""
    if doc.kind != "markdown":
        return None
    opened = _FM_OPEN.match(doc.text)
    close = _FM_CLOSE.search(doc.text, opened.end()) if opened else None
    if close is None:
        return None
    spans: dict[str, list[int]] = {}
    for seg in doc.segments:
        if seg.field != "body" and seg.end <= close.start():
            span = spans.setdefault(seg.field, [seg.start, seg.end])
            span[0], span[1] = min(span[0], seg.start), max(span[1], seg.end)
    fields = []
    for key, value in (doc.meta or {}).items():
        span = spans.get(str(key))
        fields.append({"key": str(key), "value": _field_text(value),
                       "start": span[0] if span else None, "end": span[1] if span else None})
    return {"end": close.end(), "fields": fields}


def _field_text(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_field_text(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(_field_text(v) for v in value) if value else "(none)"
    return "" if value is None else str(value)


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise RequestProblem(422, f"the text has a broken character (an unpaired surrogate) at offset {exc.start}"
                             ) from None


def _edit_from_json(e: Any, text: str, edit_type: Any, suggestion_type: Any) -> Any:
    """One accepted suggestion from the page, checked before it reaches apply_edits."""
    bad = RequestProblem(400, 'each edit needs "start", "end", "original" and "suggestion": {"text": ...}')
    if not isinstance(e, dict) or not isinstance(e.get("suggestion"), dict):
        raise bad
    start, end, sugg = e.get("start"), e.get("end"), e["suggestion"]
    if not (isinstance(start, int) and isinstance(end, int) and not isinstance(start, bool)
            and 0 <= start <= end <= len(text)):
        raise RequestProblem(400, f"edit offsets {start!r}..{end!r} are outside the text")
    original = e.get("original", text[start:end])
    if not isinstance(original, str) or not isinstance(sugg.get("text"), str):
        raise bad
    return edit_type(
        start=start, end=end, original=original,
        suggestion=suggestion_type(sugg["text"], str(sugg.get("source", "lexicon")), _number(sugg.get("score"))),
        rule=str(e.get("rule", "")),
        confidence=_number(e.get("confidence")),
    )


def _number(value: Any, default: float = 1.0) -> float:
    """A score or confidence from the page: a finite float, else the default (never an exception)."""
    import math

    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    try:
        x = float(value)
    except OverflowError:
        return default
    return x if math.isfinite(x) else default


def _plain_input_message(name: str, message: str) -> str:
    """The decoder's message, reworded where it speaks of command-line options or files."""
    message = message.replace(" or pass --encoding", "")
    if name == "pasted text" and message.startswith("empty file"):
        return "the pasted text is empty; paste an article first"
    return f"{name}: {message}"


def _display_name(name: str) -> str:
    """The last path component of an uploaded file's name, without control characters, kept short."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip() or "upload"
    return name[:120]


def source_json(match: Any, query_text: str, source_text: str | None = None) -> dict[str, Any]:
    """One likely source for the page: the match contract plus the passages its alignments point at."""
    if hasattr(match, "to_json"):
        out = dict(match.to_json())
    else:
        from dataclasses import asdict, is_dataclass

        out = asdict(match) if is_dataclass(match) else dict(vars(match))
    if source_text is None:
        source_text = out.get("text")
    out.pop("text", None)  # the whole source can be long; the page needs only the aligned passages
    passages = []
    for a in out.get("alignments") or []:
        qs, qe = _pair(a, "query")
        ss, se = _pair(a, "source")
        passage = {"similarity": a.get("similarity"), "query_start": qs, "query_end": qe,
                   "source_start": ss, "source_end": se}
        passage["query"] = query_text[qs:qe] if qs is not None and qe is not None else a.get("query_text")
        if isinstance(source_text, str) and ss is not None and se is not None:
            passage["source"] = source_text[ss:se]
        else:
            passage["source"] = a.get("source_text")
        passages.append(passage)
    out["passages"] = passages
    return _jsonable(out)


def _pair(a: dict[str, Any], side: str) -> tuple[int | None, int | None]:
    for s, e in ((f"{side}_start", f"{side}_end"), (f"{side[0]}_start", f"{side[0]}_end")):
        if isinstance(a.get(s), int) and isinstance(a.get(e), int):
            return a[s], a[e]
    span = a.get(side) or a.get(f"{side}_span")
    if isinstance(span, (list, tuple)) and len(span) == 2 and all(isinstance(v, int) for v in span):
        return span[0], span[1]
    return None, None


def _jsonable(value: Any) -> Any:
    from dataclasses import asdict, is_dataclass

    if is_dataclass(value) and not isinstance(value, type):
        return _jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float):
        return round(value, 4)
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)


# ---------------------------------------------------------------------------------------------------
# HTTP


def _static_bytes(name: str) -> bytes:
    return resources.files("unspin.web").joinpath("static", name).read_bytes()


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Handler(BaseHTTPRequestHandler):
    server: UnspinServer
    server_version = "unspin"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = 60  # seconds a client may take to send its request

    # -- responses ---------------------------------------------------------------------------------

    def _send(self, status: int, body: bytes, content_type: str, *, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cache-Control", "no-store")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status: int, payload: Any, *, extra: dict[str, str] | None = None) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8", extra=extra)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors raised by http.server itself (bad request line, unknown method) as JSON too."""
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "error"
        self.close_connection = True
        self.send_json(code, {"error": message or phrase})

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        if not self.server.quiet:
            sys.stderr.write(f"unspin serve: {self.address_string()} {format % args}\n")

    # -- checks on every request -------------------------------------------------------------------

    def _host_allowed(self) -> bool:
        """Refuse other Host names on a loopback bind, so a web site cannot reach us by DNS rebinding."""
        bind_host = self.server.server_address[0]
        if not is_loopback(str(bind_host)):
            return True
        host = (self.headers.get("Host") or "").strip()
        if host.startswith("["):
            name = host[: host.find("]") + 1]
        else:
            name = host.rsplit(":", 1)[0] if ":" in host else host
        return is_loopback(name)

    def _origin_allowed(self) -> bool:
        origin = self.headers.get("Origin")
        if origin is None or origin == "null" and self.command == "GET":
            return True
        return urlsplit(origin).netloc == (self.headers.get("Host") or "")

    # -- methods -----------------------------------------------------------------------------------

    def do_GET(self) -> None:
        if not self._host_allowed():
            self.send_json(403, {"error": "unknown Host header; open the page at the address unspin printed"})
            return
        path = urlsplit(self.path).path
        if path in _STATIC:
            name, ctype = _STATIC[path]
            self._send(200, _static_bytes(name), ctype)
        elif path == "/api/info":
            self.send_json(200, self.server.app.info())
        elif path == "/api/review":  # the archive gate's review (web/review.py)
            from .review import ReviewProblem, review_list

            try:
                self.send_json(200, review_list(self.server.app))
            except ReviewProblem as exc:
                self.send_json(exc.status, {"error": exc.message})
        elif path in ("/api/check", "/api/fix"):
            self.send_json(405, {"error": f"use POST for {path}"}, extra={"Allow": "POST"})
        elif path == "/favicon.ico":
            self._send(204, b"", "image/x-icon")
        else:
            self.send_json(404, {"error": f"no such page: {path}"})

    do_HEAD = do_GET

    def _not_allowed(self) -> None:
        self.close_connection = True
        self.send_json(405, {"error": f"{self.command} is not supported here"}, extra={"Allow": "GET, POST"})

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    def version_string(self) -> str:
        return "unspin"

    def do_POST(self) -> None:
        if not self._host_allowed():
            self.send_json(403, {"error": "unknown Host header; open the page at the address unspin printed"})
            return
        if not self._origin_allowed():
            self.send_json(403, {"error": "requests from other sites are not accepted"})
            return
        url = urlsplit(self.path)
        if url.path not in ("/api/check", "/api/fix", "/api/review"):
            self._drain(self._content_length(required=False) or 0)
            self.send_json(404 if url.path not in _STATIC and url.path != "/api/info" else 405,
                           {"error": f"cannot POST to {url.path}"})
            return
        try:
            if url.path == "/api/review":
                result = self._review()
            else:
                result = self._check(url.query) if url.path == "/api/check" else self._fix()
        except RequestProblem as exc:
            self.send_json(exc.status, {"error": exc.message})
            return
        except Exception as exc:  # a bug: one line for the page, details only in the terminal on request
            if os.environ.get("UNSPIN_DEBUG"):
                import traceback

                traceback.print_exc()
            sys.stderr.write(f"unspin serve: internal error: {type(exc).__name__}: {exc}\n")
            self.send_json(500, {"error": f"internal error while checking ({type(exc).__name__}); "
                                          "see the terminal running 'unspin serve'"})
            return
        self.send_json(200, result)

    def _content_length(self, *, required: bool = True) -> int | None:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise RequestProblem(411, "send the article with a Content-Length, not chunked")
        raw = self.headers.get("Content-Length")
        if raw is None:
            if required:
                self.close_connection = True
                raise RequestProblem(411, "the request has no Content-Length")
            return None
        try:
            n = int(raw)
            if n < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            raise RequestProblem(400, "the Content-Length header is not a number") from None
        return n

    def _drain(self, n: int) -> None:
        """Read and drop a body we will not use, so that the client can read our answer."""
        if n > _DRAIN_LIMIT:
            self.close_connection = True
            return
        while n > 0:
            chunk = self.rfile.read(min(n, 1 << 16))
            if not chunk:
                break
            n -= len(chunk)

    def _fix(self) -> dict[str, Any]:
        app = self.server.app
        n = self._content_length()
        assert n is not None
        # the article (at most max_upload, and up to 6 bytes per character once JSON-escaped) and its edits
        limit = 6 * app.max_upload + 1024 * 1024
        if n > limit:
            self._drain(n)
            raise RequestProblem(413, f"the fix request is {format_size(n)}, over this server's limit")
        body = self.rfile.read(n)
        if len(body) < n:
            self.close_connection = True
            raise RequestProblem(400, "the request body ended early")
        ctype = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        if ctype != "application/json":
            raise RequestProblem(415, "send the edits as JSON (application/json)")
        return app.fix_json(body)

    def _review(self) -> dict[str, Any]:
        from .review import ReviewProblem, review_action

        n = self._content_length()
        assert n is not None
        if n > 64 * 1024:
            self._drain(n)
            raise RequestProblem(413, "the review request is too large")
        body = self.rfile.read(n)
        if len(body) < n:
            self.close_connection = True
            raise RequestProblem(400, "the request body ended early")
        try:
            return review_action(self.server.app, body)
        except ReviewProblem as exc:
            raise RequestProblem(exc.status, exc.message) from None

    def _check(self, query: str) -> dict[str, Any]:
        app = self.server.app
        n = self._content_length()
        assert n is not None
        if n > app.max_upload:
            self._drain(n)
            raise RequestProblem(413, f"the article is {format_size(n)}, over this server's "
                                      f"{format_size(app.max_upload)} limit (start it with a larger --max-upload)")
        body = self.rfile.read(n)
        if len(body) < n:
            self.close_connection = True
            raise RequestProblem(400, "the request body ended early")
        ctype = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        if ctype == "application/json":
            return app.check_json(body)
        if ctype == "application/octet-stream":
            params = parse_qs(query)
            name = params.get("name", ["upload"])[0]
            kind = params.get("kind", ["auto"])[0]
            return app.check_bytes(body, name=name, kind=kind)
        raise RequestProblem(415, "send JSON (application/json) or a file's bytes (application/octet-stream)")


class UnspinServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = REQUEST_QUEUE_SIZE
    # Let a restarted server bind the same port right away (not on Windows, where it means sharing it).
    allow_reuse_address = os.name != "nt"

    def __init__(self, address: tuple[str, int], app: WebApp, *, quiet: bool = False):
        self.app = app
        self.quiet = quiet
        host = address[0]
        if ":" in host:
            import socket

            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away, or a bug outside a check: one line in the terminal, no traceback."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        if os.environ.get("UNSPIN_DEBUG"):
            super().handle_error(request, client_address)
            return
        sys.stderr.write(f"unspin serve: error while answering {client_address[0]}: {type(exc).__name__}: {exc}\n")

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{port}/"


def make_server(app: WebApp, host: str = "127.0.0.1", port: int = 0, *, quiet: bool = False) -> UnspinServer:
    """Bind (port 0 picks a free port) without serving yet; call ``serve_forever()`` on the result."""
    return UnspinServer((host, port), app, quiet=quiet)


def start_in_thread(app: WebApp, host: str = "127.0.0.1", port: int = 0, *, quiet: bool = True
                    ) -> tuple[UnspinServer, threading.Thread]:
    """Serve in a background thread (for tests and embedding); stop with ``server.shutdown()``."""
    server = make_server(app, host, port, quiet=quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True,
                              name="unspin-serve")
    thread.start()
    return server, thread
