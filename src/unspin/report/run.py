"""Analyse a feed for the report: in this process, on a local process pool, or on a Dask cluster.

The main process finds the inputs and reads their bytes (so cluster workers need no shared
filesystem), cuts them into tasks of a fixed size, and hands the tasks out. A worker decodes, parses
and analyses the documents of one task and returns small ``ArticleRow`` records. Tasks are cut the
same way however the job runs, and results are put back in input order, so every way of running
gives the same rows and the same errors.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ..config import Config
from ..document import (
    EXTENSIONS,
    InputProblem,
    Source,
    decode,
    discover,
    kind_for,
    parse_text,
    record_document,
)
from ..model import InputError
from .providers import ArticleRow, article_row

TASK_SIZE = 50  # documents (files or JSONL records) per task


class SchedulerError(Exception):
    """The Dask scheduler cannot be reached or the cluster failed; the message is one sentence."""


@dataclass(frozen=True)
class FileItem:
    """A whole file's bytes, decoded and parsed by the worker."""

    path: str
    data: bytes


@dataclass(frozen=True)
class RecordLines:
    """Consecutive lines of a JSONL feed: (line number, line) pairs, parsed one record at a time."""

    path: str
    lines: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class Task:
    index: int
    items: tuple[FileItem | RecordLines, ...]

    @property
    def size(self) -> int:
        return sum(len(i.lines) if isinstance(i, RecordLines) else 1 for i in self.items)


@dataclass(frozen=True)
class WorkerSettings:
    config: Config
    encoding: str | None = None


@dataclass
class TaskResult:
    index: int
    rows: list[ArticleRow] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)


@dataclass
class FeedAnalysis:
    rows: list[ArticleRow]
    errors: list[InputError]


# ---------------------------------------------------------------------------------------------------
# Planning: find inputs, read bytes, cut into tasks (main process)


def _read_bytes(source: Source, max_bytes: int, stdin_name: str) -> tuple[str, bytes]:
    if source.path == "-":
        data = sys.stdin.buffer.read(max_bytes + 1)
        path = stdin_name
    else:
        path = source.path
        try:
            size = os.stat(path).st_size
            if size > max_bytes:
                raise InputProblem(f"file is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:.1f} MB "
                                   "limit (raise max-file-size to read it)")
            with open(path, "rb") as fh:
                data = fh.read(max_bytes + 1)
        except PermissionError:
            raise InputProblem("permission denied") from None
        except IsADirectoryError:
            raise InputProblem("is a folder") from None
        except OSError as exc:
            raise InputProblem(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise InputProblem(f"input is over the {max_bytes / 2**20:.1f} MB limit "
                           "(raise max-file-size to read it)")
    return path, data


def _is_jsonl(path: str, data: bytes) -> bool:
    ext = os.path.splitext(path)[1].lower()
    if ext in EXTENSIONS:
        return EXTENSIONS[ext] == "jsonl"
    return data.lstrip()[:1] == b"{"


def plan_tasks(paths: list[str], errors: list[tuple[int, InputError]], *, max_bytes: int,
               encoding: str | None = None, stdin_name: str = "-", task_size: int = TASK_SIZE) -> list[Task]:
    """Read every input and cut the documents into tasks of ``task_size``; problems go to ``errors``
    tagged with the index of the task they come before (so errors keep their place in input order)."""
    tasks: list[Task] = []
    batch: list[FileItem | RecordLines] = []
    batch_size = 0

    def flush() -> None:
        nonlocal batch, batch_size
        if batch:
            tasks.append(Task(len(tasks), tuple(batch)))
            batch, batch_size = [], 0

    discovered: list[InputError] = []
    for source in discover(list(paths), discovered):
        while discovered:
            errors.append((len(tasks), discovered.pop(0)))
        name = stdin_name if source.path == "-" else source.path
        try:
            path, data = _read_bytes(source, max_bytes, stdin_name)
            if not _is_jsonl(path, data):
                batch.append(FileItem(path, data))
                batch_size += 1
                if batch_size >= task_size:
                    flush()
                continue
            text = decode(data, encoding)
        except InputProblem as exc:
            errors.append((len(tasks), InputError(name, str(exc))))
            continue
        numbered = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        while numbered:
            take = task_size - batch_size
            batch.append(RecordLines(path, tuple(numbered[:take])))
            batch_size += len(numbered[:take])
            numbered = numbered[take:]
            if batch_size >= task_size:
                flush()
    flush()
    errors.extend((len(tasks), e) for e in discovered)
    return tasks


# ---------------------------------------------------------------------------------------------------
# Running one task (worker side)

_CONTEXTS: dict = {}


def _context(config: Config):
    """One analysis Context per worker process and configuration: the lexicon is built once."""
    from ..analyze import Context

    ctx = _CONTEXTS.get(config)
    if ctx is None:
        ctx = _CONTEXTS[config] = Context(config=config)
    return ctx


def _documents(item: FileItem | RecordLines, settings: WorkerSettings, errors: list[InputError]):
    if isinstance(item, FileItem):
        try:
            text = decode(item.data, settings.encoding)
            yield from parse_text(text, item.path, kind_for(item.path, text))
        except InputProblem as exc:
            errors.append(InputError(item.path, str(exc)))
        return
    for lineno, line in item.lines:
        where = f"{item.path}:{lineno}"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(InputError(where, f"not valid JSON ({exc.msg})"))
            continue
        if not isinstance(rec, dict):
            errors.append(InputError(where, "expected a JSON object"))
            continue
        try:
            yield record_document(rec, where, lineno)
        except InputProblem as exc:
            errors.append(InputError(where, str(exc).removeprefix(f"line {lineno}: ")))


def run_task(task: Task, settings: WorkerSettings) -> TaskResult:
    """Decode, parse and analyse one task's documents; failures become errors, never exceptions."""
    from ..analyze import analyze
    from .readability import reading_ease

    ctx = _context(settings.config)
    result = TaskResult(task.index)
    for item in task.items:
        for doc in _documents(item, settings, result.errors):
            try:
                report = analyze(doc, ctx)
                prose = doc.body() or doc.prose()
                result.rows.append(article_row(report, reading_ease(prose)))
            except Exception as exc:  # a bug in a detector must not lose the rest of the feed
                problem = f"could not be analysed ({type(exc).__name__}: {exc})"
                result.errors.append(InputError(doc.path, problem))
    return result


# ---------------------------------------------------------------------------------------------------
# Executors


def _run_inline(tasks: list[Task], settings: WorkerSettings) -> Iterator[TaskResult]:
    for task in tasks:
        yield run_task(task, settings)


def _run_pool(tasks: list[Task], settings: WorkerSettings, jobs: int) -> Iterator[TaskResult]:
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_task, t, settings) for t in tasks]
        try:
            for fut in as_completed(futures):
                yield fut.result()
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _run_dask(tasks: list[Task], settings: WorkerSettings, address: str) -> Iterator[TaskResult]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise SchedulerError("--scheduler needs the 'distributed' package "
                             "(pip install 'dask[distributed]')") from None
    try:
        client = Client(address, timeout="15s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SchedulerError(f"cannot connect to the Dask scheduler at {address}: {exc}") from None
    try:
        if not tasks:
            return
        futures = client.map(run_task, tasks, settings=settings, pure=False)
        try:
            for fut in as_completed(futures):
                try:
                    yield fut.result()
                except (OSError, TimeoutError) as exc:
                    raise SchedulerError(f"the Dask cluster at {address} failed: {exc}") from None
        finally:
            client.cancel(futures)
    finally:
        client.close()


def analyze_feed(paths: list[str], config: Config, *, jobs: int = 1, scheduler: str | None = None,
                 encoding: str | None = None, stdin_name: str = "-", task_size: int = TASK_SIZE,
                 on_planned: Callable[[int], None] | None = None,
                 on_progress: Callable[[int], None] | None = None) -> FeedAnalysis:
    """Analyse every document of the inputs; rows and errors come back in input order.

    ``jobs`` > 1 uses a local process pool; ``scheduler`` (``tcp://host:port``) sends the tasks to a
    Dask distributed cluster instead. ``on_planned(total)`` is called once the inputs are read,
    ``on_progress(n)`` after each finished task with its number of documents.
    """
    tagged_errors: list[tuple[int, InputError]] = []
    tasks = plan_tasks(paths, tagged_errors, max_bytes=config.max_file_size, encoding=encoding,
                       stdin_name=stdin_name, task_size=task_size)
    if on_planned:
        on_planned(sum(t.size for t in tasks))
    settings = WorkerSettings(config=config, encoding=encoding)
    if scheduler:
        results = _run_dask(tasks, settings, scheduler)
    elif jobs > 1 and len(tasks) > 1:
        results = _run_pool(tasks, settings, min(jobs, len(tasks)))
    else:
        results = _run_inline(tasks, settings)
    by_index: dict[int, TaskResult] = {}
    sizes = {t.index: t.size for t in tasks}
    for res in results:
        by_index[res.index] = res
        if on_progress:
            on_progress(sizes[res.index])
    rows: list[ArticleRow] = []
    errors: list[tuple[int, int, InputError]] = [(i, 0, e) for i, e in tagged_errors]
    for index in sorted(by_index):
        rows.extend(by_index[index].rows)
        errors.extend((index, 1, e) for e in by_index[index].errors)
    errors.sort(key=lambda t: (t[0], t[1]))
    return FeedAnalysis(rows=rows, errors=[e for _, _, e in errors])
