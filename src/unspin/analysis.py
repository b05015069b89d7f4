"""The one pipeline every surface calls: document -> findings -> score -> report."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
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


def analyze(doc: Document, context: Context | None = None) -> DocumentReport:
    """Run every enabled detector on a document and score it."""
    ctx = context or Context()
    cfg = ctx.config
    fb = FindingBuilder(doc)
    stream = MatchStream(doc.text, doc.segments)
    findings: list[Finding] = []

    if cfg.wants_family("US1"):
        findings += lexicon_findings(doc, stream, ctx.get_lexicon(), fb)
    if cfg.generic and cfg.wants("US201"):
        from .detect.generic import generic_findings

        findings += _not_taken(generic_findings(doc, stream, fb), findings)
    if cfg.generic and cfg.wants("US202"):
        from .detect.spinmap import spinmap_findings

        findings += _not_taken(spinmap_findings(doc, stream, fb), findings)
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

    score, features = score_document(doc, stream, findings, words)
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
    return DocumentReport(path=doc.path, score=score, verdict=verdict, findings=tuple(findings), words=words,
                          document=doc, features=features, sources=sources)


def analyze_text(text: str, *, path: str = "<text>", kind: str = "text", context: Context | None = None
                 ) -> DocumentReport:
    """Analyse a string (plain text, Markdown, HTML) as one document."""
    from .document import parse_text

    docs = parse_text(text, path, kind)
    return analyze(docs[0], context)
