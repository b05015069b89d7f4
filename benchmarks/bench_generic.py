"""Speed and start-up cost of US201 (src/unspin/detect/generic.py). Prints a Markdown table.

    /work/main/.venv/bin/python benchmarks/bench_generic.py [--docs 100] [--runs 7] [--repeat 3]
        [--impl FILE]

Rows: US201 alone (MatchStream + generic_findings) with the prefilter and without it (the exact
trigram path on every word), the whole analyze() with and without US201 (CPU time and wall time:
the machine is shared, so CPU time is the figure to compare), LM calls per 1,000 words, and cold
start: importing the module + loading the tables, the first call on a small paragraph (LM loaded
only if the prefilter leaves a word), and `unspin check one-small-file.md` over bare `python -c pass`.
Corpus: the first --docs Wikinews DEV articles, clean and WordNet-spun at rate 0.15 (separately). The
LM call cache is cleared before each timed pass; every row runs once per round, --repeat rounds,
the best CPU time is kept. --impl FILE also times another copy of generic.py (e.g. the previous
version: `git show HEAD:src/unspin/detect/generic.py > /tmp/old.py`), interleaved with the current one.
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


def load_impl(path: str):
    """Another copy of generic.py as its own module (its own model and LM instance)."""
    spec = importlib.util.spec_from_file_location("unspin.detect._bench_generic", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
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


def cold(cmd: list[str], runs: int) -> tuple[float, float]:
    """Median wall and CPU (user + system of the child) seconds of a command."""
    import resource

    times, cpus = [], []
    for _ in range(runs):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
    return statistics.median(times), statistics.median(cpus)


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
from unspin.analysis import FindingBuilder
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
    ap.add_argument("--docs", type=int, default=100)
    ap.add_argument("--runs", type=int, default=7, help="cold-start runs (median)")
    ap.add_argument("--repeat", type=int, default=3, help="warm passes per row (best CPU time kept)")
    ap.add_argument("--impl", default=None, help="also time this copy of generic.py, interleaved")
    args = ap.parse_args()

    import build_generic_data as D

    import unspin.detect.generic as g
    from unspin.analysis import Context, FindingBuilder, analyze
    from unspin.config import Config
    from unspin.text import MatchStream, word_count

    impls = [("now", g)] + ([("before", load_impl(args.impl))] if args.impl else [])
    wiki = D.load_wikinews("dev")[: args.docs]
    corpora = {"clean": wiki, "spun": [c.doc for c in D.spun_cases(wiki, 0.15, 7)]}
    counters = {}
    for name, mod in impls:
        model = mod.load_model()
        counters[name] = model._lm = CountingLM(model.lm)

    def us201(mod, prefilter):
        def run(d):
            st = MatchStream(d.text, d.segments)
            if prefilter is None:
                return mod.generic_findings(d, st, FindingBuilder(d))
            return mod.generic_findings(d, st, FindingBuilder(d), prefilter=prefilter)
        return run

    def with_impl(mod, fn):
        def run(d):
            saved = g.generic_findings
            g.generic_findings = mod.generic_findings  # analyze() imports it from here
            try:
                return fn(d)
            finally:
                g.generic_findings = saved
        return run

    rows = []  # (label, corpus, fn, impl name)
    for cname in corpora:
        for name, mod in impls:
            if name == "now":
                rows.append((f"US201 alone, {name} (prefilter)", cname, us201(mod, True), name))
                rows.append((f"US201 alone, {name}, exact path on every word", cname, us201(mod, False), name))
            else:
                rows.append((f"US201 alone, {name}", cname, us201(mod, None), name))
    ctx_off = Context(config=Config(generic=False))
    ctx_on = Context(config=Config(generic=True))
    for cname in corpora:
        rows.append(("analyze(), US201 off", cname, lambda d: analyze(d, ctx_off), None))
        for name, mod in impls:
            rows.append((f"analyze(), US201 on, {name}", cname, with_impl(mod, lambda d: analyze(d, ctx_on)), name))
    best: dict[int, tuple[float, float, float]] = {}
    for _ in range(args.repeat):  # interleaved: every row once per round, the best round kept
        for k, (_, cname, fn, name) in enumerate(rows):
            docs = corpora[cname]
            fn(docs[0])
            for _, mod in impls:
                getattr(mod.load_model(), "cache", {}).clear()
            if name:
                counters[name].calls = 0
            cpu, wall = timed(fn, docs)
            calls = counters[name].calls if name else 0
            if k not in best or cpu < best[k][0]:
                best[k] = (cpu, wall, calls)
    size = {c: sum(len(d.text.encode()) for d in docs) for c, docs in corpora.items()}
    words = {c: sum(word_count(d.text) for d in docs) for c, docs in corpora.items()}
    print(f"corpus: first {args.docs} Wikinews DEV articles, clean ({size['clean']:,} bytes, "
          f"{words['clean']:,} words) and WordNet-spun at rate 0.15 ({size['spun']:,} bytes); best CPU "
          f"time of {args.repeat} interleaved passes{'; before = ' + args.impl if args.impl else ''}\n")
    print("| warm, one core | text | MB/s (CPU) | MB/s (wall) | LM calls / 1k words |")
    print("| --- | --- | ---: | ---: | ---: |")
    for k, (label, cname, _, _) in enumerate(rows):
        cpu, wall, calls = best[k]
        print(f"| {label} | {cname} | {size[cname] / 1e6 / cpu:.2f} | {size[cname] / 1e6 / wall:.2f} | "
              f"{1000 * calls / words[cname]:.0f} |")
    print("\n| cold start (median of runs) | ms |")
    print("| --- | ---: |")
    for name, _ in impls:
        imp, first = cold_generic(args.impl if name == "before" else None, args.runs)
        print(f"| {name}: import generic + load tables (CPU) | {imp:.0f} |")
        print(f"| {name}: first generic_findings() on a small paragraph (CPU, LM load included if needed) "
              f"| {first:.0f} |")
    exe = str(Path(sys.executable).with_name("unspin"))
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "one.md"
        small.write_text(SMALL)
        base = cold([sys.executable, "-c", "pass"], args.runs)
        no_g = cold([exe, "check", "--no-generic", str(small)], args.runs)
        with_g = cold([exe, "check", str(small)], args.runs)
    for name, x in (("`unspin check one.md --no-generic`", no_g), ("`unspin check one.md`", with_g)):
        print(f"| now: {name} over `python -c pass`, wall / CPU | {1000 * (x[0] - base[0]):.0f} / "
              f"{1000 * (x[1] - base[1]):.0f} |")
    print(f"| now: US201's share of `unspin check one.md` (with − without), wall / CPU | "
          f"{1000 * (with_g[0] - no_g[0]):.0f} / {1000 * (with_g[1] - no_g[1]):.0f} |")


if __name__ == "__main__":
    main()
