"""Frozen data types shared by every surface: documents, findings, reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1

SEVERITIES = ("suggestion", "warning", "error")
VERDICTS = ("clean", "suspect", "spun")


def severity_rank(severity: str) -> int:
    """Order severities so that fail levels can be compared."""
    return SEVERITIES.index(severity)


@dataclass(frozen=True)
class Suggestion:
    """One replacement for a finding's span, with where it came from."""

    text: str
    source: str  # "source" (aligned original), "lexicon", "learned", "generic", "normalise"
    score: float = 1.0

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "source": self.source, "score": round(self.score, 4)}


@dataclass(frozen=True)
class Finding:
    """A marked span of a document: what rule fired, where, and what to write instead."""

    rule: str
    start: int
    end: int
    line: int
    column: int
    text: str
    message: str
    suggestions: tuple[Suggestion, ...] = ()
    confidence: float = 1.0
    severity: str = "warning"
    evidence: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    rules: tuple[str, ...] = ()  # every rule that marked this place, when several did (``rule`` first)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "rules": list(self.rules or (self.rule,)),
            "start": self.start,
            "end": self.end,
            "line": self.line,
            "column": self.column,
            "text": self.text,
            "message": self.message,
            "suggestions": [s.to_json() for s in self.suggestions],
            "confidence": round(self.confidence, 4),
            "severity": self.severity,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class Segment:
    """A run of prose inside a document's text: [start, end) offsets and which field it belongs to."""

    start: int
    end: int
    field: str  # "title", "excerpt", "body"
    joined: bool = False  # continues the previous segment's sentence (text after an inline HTML tag)


@dataclass(frozen=True)
class Document:
    """A decoded article: the whole text, the prose segments to lint, and its metadata."""

    path: str
    text: str
    segments: tuple[Segment, ...]
    id: str | None = None
    title: str | None = None
    url: str | None = None
    provider_name: str | None = None
    provider_domain: str | None = None
    published: str | None = None
    kind: str = "text"  # text, markdown, html, jsonl
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def prose(self) -> str:
        """The prose of the document, segments joined by blank lines (offsets are not preserved)."""
        parts: list[str] = []
        for s in self.segments:
            if parts:
                parts.append(" " if s.joined else "\n\n")
            parts.append(self.text[s.start : s.end])
        return "".join(parts)

    def body(self) -> str:
        """The body prose only (no title or excerpt)."""
        return "\n\n".join(self.text[s.start : s.end] for s in self.segments if s.field == "body")


@dataclass(frozen=True)
class DocumentReport:
    """The result of analysing one document."""

    path: str
    score: float
    verdict: str
    findings: tuple[Finding, ...]
    words: int = 0
    document: Document | None = field(default=None, compare=False, repr=False)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    features: dict[str, float] = field(default_factory=dict, compare=False, repr=False)
    sources: tuple[Any, ...] = field(default=(), compare=False, repr=False)  # SourceMatch items, with --db

    def to_json(self) -> dict[str, Any]:
        out = {
            "path": self.path,
            "score": round(self.score, 4),
            "verdict": self.verdict,
            "words": self.words,
            "findings": [f.to_json() for f in self.findings],
        }
        if self.document is not None and self.document.id is not None:
            out["id"] = self.document.id
        out.update(self.extra)
        return out


@dataclass(frozen=True)
class InputError:
    """A file that could not be read or parsed: reported, never raised to the user."""

    path: str
    error: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "error": self.error}

    def __str__(self) -> str:
        return f"{self.path}: {self.error}"
