"""Span-level evaluation: every detector configuration on spun copies, clean text and unseen phrases."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from unspin.analysis import Context, analyze, analyze_many
from unspin.config import Config
from unspin.model import Finding

from .datasets import Sample
from .metrics import SpanCounts, span_counts

# Which findings each reported "detector" is made of, given the two analyses of a sample.
DETECTORS = ("lexicon", "generic", "all")


def generic_status() -> str | None:
    """None when the list-free detectors (US201, US202) can run here, else why they cannot."""
    try:
        from unspin.detect.generic import generic_findings
        from unspin.detect.spinmap import load_spinmap, spinmap_findings
        from unspin.findings import FindingBuilder
        from unspin.text import MatchStream

        from .datasets import make_document

        doc = make_document("The squeeze secretary said the facial acknowledgment trial would go on.", "probe")
        generic_findings(doc, MatchStream(doc.text, doc.segments), FindingBuilder(doc))
        load_spinmap()  # spinmap_findings() alone would hide a missing model
        spinmap_findings(doc, MatchStream(doc.text, doc.segments), FindingBuilder(doc))
    except Exception as exc:  # missing module or model files: evaluate without it
        return f"{type(exc).__name__}: {exc}"
    return None


@dataclass
class Analysed:
    """What the evaluation keeps of one sample's analyses."""

    sample: Sample
    words: int
    score: float
    verdict: str
    all_findings: list[Finding]  # lexicon + generic, as `unspin check` reports them
    generic_findings: list[Finding]  # the generic detector run alone (no lexicon in front of it)

    def findings(self, detector: str) -> list[Finding]:
        if detector == "lexicon":
            return [f for f in self.all_findings if f.rule.startswith("US1")]
        if detector == "generic":
            return self.generic_findings
        return [f for f in self.all_findings if f.rule.startswith(("US1", "US2", "US3"))]


@dataclass
class Analyzer:
    """Runs the real pipeline twice per sample: as shipped, and the generic detector alone."""

    lexicon: Any = None  # a Lexicon to use instead of the shipped one (unseen-phrase setting)
    generic: bool = True
    _ctx_all: Context | None = field(default=None, init=False)
    _ctx_generic: Context | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._ctx_all = Context(config=Config(generic=self.generic), lexicon=self.lexicon)
        if self.generic:
            self._ctx_generic = Context(config=Config(generic=True, select=("US2",)), lexicon=self.lexicon)

    def run(self, sample: Sample) -> Analysed:
        doc = sample.document()
        rep = analyze(doc, self._ctx_all)
        gen = list(analyze(doc, self._ctx_generic).findings) if self._ctx_generic else []
        return Analysed(sample, rep.words, rep.score, rep.verdict, list(rep.findings), gen)

    def run_all(self, samples: Iterable[Sample], progress: Callable[[str], None] | None = None) -> list[Analysed]:
        """``run`` of every sample, the documents analysed in batches (``analyze_many``: the same
        reports, about twice as fast)."""
        samples = list(samples)
        docs = [s.document() for s in samples]
        shipped = analyze_many(docs, self._ctx_all)
        generic = analyze_many(docs, self._ctx_generic) if self._ctx_generic else None
        out = []
        for k, (s, rep) in enumerate(zip(samples, shipped, strict=True), 1):
            gen = list(next(generic).findings) if generic is not None else []
            out.append(Analysed(s, rep.words, rep.score, rep.verdict, list(rep.findings), gen))
            if progress and k % 200 == 0:
                progress(f"  analysed {k} documents")
        return out


def counts_for(items: Iterable[Analysed], detector: str) -> SpanCounts:
    total = SpanCounts()
    for a in items:
        s = a.sample
        original = _original_text(s)
        total.add(span_counts(a.findings(detector), s.substitutions, a.words, s.text, original))
    return total


def _original_text(s: Sample) -> str:
    """Undo the substitutions to get the text the spinner started from."""
    out, pos = [], 0
    for sub in sorted(s.substitutions, key=lambda x: x.start):
        out.append(s.text[pos : sub.start])
        out.append(sub.original)
        pos = sub.end
    out.append(s.text[pos:])
    return "".join(out)


def spun_table(analysed: list[Analysed], detectors: tuple[str, ...] = DETECTORS) -> list[dict[str, Any]]:
    """One row per (spinner, rate, detector) with span metrics."""
    groups: dict[tuple[str, float], list[Analysed]] = {}
    for a in analysed:
        if a.sample.spun:
            groups.setdefault((a.sample.spinner, a.sample.rate), []).append(a)
    rows = []
    for (spinner, rate), items in sorted(groups.items()):
        for det in detectors:
            c = counts_for(items, det)
            rows.append({"spinner": spinner, "rate": rate, "detector": det, "documents": len(items),
                         "counts": c})
    return rows


def clean_table(analysed: list[Analysed], detectors: tuple[str, ...] = DETECTORS) -> list[dict[str, Any]]:
    """False flags per 1,000 words of clean text, per corpus and detector."""
    groups: dict[str, list[Analysed]] = {}
    for a in analysed:
        if not a.sample.spun:
            groups.setdefault(a.sample.corpus, []).append(a)
    rows = []
    for corpus, items in sorted(groups.items()):
        for det in detectors:
            c = counts_for(items, det)
            rows.append({"corpus": corpus, "detector": det, "documents": len(items), "counts": c})
    return rows


def unseen_phrase_rows(spun: list[Sample], clean: list[Sample], generic: bool,
                       shipped: bool = True) -> list[dict[str, Any]]:
    """Recall on TEST-split tortured phrases: train-split lexicon vs generic vs both (+ shipped system)."""
    from .datasets import train_lexicon

    rows = []
    trained = Analyzer(lexicon=train_lexicon(), generic=generic)
    a_spun = trained.run_all(spun)
    a_clean = trained.run_all(clean)
    configs = [("lexicon (train split only)", "lexicon"), ("combined (train lexicon + generic)", "all")]
    if generic:
        configs.insert(1, ("generic alone", "generic"))
    for label, det in configs:
        rows.append({"system": label, "counts": counts_for(a_spun, det), "clean": counts_for(a_clean, det)})
    if shipped:
        full = Analyzer(generic=generic)
        s_spun, s_clean = full.run_all(spun), full.run_all(clean)
        rows.append({"system": "shipped system (whole screener half; test phrases seen)",
                     "counts": counts_for(s_spun, "all"), "clean": counts_for(s_clean, "all")})
    return rows
