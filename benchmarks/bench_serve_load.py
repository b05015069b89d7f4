"""Load on the page's API: N concurrent checks on loopback, all answered? How fast?

Starts the server in this process (``unspin.web.server``, the shipped lexicon and detectors, or
--no-generic), then N client threads each POST one article to /api/check at the same moment
(a barrier), optionally while --slow clients send a long pathological paste. Prints the statuses,
how many were answered, latency percentiles and answers per second.

    python benchmarks/bench_serve_load.py                  # 200 concurrent checks
    python benchmarks/bench_serve_load.py -n 200 --slow 2  # ... while two 1 MB pastes are checked
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import threading
import time
from collections import Counter

ARTICLE = ("The White House squeeze secretary said on Tuesday that facial acknowledgment cameras would not "
           "be used at the border. Groups that defend common freedoms asked for the rules in writing. ") * 3


def post(host: str, port: int, payload: dict, timeout: float) -> tuple[int | str, float]:
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("POST", "/api/check", json.dumps(payload).encode(), {"Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        return resp.status, time.perf_counter() - t0
    except Exception as exc:  # a reset or a timeout: not answered
        return type(exc).__name__, time.perf_counter() - t0
    finally:
        conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=200, help="Concurrent checks.")
    ap.add_argument("--slow", type=int, default=0, help="Long pathological pastes sent first (1 MB each).")
    ap.add_argument("--no-generic", action="store_true", help="Lexicon rules only (faster checks).")
    ap.add_argument("--budget", type=float, default=30.0)
    ap.add_argument("--timeout", type=float, default=120.0, help="Client timeout per request (seconds).")
    args = ap.parse_args()

    from unspin.config import Config
    from unspin.web.server import WebApp, start_in_thread

    app = WebApp(config=Config(generic=not args.no_generic), budget=args.budget, max_upload=4 * 1024 * 1024)
    app.warm_up()
    server, thread = start_in_thread(app)
    host, port = server.server_address[:2]
    results: list[tuple[int | str, float]] = []
    slow_results: list[tuple[int | str, float]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(args.n + args.slow)

    def client(payload: dict, out: list) -> None:
        barrier.wait()
        got = post(host, port, payload, args.timeout)
        with lock:
            out.append(got)

    slow_text = ("word\u200b " * 200_000)[:1_000_000]
    threads = [threading.Thread(target=client, args=({"text": slow_text}, slow_results)) for _ in range(args.slow)]
    threads += [threading.Thread(target=client, args=({"text": ARTICLE}, results)) for _ in range(args.n)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    server.shutdown()
    server.server_close()
    app.close()

    statuses = Counter(s for s, _ in results)
    answered = sum(n for s, n in statuses.items() if isinstance(s, int))
    lat = sorted(t for s, t in results if isinstance(s, int))
    print(f"{'concurrent checks':<28} {args.n}")
    print(f"{'statuses':<28} {dict(statuses)}")
    print(f"{'answered':<28} {answered}/{args.n}")
    if lat:
        print(f"{'latency p50 / p95 / max':<28} {statistics.median(lat):.2f} / {lat[int(0.95 * (len(lat) - 1))]:.2f} / "
              f"{lat[-1]:.2f} s")
    print(f"{'answers per second':<28} {answered / wall:.1f} (wall {wall:.1f} s)")
    if args.slow:
        print(f"{'slow pastes':<28} {[(s, round(t, 1)) for s, t in slow_results]}")


if __name__ == "__main__":
    main()
