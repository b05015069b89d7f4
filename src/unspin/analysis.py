"""The one pipeline every surface calls: document -> findings -> score -> report."""

from __future__ import annotations

import gc
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .config import Config
from .detect.lexicon import Lexicon, default_lexicon, lexicon_findings  # noqa: F401  (re-exported)
from .findings import FindingBuilder  # noqa: F401  (re-exported: unspin.analysis.FindingBuilder)
from .model import Document, DocumentReport, Finding
from .rules import detectors
from .text import MatchStream


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
# longer document is analysed alone. 128,000 characters keeps `check` of a folder of news under 200 MB
# peak (a batch's working memory is ~220 bytes per character; docs/benchmarks.md, issue #16) at no
# measurable CPU cost against 256,000.
BATCH_DOCS = 64
BATCH_CHARS = 128_000
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
    document's offset in it. The stream's ``parts`` tell the sentence split (``detect.words.split``)
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
    """The registry's stages (``unspin.rules``) over a batch: ``words`` per document, ``batch`` on the
    documents laid end to end, then per document ``sources``, ``text``, the score and ``article``.

    The cyclic garbage collector is paused for the batch: the analysis makes tens of thousands of
    short-lived containers (tokens, slots, findings), freed by reference counting, and the
    collector's passes over them took about 8% of the time; what is cyclic is collected after."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        return _run_stages(docs, ctx)
    finally:
        if paused:
            gc.enable()


def _run_stages(docs: list[Document], ctx: Context) -> list[DocumentReport]:
    cfg = ctx.config
    builders = [FindingBuilder(d) for d in docs]
    streams = [MatchStream(d.text, d.segments) for d in docs]
    found: list[list[Finding]] = [[] for _ in docs]

    for det in detectors("words"):
        if det.enabled(cfg):
            fn = det.function()
            for i, d in enumerate(docs):
                found[i] += fn(d, streams[i], builders[i], ctx)
    batch = [det for det in detectors("batch") if det.enabled(cfg)]
    if batch:
        joined, joined_stream, bases = _joined(docs, streams)
        router = _Router(builders, bases)
        for det in batch:  # in registry order: a US202 finding on a span US201 took is dropped
            det.function()(joined, joined_stream, router)
            for i, new in enumerate(router.take()):
                found[i] += _not_taken(new, found[i])
    slots: list[Any] = [None] * len(docs)
    if cfg.generic:  # soft evidence per slot (detect/article.py): the article score, "suspicious"
        from .detect.article import batch_slots

        if not batch:
            joined, joined_stream, bases = _joined(docs, streams)
        slots = batch_slots(joined, joined_stream, bases, docs)
    from .detect.context_lm import features_many

    contexts = features_many(streams)
    return [_finish(d, streams[i], builders[i], found[i], contexts[i], ctx, slots[i]) for i, d in enumerate(docs)]


def _finish(doc: Document, stream: MatchStream, fb: FindingBuilder, findings: list[Finding],
            context: dict[str, float], ctx: Context, slots: list[Any] | None = None) -> DocumentReport:
    """The per-document rest of the analysis: sources, normalisation, grammar, the score."""
    cfg = ctx.config
    sources: tuple = ()
    if ctx.archive is not None:
        for det in detectors("sources"):
            if det.enabled(cfg):
                findings, sources = det.function()(doc, fb, ctx, findings)
    for det in detectors("text"):
        if det.enabled(cfg):
            findings += det.function()(doc, stream, fb, ctx)

    from .suppress import suppress  # inline <!-- unspin: ... --> comments, per-file-ignores, allow

    findings = suppress(doc.text, doc.path, findings, allow=cfg.allow, per_file_ignores=cfg.per_file_ignores,
                        base=cfg.base)
    words = stream.word_count
    from .detect.scorer import score_document
    from .outcome import combined_score, merge_places, verdict_for

    extra: dict[str, Any] = {}
    if slots is not None:  # issue #13: soft slot evidence (detect/article.py)
        from .detect.article import suspicious, with_corpus

        if ctx.archive is not None:
            from .match.corpus import corpus_for

            slots = with_corpus(doc, slots, corpus_for(ctx.archive))
        extra["suspicious"] = suspicious(slots, fb._lines)
    # One rule links score, verdict and exit code (outcome.py): source substitutions count in the score,
    # a reported spin finding makes the verdict at least "suspect", one finding per place.
    model_score, features = score_document(doc, stream, findings, words, context=context, slots=slots)
    score, features["source_score"] = combined_score(model_score, findings, words)
    findings = [f for f in findings if cfg.wants(f.rule) and f.confidence >= cfg.min_confidence]
    findings = merge_places(doc, findings)
    verdict = verdict_for(score, findings, cfg.suspect_threshold, cfg.spun_threshold)
    if verdict == "spun":
        article = [det.function()(doc, fb, score) for det in detectors("article") if det.enabled(cfg)]
        article = [f for f in article if cfg.wants(f.rule) and f.confidence >= cfg.min_confidence]
        if article:
            findings += suppress(doc.text, doc.path, article, per_file_ignores=cfg.per_file_ignores, base=cfg.base)
    findings.sort(key=lambda f: (f.start, f.end, f.rule))
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
