"""Speed and start-up cost of US201 (src/unspin/detect/generic.py). Prints a Markdown table.

    /work/main/.venv/bin/python benchmarks/bench_generic.py [--docs 100] [--runs 7] [--repeat 3]
        [--impl FILE [--impl-models DIR]]

Rows: US201 alone (MatchStream + generic_findings), US201's own share (generic_findings on a
MatchStream built beforehand, as analyze() shares it), the whole analyze() without US201/US202, with
US201 only and with every detector
(CPU time and wall time: the machine is shared, so CPU time is the figure to compare), pocketsphinx
LM calls per 1,000 words, and cold start: importing the module + loading the tables, the first
call on a small paragraph, whether pocketsphinx got imported, and `unspin check one-small-file.md`
over bare `python -c pass`. Corpus: the first --docs Wikinews DEV articles, clean and WordNet-spun
at rate 0.15 (separately). LM call caches are cleared before each timed pass; every row runs once
per round, --repeat rounds, the best CPU time is kept. --impl FILE also times another copy of
generic.py (e.g. the previous version: `git show HEAD:src/unspin/detect/generic.py > /tmp/old.py`),
interleaved with the current one, reading its tables from --impl-models (e.g. `git worktree` or a
copy of the previous models/generic/; default: models/generic/).
"""

from __future__ import annotations

import argparse
import functools
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


def load_impl(path: str, models: str | None = None):
    """Another copy of generic.py as its own module (its own model and LM instance)."""
    spec = importlib.util.spec_from_file_location("unspin.detect._bench_generic", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    if models:
        mod.load_model = functools.cache(lambda: mod.GenericModel(Path(models)))
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


def cold_generic(impl: str | None, models: str | None, runs: int) -> tuple[float, float, bool]:
    """Median ms of (import + table load) and of the first generic_findings() call, in a fresh
    process (CPU time of that process), and whether pocketsphinx got imported."""
    code = f"""
import sys, time
t0 = time.process_time()
import importlib.util
from pathlib import Path
impl, models = {impl!r}, {models!r}
if impl:
    spec = importlib.util.spec_from_file_location("unspin.detect._bench_generic", impl)
    g = importlib.util.module_from_spec(spec); sys.modules[spec.name] = g; spec.loader.exec_module(g)
else:
    import unspin.detect.generic as g
from unspin.findings import FindingBuilder
from unspin.model import Document, Segment
from unspin.text import MatchStream
m = g.GenericModel(Path(models)) if models else g.load_model()
g.load_model = lambda: m
t1 = time.process_time()
text = {SMALL.split("---", 2)[2]!r}
d = Document(path="x", text=text, segments=(Segment(0, len(text), "body"),))
g.generic_findings(d, MatchStream(d.text, d.segments), FindingBuilder(d))
t2 = time.process_time()
print(1000 * (t1 - t0), 1000 * (t2 - t1), int("pocketsphinx" in sys.modules))
"""
    a, b, ps = [], [], False
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        x, y, z = out.stdout.split()
        a.append(float(x))
        b.append(float(y))
        ps = ps or z == "1"
    return statistics.median(a), statistics.median(b), ps


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=100)
    ap.add_argument("--runs", type=int, default=7, help="cold-start runs (median)")
    ap.add_argument("--repeat", type=int, default=3, help="warm passes per row (best CPU time kept)")
    ap.add_argument("--impl", default=None, help="also time this copy of generic.py, interleaved")
    ap.add_argument("--impl-models", default=None, help="models/generic/ directory for --impl")
    args = ap.parse_args()

    import build_generic_data as D

    import unspin.detect.generic as g
    from unspin.analysis import Context, FindingBuilder, analyze
    from unspin.config import Config
    from unspin.text import MatchStream, word_count

    impls = [("now", g)] + ([("before", load_impl(args.impl, args.impl_models))] if args.impl else [])
    wiki = D.load_wikinews("dev")[: args.docs]
    corpora = {"clean": wiki, "spun": [c.doc for c in D.spun_cases(wiki, 0.15, 7)]}
    counters = {}
    for name, mod in impls:
        model = mod.load_model()
        counters[name] = CountingLM(None)
        if hasattr(model, "cache"):  # a version that calls the pocketsphinx LM
            counters[name] = model._lm = CountingLM(model.lm)
    streams = {c: [MatchStream(d.text, d.segments) for d in docs] for c, docs in corpora.items()}

    def us201(mod):
        def run(d):
            return mod.generic_findings(d, MatchStream(d.text, d.segments), FindingBuilder(d))
        return run

    def us201_own(mod, cname):
        # the MatchStream is built beforehand (analyze() shares one among all detectors)
        st = dict(zip(map(id, corpora[cname]), streams[cname], strict=True))

        def run(d):
            return mod.generic_findings(d, st[id(d)], FindingBuilder(d))
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
            rows.append((f"US201 alone (MatchStream + findings), {name}", cname, us201(mod), name))
        for name, mod in impls:
            rows.append((f"US201's own share (stream built beforehand), {name}", cname,
                         us201_own(mod, cname), name))
    ctx_off = Context(config=Config(generic=False))
    # --generic also turns on US202 (spinner vocabulary), which is timed on its own row
    ctx_on = Context(config=Config(generic=True, ignore=("US202",)))
    ctx_all = Context(config=Config(generic=True))
    for cname in corpora:
        rows.append(("analyze(), --no-generic (no US201, no US202)", cname, lambda d: analyze(d, ctx_off), None))
        for name, mod in impls:
            rows.append((f"analyze(), US201 on (US202 off), {name}", cname,
                         with_impl(mod, lambda d: analyze(d, ctx_on)), name))
        rows.append(("analyze(), all detectors (US201 and US202), now", cname, lambda d: analyze(d, ctx_all), None))
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
        imp, first, ps = cold_generic(args.impl if name == "before" else None,
                                      args.impl_models if name == "before" else None, args.runs)
        print(f"| {name}: import generic + load tables (CPU) | {imp:.0f} |")
        print(f"| {name}: first generic_findings() on a small paragraph (CPU, LM load included if needed; "
              f"pocketsphinx imported: {'yes' if ps else 'no'}) | {first:.0f} |")
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
