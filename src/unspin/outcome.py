"""One finding per place, and the one rule that links an article's score, verdict and exit code.

Called once per document at the end of the analysis (``analysis._finish``); documented in
docs/rules.md ("Score, verdict and exit code") and the README.

**One finding per place.** Spin findings (US1xx, US2xx, US3xx) whose words overlap are one place
and become one finding: its span covers them all; its rule is the best-evidenced one (the source's
US301 first, then the lexicons, then the list-free rules); its suggestions are every member's,
fitted to the merged span, the source's words first; ``rules`` lists every rule that marked the
place, and ``evidence["merged"]`` keeps each member's own rule, span, message, confidence and
evidence. A place marked by one rule is left exactly as it was.

**Score.** ``score = 1 - (1 - model) * (1 - sources)``: the calibrated article model's probability
(models/scorer.json, which reads the lexicon and list-free findings and the substitution-gain
features) combined, as independent evidence, with the density of words that differ from an aligned
source (US301): ``sources = 1 - exp(-0.9 * 100 * sum(confidence of US301) / max(words, 50))``.
Without an archive (no US301) the score is the model's alone.

**Verdict.** ``spun`` when score >= spun-threshold, else ``suspect`` when score >= suspect-threshold
*or* a spin finding (US1xx-US3xx) of severity warning or above is reported, else ``clean``. So a
reported spun phrase never sits under a "clean" verdict.

**Exit code** (``check``): 1 when a reported finding is at or above ``fail-level`` (default
warning), else 0 (2 for unreadable input). With the default level a spin finding therefore means
exit 1 and at least ``suspect``; a clean verdict exits 1 only for a text-quality warning (US401,
US403), which says nothing about spinning.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from .model import Document, Finding, Suggestion, severity_rank
from .rules import family, is_spin

# Which evidence leads a merged place: the source's words, then reviewed/learned lists, then list-free.
_RULE_ORDER = ("source", "lexicon", "list-free")


def _family_rank(rule: str) -> int:
    order = [family(name) for name in _RULE_ORDER]
    return next((k for k, p in enumerate(order) if rule.startswith(p)), len(order))


def source_score(findings: list[Finding], words: int) -> float:
    """The evidence of an aligned source: confidence-weighted US301 words per 100 words, squashed to [0, 1)."""
    sources = family("source")
    weighted = sum(f.confidence for f in findings if f.rule.startswith(sources))
    return 1.0 - math.exp(-0.9 * 100.0 * weighted / max(words, 50)) if weighted else 0.0


def combined_score(model_score: float, findings: list[Finding], words: int) -> tuple[float, float]:
    """(score, sources): the article score with source substitutions counted, and their part."""
    sources = source_score(findings, words)
    return 1.0 - (1.0 - model_score) * (1.0 - sources), sources


def verdict_for(score: float, findings: list[Finding], suspect_threshold: float, spun_threshold: float) -> str:
    if score >= spun_threshold:
        return "spun"
    if score >= suspect_threshold:
        return "suspect"
    warning = severity_rank("warning")
    if any(is_spin(f.rule) and severity_rank(f.severity) >= warning for f in findings):
        return "suspect"
    return "clean"


def merge_places(doc: Document, findings: list[Finding]) -> list[Finding]:
    """Spin findings on overlapping words merged into one finding per place (see the module doc)."""
    spin = sorted((f for f in findings if is_spin(f.rule) and f.end > f.start),
                  key=lambda f: (f.start, f.end))
    if len(spin) < 2:
        return findings
    groups: list[list[Finding]] = []
    end = -1
    for f in spin:
        if groups and f.start < end:
            groups[-1].append(f)
        else:
            groups.append([f])
        end = max(end, f.end)
    if all(len(g) == 1 for g in groups):
        return findings
    merged = {id(f): None for g in groups if len(g) > 1 for f in g}
    out = [f for f in findings if id(f) not in merged]
    out += [_merge(doc, g) for g in groups if len(g) > 1]
    out.sort(key=lambda f: (f.start, f.end, f.rule))
    return out


def _merge(doc: Document, group: list[Finding]) -> Finding:
    start = min(f.start for f in group)
    end = max(f.end for f in group)
    ranked = sorted(group, key=lambda f: (_family_rank(f.rule), -f.confidence, f.start))
    lead = ranked[0]
    text = doc.text[start:end]
    suggestions: list[Suggestion] = []
    seen: set[str] = {text.lower()}
    for f in ranked:  # the source's words first: the lead is the US301 finding when there is one
        for s in f.suggestions:
            fitted = doc.text[start:f.start] + s.text + doc.text[f.end:end]
            if fitted.lower() not in seen:
                seen.add(fitted.lower())
                suggestions.append(replace(s, text=fitted))
    others = sorted({f.rule for f in ranked[1:]} - {lead.rule})
    message = (lead.message if (lead.start, lead.end) == (start, end) else f"{text!r}: {lead.message}") \
        + (f" (also {', '.join(others)})" if others else "")
    evidence: dict[str, Any] = dict(lead.evidence)
    evidence["merged"] = [{"rule": f.rule, "start": f.start, "end": f.end, "text": f.text, "message": f.message,
                           "confidence": round(f.confidence, 4), "evidence": f.evidence} for f in ranked]
    rules = tuple(dict.fromkeys(f.rule for f in ranked))
    line, column = (lead.line, lead.column) if lead.start == start else _position(group, start)
    return Finding(rule=lead.rule, start=start, end=end, line=line, column=column, text=text, message=message,
                   suggestions=tuple(suggestions), confidence=max(f.confidence for f in group),
                   severity=max((f.severity for f in group), key=severity_rank), evidence=evidence, rules=rules)


def _position(group: list[Finding], start: int) -> tuple[int, int]:
    first = min(group, key=lambda f: f.start)
    return first.line, first.column
