"""``unspin archive add --jobs N`` and ``--scheduler tcp://HOST:PORT``: the gate on many processes or a Dask cluster.

Workers analyse and store: each runs the archive's gate (``gate.gate_documents``, or
``gate.trusted_import`` with ``--trusted``) on its share of the feed and writes to the archive
itself, through its own connection, one transaction per batch. Concurrent writers are the archive's
business already: PostgreSQL write transactions take an advisory lock, SQLite ones ``BEGIN
IMMEDIATE`` (``match.archive``), so a killed worker leaves each of its batches fully in or fully
out, and rerunning the command is idempotent. A Dask cluster needs PostgreSQL (its workers may be
on other machines); ``--jobs`` works with both.

**Order.** The sequential command decides each article against the archive plus the articles before
it in the feed: the first of two copies of the same text is stored, the second is unchanged; an
article that matches an earlier original of the same run is a copy of it. Workers running side by
side cannot see each other's uncommitted work, so the feed is first split into groups that cannot
affect each other, and every group is gated by one worker in input order:

1. **Plan** (in parallel): every document's archive id, content hash and index keys -- the LSH band
   keys of its text (``fingerprint``, what ``find_sources`` looks up and what an original is indexed
   under) and, when the feed holds excerpt-only entries, its retrieval terms (``excerpt.terms``);
2. **Group** (here): documents sharing an id, a content hash or any index key are connected
   (``scipy.sparse.csgraph.connected_components``); a connected group goes to one task whole, in
   input order. Two documents in different groups share no index key, so neither can be a
   candidate source of the other, nor the same article;
3. **Gate** (in parallel): each task runs the gate on its documents in input order and stores them;
4. **Statistics** (in parallel, once every task is done): the originals written feed the corpus
   n-gram counts (``corpus.record_originals``). Until then every task scores with the counts of the
   start of the run, whichever tasks finished before it.

So the archive -- statuses, links, ids and corpus counts -- equals that of the one-process command
run with a ``--batch-size`` of at least the feed's size (which also scores everything with the
counts of the start; ``tests/test_archive_cluster.py``). With a smaller batch size the one-process
command feeds the counts between batches, and the scores of later articles (so their hold
decisions, so what becomes a source) can differ. One more difference: a copy's *second* source is
looked up with the keys of the sentences its first source did not explain, which the plan does not
know, so a second source in the same feed that shares no key with the whole copy may be missed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ..config import Config
from ..model import InputError
from ..parallel import (
    Item,
    cluster_workers,
    connect_scheduler,
    cut_tasks,
    item_documents,
    read_inputs,
    run_tasks,
    task_size_for,
    worker_context,
)


class ClusterError(Exception):
    """The run cannot start (for example --scheduler with a SQLite archive); one sentence."""


@dataclass(frozen=True)
class GateSettings:
    url: str  # the archive, as open_archive takes it
    config: Config
    encoding: str | None = None
    trusted: bool = False
    hold: str = "suspect"
    fix: bool = False
    batch_size: int = 500
    terms: bool = False  # plan: also the excerpt retrieval terms


@dataclass(frozen=True)
class PlannedDoc:
    seq: int  # the work item's place in the input
    sub: int  # the document's place among the item's documents (after aggregator expansion)
    keys: tuple[int, ...]  # id, content hash and index keys: documents sharing one are in one group
    excerpt: bool = False


@dataclass
class PlanResult:
    index: int
    docs: list[PlannedDoc] = field(default_factory=list)
    errors: list[tuple[int, InputError]] = field(default_factory=list)


@dataclass(frozen=True)
class GateTask:
    index: int
    items: tuple[Item, ...]
    picks: tuple[tuple[int, int], ...]  # (seq, sub) of the documents to gate, in input order
    unchanged: tuple[tuple[int, int], ...] = ()  # statistics step: documents the gate left as they were


@dataclass
class GateResult:
    index: int
    decisions: list[tuple[tuple[int, int], Any]] = field(default_factory=list)  # ((seq, sub), Decision)
    failed: list[tuple[int, InputError]] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    originals: list[tuple[int, int]] = field(default_factory=list)  # written as originals: for the statistics


# ---------------------------------------------------------------------------------------------------
# Worker side


def _documents(item: Item, encoding: str | None, errors: list[tuple[int, InputError]]) -> list[Any]:
    """The archive entries of one work item, as the sequential command reads them (aggregator items
    expanded into their excerpt entries); a document without prose is an error."""
    from .aggregator import expand_documents

    problems: list[InputError] = []
    out = []
    for doc in expand_documents(list(item_documents(item, encoding, errors)), problems):
        if doc.segments:
            out.append(doc)
        else:
            problems.append(InputError(doc.path, "no prose to archive"))
    errors.extend((item.seq, e) for e in problems)
    return out


def _str_key(kind: str, value: str) -> int:
    """A 64-bit key for an id or a content hash (a collision only joins two groups)."""
    return int.from_bytes(hashlib.blake2b(f"{kind}:{value}".encode(), digest_size=8).digest(), "big", signed=True)


def plan_task(task: Any, settings: GateSettings) -> PlanResult:
    """Step 1 for one task: each document's group keys."""
    from ..detect.normalise import normalise_text
    from .aggregator import EXCERPT, entry_kind
    from .archive import content_hash, document_id

    result = PlanResult(task.index)
    for item in task.items:
        for sub, doc in enumerate(_documents(item, settings.encoding, result.errors)):
            try:
                raw = doc.prose()
                prose = normalise_text(raw)
                keys = {_str_key("id", document_id(doc)), _str_key("hash", content_hash(prose))}
                excerpt = entry_kind(doc) == EXCERPT
                if not settings.trusted:  # the trusted import matches nothing: ids and hashes are enough
                    from .excerpt import term_key, terms
                    from .fingerprint import fingerprint

                    for text in {raw, prose}:  # looked up by the raw prose, indexed by the repaired one
                        keys.update(fingerprint(text).keys)
                        if settings.terms:
                            keys.update(term_key(t) for t in terms(text))
            except Exception as exc:  # a bug on one document: reported and left out (its groups are unknown)
                from ..failures import failure

                result.errors.append((item.seq, failure(doc.path, exc, "could not be planned")))
                continue
            result.docs.append(PlannedDoc(item.seq, sub, tuple(keys), excerpt))
    return result


_ARCHIVES: dict[str, Any] = {}


def _worker_archive(url: str) -> Any:
    """One open archive (connection pool) per worker process and URL."""
    from .archive import open_archive

    arc = _ARCHIVES.get(url)
    if arc is None:
        arc = _ARCHIVES[url] = open_archive(url, create=False)
    return arc


def _picked(task: GateTask, picks: tuple[tuple[int, int], ...], encoding: str | None
            ) -> tuple[list[tuple[int, int]], list[Any]]:
    """The documents ``picks`` of the task's items, in the order of ``picks``."""
    wanted = set(picks)
    found: dict[tuple[int, int], Any] = {}
    ignored: list[tuple[int, InputError]] = []  # reported by the plan already
    for item in task.items:
        for sub, doc in enumerate(_documents(item, encoding, ignored)):
            if (item.seq, sub) in wanted:
                found[(item.seq, sub)] = doc
    order = [p for p in picks if p in found]
    return order, [found[p] for p in order]


def gate_task(task: GateTask, settings: GateSettings) -> GateResult:
    """Step 3 for one task: the gate on its documents, in input order, written by this worker. The
    corpus statistics are fed in step 4, so that every task scores with the counts of the start."""
    from .archive import document_id
    from .gate import gate_documents, trusted_import

    result = GateResult(task.index)
    order, docs = _picked(task, task.picks, settings.encoding)
    arc = _worker_archive(settings.url)
    if settings.trusted:
        summary = trusted_import(arc, docs, batch_size=settings.batch_size)
    else:
        ctx = worker_context(settings.config)
        written: list[Any] = []
        summary = gate_documents(arc, docs, ctx, hold=settings.hold, fix=settings.fix,
                                 batch_size=settings.batch_size, originals=written)
        key_of = {id(doc): key for key, doc in zip(order, docs, strict=True)}
        result.originals = sorted(key_of[id(doc)] for doc in written)
    # the decisions come in input order, without the documents whose analysis failed
    it = iter(summary.decisions)
    pending = next(it, None)
    for key, doc in zip(order, docs, strict=True):
        if pending is not None and (pending.path, pending.id) == (doc.path, document_id(doc)):
            result.decisions.append((key, pending))
            pending = next(it, None)
    seq_of_path: dict[str, int] = {}
    for (seq, _), doc in zip(order, docs, strict=True):
        seq_of_path.setdefault(doc.path, seq)
    result.failed = [(seq_of_path.get(e.path, order[0][0] if order else 0), e) for e in summary.failed]
    result.added, result.updated = summary.added, summary.updated
    return result


def statistics_task(task: GateTask, settings: GateSettings) -> int:
    """Step 4 for one task: feed the corpus statistics with the originals the gate wrote (``picks``),
    and with the documents it left unchanged that are archived as originals: a run stopped before
    this step stored them without counting them (counting an original twice counts it once)."""
    from ..detect.normalise import normalise_text
    from .archive import ORIGINAL, content_hash
    from .gate import feed_statistics

    arc = _worker_archive(settings.url)
    _, docs = _picked(task, task.picks, settings.encoding)
    if task.unchanged:
        _, same = _picked(task, task.unchanged, settings.encoding)
        hashes = [content_hash(normalise_text(d.prose())) for d in same]
        _, by_hash = arc.existing([], hashes)
        status = {pk: a.status for pk, a in arc.get_by_pk(sorted(set(by_hash.values()))).items()}
        docs += [d for d, h in zip(same, hashes, strict=True) if status.get(by_hash.get(h, 0)) == ORIGINAL]
    if docs:
        feed_statistics(arc, docs)
    return len(docs)


def _warm_up(settings: GateSettings) -> None:
    """Load the lexicon and models here, so that forked local workers inherit them."""
    if settings.trusted:
        return
    from ..analysis import analyze
    from ..document import parse_text

    for doc in parse_text("The press secretary said the new figures were published on Monday.", "<warm-up>", "text"):
        analyze(doc, worker_context(settings.config))


# ---------------------------------------------------------------------------------------------------
# Main process


def group_documents(docs: list[PlannedDoc]) -> list[list[PlannedDoc]]:
    """Step 2: the connected groups of documents sharing a key, each in input order, ordered by their
    first document."""
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(docs)
    if n == 0:
        return []
    lengths = np.fromiter((len(d.keys) for d in docs), dtype=np.int64, count=n)
    keys = np.fromiter((k for d in docs for k in d.keys), dtype=np.int64, count=int(lengths.sum()))
    _, key_index = np.unique(keys, return_inverse=True)
    rows = np.repeat(np.arange(n), lengths)
    cols = n + key_index  # a bipartite graph: documents, then keys
    size = n + (int(key_index.max()) + 1 if len(key_index) else 0)
    graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(size, size))
    _, labels = connected_components(graph, directed=False)
    groups: dict[int, list[PlannedDoc]] = {}
    for i in sorted(range(n), key=lambda i: (docs[i].seq, docs[i].sub)):
        groups.setdefault(int(labels[i]), []).append(docs[i])
    return list(groups.values())


def pack_tasks(groups: list[list[PlannedDoc]], items: list[Item], size: int) -> list[GateTask]:
    """Whole groups into tasks of about ``size`` documents (a larger group is a task of its own),
    largest first so that the longest task starts first."""
    by_seq = {it.seq: it for it in items}
    packs: list[list[PlannedDoc]] = []
    for g in groups:
        if packs and len(packs[-1]) + len(g) <= size:
            packs[-1].extend(g)
        else:
            packs.append(list(g))
    packs.sort(key=len, reverse=True)
    tasks = []
    for n, pack in enumerate(packs):
        picks = tuple(sorted((d.seq, d.sub) for d in pack))
        seqs = sorted({s for s, _ in picks})
        tasks.append(GateTask(n, tuple(by_seq[s] for s in seqs), picks))
    return tasks


def gate_feed(paths: list[str], url: str, config: Config, *, trusted: bool = False, hold: str = "suspect",
              fix: bool = False, batch_size: int = 500, jobs: int = 1, scheduler: str | None = None,
              encoding: str | None = None, task_size: int | None = None,
              on_planned: Callable[[int], None] | None = None,
              on_progress: Callable[[int], None] | None = None) -> tuple[Any, list[InputError]]:
    """Plan, group and gate the documents of ``paths`` into the archive at ``url`` (already created)
    on ``jobs`` local processes or the Dask ``scheduler``; returns the gate's summary (decisions in
    input order) and the input errors. Raises ``parallel.SchedulerError`` and ``ClusterError``."""
    from .archive import normalise_url
    from .gate import GateSummary

    if scheduler and normalise_url(url).startswith("sqlite"):
        raise ClusterError("--scheduler needs a PostgreSQL archive (--db postgresql://...): workers on other "
                           "machines cannot share a SQLite file; use --jobs N on one machine")
    tagged: list[tuple[int, InputError]] = []
    items = read_inputs(paths, tagged, max_bytes=config.max_file_size, encoding=encoding)
    settings = GateSettings(url=url, config=config, encoding=encoding, trusted=trusted, hold=hold, fix=fix,
                            batch_size=batch_size)
    client = connect_scheduler(scheduler) if scheduler else None
    try:
        workers = cluster_workers(client) if client is not None else jobs
        run = partial(run_tasks, jobs=jobs, client=client, address=scheduler or "")
        plan_size = task_size or task_size_for(len(items), workers)
        planned = list(run(partial(plan_task, settings=settings), cut_tasks(items, plan_size)))
        if not trusted and any(d.excerpt for p in planned for d in p.docs):  # excerpt entries: their terms too
            from dataclasses import replace

            settings_terms = replace(settings, terms=True)
            planned = list(run(partial(plan_task, settings=settings_terms), cut_tasks(items, plan_size)))
        docs = [d for p in planned for d in p.docs]
        errors = [(seq, 0, e) for seq, e in tagged] + [(seq, 1, e) for p in planned for seq, e in p.errors]
        if on_planned:
            on_planned(len(docs))
        tasks = pack_tasks(group_documents(docs), items, task_size or task_size_for(len(docs), workers))
        results = []
        for res in run(partial(gate_task, settings=settings), tasks, warm_up=partial(_warm_up, settings)):
            results.append(res)
            if on_progress:
                on_progress(len(tasks[res.index].picks))
        if not trusted:  # the trusted import fed them as it went: it scores nothing
            stats = [GateTask(r.index, tasks[r.index].items, tuple(r.originals),
                              tuple(k for k, d in r.decisions if d.status == "unchanged")) for r in results]
            list(run(partial(statistics_task, settings=settings), [t for t in stats if t.picks or t.unchanged]))
    finally:
        if client is not None:
            client.close()
    summary = GateSummary(trusted=trusted, hold="" if trusted else hold)
    decisions = sorted((d for r in results for d in r.decisions), key=lambda t: t[0])
    summary.decisions = [d for _, d in decisions]
    summary.added = sum(r.added for r in results)
    summary.updated = sum(r.updated for r in results)
    summary.failed = [e for _, e in sorted((f for r in results for f in r.failed), key=lambda t: t[0])]
    errors.sort(key=lambda t: (t[0], t[1]))
    return summary, [e for _, _, e in errors]
