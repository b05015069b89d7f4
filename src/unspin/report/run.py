"""Analyse a feed for the report: in this process, on a local process pool, or on a Dask cluster.

The main process finds the inputs and reads their bytes (so cluster workers need no shared
filesystem), numbers the documents in input order (a file, or one line of a JSONL feed), cuts them
into tasks and hands the tasks out. A worker decodes, parses and analyses the documents of one task
and returns small ``ArticleRow`` records and errors tagged with those numbers; the main process
sorts them back into input order. So neither the executor nor the task size changes the result.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ..config import Config
from ..document import (
    EXTENSIONS,
    InputProblem,
    decode,
    discover,
    jsonl_lines,
    jsonl_record,
    parse_bytes,
    parse_text,
    read_bytes,
)
from ..model import InputError
from .providers import ArticleRow, article_row

MAX_TASK_SIZE = 50  # documents (files or JSONL records) per task, at most
TASKS_PER_WORKER = 4  # smaller tasks for small feeds, so every worker gets work and progress moves
CONNECT_TIMEOUT = "15s"  # how long to keep trying a Dask scheduler that does not answer


class SchedulerError(Exception):
    """The Dask scheduler cannot be reached or the cluster failed; the message is one sentence."""


@dataclass(frozen=True)
class FileItem:
    """A whole file's bytes, decoded and parsed by the worker; ``seq`` is its place in the input."""

    seq: int
    path: str
    data: bytes


@dataclass(frozen=True)
class RecordLine:
    """One line of a JSONL feed, parsed by the worker."""

    seq: int
    path: str
    lineno: int
    line: str


@dataclass(frozen=True)
class Task:
    index: int
    items: tuple[FileItem | RecordLine, ...]


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
# Planning: find inputs, read bytes, cut into tasks (main process)


def _is_jsonl(path: str, data: bytes) -> bool:
    ext = os.path.splitext(path)[1].lower()
    if ext in EXTENSIONS:
        return EXTENSIONS[ext] == "jsonl"
    return data.lstrip()[:1] == b"{"


def read_inputs(paths: list[str], errors: list[tuple[int, InputError]], *, max_bytes: int,
                encoding: str | None = None, stdin_name: str = "-") -> list[FileItem | RecordLine]:
    """Read every input into work items in input order; problems go to ``errors``, tagged with the
    sequence number of the next item so that they keep their place among the workers' errors."""
    items: list[FileItem | RecordLine] = []
    discovered: list[InputError] = []
    for source in discover(list(paths), discovered):
        while discovered:
            errors.append((len(items), discovered.pop(0)))
        name = stdin_name if source.path == "-" else source.path
        try:
            path, data = read_bytes(source, max_bytes=max_bytes, stdin_name=stdin_name)
            if not _is_jsonl(path, data):
                items.append(FileItem(len(items), path, data))
                continue
            text = decode(data, encoding)
        except InputProblem as exc:
            errors.append((len(items), InputError(name, str(exc))))
            continue
        for lineno, line in enumerate(jsonl_lines(text), 1):
            if line.strip():
                items.append(RecordLine(len(items), path, lineno, line))
    errors.extend((len(items), e) for e in discovered)
    return items


def task_size_for(total: int, workers: int) -> int:
    """Documents per task: at most MAX_TASK_SIZE, fewer when that would leave workers idle."""
    return max(1, min(MAX_TASK_SIZE, math.ceil(total / max(1, workers * TASKS_PER_WORKER))))


def cut_tasks(items: list[FileItem | RecordLine], size: int) -> list[Task]:
    return [Task(n, tuple(items[i:i + size])) for n, i in enumerate(range(0, len(items), size))]


# ---------------------------------------------------------------------------------------------------
# Running one task (worker side)

_CONTEXTS: dict = {}


def _context(config: Config):
    """One analysis Context per worker process and configuration: the lexicon is built once."""
    from ..analysis import Context

    ctx = _CONTEXTS.get(config)
    if ctx is None:
        ctx = _CONTEXTS[config] = Context(config=config)
    return ctx


def _documents(item: FileItem | RecordLine, settings: WorkerSettings, errors: list[tuple[int, InputError]]):
    if isinstance(item, FileItem):
        try:
            yield from parse_bytes(item.data, item.path, encoding=settings.encoding)
        except InputProblem as exc:
            errors.append((item.seq, InputError(item.path, str(exc))))
        except Exception as exc:  # a bug while parsing: this file is reported, the task goes on
            from ..failures import failure

            errors.append((item.seq, failure(item.path, exc, "could not be read")))
        return
    got = jsonl_record(item.line, item.path, item.lineno)
    if isinstance(got, InputError):
        errors.append((item.seq, got))
    else:
        yield got[1]


def run_task(task: Task, settings: WorkerSettings) -> TaskResult:
    """Decode, parse and analyse one task's documents; failures become errors, never exceptions."""
    from ..analysis import analyze, analyze_many, batches
    from .readability import reading_ease

    ctx = _context(settings.config)
    result = TaskResult(task.index)
    docs = [(item.seq, doc) for item in task.items for doc in _documents(item, settings, result.errors)]
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


# ---------------------------------------------------------------------------------------------------
# Executors


def _run_inline(tasks: list[Task], settings: WorkerSettings) -> Iterator[TaskResult]:
    for task in tasks:
        yield run_task(task, settings)


def _warm_up(settings: WorkerSettings) -> None:
    """Load the lexicon, models and readability tables in this process, so that forked workers
    inherit them instead of each loading its own (about two CPU seconds per process)."""
    from ..analysis import analyze
    from .readability import reading_ease

    text = "The press secretary said the new figures were published on Monday."
    for doc in parse_text(text, "<warm-up>", "text"):
        analyze(doc, _context(settings.config))
    reading_ease(text)


def _run_pool(tasks: list[Task], settings: WorkerSettings, jobs: int) -> Iterator[TaskResult]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    if multiprocessing.get_start_method() == "fork":
        _warm_up(settings)
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_task, t, settings) for t in tasks]
        try:
            for fut in as_completed(futures):
                yield fut.result()
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _check_reachable(address: str) -> None:
    """Fail fast, with one sentence, on a malformed address or a TCP scheduler nobody listens on.

    (A Client that cannot connect leaves a traceback on stderr when it is garbage-collected.)
    """
    try:
        from distributed.comm.addressing import parse_address, parse_host_port
    except ImportError:
        raise SchedulerError("--scheduler needs the 'distributed' package "
                             "(pip install 'unspin[dask]')") from None

    try:
        scheme, loc = parse_address(address, strict=True)
        if scheme not in ("tcp", "tls", "ws", "wss"):
            return
        host, port = parse_host_port(loc)
    except (ValueError, TypeError) as exc:
        raise SchedulerError(f"{address!r} is not a Dask scheduler address like tcp://HOST:PORT ({exc})") from None
    import socket

    seconds = float(CONNECT_TIMEOUT.rstrip("s"))
    try:
        socket.create_connection((host, port), timeout=seconds).close()
    except OSError as exc:
        raise SchedulerError(f"cannot connect to the Dask scheduler at {address}: "
                             f"{exc.strerror or exc or 'no answer'}") from None


def _ignore_failed_client_cleanup() -> None:
    """A Client whose start failed times out again when garbage-collected and prints a traceback from
    ``Client.__del__``; the user has already been told what went wrong, so drop that one report."""
    previous = sys.unraisablehook

    def hook(unraisable) -> None:
        if getattr(unraisable.object, "__qualname__", "") != "Client.__del__":
            previous(unraisable)

    sys.unraisablehook = hook


def connect_scheduler(address: str):
    """A distributed.Client for ``address``; SchedulerError with one sentence when that fails."""
    try:
        from distributed import Client
    except ImportError:
        raise SchedulerError("--scheduler needs the 'distributed' package "
                             "(pip install 'unspin[dask]')") from None
    _check_reachable(address)
    try:
        return Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except Exception as exc:  # whatever answered there is not a usable scheduler
        _ignore_failed_client_cleanup()
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        if not isinstance(exc, (OSError, TimeoutError, ValueError)):
            reason = f"it did not answer like a Dask scheduler ({type(exc).__name__})"
        raise SchedulerError(f"cannot connect to the Dask scheduler at {address}: {reason}") from None


def _run_dask(client, tasks: list[Task], settings: WorkerSettings, address: str) -> Iterator[TaskResult]:
    from distributed import as_completed

    if not tasks:
        return
    futures = client.map(run_task, tasks, settings=settings, pure=False)
    try:
        for fut in as_completed(futures, loop=client.loop):
            try:
                result = fut.result()
            except Exception as exc:  # lost workers, killed tasks, dropped connections
                reason = str(exc).splitlines()[0][:200] if str(exc) else ""
                raise SchedulerError(f"the Dask cluster at {address} failed: {type(exc).__name__}"
                                     f"{': ' + reason if reason else ''}") from None
            yield result
    finally:
        client.cancel(futures)


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
        workers = max(1, sum(client.nthreads().values())) if client is not None else jobs
        tasks = cut_tasks(items, task_size or task_size_for(len(items), workers))
        if client is not None:
            results = _run_dask(client, tasks, settings, scheduler)
        elif jobs > 1 and len(tasks) > 1:
            results = _run_pool(tasks, settings, min(jobs, len(tasks)))
        else:
            results = _run_inline(tasks, settings)
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
