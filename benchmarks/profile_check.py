"""Where `unspin check` spends its time on a folder of news articles, beside proselint on the same files.

    python benchmarks/profile_check.py [--rounds 2] [--proselint PATH] [--py-spy PATH] [--dir DIR] [--base SRC]

By default the 294 Wikinews 2019-2020 articles of ../shared/data/news-corpus are written as plain-text
files (title, blank line, text) into a temp folder. Then:

1. Whole processes, alternating (``--rounds`` times): ``unspin check --no-config DIR`` (text report to
   /dev/null) and, with ``--proselint``, ``proselint check DIR``; CPU seconds (user + system), wall
   seconds and peak memory (max RSS) of each process, from ``os.wait4``. proselint is best installed in
   a throwaway virtualenv (``python -m venv /tmp/pl && /tmp/pl/bin/pip install proselint``), never in
   the project's.
2. With ``--py-spy``: one ``check`` run sampled by py-spy (``--rate`` Hz, no line numbers), and a table
   of the share of samples inside each stage (inclusive: a nested stage also counts in its parent),
   then the functions with the most samples at the top of the stack (own time).

Numbers from a shared machine: compare within one run; the load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WIKINEWS = REPO.parent / "shared" / "data" / "news-corpus" / "wikinews_2019_2020.jsonl"
UNSPIN = [sys.executable, "-m", "unspin.cli"]

# (label, substring of a py-spy frame "function (path)"); order = table order; indent = nesting
STAGES = [
    ("start-up imports (everywhere, incl. lazy ones)", "_find_and_load (<frozen"),
    ("reading + parsing files (document.read_source)", "read_source (unspin/document.py)"),
    ("  of which YAML front matter", "_parse_front_matter (unspin/document.py)"),
    ("  of which decoding", "decode (unspin/document.py)"),
    ("analysis (analysis._analyze_batch)", "_analyze_batch (unspin/analysis.py)"),
    ("  tokens (text.MatchStream)", "__init__ (unspin/text.py)"),
    ("  US101-US103 lexicon (detect.lexicon.detect)", "detect (unspin/detect/lexicon.py)"),
    ("  US201 (detect.generic.generic_findings)", "generic_findings (unspin/detect/generic.py)"),
    ("    of which loading its model", "load_model (unspin/detect/generic.py)"),
    ("  US202 (detect.spinmap.spinmap_findings)", "spinmap_findings (unspin/detect/spinmap.py)"),
    ("  US203 (detect.slots.slot_findings)", "slot_findings (unspin/detect/slots.py)"),
    ("    of which loading its model", "load_slot_model (unspin/detect/slots.py)"),
    ("  scorer's substitution gain (context_lm.features_many)", "features_many (unspin/detect/context_lm.py)"),
    ("  per document rest (analysis._finish)", "_finish (unspin/analysis.py)"),
    ("    of which US401-US404 normalisation", "detect (unspin/detect/normalise.py)"),
    ("    of which the article score", "score_document (unspin/detect/scorer.py)"),
    ("writing the report (formats.*.emit)", "emit (unspin/formats/"),
]


def write_wikinews(folder: Path) -> int:
    n = 0
    with open(WIKINEWS, encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            rec = json.loads(line)
            (folder / f"{i:03d}.txt").write_text(f"{rec['title']}\n\n{rec['text']}\n", encoding="utf-8")
            n += 1
    return n


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float, int]:
    """CPU s, wall s, peak RSS MB, exit code of one process (stdout and stderr discarded)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return ru.ru_utime + ru.ru_stime, wall, ru.ru_maxrss / 1024, proc.returncode


def profile(py_spy: str, folder: Path, rate: int) -> None:
    out = Path(tempfile.mkdtemp(prefix="unspin-spy-")) / "stacks.txt"
    subprocess.run([py_spy, "record", "--rate", str(rate), "--nolineno", "--format", "raw", "--output", str(out),
                    "--", *UNSPIN, "check", "--no-config", str(folder)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stacks: list[tuple[list[str], int]] = []
    for line in out.read_text(encoding="utf-8").splitlines():
        frames, _, count = line.rpartition(" ")
        if frames:
            stacks.append((frames.split(";"), int(count)))
    total = sum(n for _, n in stacks)
    print(f"\npy-spy, {total} samples at {rate} Hz (`unspin check --no-config` on the folder, whole process)\n")
    print("| stage | share of samples |")
    print("| --- | ---: |")
    for label, pattern in STAGES:
        n = sum(c for frames, c in stacks if any(pattern in f for f in frames))
        print(f"| {label.replace('  ', '&nbsp;&nbsp;')} | {100 * n / total:.1f}% |")
    own: Counter[str] = Counter()
    for frames, c in stacks:
        own[frames[-1]] += c
    print("\n| own time (top of stack) | share |")
    print("| --- | ---: |")
    for frame, c in own.most_common(25):
        print(f"| `{frame}` | {100 * c / total:.1f}% |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, help="folder of articles (default: the Wikinews articles, written out)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--proselint", help="proselint executable (in its own virtualenv)")
    ap.add_argument("--py-spy", dest="py_spy", help="py-spy executable: also profile one run")
    ap.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    ap.add_argument("--base", metavar="SRC", help="also run `unspin check` from another checkout's src/ folder "
                    "(PYTHONPATH=SRC), e.g. the code before a change, alternating with this one")
    args = ap.parse_args(argv)
    folder = args.dir
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="unspin-wikinews-"))
        write_wikinews(folder)
    files = sorted(p for p in folder.iterdir() if p.is_file())
    size = sum(p.stat().st_size for p in files)
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"# {len(files)} files, {size / 1e6:.2f} MB in {folder}; {when}, "
          f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.1f}")
    print("| round | command | CPU s | wall s | MB/s of CPU | peak RSS MB | exit | load (1 min) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    commands: list[tuple[str, list[str], dict[str, str] | None]] = [
        ("unspin check", [*UNSPIN, "check", "--no-config", str(folder)], None)]
    if args.base:
        env = dict(os.environ, PYTHONPATH=str(Path(args.base).resolve()))
        commands.insert(0, ("unspin check (base)", [*UNSPIN, "check", "--no-config", str(folder)], env))
    if args.proselint:
        commands.append(("proselint check", [args.proselint, "check", str(folder)], None))
    for r in range(1, args.rounds + 1):
        for label, cmd, env in commands:
            cpu, wall, rss, code = run_measured(cmd, env)
            print(f"| {r} | {label} | {cpu:.2f} | {wall:.2f} | {size / 1e6 / cpu:.2f} | {rss:.0f} | {code} | "
                  f"{os.getloadavg()[0]:.1f} |", flush=True)
    if args.py_spy:
        profile(args.py_spy, folder, args.rate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
