"""Time ``unspin report`` on generated feeds of 1,000 and 10,000 items, one job vs all cores.

    python benchmarks/bench_report.py                  # 1,000 and 10,000 items
    python benchmarks/bench_report.py --items 1000     # just one size
    python benchmarks/bench_report.py --dask           # also a run on a local Dask cluster

Feeds are built once by make_feed.py (Markdown folders, seed 6) in --work (default a temp folder)
and reused. Each run is the real command line in a subprocess (start-up included, progress bar
off); the table gives wall time, articles per second, speed-up over one job, and the CPU time of
the command and its worker processes (for Dask, the command plus the cluster's worker processes).
The machine's load average is printed too: on a shared machine other work slows the parallel runs
first, and CPU time is the steadier number.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
UNSPIN = [str(Path(sys.executable).parent / "unspin")]  # the console script of this environment


def ensure_feed(work: Path, items: int) -> Path:
    feed = work / f"feed-{items}"
    if not (feed / "manifest.json").is_file():
        subprocess.run([sys.executable, str(HERE / "make_feed.py"), "--items", str(items), "--out", str(feed)],
                       check=True)
    return feed


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _self_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _cluster_cpu(cluster) -> float:
    """CPU seconds used so far by the LocalCluster's worker processes."""
    if cluster is None:
        return 0.0
    from distributed import Client

    with Client(cluster.scheduler_address) as client:
        return sum(client.run(_self_cpu).values())


def run_report(feed: Path, out: Path, extra: list[str], cluster=None) -> tuple[float, float, dict]:
    """Wall time, CPU time of the command and its worker processes (local or Dask), and providers.json."""
    cluster = cluster if "--scheduler" in extra else None
    cpu0, t0 = _children_cpu() + _cluster_cpu(cluster), time.perf_counter()
    proc = subprocess.run([*UNSPIN, "report", "--no-config", "--no-progress", str(feed), "--out", str(out), *extra],
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    cpu = _children_cpu() + _cluster_cpu(cluster) - cpu0
    if proc.returncode != 0:
        raise SystemExit(f"bench_report: unspin report failed ({proc.returncode}): {proc.stderr.strip()}")
    return wall, cpu, json.loads((out / "providers.json").read_text())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, action="append", help="feed size (repeatable; default 1000 and 10000)")
    ap.add_argument("--work", type=Path, help="folder for feeds and outputs (default: a temp folder)")
    ap.add_argument("--dask", action="store_true", help="also run on a LocalCluster with one worker per core")
    args = ap.parse_args(argv)
    sizes = args.items or [1000, 10000]
    cores = os.cpu_count() or 1
    work = args.work or Path(tempfile.mkdtemp(prefix="unspin-bench-report-"))
    work.mkdir(parents=True, exist_ok=True)
    cluster = None
    if args.dask:
        from distributed import LocalCluster

        cluster = LocalCluster(n_workers=cores, threads_per_worker=1, processes=True, dashboard_address=":0")
    print(f"# unspin report benchmark: {platform.node()} {cores} cores, Python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d')}, load average before {os.getloadavg()[0]:.2f}")
    print("| items | how | wall s | articles/s | speed-up | CPU s | CPU ms/article | load avg (1 min) after |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    try:
        for n in sizes:
            feed = ensure_feed(work, n)
            modes = [("jobs=1", ["--jobs", "1"]), (f"jobs={cores}", ["--jobs", str(cores)])]
            if cluster is not None:
                modes.append((f"dask LocalCluster ({cores} workers)", ["--scheduler", cluster.scheduler_address]))
            base = None
            outputs = []
            for label, extra in modes:
                wall, cpu, data = run_report(feed, work / f"out-{n}-{label.split()[0]}", extra, cluster)
                articles = data["totals"]["articles"]
                base = base or wall
                outputs.append(data)
                print(f"| {n:,} | {label} | {wall:.1f} | {articles / wall:.0f} | {base / wall:.2f}x | {cpu:.1f} | "
                      f"{1000 * cpu / articles:.1f} | {os.getloadavg()[0]:.2f} |", flush=True)
            same = all(o == outputs[0] for o in outputs)
            print(f"<!-- {n} items: providers.json identical across runs: {same} -->", flush=True)
    finally:
        if cluster is not None:
            cluster.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
