"""Write N distinct synthetic news-length articles as JSONL (id, title, text, url, provider) for benchmarks.

    python benchmarks/synthetic_corpus.py 100000 /tmp/synthetic-100k.jsonl [--jobs 2]

The generator is ``evaluation.matching.SyntheticCorpus``: a word Markov chain over the
project's fixture articles (and Wikinews, CC BY 2.5, when ../shared/data is present) with invented
names and numbers per article. Articles have 28-40 sentences: about 490 words (10th-90th percentile
350-640), the length of a news article. Article k is the same whatever N, so the first n lines of a
larger corpus are the corpus of size n. Nothing it writes is shipped.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the evaluation/ package (not in the wheel)

SENTENCES = (28, 40)  # per article: ~490 words
SEED = 11


def _write_range(path: Path, start: int, stop: int, seed: int = SEED) -> None:
    from evaluation.matching import SyntheticCorpus, training_texts

    corpus = SyntheticCorpus(training_texts(), seed=seed)
    with open(path, "w", encoding="utf-8") as fh:
        for k in range(start, stop):
            fh.write(json.dumps(corpus.article(k, sentences=SENTENCES)) + "\n")


def _count_lines(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(buf.count(b"\n") for buf in iter(lambda: fh.read(1 << 20), b""))


def write_corpus(n: int, path: Path, seed: int = SEED, jobs: int = 1) -> Path:
    """Write articles 0..n-1 of the seeded synthetic corpus to ``path`` (reused when already complete);
    ``jobs`` processes write equal shares, concatenated in order."""
    if path.exists() and _count_lines(path) == n:
        return path
    tmp = path.with_suffix(".partial")
    if jobs <= 1:
        _write_range(tmp, 0, n, seed)
    else:
        from concurrent.futures import ProcessPoolExecutor

        bounds = [round(i * n / jobs) for i in range(jobs + 1)]
        parts = [path.with_suffix(f".part{i}") for i in range(jobs)]
        with ProcessPoolExecutor(jobs) as pool:
            list(pool.map(_write_range, parts, bounds[:-1], bounds[1:], [seed] * jobs))
        with open(tmp, "wb") as out:
            for p in parts:
                with open(p, "rb") as fh:
                    while buf := fh.read(1 << 22):
                        out.write(buf)
                p.unlink()
    tmp.replace(path)
    return path


def read_corpus(path: Path, n: int | None = None):
    """The first ``n`` records (all when None) of a corpus file, one dict at a time."""
    with open(path, encoding="utf-8") as fh:
        for k, line in enumerate(fh):
            if n is not None and k >= n:
                break
            yield json.loads(line)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int)
    ap.add_argument("path", type=Path)
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args()
    t = time.time()
    write_corpus(args.n, args.path, jobs=args.jobs)
    print(f"wrote {args.n} articles to {args.path} in {time.time() - t:.0f} s")
