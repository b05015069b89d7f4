"""CPU cost of adding news-length articles to an archive: index only, ``archive add --trusted``, per backend.

    python benchmarks/bench_archive_add.py --corpus news.jsonl --n 2000 --mode index --backend sqlite
    python benchmarks/bench_archive_add.py --corpus news.jsonl --n 2000 --mode trusted --backend postgres
    python benchmarks/bench_archive_add.py --corpus news.jsonl --n 2000 --mode trusted --profile out.prof

The first --n lines of --corpus (JSONL records, e.g. ``benchmarks/synthetic_corpus.py``'s news-length
articles) are parsed with ``record_document`` (as ``archive add`` does) and added to a fresh archive
in batches of --batch, either with ``Archive.add_documents`` (``--mode index``: the stored text and
its LSH index rows) or with ``gate.trusted_import`` (``--mode trusted``: what ``unspin archive add
--trusted`` does, index + the n-gram counts of the archive-as-corpus). PostgreSQL runs in a private
throw-away cluster (tests/postgres_server.py). Prints one line: articles per CPU second of this process
(JSON parsing included) and, for PostgreSQL, of this process plus the server's.

A/B use: run it with ``PYTHONPATH`` pointing at one tree's ``src`` then the other's, alternately.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # postgres_server
sys.path.insert(0, str(HERE))

from bench_archive_scale import _server_cpu  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--skip", type=int, default=0, help="lines of the corpus to skip first")
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--mode", choices=("index", "trusted"), default="trusted")
    ap.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--profile", type=Path, help="write a cProfile of the timed part here")
    ap.add_argument("--label", default="")
    args = ap.parse_args(argv)

    from unspin.document import record_document
    from unspin.match.archive import open_archive
    from unspin.match.gate import trusted_import

    with open(args.corpus, encoding="utf-8") as fh:
        lines = [line for k, line in zip(range(args.skip + args.n), fh, strict=False)][args.skip:]
    work = Path(tempfile.mkdtemp(prefix="unspin-bench-add-"))
    cluster = None
    data_dir = None
    if args.backend == "postgres":
        from postgres_server import PostgresCluster, find_bin_dir

        cluster = PostgresCluster(find_bin_dir(), work, extra_options="-c shared_buffers=256MB")
        cluster.start()
        url = cluster.create_database("bench")
        data_dir = cluster.data
    else:
        url = str(work / "a.sqlite")
    arc = open_archive(url)
    try:
        def docs():
            for k, line in enumerate(lines):
                yield record_document(json.loads(line), f"feed:{k}")

        prof = None
        if args.profile:
            import cProfile

            prof = cProfile.Profile()
        srv, t, cpu = _server_cpu(data_dir), time.perf_counter(), time.process_time()
        if prof:
            prof.enable()
        if args.mode == "index":
            added = arc.add_documents(docs(), batch_size=args.batch).added
        else:
            added = trusted_import(arc, docs(), batch_size=args.batch).added
        if prof:
            prof.disable()
        wall, cpu = time.perf_counter() - t, time.process_time() - cpu
        srv = _server_cpu(data_dir) - srv
        assert added == len(lines), (added, len(lines))
        if prof:
            prof.dump_stats(str(args.profile))
        out = {"label": args.label, "mode": args.mode, "backend": args.backend, "n": len(lines),
               "cpu_s": round(cpu, 3), "server_cpu_s": round(srv, 3), "wall_s": round(wall, 2),
               "per_cpu_s": round(len(lines) / cpu, 1),
               "per_cpu_s_with_server": round(len(lines) / (cpu + srv), 1), "load": round(os.getloadavg()[0], 1)}
        print(json.dumps(out), flush=True)
    finally:
        arc.close()
        if cluster is not None:
            cluster.stop()
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
