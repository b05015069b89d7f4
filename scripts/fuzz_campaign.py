"""A long fuzzing campaign: the properties of tests/test_fuzz.py with many more examples, plus inputs
through the real command line (``unspin check``, ``archive add``, ``fix``) in subprocesses.

    python scripts/fuzz_campaign.py                      # about 20-30 minutes on 2 cores
    python scripts/fuzz_campaign.py --examples 200 --cli 40   # a short run

Prints one row per property (inputs tried, result) and the totals; a failure shows hypothesis's
shrunk example. The command-line part writes generated files (bad front matter, broken JSONL,
pathological text) into a temporary folder and requires: exit status 0, 1 or 2; no traceback and no
"internal error" on stderr; every error line names a file; the good files are reported.
Results are recorded in docs/robustness.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))


def _fuzz_suite():
    """tests/test_fuzz.py (its strategies and checks), loaded by path."""
    import importlib.util

    if "unspin_test_fuzz" not in sys.modules:
        spec = importlib.util.spec_from_file_location("unspin_test_fuzz", REPO / "tests" / "test_fuzz.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["unspin_test_fuzz"] = module
        spec.loader.exec_module(module)
    return sys.modules["unspin_test_fuzz"]


def run_properties(examples: int) -> list[tuple[str, int, str]]:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    tf = _fuzz_suite()

    rows = []
    props = {
        "decode(any bytes)": (st.binary(max_size=2000), lambda d: tf.decode_or_problem(d)),
        "load text/markdown/html": (st.tuples(tf.TEXTS, st.sampled_from(["text", "markdown", "html"])),
                                    lambda a: tf._read(a[0], a[1], f"x.{a[1]}")),
        "load front matter": (st.tuples(tf.FRONT_MATTER, tf.TEXTS),
                              lambda a: tf._read(f"---\n{a[0]}---\n{a[1]}", "markdown", "x.md")),
        "load JSONL record (JSON values)": (
            st.dictionaries(st.sampled_from(["text", "title", "excerpt", "body", "id", "url", "provider"]),
                            tf.JSON_VALUES, max_size=6), lambda r: tf.jsonl_record(json.dumps(r), "f.jsonl", 1)),
        "load JSONL line (raw pieces)": (st.lists(tf.RAW_JSONL_PIECES | st.text(max_size=6), max_size=30).map("".join),
                                         lambda b: tf.check_raw_line(b)),
        "analyse + 4 emitters (documents)": (st.tuples(tf.TEXTS, st.sampled_from(["text", "markdown", "html"])),
                                             lambda a: tf._emit_all(tf._read(a[0], a[1], f"x.{a[1]}"))),
        "analyse + 4 emitters (feeds)": (
            st.lists(st.fixed_dictionaries({"text": tf.TEXTS}, optional={"title": tf.TEXTS,
                                                                          "provider": tf.JSON_VALUES}),
                     min_size=1, max_size=4),
            lambda recs: tf._emit_all(tf._read("\n".join(json.dumps(r) for r in recs), "jsonl", "f.jsonl"))),
        "CSV cells read back": (st.lists(st.text(max_size=30), min_size=1, max_size=8), tf.check_csv_row),
        "normalisation diff regions": (tf.TEXTS, tf.check_diff_regions),
    }
    for name, (strategy, check) in props.items():
        count = [0]
        prop = _counting(check, count)
        test = settings(max_examples=examples, deadline=None, database=None,
                        suppress_health_check=list(HealthCheck))(given(strategy)(prop))
        t0 = time.perf_counter()
        try:
            test()
            result = "ok"
        except Exception as exc:  # a property failed: hypothesis has shrunk it; show the first line
            result = f"FAIL {type(exc).__name__}: {str(exc).splitlines()[0][:100] if str(exc) else ''}"
        rows.append((name, count[0], result))
        print(f"{name:<36} {count[0]:>7} {time.perf_counter() - t0:>7.1f}s  {result}", flush=True)
    return rows


def _counting(check, count):
    def prop(value):
        count[0] += 1
        check(value)

    return prop


# ---------------------------------------------------------------------------------------------------
# Through the real command line


def _cli_inputs(rng: random.Random, folder: Path, n: int) -> list[Path]:
    tf = _fuzz_suite()

    pieces = tf.MARKUP
    made = []
    for i in range(n):
        kind = rng.choice(["md", "txt", "html", "jsonl"])
        body = "".join(rng.choice(pieces) for _ in range(rng.randint(5, 400)))
        if kind == "md":
            value = rng.choice(tf.YAML_SAMPLES)
            text = f"---\ntitle: T{i}\nx: {value}\n---\n{body}\n"
        elif kind == "jsonl":
            lines = []
            for k in range(rng.randint(1, 5)):
                if rng.random() < 0.4:
                    lines.append('{"text": "' + "".join(rng.choice(tf.RAW_SAMPLES) for _ in range(5)) + '"}')
                else:
                    lines.append(json.dumps({"id": f"{i}-{k}", "text": body, "title": f"T{i}"}))
            text = "\n".join(lines) + "\n"
        else:
            text = body
        path = folder / f"in{i:04d}.{kind}"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        made.append(path)
    return made


def run_cli(n: int, seed: int) -> list[tuple[str, int, str]]:
    rng = random.Random(seed)
    rows = []
    unspin = [sys.executable, "-m", "unspin"]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        files = _cli_inputs(rng, folder, n)
        (folder / "zz-good.txt").write_text("The council approved the budget on Tuesday.\n", encoding="utf-8")
        db = f"sqlite:///{Path(tmp) / 'a.db'}"
        commands = {
            "check --format json (folder)": unspin + ["check", "--format", "json", str(folder)],
            "check --format sarif (folder)": unspin + ["check", "--format", "sarif", str(folder)],
            "archive add (folder)": unspin + ["archive", "add", "--no-progress", "--db", db, str(folder)],
            "match (folder)": unspin + ["match", "--db", db, "--format", "json", str(folder)],
            "fix --diff (folder)": unspin + ["fix", "--diff", "-q", str(folder)],
            "report (folder)": unspin + ["report", "--jobs", "1", "--no-progress", "--out", str(Path(tmp) / "rep"),
                                         str(folder)],
        }
        for name, cmd in commands.items():
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600, errors="replace")
            problems = []
            if proc.returncode not in (0, 1, 2):
                problems.append(f"exit {proc.returncode}")
            if "Traceback" in proc.stderr or "internal error" in proc.stderr:
                problems.append("traceback/internal error: " + proc.stderr.strip().splitlines()[-1][:100])
            for line in proc.stderr.splitlines():
                if line and not line.startswith((str(folder), "unspin:", "archive ")) and "note:" not in line:
                    problems.append(f"stray stderr line: {line[:100]}")
                    break
            if "json" in name and str(folder / "zz-good.txt") not in proc.stdout:
                problems.append("the good file is missing from the report")
            result = "ok" if not problems else "FAIL " + "; ".join(problems)
            errors = sum(1 for line in proc.stderr.splitlines() if line.startswith(str(folder)))
            rows.append((name, len(files) + 1, result))
            print(f"{name:<36} {len(files) + 1:>7} {time.perf_counter() - t0:>7.1f}s  exit {proc.returncode}, "
                  f"{errors} input error lines  {result}", flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=3000, help="Hypothesis examples per property.")
    ap.add_argument("--cli", type=int, default=300, help="Generated files for the command-line part.")
    ap.add_argument("--seed", type=int, default=15)
    args = ap.parse_args()
    t0 = time.perf_counter()
    print(f"{'property':<36} {'inputs':>7} {'time':>8}  result")
    rows = run_properties(args.examples)
    print()
    print(f"{'command (real CLI, one process each)':<36} {'inputs':>7} {'time':>8}  result")
    rows += run_cli(args.cli, args.seed)
    tried = sum(r[1] for r in rows)
    failed = [r for r in rows if r[2] != "ok"]
    print(f"\n{tried:,} inputs tried, {len(failed)} failing propert{'y' if len(failed) == 1 else 'ies'}, "
          f"{time.perf_counter() - t0:.0f} s")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
