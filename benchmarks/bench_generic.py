"""Speed and start-up cost of US201 (src/unspin/detect/generic.py). Prints a Markdown table.

    /work/main/.venv/bin/python benchmarks/bench_generic.py [--docs 120] [--runs 7] [--impl FILE]

Rows: US201 alone (MatchStream + generic_findings) with the prefilter and without it (the exact
trigram path on every word), the whole analyze() with and without US201 (CPU time and wall time:
the machine is shared, so CPU time is the figure to compare), LM calls per 1,000 words, and cold
start: importing the module + loading the tables, the first call on a small paragraph (LM loaded
only if the prefilter leaves a word), and `unspin check one-small-file.md` over bare `python -c pass`.
Corpus: the first --docs Wikinews DEV articles, clean and WordNet-spun at rate 0.15. The LM call
cache is cleared before each timed pass. --impl FILE times another implementation of the module
(e.g. an older copy) in place of the installed one, for before/after comparisons.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

SMALL = """---
title: "Council keeps library hours"
---

The council kept library hours unchanged on Wednesday and cut spending on road repairs by 12 percent.
Police used facial acknowledgment software at the stadium, the squeeze secretary said.
"""


def load_impl(path: str | None):
    if not path:
        import unspin.detect.generic as g

        return g
    spec = importlib.util.spec_from_file_location("unspin.detect._bench_generic", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    import unspin.detect.generic as installed

    installed.generic_findings = mod.generic_findings  # analyze() imports it from here
    return mod


class CountingLM:
    def __init__(self, lm):
        self.lm = lm
        self.calls = 0

    def prob(self, words):
        self.calls += 1
        return self.lm.prob(words)


def timed(fn, docs) -> tuple[float, float]:
    c0, w0 = time.process_time(), time.perf_counter()
    for d in docs:
        fn(d)
    return time.process_time() - c0, time.perf_counter() - w0


def cold(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def cold_generic(impl: str | None, runs: int) -> tuple[float, float]:
    """Median ms of (import + table load) and of the first generic_findings() call, in a fresh
    process (CPU time of that process)."""
    code = f"""
import sys, time
t0 = time.process_time()
import importlib.util
impl = {impl!r}
if impl:
    spec = importlib.util.spec_from_file_location("unspin.detect._bench_generic", impl)
    g = importlib.util.module_from_spec(spec); sys.modules[spec.name] = g; spec.loader.exec_module(g)
else:
    import unspin.detect.generic as g
from unspin.analyze import FindingBuilder
from unspin.model import Document, Segment
from unspin.text import MatchStream
m = g.load_model()
t1 = time.process_time()
text = {SMALL.split("---", 2)[2]!r}
d = Document(path="x", text=text, segments=(Segment(0, len(text), "body"),))
g.generic_findings(d, MatchStream(d.text, d.segments), FindingBuilder(d))
t2 = time.process_time()
print(1000 * (t1 - t0), 1000 * (t2 - t1))
"""
    a, b = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        x, y = map(float, out.stdout.split())
        a.append(x)
        b.append(y)
    return statistics.median(a), statistics.median(b)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=120)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--impl", default=None, help="time this copy of generic.py instead")
    args = ap.parse_args()

    import build_generic_data as D

    from unspin.analyze import Context, FindingBuilder, analyze
    from unspin.config import Config
    from unspin.text import MatchStream, word_count

    g = load_impl(args.impl)
    wiki = D.load_wikinews("dev")[: args.docs]
    docs = wiki + [c.doc for c in D.spun_cases(wiki, 0.15, 7)]
    size = sum(len(d.text.encode()) for d in docs)
    words = sum(word_count(d.text) for d in docs)
    model = g.load_model()
    counter = CountingLM(model.lm)
    model._lm = counter
    rows = []

    def us201(prefilter):
        def run(d):
            st = MatchStream(d.text, d.segments)
            if prefilter is None:
                return g.generic_findings(d, st, FindingBuilder(d))
            return g.generic_findings(d, st, FindingBuilder(d), prefilter=prefilter)
        return run

    variants = [("US201 alone", None)]
    if hasattr(model, "prefilter"):
        variants = [("US201 alone, prefilter on", True), ("US201 alone, prefilter off (exact path)", False)]
    for name, pf in variants:
        us201(pf)(docs[0])
        getattr(model, "cache", {}).clear()
        counter.calls = 0
        cpu, wall = timed(us201(pf), docs)
        rows.append((name, size / 1e6 / cpu, size / 1e6 / wall, 1000 * counter.calls / words))
    for generic in (False, True):
        ctx = Context(config=Config(generic=generic))
        analyze(docs[0], ctx)
        getattr(model, "cache", {}).clear()
        counter.calls = 0
        cpu, wall = timed(lambda d, ctx=ctx: analyze(d, ctx), docs)
        rows.append((f"analyze(), US201 {'on' if generic else 'off'}", size / 1e6 / cpu, size / 1e6 / wall,
                     1000 * counter.calls / words if generic else 0.0))
    print(f"corpus: {len(docs)} docs (Wikinews DEV, clean + spun), {size:,} bytes, {words:,} words"
          f"{'; impl ' + args.impl if args.impl else ''}\n")
    print("| warm, one core | MB/s (CPU) | MB/s (wall) | LM calls / 1k words |")
    print("| --- | ---: | ---: | ---: |")
    for name, c, w, calls in rows:
        print(f"| {name} | {c:.2f} | {w:.2f} | {calls:.0f} |")
    imp, first = cold_generic(args.impl, args.runs)
    print("\n| cold start (median of runs) | ms |")
    print("| --- | ---: |")
    print(f"| import generic + load tables (CPU) | {imp:.0f} |")
    print(f"| first generic_findings() on a small paragraph (CPU, LM load included if needed) | {first:.0f} |")
    if not args.impl:
        exe = str(Path(sys.executable).with_name("unspin"))
        with tempfile.TemporaryDirectory() as tmp:
            small = Path(tmp) / "one.md"
            small.write_text(SMALL)
            base = cold([sys.executable, "-c", "pass"], args.runs)
            no_g = cold([exe, "check", "--no-generic", str(small)], args.runs)
            with_g = cold([exe, "check", str(small)], args.runs)
        print(f"| `unspin check one.md --no-generic` over `python -c pass` (wall) | {1000 * (no_g - base):.0f} |")
        print(f"| `unspin check one.md` over `python -c pass` (wall) | {1000 * (with_g - base):.0f} |")


if __name__ == "__main__":
    main()
