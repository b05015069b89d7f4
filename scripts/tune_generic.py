"""Measure the generic detector (US201) on its own and print tables.

    /work/main/.venv/bin/python scripts/tune_generic.py [--reuters N] [--examples] [--curve]
        [--speed]

Rows: recall/precision/suggestion accuracy on WordNet-spun Wikinews DEV split and fixtures, on the
screener lexicon TRAIN split placed in sentences (with the full phrase table, and with the screener
canonicals removed from it: the "unseen phrase" estimate); false flags per 1,000 words on clean
Wikinews (train and dev), fixtures and, with --reuters, the first N Reuters-21578 articles (held
out: research-only data, measured but never used to build or tune). --curve prints the
precision/recall/false-flag trade-off over thresholds. --speed times load and throughput.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_generic_data as D  # noqa: E402


def scored(cases, model):
    """[(case index, token start, token end, score, suggestion)] of every expanded candidate."""
    from unspin.detect.generic import candidates

    out = []
    for k, c in enumerate(cases):
        cands = candidates(c.doc, D.MatchStream(c.doc.text, c.doc.segments), model, prefilter=False)
        if cands:
            for cand, sc in zip(cands, model.combine_many([x["feats"] for x in cands]).tolist(),
                                strict=True):
                out.append((k, cand["tok"].start, cand["tok"].end, sc, cand["sub"]))
    return out


def curve(model, spun, clean_sets, offsets=(-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0)):
    thr0 = model.weights["threshold"]
    s_rows = scored(spun, model)
    n_spans = sum(len(c.spans) for c in spun)
    c_rows = [(name, scored([D.Case(d) for d in docs], model),
               sum(D.word_count(d.prose()) for d in docs)) for name, docs in clean_sets]
    head = f"{'offset':>7} {'thr':>7} {'recall':>7} {'prec':>7} " + \
        " ".join(f"{name[:14]:>14}" for name, _, _ in c_rows)
    print("\ntrade-off (spun = WordNet-spun Wikinews dev; clean = false flags per 1k words)\n" + head)
    for off in offsets:
        thr = thr0 + off
        hit_spans = set()
        good = bad = 0
        for k, s, e, sc, _ in s_rows:
            if sc < thr:
                continue
            over = [j for j, sp in enumerate(spun[k].spans) if s < sp[1] and sp[0] < e]
            if over:
                good += 1
                hit_spans.update((k, j) for j in over)
            else:
                bad += 1
        cols = [1000 * sum(1 for r in rows if r[3] >= thr) / words for _, rows, words in c_rows]
        print(f"{off:>7.1f} {thr:>7.2f} {len(hit_spans) / n_spans:>7.3f} {good / max(1, good + bad):>7.3f} "
              + " ".join(f"{c:>14.3f}" for c in cols))


def speed(docs):
    from unspin.analysis import Context, analyze
    from unspin.config import Config

    size = sum(len(d.text.encode()) for d in docs)
    for generic in (False, True):
        ctx = Context(config=Config(generic=generic))
        analyze(docs[0], ctx)
        t = time.time()
        for d in docs:
            analyze(d, ctx)
        dt = time.time() - t
        print(f"analyze(), generic={generic}: {size / 1e6 / dt:.2f} MB/s ({size} bytes, {dt:.1f}s)")
    t = time.time()
    for d in docs:
        D.run_generic(d)
    dt = time.time() - t
    print(f"generic_findings alone (MatchStream included): {size / 1e6 / dt:.2f} MB/s "
          "(benchmarks/bench_generic.py has the full table)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reuters", type=int, default=0, help="measure false flags on N Reuters articles")
    ap.add_argument("--examples", action="store_true", help="print the false flags")
    ap.add_argument("--curve", action="store_true", help="print the trade-off over thresholds")
    ap.add_argument("--speed", action="store_true", help="time analyze() with and without US201")
    ap.add_argument("--rate", type=float, default=0.15)
    args = ap.parse_args()

    t = time.time()
    from unspin.detect.generic import load_model

    model = load_model()
    print(f"import + model load {1000 * (time.time() - t):.0f} ms")
    dev = D.load_wikinews("dev")
    fixtures = D.load_fixtures()
    dev_spun = D.spun_cases(dev, args.rate, 7)
    pps = D.pps_cases(D.pps_rows("train"), 1)
    rows = []
    for name, cases, sources in (
        (f"WordNet-spun Wikinews dev (rate {args.rate})", dev_spun, 0xFF),
        (f"WordNet-spun fixtures (rate {args.rate})", D.spun_cases(fixtures and [
            D.text_doc(f.prose(), f.path) for f in fixtures], args.rate, 7), 0xFF),
        ("screener TRAIN in sentences (in phrase table)", pps, 0xFF),
        ("screener TRAIN, screener phrases removed", pps, 0x01),
    ):
        model.phrase_sources = sources
        r = D.score_cases(cases)
        rows.append((name, f"{r['recall']:.3f}", f"{r['precision']:.3f}", f"{r['sugg_acc']:.3f}",
                     str(r["spans"]), str(r["findings"])))
    model.phrase_sources = 0xFF
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
    if args.curve:
        curve(model, dev_spun, [(n, d) for n, d in clean if not n.startswith("Wikinews train")])
    if args.speed:
        speed(dev)


if __name__ == "__main__":
    main()
