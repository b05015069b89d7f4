"""Write N distinct synthetic articles as JSONL (id, title, text, url, provider) for benchmarks.

    python benchmarks/synthetic_corpus.py 100000 /tmp/synthetic-100k.jsonl

The generator is ``evaluation.matching.SyntheticCorpus``: a word Markov chain over the
project's fixture articles (and Wikinews, CC BY 2.5, when ../shared/data is present) with invented
names and numbers per article. Nothing it writes is shipped.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the evaluation/ package (not in the wheel)


def write_corpus(n: int, path: Path, seed: int = 11) -> Path:
    """Write articles 0..n-1 of the seeded synthetic corpus to ``path`` (reused when already complete)."""
    from evaluation.matching import SyntheticCorpus, training_texts

    if path.exists() and sum(1 for _ in open(path, encoding="utf-8")) == n:
        return path
    corpus = SyntheticCorpus(training_texts(), seed=seed)
    tmp = path.with_suffix(".partial")
    with open(tmp, "w", encoding="utf-8") as fh:
        for k in range(n):
            fh.write(json.dumps(corpus.article(k)) + "\n")
    tmp.replace(path)
    return path


if __name__ == "__main__":
    t = time.time()
    write_corpus(int(sys.argv[1]), Path(sys.argv[2]))
    print(f"wrote {sys.argv[1]} articles to {sys.argv[2]} in {time.time() - t:.0f} s")
