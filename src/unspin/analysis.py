"""The one pipeline every surface calls: document -> findings -> score -> report."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .config import Config
from .detect.lexicon import Lexicon, default_lexicon, suggestion_objects
from .detect.rules import get_rule
from .model import Document, DocumentReport, Finding, Suggestion
from .text import LineIndex, MatchStream


@dataclass
class Context:
    """What one document's analysis can see: settings, the lexicon, optional archive and grammar server."""

    config: Config = field(default_factory=Config)
    lexicon: Lexicon | None = None
    archive: Any = None  # unspin.match.archive.Archive when --db is given
    top_sources: int = 5

    def get_lexicon(self) -> Lexicon:
        if self.lexicon is None:
            self.lexicon = default_lexicon(tuple(self.config.lexicons))
        return self.lexicon


class FindingBuilder:
    """Makes findings for one document: fills line/column, text, severity."""

    def __init__(self, doc: Document):
        self.doc = doc
        self._lines = LineIndex(doc.text)

    def make(self, rule: str, start: int, end: int, message: str,
             suggestions: Iterable[Suggestion] = (), confidence: float = 1.0,
             evidence: dict[str, Any] | None = None, severity: str | None = None) -> Finding:
        line, col = self._lines.position(start)
        return Finding(
            rule=rule, start=start, end=end, line=line, column=col, text=self.doc.text[start:end],
            message=message, suggestions=tuple(suggestions), confidence=confidence,
            severity=severity or get_rule(rule).severity, evidence=evidence or {},
        )


def lexicon_findings(doc: Document, stream: MatchStream, lexicon: Lexicon, fb: FindingBuilder) -> list[Finding]:
    out = []
    for hit in lexicon.find(stream):
        e = hit.entry
        matched = doc.text[hit.start:hit.end]
        sugg = suggestion_objects(e, matched)
        want = f"; use {sugg[0].text!r}" if sugg else ""
        if e.rule == "US102":
            msg = f"tortured phrase {matched!r} (Problematic Paper Screener: {e.canonical}){want}"
            conf = 0.9 if e.condition or e.weight >= 5 else 0.8
        elif e.rule == "US103":
            msg = f"{matched!r} is a learned spinner substitution{want}"
            conf = min(0.95, 0.6 + 0.05 * e.weight)
        else:
            msg = f"{matched!r} is spun wording{want}"
            conf = 0.95
        ev: dict[str, Any] = {"lexicon": e.source or "unspin", "entry": e.id}
        if e.condition:
            ev["condition"] = e.condition
        if e.weight:
            ev["weight"] = e.weight
        out.append(fb.make(e.rule, hit.start, hit.end, msg, sugg, conf, ev))
    return out


class _Taken:
    """The spans earlier detectors claimed, for "does this finding overlap one" in O(log n).

    Spans are merged into disjoint sorted intervals; a finding overlaps one when the last interval
    starting before its end also ends after its start."""

    def __init__(self, findings: list[Finding]):
        merged: list[list[int]] = []
        for s, e in sorted((f.start, f.end) for f in findings):
            if merged and s < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        self.starts = [m[0] for m in merged]
        self.ends = [m[1] for m in merged]

    def overlaps(self, f: Finding) -> bool:
        k = bisect_left(self.starts, f.end) - 1
        return k >= 0 and f.start < self.ends[k]


def _not_taken(new: list[Finding], earlier: list[Finding]) -> list[Finding]:
    taken = _Taken(earlier)
    return [f for f in new if not taken.overlaps(f)]


# A batch of documents goes through the LM-heavy detectors (US201, US202, the scorer's substitution
# gain) in one vectorised pass: per document those cost a fixed ~1 ms of array set-up, as much as
# the words of a short article. A batch closes at BATCH_DOCS documents or BATCH_CHARS characters; a
# longer document is analysed alone.
BATCH_DOCS = 64
BATCH_CHARS = 256_000
MAX_FINDINGS = 5_000  # findings listed per document; past it, report.extra["findings_total"] says how many


def analyze(doc: Document, context: Context | None = None) -> DocumentReport:
    """Run every enabled detector on a document and score it."""
    return _analyze_batch([doc], context or Context())[0]


def analyze_many(docs: Iterable[Document], context: Context | None = None) -> Iterator[DocumentReport]:
    """``analyze`` of each document, in order, the same reports, several documents at a time (see
    BATCH_DOCS): the way to analyse a folder or a feed. Documents are read from ``docs`` as the
    batches need them."""
    ctx = context or Context()
    for batch in batches(docs):
        yield from _analyze_batch(batch, ctx)


def batches(docs: Iterable[Document]) -> Iterator[list[Document]]:
    """Consecutive documents in groups of at most BATCH_DOCS documents and, unless one document is
    longer, BATCH_CHARS characters."""
    batch: list[Document] = []
    size = 0
    for doc in docs:
        n = len(doc.text)
        if batch and (size + n > BATCH_CHARS or len(batch) >= BATCH_DOCS):
            yield batch
            batch, size = [], 0
        batch.append(doc)
        size += n
    if batch:
        yield batch


class _Router:
    """The FindingBuilder of documents laid end to end (``_joined``): a finding is made by its own
    document's builder at its own offsets and kept with that document."""

    def __init__(self, builders: list[FindingBuilder], bases: list[int]):
        self.builders = builders
        self.bases = bases
        self.found: list[list[Finding]] = [[] for _ in builders]

    def make(self, rule: str, start: int, end: int, *args: Any, **kwargs: Any) -> Finding:
        k = bisect_right(self.bases, start) - 1
        base = self.bases[k]
        f = self.builders[k].make(rule, start - base, end - base, *args, **kwargs)
        self.found[k].append(f)
        return f

    def take(self) -> list[list[Finding]]:
        out, self.found = self.found, [[] for _ in self.builders]
        return out


def _joined(docs: list[Document], streams: list[MatchStream]) -> tuple[Document, MatchStream, list[int]]:
    """The documents laid end to end (blank lines between) as one document and its stream, with each
    document's offset in it. The stream's ``parts`` tell the sentence split (``generic._split``)
    where each document's tokens, text and segments are, so each is split, and every LM window read,
    as when it is analysed alone."""
    if len(docs) == 1:
        return docs[0], streams[0], [0]
    from .model import Segment

    texts: list[str] = []
    bases: list[int] = []
    segs: list[Segment] = []
    parts: list[tuple[int, int, int, int, tuple[Segment, ...]]] = []
    at = 0
    tokens = 0
    for d, st in zip(docs, streams, strict=True):
        if texts:
            texts.append("\n\n")
            at += 2
        bases.append(at)
        moved = tuple(Segment(g.start + at, g.end + at, g.field, g.joined) for g in d.segments)
        segs += moved
        n = sum(len(p) // 2 for p in st._pieces)  # the document's tokens (as in its stream)
        parts.append((tokens, tokens + n, at, at + len(d.text), moved))
        tokens += n
        texts.append(d.text)
        at += len(d.text)
    text = "".join(texts)
    stream = MatchStream.concat(text, streams, bases)
    stream.parts = parts
    return Document(path="<batch>", text=text, segments=tuple(segs)), stream, bases


def _analyze_batch(docs: list[Document], ctx: Context) -> list[DocumentReport]:
    cfg = ctx.config
    builders = [FindingBuilder(d) for d in docs]
    streams = [MatchStream(d.text, d.segments) for d in docs]
    found: list[list[Finding]] = [[] for _ in docs]

    if cfg.wants_family("US1"):
        lexicon = ctx.get_lexicon()
        for i, d in enumerate(docs):
            found[i] += lexicon_findings(d, streams[i], lexicon, builders[i])
    rules = [r for r in ("US201", "US202") if cfg.generic and cfg.wants(r)]
    if rules:
        from .detect.generic import generic_findings
        from .detect.spinmap import spinmap_findings

        joined, joined_stream, bases = _joined(docs, streams)
        router = _Router(builders, bases)
        for rule in rules:  # in this order: a US202 finding on a span US201 took is dropped
            (generic_findings if rule == "US201" else spinmap_findings)(joined, joined_stream, router)
            for i, new in enumerate(router.take()):
                found[i] += _not_taken(new, found[i])
    from .detect.context_lm import features_many

    contexts = features_many(streams)
    return [_finish(d, streams[i], builders[i], found[i], contexts[i], ctx) for i, d in enumerate(docs)]


def _finish(doc: Document, stream: MatchStream, fb: FindingBuilder, findings: list[Finding],
            context: dict[str, float], ctx: Context) -> DocumentReport:
    """The per-document rest of the analysis: sources, normalisation, grammar, the score."""
    cfg = ctx.config
    sources: tuple = ()
    if ctx.archive is not None and cfg.wants_family("US3"):
        from .match.sources import find_sources, findings_from_matches, vouched_by_sources

        sources = tuple(find_sources(ctx.archive, doc, top=ctx.top_sources))
        findings = vouched_by_sources(findings + findings_from_matches(doc, fb, list(sources)), list(sources))
    if cfg.wants_family("US4"):
        from .rewrite.normalise import normalisation_findings

        findings += normalisation_findings(doc, fb)
    if cfg.languagetool_url and cfg.wants_family("US5"):
        from .rewrite.grammar import grammar_findings

        findings += grammar_findings(doc, fb, cfg.languagetool_url)

    words = stream.word_count
    from .detect.scorer import score_document

    score, features = score_document(doc, stream, findings, words, context=context)
    verdict = ("spun" if score >= cfg.spun_threshold else "suspect" if score >= cfg.suspect_threshold
               else "clean")
    if verdict == "spun" and cfg.wants("US901"):
        first = doc.segments[0] if doc.segments else None  # the title, or the first paragraph
        start, end = (first.start, first.end) if first else (0, 0)
        findings.append(fb.make("US901", start, end,
                                f"the article scores {score:.2f}: likely spun as a whole",
                                confidence=score, evidence={"score": round(score, 4)}))
    findings = [f for f in findings if cfg.wants(f.rule) and f.confidence >= cfg.min_confidence]
    findings.sort(key=lambda f: (f.start, f.end, f.rule))
    extra: dict[str, Any] = {}
    if len(findings) > MAX_FINDINGS:  # a cap (docs/formats.md, "Limits"): the first ones, and how many
        extra["findings_total"] = len(findings)
        findings = findings[:MAX_FINDINGS]
    return DocumentReport(path=doc.path, score=score, verdict=verdict, findings=tuple(findings), words=words,
                          document=doc, features=features, sources=sources, extra=extra)


def analyze_text(text: str, *, path: str = "<text>", kind: str = "text", context: Context | None = None
                 ) -> DocumentReport:
    """Analyse a string (plain text, Markdown, HTML) as one document."""
    from .document import parse_text

    docs = parse_text(text, path, kind)
    return analyze(docs[0], context)
