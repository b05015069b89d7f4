"""The archive's gate: check, match and (optionally) rewrite each article before it is stored.

``gate_documents`` runs the same analysis as ``unspin check --db`` on every incoming article, in
batches (``analysis.analyze_many``), with the archive itself as the source index, and sorts each:

- **copy**: a likely source is archived -> stored as a copy linked to its source(s) with the
  aligned substitutions; it gets no index rows, so it is never offered as a source. Whatever the
  provider: a provider reusing its own archived paragraphs is stored as a copy too (an editor can
  accept it), because a same-provider exemption would let a lightly spun copy in as an original;
- **held**: no source, and the score is at least ``spun-threshold`` (or ``suspect-threshold`` with the
  policy ``hold="suspect"``, the default; setting ``gate-hold``) -> stored as held for review with
  its findings; not a source;
  with ``fix=True`` an article whose every finding has a suggestion is rewritten instead and stored
  as **fixed** (the rewrite is the archived text, the submitted text is kept beside it);
- **original**: everything else -> stored as an original (a source, fed to the corpus statistics).

Articles already archived with the same words are left as they are (``unchanged``). An article is
also matched against the originals before it in its own write batch (an in-memory index; earlier
batches are in the archive already), so a feed holding an original and then its copy sorts the copy
right whatever the batch boundaries.

Only originals (and articles an editor accepts) feed the corpus statistics: ``feed_statistics``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..model import Document, DocumentReport
from .archive import (
    COPY,
    FIXED,
    HELD,
    ORIGINAL,
    REJECTED,
    Archive,
    ArchivedArticle,
    Incoming,
    content_hash,
    document_id,
)

HOLD_POLICIES = ("spun", "suspect")
DEFAULT_HOLD = "suspect"
TOP_FINDINGS = 10  # findings kept with a held article or a copy for the review
NO_PROVIDER = "(no provider)"
OUTCOMES = (ORIGINAL, COPY, HELD, FIXED, "unchanged")


@dataclass(frozen=True)
class Decision:
    """What the gate did with one article."""

    id: str
    path: str
    provider: str
    status: str  # original, copy, held, fixed, or "unchanged" (already archived with the same words)
    score: float | None = None
    verdict: str | None = None
    sources: tuple[str, ...] = ()
    findings: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "path": self.path, "provider": self.provider, "status": self.status,
                "score": None if self.score is None else round(self.score, 4), "verdict": self.verdict,
                "sources": list(self.sources), "findings": self.findings}


@dataclass
class GateSummary:
    """Counts of one run, in total and per provider, and every article's decision in input order."""

    trusted: bool = False
    hold: str = DEFAULT_HOLD
    decisions: list[Decision] = field(default_factory=list)
    added: int = 0  # new rows
    failed: list[Any] = field(default_factory=list)  # InputError per document whose analysis or storing raised
    updated: int = 0  # rows replaced (same id or same words, other text or status)

    def counts(self, provider: str | None = None) -> dict[str, int]:
        c = Counter(d.status for d in self.decisions if provider is None or d.provider == provider)
        return {k: c.get(k, 0) for k in OUTCOMES}

    def providers(self) -> dict[str, dict[str, int]]:
        names = sorted({d.provider for d in self.decisions}, key=lambda n: (n == NO_PROVIDER, n.lower(), n))
        return {n: self.counts(n) for n in names}

    @property
    def held(self) -> int:
        return self.counts()[HELD]

    def to_json(self, archive_url: str, errors: list[Any]) -> dict[str, Any]:
        return {"schema_version": 1, "archive": archive_url, "trusted": self.trusted, "hold": self.hold,
                "totals": {**self.counts(), "added": self.added, "updated": self.updated,
                           "errors": len(errors)}, "providers": self.providers(),
                "articles": [d.to_json() for d in self.decisions],
                "errors": [{"path": e.path, "error": e.error} for e in errors]}

    def text(self, archive_url: str, errors: list[Any]) -> str:
        t = self.counts()
        head = (f"archive {archive_url}: {self.added} added, {self.updated} updated, {t['unchanged']} unchanged"
                + (f", {len(errors)} errors" if errors else "")
                + (f"; {t[ORIGINAL]} originals, {t[COPY]} copies, {t[HELD]} held, {t[FIXED]} fixed"))
        lines = [head]
        provs = self.providers()
        if len(provs) > 1 or (provs and any(t[k] for k in (COPY, HELD, FIXED))):
            width = max(len(p) for p in provs)
            for name, c in provs.items():
                lines.append(f"  {name:<{width}}  {c[ORIGINAL]:>5} originals {c[COPY]:>5} copies "
                             f"{c[HELD]:>5} held {c[FIXED]:>5} fixed {c['unchanged']:>5} unchanged")
        for d in self.decisions:
            if d.status == HELD:
                lines.append(f"held: {d.id} (score {d.score:.2f}, {d.verdict}; 'unspin archive review')")
        return "\n".join(lines)


def provider_of(doc: Document) -> str:
    for name in (doc.provider_name, doc.provider_domain):
        if name and name.strip():
            return " ".join(name.split())
    return NO_PROVIDER


def top_findings(report: DocumentReport, n: int = TOP_FINDINGS) -> list[dict[str, Any]]:
    """The report's most confident findings, small enough to keep with the article for the review."""
    best = sorted(report.findings, key=lambda f: (-f.confidence, f.start))[:n]
    return [{"rule": f.rule, "text": f.text, "line": f.line, "column": f.column, "message": f.message,
             "suggestion": f.suggestions[0].text if f.suggestions else None,
             "confidence": round(f.confidence, 4)} for f in sorted(best, key=lambda f: (f.start, f.rule))]


def fixable(report: DocumentReport) -> bool:
    """Whether every finding on a phrase has a suggestion (US9xx are about the whole article)."""
    phrase = [f for f in report.findings if not f.rule.startswith("US9")]
    return bool(phrase) and all(f.suggestions for f in phrase)


def rewritten_prose(doc: Document, splices: Iterable[tuple[int, int, str]]) -> str:
    """The document's prose after the rewrite's splices (original offsets) inside its segments."""
    splices = sorted(splices)
    parts: list[str] = []
    for s in doc.segments:
        if parts:
            parts.append(" " if s.joined else "\n\n")
        at = s.start
        for a, b, new in splices:
            if a >= s.start and b <= s.end and a >= at:
                parts.append(doc.text[at:a])
                parts.append(new)
                at = b
        parts.append(doc.text[at : s.end])
    return "".join(parts)


class _RunIndex:
    """The originals stored earlier in this run, as an in-memory LSH index with the archive's
    interface for ``find_sources`` (``candidates``, ``get_by_pk``); pks are negative."""

    def __init__(self) -> None:
        self.keys: dict[int, list[int]] = {}
        self.articles: dict[int, ArchivedArticle] = {}

    def add(self, did: str, doc: Document, text: str, keys: Iterable[int]) -> None:
        pk = -(len(self.articles) + 1)
        self.articles[pk] = ArchivedArticle(id=did, title=doc.title, url=doc.url, provider_name=doc.provider_name,
                                            provider_domain=doc.provider_domain, published=doc.published,
                                            path=doc.path, text=text, pk=pk)
        for k in set(keys):
            self.keys.setdefault(k, []).append(pk)

    def candidates(self, keys: Iterable[int], limit: int = 50) -> list[tuple[int, int]]:
        votes = Counter(pk for k in set(keys) for pk in self.keys.get(k, ()))
        return sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]

    def get_by_pk(self, pks: list[int]) -> dict[int, ArchivedArticle]:
        return {pk: self.articles[pk] for pk in pks if pk in self.articles}


class _Excluding:
    """The archive seen without some articles: those an incoming article replaces (same id), so an
    update is not matched against its own earlier version."""

    def __init__(self, archive: Archive, pks: set[int]):
        self._archive = archive
        self._pks = pks

    def candidates(self, keys: Iterable[int], limit: int = 50) -> list[tuple[int, int]]:
        if not self._pks:
            return self._archive.candidates(keys, limit)
        got = self._archive.candidates(keys, limit + len(self._pks))
        return [c for c in got if c[0] not in self._pks][:limit]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._archive, name)


def gate_documents(archive: Archive, docs: Iterable[Document], ctx: Any, *, hold: str = DEFAULT_HOLD,
                   fix: bool = False, batch_size: int = 500, on_doc: Callable[[], None] | None = None,
                   originals: list[Document] | None = None) -> GateSummary:
    """Sort and store ``docs`` (see the module docstring); one write transaction per ``batch_size``.

    With a list as ``originals``, the originals written are appended to it instead of being fed to
    the corpus statistics (the parallel gate, ``match.cluster``, feeds them once all workers are done)."""
    if hold not in HOLD_POLICIES:
        raise ValueError(f"gate-hold must be one of {', '.join(HOLD_POLICIES)}")
    summary = GateSummary(hold=hold)
    batch: list[Document] = []
    for doc in docs:
        batch.append(doc)
        if len(batch) >= batch_size:
            _gate_batch(archive, batch, ctx, hold, fix, summary, on_doc, originals)
            batch = []
    if batch:
        _gate_batch(archive, batch, ctx, hold, fix, summary, on_doc, originals)
    return summary


def _gate_batch(archive: Archive, docs: list[Document], ctx: Any, hold: str, fix: bool, summary: GateSummary,
                on_doc: Callable[[], None] | None, originals: list[Document] | None = None) -> None:
    from dataclasses import replace

    from ..detect.normalise import normalise_text
    from ..guard import analyze_each
    from .fingerprint import fingerprint

    prose = [normalise_text(d.prose()) for d in docs]
    ids = [document_id(d) for d in docs]
    hashes = [content_hash(p) for p in prose]
    by_id, by_hash = archive.existing(ids, hashes)
    todo: list[int] = []
    seen_hash: set[str] = set()
    replaced: set[int] = set()
    decided: dict[int, Decision] = {}  # by input position, so the summary keeps the input order
    for k, (did, h) in enumerate(zip(ids, hashes, strict=True)):
        old = by_id.get(did)
        if (old is not None and old[1] == h) or (old is None and h in by_hash) or h in seen_hash:
            decided[k] = Decision(did, docs[k].path, provider_of(docs[k]), "unchanged")
            if on_doc:
                on_doc()
            continue
        if old is not None:
            replaced.add(old[0])
        seen_hash.add(h)
        todo.append(k)
    view = _Excluding(archive, replaced)
    run = _RunIndex()  # this batch's originals, not yet in the archive (earlier batches are)
    actx = replace(ctx, archive=view)
    want_sources = actx.config.wants_family("US3")
    items: list[Incoming] = []
    where = {id(docs[k]): k for k in todo}
    failed: list[Any] = []
    for report in analyze_each((docs[k] for k in todo), actx, failed):  # one document's bug fails it alone
        k = where[id(report.document)]
        doc = docs[k]
        sources = list(report.sources)
        if not sources and not want_sources:
            sources = archive_sources(view, doc, actx.top_sources)
        fp = fingerprint(prose[k])  # stored with the article; looked up in this batch's originals
        if not sources and run.candidates(fp.keys, 1):
            from .sources import find_sources

            sources = find_sources(run, doc, top=actx.top_sources)
        item = Incoming(doc, score=float(report.score), verdict=report.verdict,
                        findings=json.dumps(top_findings(report)), fingerprint=fp, prose=prose[k],
                        content_hash=hashes[k])
        if sources:
            item.status, item.links = COPY, tuple(sources)
        elif _holds(report.score, actx.config, hold):
            item.status = HELD
            if fix and fixable(report):
                from ..rewrite.pipeline import fix_document

                done = fix_document(doc, actx, findings=list(report.findings))
                if done.changed and not done.rewrite.skipped:
                    item.status, item.text = FIXED, rewritten_prose(doc, done.rewrite.splices)
        if item.status == ORIGINAL:
            run.add(ids[k], doc, prose[k], fp.keys)
        elif item.status == FIXED:
            run.add(ids[k], doc, item.text, fingerprint(item.text).keys)
        items.append(item)
        decided[k] = Decision(ids[k], doc.path, provider_of(doc), item.status, float(report.score),
                              report.verdict, tuple(m.id for m in item.links), len(report.findings))
        if on_doc:
            on_doc()
    summary.failed.extend(failed)
    if items:
        result = archive.store(items)
        summary.failed.extend(result.failed)
        summary.added += result.added
        summary.updated += result.updated
        written = [it.doc for it in result.written if it.status == ORIGINAL]
        if originals is None:
            feed_statistics(archive, written)
        else:
            originals.extend(written)
    summary.decisions.extend(decided[k] for k in sorted(decided))


def _holds(score: float, cfg: Any, hold: str) -> bool:
    """Whether an article with no source is held: by its SCORE against the thresholds, not by its
    verdict, which a single reported phrase raises to suspect whatever the score (one uncertain
    phrase in a clean article is for ``check`` to show, not a reason to keep the article out)."""
    return score >= cfg.spun_threshold or (hold == "suspect" and score >= cfg.suspect_threshold)


def trusted_import(archive: Archive, docs: Iterable[Document], *, batch_size: int = 500) -> GateSummary:
    """Store every document as an original without the gate (a bulk import of known originals)."""
    summary = GateSummary(trusted=True, hold="")
    batch: list[Document] = []

    def flush() -> None:
        result = archive.store([Incoming(d) for d in batch])
        summary.failed.extend(result.failed)
        summary.added += result.added
        summary.updated += result.updated
        written = {id(it.doc) for it in result.written}
        for d in batch:
            status = ORIGINAL if id(d) in written else "unchanged"
            summary.decisions.append(Decision(document_id(d), d.path, provider_of(d), status))
        feed_statistics(archive, [it.doc for it in result.written])

    for doc in docs:
        batch.append(doc)
        if len(batch) >= batch_size:
            flush()
            batch = []
    if batch:
        flush()
    return summary


def archive_sources(archive: Any, doc: Document, top: int) -> list[Any]:
    from .sources import find_sources

    return find_sources(archive, doc, top=top)


def accept(archive: Archive, ids: Iterable[str]) -> list[ArchivedArticle]:
    """An editor accepts held articles or copies as originals: they become sources and feed the
    statistics. Returns the articles moved."""
    moved = archive.set_status(ids, ORIGINAL)
    if moved:
        from dataclasses import replace

        from ..document import parse_text

        feed_statistics(archive, [replace(parse_text(a.text, a.path or a.id, "text")[0], id=a.id, title=a.title,
                                           url=a.url, provider_name=a.provider_name,
                                           provider_domain=a.provider_domain, published=a.published)
                                   for a in moved])
    return moved


def reject(archive: Archive, ids: Iterable[str]) -> list[ArchivedArticle]:
    """An editor rejects articles: kept (nothing is lost) with the status rejected, never a source,
    never in statistics; ``unspin archive remove`` deletes them."""
    return archive.set_status(ids, REJECTED)


# ---------------------------------------------------------------------------------------------------
# The statistics hook (wired at merge): the n-gram counts of the archive-as-corpus learn from
# originals only. Everything the gate stores as an original, and every article an editor accepts,
# goes through this one function; copies, held, fixed and rejected articles never do.


def feed_statistics(archive: Archive, originals: list[Document]) -> None:
    """Record the originals' n-gram counts (``unspin.match.corpus.record_originals``), if that
    module exists yet; otherwise do nothing."""
    if not originals:
        return
    try:
        from . import corpus  # type: ignore[attr-defined]
    except ImportError:
        return
    record = getattr(corpus, "record_originals", None)
    if record is not None:
        record(archive, originals)


