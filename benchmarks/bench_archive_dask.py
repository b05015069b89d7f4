"""``unspin archive add`` on one process, on local processes (--jobs 2) and on a Dask LocalCluster, into PostgreSQL.

    python benchmarks/bench_archive_dask.py                 # 1,000 articles, 2 rounds
    python benchmarks/bench_archive_dask.py --items 400 --rounds 1

The feed (JSONL, written once to --work): ``--items`` articles, four fifths distinct synthetic
news-length articles (benchmarks/synthetic_corpus.py) and one fifth thesaurus-spun copies of some of
them (evaluation spinner, rate 0.3), shuffled with a fixed seed, so copies come before and after their
originals. Each run is the real command line in a subprocess (start-up included, gate on, all
detectors) into a fresh database of a private PostgreSQL cluster (tests/postgres_server.py). The modes
run interleaved, round after round, so that load from other processes falls on all of them alike.

Per run: wall time, CPU of the command and its children (for Dask plus the LocalCluster's worker
processes; the PostgreSQL server's own CPU is not counted), and whether the archive's statuses and
links equal the one-process run's. Every run passes ``--batch-size 100000``: the one-process command
then scores the whole feed with the corpus counts of the start, as the parallel runs do
(docs/cluster.md), so the archives must come out the same. The machine's load average is printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # bench_report, synthetic_corpus
sys.path.insert(0, str(HERE.parent))  # evaluation/
sys.path.insert(0, str(HERE.parent / "tests"))  # postgres_server

from bench_report import UNSPIN, _children_cpu, _cluster_cpu  # noqa: E402


def ensure_feed(work: Path, items: int) -> Path:
    feed = work / f"archive-feed-{items}.jsonl"
    if feed.is_file():
        return feed
    from synthetic_corpus import write_corpus

    from evaluation.datasets import Article, spin_article, spinners

    distinct = items - items // 5
    corpus = write_corpus(distinct, work / f"synthetic-{distinct}.jsonl")
    records = [json.loads(line) for line in open(corpus, encoding="utf-8")]
    spinner = spinners(("thesaurus",))["thesaurus"]
    rng = random.Random(16)
    for r in rng.sample(records[:distinct], items // 5):
        spun = spin_article(Article(r["id"], "synthetic", "", r["text"]), spinner, 0.3, 16).text
        records.append({**r, "id": f"copy:{r['id']}", "url": None, "provider": "Copy Desk", "text": spun})
    rng.shuffle(records)
    tmp = feed.with_suffix(".partial")
    with open(tmp, "w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r) + "\n")
    tmp.replace(feed)
    return feed


def run_add(feed: Path, url: str, extra: list[str], cluster=None) -> tuple[float, float, dict]:
    cpu0, t0 = _children_cpu() + _cluster_cpu(cluster), time.perf_counter()
    proc = subprocess.run([*UNSPIN, "archive", "add", "--no-config", "--no-progress", "--format", "json",
                           "--batch-size", "100000", "--db", url, *extra, str(feed)], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    cpu = _children_cpu() + _cluster_cpu(cluster) - cpu0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"bench_archive_dask: archive add failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    return wall, cpu, json.loads(proc.stdout)


def archive_content(url: str) -> tuple[list, list]:
    from sqlalchemy import select

    from unspin.match.archive import open_archive

    arc = open_archive(url, create=False)
    try:
        a, lk = arc.articles, arc.links
        with arc.read() as conn:
            rows = {pk: (rid, st) for pk, rid, st in conn.execute(select(a.c.pk, a.c.id, a.c.status))}
            links = sorted((rows[x][0], rows[s][0]) for x, s in conn.execute(select(lk.c.article, lk.c.source)))
    finally:
        arc.close()
    return sorted(rows.values()), links


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--work", type=Path, help="folder for the feed (default: a temp folder)")
    args = ap.parse_args(argv)
    from distributed import LocalCluster
    from postgres_server import PostgresCluster, find_bin_dir

    work = args.work or Path(tempfile.mkdtemp(prefix="unspin-bench-archive-"))
    work.mkdir(parents=True, exist_ok=True)
    feed = ensure_feed(work, args.items)
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise SystemExit("bench_archive_dask: no PostgreSQL server binaries (Debian package 'postgresql')")
    pg_base = Path(tempfile.mkdtemp(prefix="unspin-bench-pg-"))
    pg = PostgresCluster(bin_dir, pg_base)
    pg.start()
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    modes = [("one process", [], None), ("--jobs 2", ["--jobs", "2"], None),
             ("Dask LocalCluster (2 workers)", ["--scheduler", cluster.scheduler_address], cluster)]
    print(f"# unspin archive add benchmark: {platform.node()} {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {args.items} articles "
          f"({feed.stat().st_size / 1e6:.1f} MB JSONL), PostgreSQL {bin_dir.parent.name}; "
          f"load average before {os.getloadavg()[0]:.2f}")
    print("| round | how | wall s | articles/s (wall) | CPU s | CPU ms/article | outcome | same archive | load avg |")
    print("|---:|---|---:|---:|---:|---:|---|---|---:|")
    try:
        for rnd in range(1, args.rounds + 1):
            base = None
            for label, extra, clus in modes:
                url = pg.create_database(f"bench_{rnd}_{len(extra)}_{int(time.time() * 1000) % 10**8}")
                wall, cpu, out = run_add(feed, url, extra, clus)
                content = archive_content(url)
                base = base or content
                t = out["totals"]
                outcome = f"{t['original']} orig / {t['copy']} copy / {t['held']} held / {t['unchanged']} unch."
                n = len(out["articles"])
                print(f"| {rnd} | {label} | {wall:.1f} | {n / wall:.1f} | {cpu:.1f} | {1000 * cpu / n:.1f} | "
                      f"{outcome} | {content == base} | {os.getloadavg()[0]:.2f} |", flush=True)
    finally:
        cluster.close()
        pg.stop()
        shutil.rmtree(pg_base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
