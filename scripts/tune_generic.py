"""Measure the generic detector (US201) on its own and print a table.

    /work/main/.venv/bin/python scripts/tune_generic.py [--reuters N] [--examples]

Rows: recall/precision/suggestion accuracy on WordNet-spun Wikinews DEV split and fixtures, on the
screener lexicon TRAIN split placed in sentences; false flags per 1,000 words on clean Wikinews
(train and dev), fixtures and, with --reuters, the first N Reuters-21578 articles (held out:
research-only data, measured but never used to build or tune).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_generic_data as D  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reuters", type=int, default=0, help="measure false flags on N Reuters articles")
    ap.add_argument("--examples", action="store_true", help="print the false flags")
    ap.add_argument("--rate", type=float, default=0.15)
    args = ap.parse_args()

    from unspin.detect.generic import load_model

    t = time.time()
    load_model()
    print(f"model load {1000 * (time.time() - t):.0f} ms")
    dev = D.load_wikinews("dev")
    fixtures = D.load_fixtures()
    rows = []
    for name, cases in (
        (f"WordNet-spun Wikinews dev (rate {args.rate})", D.spun_cases(dev, args.rate, 7)),
        (f"WordNet-spun fixtures (rate {args.rate})", D.spun_cases(fixtures and [
            D.text_doc(f.prose(), f.path) for f in fixtures], args.rate, 7)),
        ("screener TRAIN split in sentences", D.pps_cases(D.pps_rows("train"), 1)),
    ):
        r = D.score_cases(cases)
        rows.append((name, f"{r['recall']:.3f}", f"{r['precision']:.3f}", f"{r['sugg_acc']:.3f}",
                     str(r["spans"]), str(r["findings"])))
    print(f"\n{'spun set':48} {'recall':>7} {'prec':>7} {'sugg':>7} {'spans':>6} {'found':>6}")
    for r in rows:
        print(f"{r[0]:48} {r[1]:>7} {r[2]:>7} {r[3]:>7} {r[4]:>6} {r[5]:>6}")
    clean = [("Wikinews train (tuning)", D.load_wikinews("train")), ("Wikinews dev", dev),
             ("fixtures", fixtures)]
    if args.reuters:
        clean.append((f"Reuters-21578 first {args.reuters} (held out)", D.load_reuters(args.reuters)))
    print(f"\n{'clean set':48} {'words':>8} {'flags':>6} {'per 1k':>7}")
    for name, docs in clean:
        t = time.time()
        r = D.false_flags(docs)
        dt = time.time() - t
        print(f"{name:48} {r['words']:>8} {r['flags']:>6} {r['per_1k']:>7.3f}   ({dt:.1f}s)")
        if args.examples:
            for ex in r["examples"][:40]:
                print("     ", ex)


if __name__ == "__main__":
    main()
