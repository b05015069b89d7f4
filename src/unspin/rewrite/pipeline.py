"""From a document to its rewrite: the findings ``fix`` acts on, the edits chosen, the new text.

``fix_findings`` runs the one pipeline (``unspin.analyze.analyze``) and adds the passes that analyze
may not run yet (text-quality normalisation, the optional grammar pass, the archive's source
findings); a pass is only added when analyze produced none of its rule codes, and duplicates are
dropped, so this stays correct once analyze runs them itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Document, Finding
from .apply import Rewrite, apply_edits
from .suggest import Edit, plan_edits


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
    """Every finding with something to apply, from analyze plus the passes it may not run yet."""
    from ..analyze import FindingBuilder, analyze

    cfg = ctx.config
    report = analyze(doc, ctx)
    findings = list(report.findings)
    have = {f.rule[:3] for f in findings}
    fb = FindingBuilder(doc)
    extra: list[Finding] = []
    if "US4" not in have and cfg.wants("US4"):
        from .normalise import normalisation_findings

        extra += normalisation_findings(doc, fb)
    if "US5" not in have and cfg.languagetool_url and cfg.wants("US5"):
        from .grammar import grammar_findings

        extra += grammar_findings(doc, fb, cfg.languagetool_url)
    if "US3" not in have and getattr(ctx, "archive", None) is not None and cfg.wants("US3"):
        from ..match.sources import source_findings

        extra += source_findings(doc, fb, ctx.archive)
    if getattr(ctx, "archive", None) is not None and cfg.wants("US3"):
        findings = vouched_by_source(doc, ctx.archive, findings)
    seen = {(f.rule, f.start, f.end) for f in findings}
    for f in extra:
        key = (f.rule, f.start, f.end)
        if key not in seen and cfg.wants(f.rule) and f.confidence >= cfg.min_confidence:
            seen.add(key)
            findings.append(f)
    findings.sort(key=lambda f: (f.start, f.end, f.rule))
    return findings


def vouched_by_source(doc: Document, archive, findings: list[Finding]) -> list[Finding]:
    """Drop lexicon and model findings on words an aligned source has too.

    Inside a passage aligned with a likely source, the source's wording is the evidence: a word the
    source shares is original wording, whatever a list or model says, so only the passages' own
    substitutions (US301) are changed there.
    """
    from ..match.sources import find_sources

    passages = [(p.query_start, p.query_end) for m in find_sources(archive, doc) for p in m.alignments]
    if not passages:
        return findings
    sourced = [(f.start, f.end) for f in findings if f.rule.startswith("US3")]

    def keep(f: Finding) -> bool:
        if not f.rule.startswith(("US1", "US2")):
            return True
        inside = any(s <= f.start and f.end <= e for s, e in passages)
        return not inside or any(f.start < e and s < f.end for s, e in sourced)

    return [f for f in findings if keep(f)]


def fix_document(doc: Document, ctx, *, min_confidence: float | None = None, accept=None) -> DocumentFix:
    """Find, choose and apply edits; ``accept(edit) -> bool`` can veto each edit (interactive mode)."""
    cfg = ctx.config
    findings = fix_findings(doc, ctx)
    edits = plan_edits(findings, select=cfg.select, ignore=cfg.ignore,
                       min_confidence=cfg.min_confidence if min_confidence is None else min_confidence)
    if accept is not None:
        edits = [e for e in edits if accept(e)]
    return DocumentFix(doc, tuple(findings), tuple(edits), apply_edits(doc, edits))
