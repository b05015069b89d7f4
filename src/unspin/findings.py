"""Making findings: the one type every detector writes through, below the detectors and the pipeline.

A detector is a function ``findings(doc, stream, fb) -> list[Finding]`` (see ``unspin.rules``); ``fb``
is a :class:`FindingBuilder` (or anything with the same ``make``), which fills in the line, column,
matched text and the rule's default severity."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .model import Document, Finding, Suggestion
from .rules import get_rule
from .text import LineIndex


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
