"""Running work on a feed in this process, on a local process pool, or on a Dask cluster.

Shared by ``unspin report`` (``unspin.report.run``) and ``unspin archive add --jobs/--scheduler``
(``unspin.match.cluster``). The main process finds the inputs and reads their bytes (so cluster
workers need no shared filesystem), numbers the work items in input order (a file, or one line of a
JSONL feed) and cuts them into tasks; ``run_tasks`` hands the tasks to the chosen executor and
yields the results as they finish. A worker decodes and parses the documents of its items itself
(``item_documents``) and tags what it returns with the items' numbers, so the caller can sort the
results back into input order whatever ran where.

Scheduling, data transfer, retries and worker management are Dask's (``Client.map``,
``as_completed``) or the standard library's (``ProcessPoolExecutor``); this module only adds the
one-sentence errors the commands print.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .document import EXTENSIONS, InputProblem, decode, discover, jsonl_lines, jsonl_record, parse_bytes, read_bytes
from .model import InputError

MAX_TASK_SIZE = 50  # documents (files or JSONL records) per task, at most
TASKS_PER_WORKER = 4  # smaller tasks for small feeds, so every worker gets work and progress moves
CONNECT_TIMEOUT = "15s"  # how long to keep trying a Dask scheduler that does not answer
NEEDS_DISTRIBUTED = "--scheduler needs the 'distributed' package (pip install 'unspin[dask]')"


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


Item = FileItem | RecordLine


@dataclass(frozen=True)
class Task:
    index: int
    items: tuple[Item, ...]


# ---------------------------------------------------------------------------------------------------
# Planning: find inputs, read bytes, cut into tasks (main process)


def _is_jsonl(path: str, data: bytes) -> bool:
    ext = os.path.splitext(path)[1].lower()
    if ext in EXTENSIONS:
        return EXTENSIONS[ext] == "jsonl"
    return data.lstrip()[:1] == b"{"


def read_inputs(paths: list[str], errors: list[tuple[int, InputError]], *, max_bytes: int,
                encoding: str | None = None, stdin_name: str = "-") -> list[Item]:
    """Read every input into work items in input order; problems go to ``errors``, tagged with the
    sequence number of the next item so that they keep their place among the workers' errors."""
    items: list[Item] = []
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


def cut_tasks(items: list[Item], size: int) -> list[Task]:
    return [Task(n, tuple(items[i:i + size])) for n, i in enumerate(range(0, len(items), size))]


# ---------------------------------------------------------------------------------------------------
# Worker side


_CONTEXTS: dict = {}


def worker_context(config: Any) -> Any:
    """One analysis Context per worker process and configuration: the lexicon is built once."""
    from .analysis import Context

    ctx = _CONTEXTS.get(config)
    if ctx is None:
        ctx = _CONTEXTS[config] = Context(config=config)
    return ctx


def item_documents(item: Item, encoding: str | None, errors: list[tuple[int, InputError]]) -> Iterator[Any]:
    """The documents of one work item (a file may hold several); problems go to ``errors``."""
    if isinstance(item, FileItem):
        try:
            yield from parse_bytes(item.data, item.path, encoding=encoding)
        except InputProblem as exc:
            errors.append((item.seq, InputError(item.path, str(exc))))
        except Exception as exc:  # a bug while parsing: this file is reported, the task goes on
            from .failures import failure

            errors.append((item.seq, failure(item.path, exc, "could not be read")))
        return
    got = jsonl_record(item.line, item.path, item.lineno)
    if isinstance(got, InputError):
        errors.append((item.seq, got))
    else:
        yield got[1]


# ---------------------------------------------------------------------------------------------------
# Executors


def _run_pool(fn: Callable[[Any], Any], tasks: list[Any], jobs: int,
              warm_up: Callable[[], None] | None) -> Iterator[Any]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    if warm_up is not None and multiprocessing.get_start_method() == "fork":
        warm_up()  # forked workers inherit what it loaded instead of each loading its own
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(fn, t) for t in tasks]
        try:
            for fut in as_completed(futures):
                yield fut.result()
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _run_dask(client: Any, fn: Callable[[Any], Any], tasks: list[Any], address: str) -> Iterator[Any]:
    from distributed import as_completed

    if not tasks:
        return
    futures = client.map(fn, tasks, pure=False)
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


def run_tasks(fn: Callable[[Any], Any], tasks: Iterable[Any], *, jobs: int = 1, client: Any = None,
              address: str = "", warm_up: Callable[[], None] | None = None) -> Iterator[Any]:
    """``fn(task)`` for every task, results in the order they finish: on the Dask ``client``, else on
    ``jobs`` local processes (``fn`` and the tasks must pickle), else here."""
    tasks = list(tasks)
    if client is not None:
        yield from _run_dask(client, fn, tasks, address)
    elif jobs > 1 and len(tasks) > 1:
        yield from _run_pool(fn, tasks, min(jobs, len(tasks)), warm_up)
    else:
        for task in tasks:
            yield fn(task)


def cluster_workers(client: Any) -> int:
    """The number of task slots (threads) of a Dask cluster."""
    return max(1, sum(client.nthreads().values()))


# ---------------------------------------------------------------------------------------------------
# Connecting to a Dask scheduler


def _check_reachable(address: str) -> None:
    """Fail fast, with one sentence, on a malformed address or a TCP scheduler nobody listens on.

    (A Client that cannot connect leaves a traceback on stderr when it is garbage-collected.)
    """
    try:
        from distributed.comm.addressing import parse_address, parse_host_port
    except ImportError:
        raise SchedulerError(NEEDS_DISTRIBUTED) from None

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


def connect_scheduler(address: str) -> Any:
    """A distributed.Client for ``address``; SchedulerError with one sentence when that fails."""
    try:
        from distributed import Client
    except ImportError:
        raise SchedulerError(NEEDS_DISTRIBUTED) from None
    _check_reachable(address)
    try:
        return Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except Exception as exc:  # whatever answered there is not a usable scheduler
        _ignore_failed_client_cleanup()
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        if not isinstance(exc, (OSError, TimeoutError, ValueError)):
            reason = f"it did not answer like a Dask scheduler ({type(exc).__name__})"
        raise SchedulerError(f"cannot connect to the Dask scheduler at {address}: {reason}") from None
