"""From a document to its rewrite: the findings ``fix`` acts on, the edits chosen, the new text."""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Document, Finding
from .apply import Rewrite, apply_edits
from .suggest import Edit, choose_edits, plan_edits


@dataclass(frozen=True)
class DocumentFix:
    document: Document
    findings: tuple[Finding, ...]
    edits: tuple[Edit, ...]
    rewrite: Rewrite

    @property
    def changed(self) -> bool:
        return self.rewrite.text != self.document.text


def fix_findings(doc: Document, ctx) -> list[Finding]:
    """Every finding with something to apply: the one pipeline's findings (sources, lexicon, models,
    text-quality repairs and grammar all run inside ``analyze``)."""
    from ..analysis import analyze

    return list(analyze(doc, ctx).findings)


def fix_document(doc: Document, ctx, *, min_confidence: float | None = None, accept=None,
                 findings: list[Finding] | None = None) -> DocumentFix:
    """Find, choose and apply edits; ``accept(edit) -> bool`` can veto each edit (interactive mode).
    ``findings``: the document's findings when already worked out (``analyze_many`` over a feed)."""
    cfg = ctx.config
    if findings is None:
        findings = fix_findings(doc, ctx)
    choice = dict(select=cfg.select, ignore=cfg.ignore,
                  min_confidence=cfg.min_confidence if min_confidence is None else min_confidence)
    if accept is None:
        edits = plan_edits(findings, **choice)
    else:  # rejecting one of overlapping edits leaves the others to ask
        edits = choose_edits(findings, accept, **choice)
    return DocumentFix(doc, tuple(findings), tuple(edits), apply_edits(doc, edits))
