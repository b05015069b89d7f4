"""Archive at scale: N synthetic news-length articles into SQLite and PostgreSQL, then spun-copy queries.

    python benchmarks/bench_archive_scale.py                      # 1,000,000 articles (hours)
    python benchmarks/bench_archive_scale.py --n 20000 --backends sqlite,postgres

The articles come from benchmarks/synthetic_corpus.py (seeded; written once to --work and reused).
They are added the way ``unspin archive add --trusted`` adds them: ``Archive.add_documents`` in
batches of --batch, with no analysis gate. PostgreSQL runs in a private throw-away cluster
(tests/postgres_server.py: initdb in a temp folder, fsync off, Unix socket only).

Per backend it prints: index wall time and articles per second (wall, and per CPU second of this
process; for PostgreSQL the server's own CPU is not included), bytes per article (the SQLite file
after a WAL checkpoint; ``pg_database_size``), and ``find_sources`` latency p50/p95 (wall, and CPU of
this process) with top-1 accuracy on --queries archived articles spun by the evaluation's thesaurus
spinner (half at 30%, half at 60% of content words).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # the evaluation/ package
sys.path.insert(0, str(HERE.parent / "tests"))  # postgres_server

from synthetic_corpus import write_corpus  # noqa: E402


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


def _records(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _queries(records: list[dict], n_queries: int) -> list[tuple[str, str]]:
    from evaluation.thesaurus_spinner import ThesaurusSpinner

    rng = random.Random(1)
    spinner = ThesaurusSpinner()
    picks = rng.sample(range(len(records)), min(n_queries, len(records)))
    return [(spinner.spin(records[i]["text"], 0.3 if k % 2 == 0 else 0.6, rng).text, records[i]["id"])
            for k, i in enumerate(picks)]


def _index(url: str, records: list[dict], batch: int) -> tuple[float, float]:
    from unspin.document import record_document
    from unspin.match.archive import open_archive

    arc = open_archive(url)
    docs = (record_document(r, f"feed:{k}") for k, r in enumerate(records))
    t, cpu = time.perf_counter(), time.process_time()
    arc.add_documents(docs, batch_size=batch)
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    arc.close()
    return wall, cpu


def _query(url: str, queries: list[tuple[str, str]]) -> dict:
    from unspin.document import parse_text
    from unspin.match.archive import open_archive

    arc = open_archive(url, create=False)
    lat, cpu_lat, ok = [], [], 0
    for text, want in queries:
        doc = parse_text(text, "q.txt", "text")[0]
        t, c = time.perf_counter(), time.process_time()
        found = arc.find_sources(doc, top=5)
        lat.append((time.perf_counter() - t) * 1000)
        cpu_lat.append((time.process_time() - c) * 1000)
        ok += bool(found) and found[0].id == want
    arc.close()
    return {"p50": _pct(lat, 0.5), "p95": _pct(lat, 0.95), "cpu_p50": _pct(cpu_lat, 0.5),
            "cpu_p95": _pct(cpu_lat, 0.95), "top1": ok / len(queries)}


def run_sqlite(work: Path, records: list[dict], queries, batch: int) -> dict:
    db = work / f"scale-{len(records)}.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    wall, cpu = _index(str(db), records, batch)
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return {"wall": wall, "cpu": cpu, "bytes": os.path.getsize(db), **_query(str(db), queries)}


def run_postgres(work: Path, records: list[dict], queries, batch: int) -> dict:
    import psycopg
    from postgres_server import PostgresCluster, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise SystemExit("bench_archive_scale: no PostgreSQL server binaries (Debian package 'postgresql')")
    base = Path(tempfile.mkdtemp(prefix="unspin-pg-scale-"))
    cluster = PostgresCluster(bin_dir, base)
    cluster.start()
    try:
        url = cluster.create_database("scale")
        wall, cpu = _index(url, records, batch)
        with psycopg.connect(host=str(cluster.sock), port=cluster.port, user="unspin", dbname="scale",
                             autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
            size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        return {"wall": wall, "cpu": cpu, "bytes": size, **_query(url, queries)}
    finally:
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="articles to archive (default 1,000,000)")
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "unspin-bench-scale")
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    records = _records(write_corpus(args.n, args.work / f"synthetic-{args.n}.jsonl"))
    chars = sum(len(r["text"]) for r in records) / len(records)
    queries = _queries(records, args.queries)
    print(f"# {platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {args.n:,} synthetic articles "
          f"(mean {chars:.0f} characters, corpus ready in {time.perf_counter() - t:.0f} s), "
          f"{len(queries)} spun queries; load average {os.getloadavg()[0]:.1f}")
    print("| backend | articles | index wall s | articles/s (wall) | articles per CPU s (client) | bytes/article "
          "| match p50 / p95 ms wall | (CPU) | top-1 | load (1 min) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: |")
    runners = {"sqlite": run_sqlite, "postgres": run_postgres}
    for name in [b.strip() for b in args.backends.split(",") if b.strip()]:
        r = runners[name](args.work, records, queries, args.batch)
        n = len(records)
        print(f"| {name} | {n:,} | {r['wall']:.0f} | {n / r['wall']:.0f} | {n / r['cpu']:.0f} | "
              f"{r['bytes'] / n:.0f} | {r['p50']:.0f} / {r['p95']:.0f} | {r['cpu_p50']:.0f} / {r['cpu_p95']:.0f} | "
              f"{100 * r['top1']:.1f}% | {os.getloadavg()[0]:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
