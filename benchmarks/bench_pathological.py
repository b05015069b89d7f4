"""CPU time of ``unspin check`` on pathological inputs: repeated openers, long runs, one huge line.

Each case (cut to its size in characters) is written to a temporary file and read, parsed, analysed
(every detector) and rendered (--formats, default json as ``unspin check --format json``) in a fresh
child process, whose CPU time for that work is measured (start-up and model loading excluded: a
warm-up document is analysed first). A child that runs past --timeout seconds is killed and shown
as "> TIMEOUT". An input refused with a one-line error shows the error.

    python benchmarks/bench_pathological.py                 # sizes 100 KB and 1 MiB, plus 10 MB single line
    python benchmarks/bench_pathological.py --sizes 12000 --cases backticks,zwsp
    python benchmarks/bench_pathological.py --quick         # 100 KB only (about a minute)

Targets (issue #15): any input <= 1 MB in <= 3 s CPU; a 10 MB single line <= 20 s or refused clearly.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

WORDS = ("the minister said on monday that the new figures showed a large rise in the number of "
         "people who use the service every day while critics argued the plan was too costly ").split()


def _prose(n: int) -> str:
    out, size, i = [], 0, 0
    while size < n:
        w = WORDS[i % len(WORDS)]
        out.append(w)
        size += len(w) + 1
        i += 1
    return " ".join(out)[:n]


def _rep(unit: str, n: int) -> str:
    return (unit * (n // len(unit) + 1))[:n]


# name -> (file extension, builder(size) -> text)
CASES = {
    "backticks": (".md", lambda n: _rep("`a ", n)),
    "backtick-runs": (".md", lambda n: _rep("``x` ", n)),
    "md-image-openers": (".md", lambda n: _rep("![a", n)),
    "md-link-dest-openers": (".md", lambda n: _rep("](a", n)),
    "md-autolink-openers": (".md", lambda n: _rep("<http:", n)),
    "md-tag-openers": (".md", lambda n: _rep("<a x", n)),
    "md-comment-openers": (".md", lambda n: _rep("<!--", n)),
    "zwsp-paragraph": (".txt", lambda n: _prose(n // 2) + "\u200b" + _prose(n - n // 2 - 3)),
    "control-paragraph": (".txt", lambda n: _prose(n // 2) + "\x07" + _prose(n - n // 2 - 1)),
    "many-zwsp": (".txt", lambda n: _rep("word\u200b ", n)),
    "decomposed-accents": (".txt", lambda n: _rep("cafe\u0301 ", n)),
    "mojibake": (".txt", lambda n: _rep("donâ€™t ", n)),
    "html-pi-openers": (".html", lambda n: _rep("<?", n)),
    "html-comment-openers": (".html", lambda n: _rep("<!--", n)),
    "html-script-openers": (".html", lambda n: _rep("<script>", n)),
    "html-style-openers": (".html", lambda n: _rep("<style x>", n)),
    "html-title-openers": (".html", lambda n: _rep("<title>", n)),
    "html-lt": (".html", lambda n: "<p>" + _rep("<", n)),
    "html-bang": (".html", lambda n: _rep("<!", n)),
    "dots": (".txt", lambda n: "Word " + _rep(".", n)),
    "email-like": (".txt", lambda n: "a " + _rep("a.", n) + "@"),
    "space-run": (".txt", lambda n: "a" + _rep(" ", n) + "b"),
    "double-spaces-one-line": (".txt", lambda n: _rep("ab  ", n)),
    "trailing-tabs": (".txt", lambda n: "a" + _rep("\t", n) + "b"),
    "one-long-word": (".txt", lambda n: _rep("a", n)),
    "urls": (".txt", lambda n: _rep("see http://x.org/a ", n)),
    "spun-one-line": (".txt", lambda n: _prose(n)),
    "spun-paragraphs": (".md", lambda n: _rep(_prose(600) + ".\n\n", n)),
    "html-inline-paragraphs": (".html",
                               lambda n: _rep("<p>The minister <b>said</b> on <a href='x'>Monday</a>.</p>\n", n)),
    "md-inline-paragraphs": (".md", lambda n: _rep("The `code` and [link](http://x.org) and *it*.\n\n", n)),
    "front-matter-keys": (".md", lambda n: "---\n" + "".join(f"k{i}: some value\n" for i in range(
        min(n, 250_000) // 20)) + "---\n" + _rep(_prose(600) + ".\n\n", max(0, n - min(n, 250_000)))),
    "unspin-comments-unclosed": (".md", lambda n: _rep("<!-- unspin: ignore US101 ", n)),
    "unspin-comments": (".md", lambda n: _rep("<!-- unspin: ignore -->squeeze secretary ", n)),
    "jsonl-many-records": (".jsonl",
                           lambda n: _rep('{"id": 1, "title": "A title", "text": "' + _prose(300) + '"}\n', n)),
}

CHILD = r"""
import json, resource, sys, time
sys.setrecursionlimit(1000)
from unspin.analysis import Context, analyze
from unspin.document import Source, read_source_reporting, parse_text
from unspin.formats import get_emitter
from unspin.guard import analyze_each, render_each
ctx = Context()
for d in parse_text("The press secretary said the new figures were published on Monday.", "w", "text"):
    analyze(d, ctx)
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
t0, w0 = cpu(), time.perf_counter()
errors = []
docs = read_source_reporting(Source(sys.argv[1]), errors)
reports = list(analyze_each(docs, ctx, errors))
for fmt in sys.argv[2].split(","):
    render_each(get_emitter(fmt), reports, errors).encode("utf-8")
print(json.dumps({"cpu": cpu() - t0, "wall": time.perf_counter() - w0, "docs": len(reports),
                  "findings": sum(len(r.findings) for r in reports), "errors": [e.error for e in errors]}))
"""


def run_case(text: str, ext: str, timeout: float, formats: str = "json") -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=ext, delete=False, encoding="utf-8") as fh:
        fh.write(text)
        path = fh.name
    try:
        proc = subprocess.run([sys.executable, "-c", CHILD, path, formats], capture_output=True, text=True,
                              timeout=timeout, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
        if proc.returncode != 0:
            return {"crash": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except subprocess.TimeoutExpired:
        return {"timeout": True}
    finally:
        os.unlink(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,1048576", help="Comma-separated input sizes in characters.")
    ap.add_argument("--cases", help="Comma-separated case names [default: all].")
    ap.add_argument("--big", type=int, default=10_000_000, help="Size of the single-line case (0: skip).")
    ap.add_argument("--timeout", type=float, default=120.0, help="Seconds before a case is killed.")
    ap.add_argument("--quick", action="store_true", help="Only 100 KB, no 10 MB case.")
    ap.add_argument("--formats", default="json", help="Output formats rendered per case (comma-separated).")
    args = ap.parse_args()
    sizes = [100_000] if args.quick else [int(x) for x in args.sizes.split(",")]
    names = args.cases.split(",") if args.cases else list(CASES)
    rows = [(name, size) for name in names for size in sizes]
    if args.big and not args.quick and not args.cases:
        rows += [("spun-one-line", args.big), ("spun-paragraphs", args.big)]
    print(f"{'case':<24} {'size':>10} {'CPU s':>8} {'wall s':>8} {'findings':>8}  result")
    worst_1mb = 0.0
    for name, size in rows:
        ext, build = CASES[name]
        got = run_case(build(size)[:size], ext, args.timeout, args.formats)
        if "timeout" in got:
            print(f"{name:<24} {size:>10,} {'> ' + str(int(args.timeout)):>8} {'':>8} {'':>8}  TIMEOUT", flush=True)
            worst_1mb = float("inf") if size <= 1_048_576 else worst_1mb
            continue
        if "crash" in got:
            print(f"{name:<24} {size:>10,} {'':>8} {'':>8} {'':>8}  CRASH {got['crash'][:80]}", flush=True)
            continue
        if size <= 1_048_576:
            worst_1mb = max(worst_1mb, got["cpu"])
        result = f"{got['docs']} document(s)"
        if got["errors"]:
            result = (f"{result}, {len(got['errors'])} error(s)" if got["docs"]
                      else "refused: " + got["errors"][0][:70])
        print(f"{name:<24} {size:>10,} {got['cpu']:>8.2f} {got['wall']:>8.2f} {got['findings']:>8}  {result}",
              flush=True)
    print(f"\nworst CPU for an input <= 1 MB: {worst_1mb:.2f} s (target <= 3 s)")


if __name__ == "__main__":
    main()
