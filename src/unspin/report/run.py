"""Analyse a feed for the report: in this process, on a local process pool, or on a Dask cluster.

The main process finds the inputs and reads their bytes (so cluster workers need no shared
filesystem), numbers the documents in input order (a file, or one line of a JSONL feed), cuts them
into tasks and hands the tasks out. A worker decodes, parses and analyses the documents of one task
and returns small ``ArticleRow`` records and errors tagged with those numbers; the main process
sorts them back into input order. So neither the executor nor the task size changes the result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from ..config import Config
from ..document import parse_text
from ..model import InputError
from ..parallel import (  # noqa: F401  (SchedulerError, RecordLine re-exported for callers)
    RecordLine,
    SchedulerError,
    Task,
    cluster_workers,
    connect_scheduler,
    cut_tasks,
    item_documents,
    read_inputs,
    run_tasks,
    task_size_for,
    worker_context,
)
from .providers import ArticleRow, article_row


@dataclass(frozen=True)
class WorkerSettings:
    config: Config
    encoding: str | None = None


@dataclass
class TaskResult:
    index: int
    rows: list[tuple[int, ArticleRow]] = field(default_factory=list)  # (input seq, row)
    errors: list[tuple[int, InputError]] = field(default_factory=list)


@dataclass
class FeedAnalysis:
    rows: list[ArticleRow]
    errors: list[InputError]


# ---------------------------------------------------------------------------------------------------
# Running one task (worker side)


def run_task(task: Task, settings: WorkerSettings) -> TaskResult:
    """Decode, parse and analyse one task's documents; failures become errors, never exceptions."""
    from ..analysis import analyze, analyze_many, batches
    from .readability import reading_ease

    ctx = worker_context(settings.config)
    result = TaskResult(task.index)
    docs = [(item.seq, doc) for item in task.items
            for doc in item_documents(item, settings.encoding, result.errors)]
    seq_of = {id(doc): seq for seq, doc in docs}

    def failed(doc, exc: Exception) -> None:
        problem = f"could not be analysed ({type(exc).__name__}: {exc})"
        result.errors.append((seq_of[id(doc)], InputError(doc.path, problem)))

    for batch in batches(doc for _, doc in docs):
        try:  # several documents per pass of the LM-heavy detectors
            reports = list(analyze_many(batch, ctx))
        except Exception:  # a bug in a detector: find the document, and lose none of the others
            reports = []
            for doc in batch:
                try:
                    reports.append(analyze(doc, ctx))
                except Exception as exc:
                    failed(doc, exc)
        for report in reports:
            doc = report.document
            try:
                prose = doc.body() or doc.prose()
                result.rows.append((seq_of[id(doc)], article_row(report, reading_ease(prose))))
            except Exception as exc:
                failed(doc, exc)
    return result


def _warm_up(settings: WorkerSettings) -> None:
    """Load the lexicon, models and readability tables in this process, so that forked workers
    inherit them instead of each loading its own (about two CPU seconds per process)."""
    from ..analysis import analyze
    from .readability import reading_ease

    text = "The press secretary said the new figures were published on Monday."
    for doc in parse_text(text, "<warm-up>", "text"):
        analyze(doc, worker_context(settings.config))
    reading_ease(text)


def analyze_feed(paths: list[str], config: Config, *, jobs: int = 1, scheduler: str | None = None,
                 encoding: str | None = None, stdin_name: str = "-", task_size: int | None = None,
                 on_planned: Callable[[int], None] | None = None,
                 on_progress: Callable[[int], None] | None = None) -> FeedAnalysis:
    """Analyse every document of the inputs; rows and errors come back in input order.

    ``jobs`` > 1 uses a local process pool; ``scheduler`` (``tcp://host:port``) sends the tasks to a
    Dask distributed cluster instead. ``on_planned(total)`` is called once the inputs are read,
    ``on_progress(n)`` after each finished task with its number of documents. Neither the way it
    runs nor ``task_size`` changes the result.
    """
    tagged_errors: list[tuple[int, InputError]] = []
    items = read_inputs(paths, tagged_errors, max_bytes=config.max_file_size, encoding=encoding,
                        stdin_name=stdin_name)
    if on_planned:
        on_planned(len(items))
    settings = WorkerSettings(config=config, encoding=encoding)
    client = connect_scheduler(scheduler) if scheduler else None
    try:
        workers = cluster_workers(client) if client is not None else jobs
        tasks = cut_tasks(items, task_size or task_size_for(len(items), workers))
        results = run_tasks(partial(run_task, settings=settings), tasks, jobs=jobs, client=client,
                            address=scheduler or "", warm_up=partial(_warm_up, settings))
        rows: list[tuple[int, ArticleRow]] = []
        errors = [(seq, 0, e) for seq, e in tagged_errors]  # read errors come before the item they precede
        for res in results:
            rows.extend(res.rows)
            errors.extend((seq, 1, e) for seq, e in res.errors)
            if on_progress:
                on_progress(len(tasks[res.index].items))
    finally:
        if client is not None:
            client.close()
    rows.sort(key=lambda r: r[0])  # stable: rows of one item keep their order
    errors.sort(key=lambda t: (t[0], t[1]))
    return FeedAnalysis(rows=[r for _, r in rows], errors=[e for _, _, e in errors])
