"""Rank suggestions by evidence and pick one non-overlapping edit per marked span.

Evidence order: the aligned source's own words ("source") first, then repairs that are certain
("normalise"), then the reviewed lexicon ("lexicon"), the mined lexicon ("learned"), the generic
collocation model ("generic"), and LanguageTool ("grammar") last. Within one kind, the finding's
confidence and the suggestion's own score decide. Where findings overlap, the better-evidenced one
wins the span; the other is dropped for this pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..model import Finding, Suggestion

SOURCE_RANK = {"source": 0, "normalise": 1, "lexicon": 2, "learned": 3, "generic": 4, "grammar": 5}
UNKNOWN_RANK = 9


def source_rank(source: str) -> int:
    return SOURCE_RANK.get(source, UNKNOWN_RANK)


@dataclass(frozen=True)
class Edit:
    """One change to apply: replace text[start:end] (``original``) with the best suggestion."""

    start: int
    end: int
    original: str
    suggestion: Suggestion
    rule: str
    confidence: float
    message: str = ""
    alternatives: tuple[Suggestion, ...] = ()
    line: int = 0
    column: int = 0

    @property
    def source(self) -> str:
        return self.suggestion.source


def ranked_suggestions(findings: Iterable[Finding]) -> tuple[Suggestion, ...]:
    """All suggestions of findings on one span, best evidence first, duplicates (by text) merged."""
    scored: list[tuple[int, float, int, Suggestion]] = []
    for f in findings:
        for k, s in enumerate(f.suggestions):
            scored.append((source_rank(s.source), -(f.confidence * s.score), k, s))
    scored.sort(key=lambda t: t[:3])
    out: list[Suggestion] = []
    seen: set[str] = set()
    for *_rest, s in scored:
        if s.text.lower() in seen:
            continue
        seen.add(s.text.lower())
        out.append(s)
    return tuple(out)


def plan_edits(findings: Iterable[Finding], *, select: tuple[str, ...] = (), ignore: tuple[str, ...] = (),
               min_confidence: float = 0.0) -> list[Edit]:
    """Choose the edits to apply: one per span, best evidence first, no two overlapping."""
    taken: list[Edit] = []
    for edit in candidate_edits(findings, select=select, ignore=ignore, min_confidence=min_confidence):
        if not _clashes(edit, taken):
            taken.append(edit)
    taken.sort(key=lambda e: (e.start, e.end))
    return taken


def _clashes(edit: Edit, taken: list[Edit]) -> bool:
    if any(edit.start < t.end and t.start < edit.end for t in taken):
        return True
    return edit.start == edit.end and any(t.start == edit.start for t in taken)


def choose_edits(findings: Iterable[Finding], accept, *, select: tuple[str, ...] = (), ignore: tuple[str, ...] = (),
                 min_confidence: float = 0.0) -> list[Edit]:
    """The edits ``accept(edit) -> bool`` agrees to, asked in document order. Overlapping candidates
    form one place, asked best evidence first: once one of them is accepted the rest are not asked;
    rejecting one leaves the next one of the place to ask (not dropped with it)."""
    ranked = candidate_edits(findings, select=select, ignore=ignore, min_confidence=min_confidence)
    places: list[list[Edit]] = []
    end = -1
    for edit in sorted(ranked, key=lambda e: (e.start, e.end)):
        if places and edit.start < end:
            places[-1].append(edit)
        else:
            places.append([edit])
        end = max(end, edit.end)
    order = {id(e): k for k, e in enumerate(ranked)}
    taken: list[Edit] = []
    for place in places:
        for edit in sorted(place, key=lambda e: order[id(e)]):
            if not _clashes(edit, taken) and accept(edit):
                taken.append(edit)
    taken.sort(key=lambda e: (e.start, e.end))
    return taken


def candidate_edits(findings: Iterable[Finding], *, select: tuple[str, ...] = (), ignore: tuple[str, ...] = (),
                    min_confidence: float = 0.0) -> list[Edit]:
    """One edit per marked span (overlapping spans included), best evidence first."""
    usable = [f for f in findings
              if f.suggestions and f.confidence >= min_confidence
              and (not select or any(f.rule.startswith(p) for p in select))
              and not any(f.rule.startswith(p) for p in ignore)]
    by_span: dict[tuple[int, int], list[Finding]] = {}
    for f in usable:
        by_span.setdefault((f.start, f.end), []).append(f)
    candidates: list[tuple[tuple, Edit]] = []
    for (start, end), group in by_span.items():
        ranked = ranked_suggestions(group)
        best = ranked[0]
        owner = max((f for f in group if best in f.suggestions), key=lambda f: f.confidence)
        if best.text == owner.text:
            continue  # the suggestion is what is already written
        edit = Edit(start, end, owner.text, best, owner.rule, owner.confidence, owner.message, ranked[1:],
                    owner.line, owner.column)
        key = (source_rank(best.source), -owner.confidence, -(end - start), start)
        candidates.append((key, edit))
    candidates.sort(key=lambda c: c[0])
    return [edit for _key, edit in candidates]
