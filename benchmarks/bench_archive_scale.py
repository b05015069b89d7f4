"""Archive at scale: up to N synthetic news-length articles into SQLite and PostgreSQL, measured on the way.

    python benchmarks/bench_archive_scale.py                      # 1,000,000 articles (hours)
    python benchmarks/bench_archive_scale.py --n 20000 --checkpoints 10000,20000 --backends sqlite,postgres

The articles come from benchmarks/synthetic_corpus.py (seeded, ~490 words each; written once to
--work as news-<N>.jsonl and reused; the benchmark also follows a corpus still being written by
``synthetic_corpus.py N FILE --jobs J`` when started with the same --jobs). They are added the way
``unspin archive add --trusted`` adds them: ``Archive.add_documents`` in batches of --batch, with no
analysis gate (JSONL record -> document -> stored text, content hash, fingerprint, rows). PostgreSQL
runs in a private throw-away cluster (tests/postgres_server.py: initdb in a temp folder, fsync off,
Unix socket only, plus --pg-settings: shared_buffers 1 GB, max_wal_size 4 GB).

The archive is filled up to each checkpoint size in turn; at each one the benchmark prints the index
time of that segment (wall; CPU of this process, and for PostgreSQL also of the server's processes),
bytes per article (the SQLite file after a WAL checkpoint; ``pg_database_size``), and
``find_sources`` latency p50/p95 (wall; CPU of this process) with top-1 accuracy on --queries
archived articles (drawn from all articles archived so far) spun by the evaluation's thesaurus spinner
(half at 30%, half at 60% of content words). SIGTERM/SIGINT stop it cleanly after printing what
was measured (the PostgreSQL cluster is removed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # the evaluation/ package
sys.path.insert(0, str(HERE.parent / "tests"))  # postgres_server

from synthetic_corpus import SEED, SENTENCES, write_corpus  # noqa: E402


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


def _follow(path: Path, count: int, patience: float = 600.0) -> Iterator[str]:
    """``count`` complete lines of ``path``, waiting for a writer still appending to it (at most
    ``patience`` seconds without a new line: a shard left by a writer that died is not waited for)."""
    with open(path, encoding="utf-8") as fh:
        got, partial, last = 0, "", time.monotonic()
        while got < count:
            line = fh.readline()
            if not line or not line.endswith("\n"):
                partial += line
                if time.monotonic() - last > patience:
                    raise SystemExit(f"bench_archive_scale: {path} has not grown for {patience:.0f} s; is "
                                     "synthetic_corpus.py still writing it? (delete the .part files to start over)")
                time.sleep(2)
                continue
            got += 1
            last = time.monotonic()
            yield partial + line
            partial = ""


def corpus_lines(work: Path, total: int, jobs: int) -> Iterator[str]:
    """The lines of the corpus news-<total>.jsonl, or of its shards while synthetic_corpus.py writes them."""
    final = work / f"news-{total}.jsonl"
    parts = [final.with_suffix(f".part{i}") for i in range(jobs)]
    if final.exists() or not parts[0].exists():
        write_corpus(total, final, jobs=jobs)
        with open(final, encoding="utf-8") as fh:
            yield from fh
        return
    bounds = [round(i * total / jobs) for i in range(jobs + 1)]
    for i, part in enumerate(parts):
        try:
            yield from _follow(part, bounds[i + 1] - bounds[i])
        except FileNotFoundError:  # already concatenated into the final file
            with open(final, encoding="utf-8") as fh:
                for k, line in enumerate(fh):
                    if k >= bounds[i]:
                        yield line


class Spun:
    """Spun copies of archived article k (regenerated from the seeded corpus, not read back)."""

    def __init__(self) -> None:
        from evaluation.matching import SyntheticCorpus, training_texts
        from evaluation.thesaurus_spinner import ThesaurusSpinner

        self.corpus = SyntheticCorpus(training_texts(), seed=SEED)
        self.spinner = ThesaurusSpinner()

    def queries(self, size: int, n: int) -> list[tuple[str, str]]:
        rng = random.Random(size)
        picks = rng.sample(range(size), min(n, size))
        out = []
        for k, i in enumerate(picks):
            rec = self.corpus.article(i, sentences=SENTENCES)
            out.append((self.spinner.spin(rec["text"], 0.3 if k % 2 == 0 else 0.6, rng).text, rec["id"]))
        return out


def _query(arc, queries: list[tuple[str, str]]) -> dict:
    from unspin.document import parse_text

    lat, cpu_lat, ok = [], [], 0
    for text, want in queries:
        doc = parse_text(text, "q.txt", "text")[0]
        t, c = time.perf_counter(), time.process_time()
        found = arc.find_sources(doc, top=5)
        lat.append((time.perf_counter() - t) * 1000)
        cpu_lat.append((time.process_time() - c) * 1000)
        ok += bool(found) and found[0].id == want
    return {"p50": _pct(lat, 0.5), "p95": _pct(lat, 0.95), "cpu_p50": _pct(cpu_lat, 0.5),
            "cpu_p95": _pct(cpu_lat, 0.95), "top1": ok / len(queries)}


def _server_cpu(data_dir: Path | None) -> float:
    """CPU seconds (user + system) of the PostgreSQL server processes alive now (postmaster and children)."""
    if data_dir is None:
        return 0.0
    import psutil

    try:
        pid = int((data_dir / "postmaster.pid").read_text().split()[0])
        root = psutil.Process(pid)
        total = 0.0
        for p in [root, *root.children(recursive=True)]:
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
        return total
    except (OSError, ValueError, psutil.Error):
        return 0.0


class Sqlite:
    name = "sqlite"

    def __init__(self, work: Path, total: int):
        self.db = work / f"scale-{total}.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(str(self.db) + suffix).unlink(missing_ok=True)
        self.url = str(self.db)
        self.data_dir = None

    def size(self) -> int:
        con = sqlite3.connect(self.db)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        return os.path.getsize(self.db)

    def close(self) -> None:
        pass


class Postgres:
    name = "postgres"

    def __init__(self, work: Path, total: int, settings: str):
        from postgres_server import PostgresCluster, find_bin_dir

        bin_dir = find_bin_dir()
        if bin_dir is None:
            raise SystemExit("bench_archive_scale: no PostgreSQL server binaries (Debian package 'postgresql')")
        self.base = Path(tempfile.mkdtemp(prefix="unspin-pg-scale-", dir=work))
        self.cluster = PostgresCluster(bin_dir, self.base, extra_options=settings)
        self.cluster.start()
        self.url = self.cluster.create_database("scale")
        self.data_dir = self.cluster.data

    def _sql(self, sql: str):
        import psycopg

        with psycopg.connect(host=str(self.cluster.sock), port=self.cluster.port, user="unspin", dbname="scale",
                             autocommit=True) as conn:
            cur = conn.execute(sql)
            return cur.fetchone() if cur.description else None

    def size(self) -> int:
        self._sql("ANALYZE")
        return self._sql("SELECT pg_database_size(current_database())")[0]

    def close(self) -> None:
        self.cluster.stop()
        shutil.rmtree(self.base, ignore_errors=True)


def run(backend, lines: Iterator[str], checkpoints: list[int], batch: int, spun: Spun, n_queries: int,
        emit) -> None:
    from unspin.document import record_document
    from unspin.match.archive import open_archive

    arc = open_archive(backend.url)
    done = 0
    total_cpu = total_wall = 0.0
    try:
        for size in checkpoints:
            def docs(start: int = done, stop: int = size) -> Iterator:
                for k in range(start, stop):
                    yield record_document(json.loads(next(lines)), f"feed:{k}")

            srv, t, cpu = _server_cpu(backend.data_dir), time.perf_counter(), time.process_time()
            res = arc.add_documents(docs(), batch_size=batch)
            wall, cpu = time.perf_counter() - t, time.process_time() - cpu
            srv = _server_cpu(backend.data_dir) - srv
            assert res.added == size - done, (res.added, size - done)
            total_cpu += cpu
            total_wall += wall
            seg = size - done
            done = size
            nbytes = backend.size()
            q = _query(arc, spun.queries(size, n_queries))
            emit(f"| {backend.name} | {size:,} | {wall:.0f} | {seg / cpu:.0f} | "
                 f"{seg / (cpu + srv):.0f} | {total_wall / 3600:.2f} | {nbytes / size:,.0f} | "
                 f"{q['p50']:.0f} / {q['p95']:.0f} | {q['cpu_p50']:.0f} / {q['cpu_p95']:.0f} | "
                 f"{100 * q['top1']:.1f}% | {os.getloadavg()[0]:.1f} |")
    finally:
        arc.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="corpus size (default 1,000,000)")
    ap.add_argument("--checkpoints", default="10000,100000,200000,500000,1000000",
                    help="archive sizes at which to measure (default 10k,100k,200k,500k,1M; capped at --n)")
    ap.add_argument("--backends", default="sqlite,postgres", help="one of sqlite, postgres (run one per process)")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--batch", type=int, default=10000)
    ap.add_argument("--jobs", type=int, default=2, help="processes writing the corpus when it is not there yet")
    ap.add_argument("--pg-settings", default="-c shared_buffers=1GB -c max_wal_size=4GB",
                    help="server settings of the private PostgreSQL cluster")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "unspin-bench-scale")
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    checkpoints = sorted({min(int(c), args.n) for c in args.checkpoints.split(",")})

    def stop(signum, _frame):  # noqa: ANN001
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)

    def emit(line: str) -> None:
        print(line, flush=True)

    spun = Spun()
    emit(f"# {platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, SQLite "
         f"{sqlite3.sqlite_version}, started {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; corpus of "
         f"{args.n:,} synthetic articles (seed {SEED}, {SENTENCES[0]}-{SENTENCES[1]} sentences), batches of "
         f"{args.batch}, {args.queries} spun queries per size; load average {os.getloadavg()[0]:.1f}")
    emit("| backend | articles | segment index wall s | articles per CPU s (client) | articles per CPU s "
         "(client + server) | total index wall h | bytes/article | match p50 / p95 ms wall | (CPU) | top-1 "
         "| load (1 min) |")
    emit("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: |")
    for name in [b.strip() for b in args.backends.split(",") if b.strip()]:
        backend = Sqlite(args.work, args.n) if name == "sqlite" else Postgres(args.work, args.n,
                                                                              args.pg_settings)
        try:
            run(backend, corpus_lines(args.work, args.n, args.jobs), checkpoints, args.batch, spun, args.queries,
                emit)
        except KeyboardInterrupt as exc:
            emit(f"# {name}: stopped ({exc}) at {time.strftime('%H:%M UTC', time.gmtime())}")
            return 1
        finally:
            backend.close()
        emit(f"# {name}: finished at {time.strftime('%H:%M UTC', time.gmtime())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
