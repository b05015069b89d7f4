"""CPU time inside the LM table look-ups (``LMTables.search``) during ``bench_analyze.py``'s run.

    PYTHONPATH=<tree>/src python benchmarks/bench_lm_search.py [--rounds 3] [bench_analyze options]

Runs ``bench_analyze.py`` (default ``--mb 1 --only all --corpus wikinews``) ``--rounds`` times in this
process's copy of the code, with ``LMTables.search`` wrapped by a ``time.process_time`` timer, and
prints per round the CPU seconds spent in the look-ups (every caller: US201, US202, US203, the scorer's
substitution gain), the number of calls and keys, and the run's total analysis CPU seconds. Compare two
trees by alternating their ``PYTHONPATH``; the load average is printed.
"""

from __future__ import annotations

import contextlib
import io
import os
import runpy
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> None:
    rounds = 3
    if argv[:1] == ["--rounds"]:
        rounds, argv = int(argv[1]), argv[2:]
    args = argv or ["--mb", "1", "--only", "all", "--corpus", "wikinews"]
    from unspin.detect import lm_tables

    orig = lm_tables.LMTables.search
    spent = [0.0, 0, 0]

    def timed(self, table, key):
        t = time.process_time()
        try:
            return orig(self, table, key)
        finally:
            spent[0] += time.process_time() - t
            spent[1] += 1
            spent[2] += len(key)

    lm_tables.LMTables.search = timed
    print(f"code: {lm_tables.__file__}")
    print("| round | search CPU s | calls | keys | analysis CPU s | load average |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in range(rounds):
        spent[:] = [0.0, 0, 0]
        out = io.StringIO()
        sys.argv = [str(HERE / "bench_analyze.py"), *args]
        with contextlib.redirect_stdout(out):
            runpy.run_path(str(HERE / "bench_analyze.py"), run_name="__main__")
        rows = [line for line in out.getvalue().splitlines() if "analyze" in line and line.startswith("|")]
        cpu = rows[-1].split("|")[5].strip() if rows else "?"
        print(f"| {r + 1} | {spent[0]:.3f} | {spent[1]} | {spent[2]} | {cpu} | {os.getloadavg()[0]:.2f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
