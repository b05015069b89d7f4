"""Build models/colloc/colloc.npz: bigram counts for US202's collocation evidence.

Sources (nothing else):
  * symspellpy's English unigram and bigram dictionaries (MIT; counts from the Google Books Ngram
    corpus, CC BY 3.0): every bigram of two alphabetic words (243k; the list's floor is about 6.4
    million occurrences, so a bigram in it is an established one);
  * Wikinews 2019-2020, the TRAIN part only (sha1(id)[0] % 3 != 0, as build_generic_data.py splits it;
    CC BY 2.5, "Wikinews contributors, en.wikinews.org"): word and bigram counts within sentences,
    bigrams seen at least twice. The "cal" and "test" parts (evaluation.slots) are never counted.
Never used: Reuters (evaluation only), the screener phrases.

The table (numpy arrays, no pickle): ``words`` (sorted ASCII words; a word's id is its position),
``ss_uni`` (log10 symspell unigram count, 0 unknown), ``ss_keys`` / ``ss_val`` (bigram id_a * W + id_b,
sorted, log10 count), ``wn_uni`` / ``wn_keys`` / ``wn_val`` (the same for Wikinews, raw counts) and
``totals`` (symspell unigram total, Wikinews words).

    python scripts/build_collocations.py [--out models/colloc/colloc.npz]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_generic_data import WIKINEWS, wikinews_split  # noqa: E402

WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
SENT = re.compile(r"(?<=[.!?;:])\s+|\n+")
WIDTH = 24
MIN_WIKINEWS = 2


def symspell_files() -> tuple[Path, Path]:
    import symspellpy

    d = Path(symspellpy.__file__).resolve().parent
    return d / "frequency_dictionary_en_82_765.txt", d / "frequency_bigramdictionary_en_243_342.txt"


def ok(w: str) -> bool:
    return w.isascii() and w.isalpha() and len(w) <= WIDTH


def wikinews_counts() -> tuple[Counter, Counter, int]:
    uni: Counter = Counter()
    bi: Counter = Counter()
    n = 0
    with open(WIKINEWS, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if wikinews_split(rec["id"]) != "train":
                continue
            for sent in SENT.split(rec["text"]):
                ws = [w.lower() for w in WORD.findall(sent)]
                ws = [w if ok(w) else "" for w in ws]
                n += len(ws)
                uni.update(w for w in ws if w)
                bi.update((a, b) for a, b in zip(ws, ws[1:], strict=False) if a and b)
    return uni, bi, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "models" / "colloc" / "colloc.npz")
    args = ap.parse_args()
    import numpy as np

    uni_path, bi_path = symspell_files()
    ss_uni: dict[str, int] = {}
    for line in uni_path.read_text(encoding="utf-8").splitlines():
        w, c = line.split()
        if ok(w):
            ss_uni[w] = ss_uni.get(w, 0) + int(c)
    ss_bi: dict[tuple[str, str], int] = {}
    for line in bi_path.read_text(encoding="utf-8").splitlines():
        a, b, c = line.split()
        if ok(a) and ok(b):
            ss_bi[(a, b)] = ss_bi.get((a, b), 0) + int(c)
    wn_uni, wn_bi, wn_n = wikinews_counts()
    wn_bi = Counter({k: v for k, v in wn_bi.items() if v >= MIN_WIKINEWS})
    vocab = sorted(set(ss_uni) | {w for k in ss_bi for w in k} | {w for k in wn_bi for w in k}
                   | {w for w, c in wn_uni.items() if c >= MIN_WIKINEWS})
    W = len(vocab)
    idx = {w: i for i, w in enumerate(vocab)}

    def table(counts: dict[tuple[str, str], int], log: bool):
        keys = np.array([idx[a] * W + idx[b] for a, b in counts], dtype=np.int64)
        vals = np.array([math.log10(c) if log else c for c in counts.values()],
                        dtype=np.float32 if log else np.uint16)
        order = np.argsort(keys)
        return keys[order], vals[order]

    ss_keys, ss_val = table(ss_bi, True)
    wn_keys, wn_val = table({k: min(v, 65535) for k, v in wn_bi.items()}, False)
    data = {
        "words": np.array([w.encode() for w in vocab], dtype=f"S{WIDTH}"),
        "ss_uni": np.array([math.log10(ss_uni[w]) if ss_uni.get(w) else 0.0 for w in vocab], dtype=np.float32),
        "ss_keys": ss_keys, "ss_val": ss_val.astype(np.float16),
        "wn_uni": np.array([min(wn_uni.get(w, 0), 65535) for w in vocab], dtype=np.uint16),
        "wn_keys": wn_keys, "wn_val": wn_val,
        "totals": np.array([sum(ss_uni.values()), wn_n], dtype=np.float64),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "wb") as fh:
        np.savez_compressed(fh, **data)
    print(f"words {W}, symspell bigrams {len(ss_keys)}, Wikinews TRAIN {wn_n} words, bigrams >= {MIN_WIKINEWS}: "
          f"{len(wn_keys)}; wrote {args.out} ({args.out.stat().st_size / 1024:.0f} kB)")


if __name__ == "__main__":
    main()
