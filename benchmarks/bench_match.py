"""Archive and matching at scale: indexing rate, query latency, size, and accuracy against baselines.

    python benchmarks/bench_match.py 10000 100000
    python benchmarks/bench_match.py --excerpt-share 0.5 100000   # half the archive excerpt-only (issue #17)

For each size N: N synthetic articles (benchmarks/synthetic_corpus.py) are added to a fresh SQLite
archive; 200 of them are spun (thesaurus spinner, 30% and 60%) and queried, plus 100 same-cast
negatives (new articles reusing an archived article's names and numbers). The same queries go to:
unspin's find_sources (LSH in SQLite + rerank + alignment), a brute-force scikit-learn TF-IDF cosine
search (top 1), and datasketch's in-memory MinHashLSH over word 3-shingles (threshold 0.3, 128
permutations, top 1 by estimated Jaccard). Prints a Markdown table.
"""

from __future__ import annotations

import json
import os
import platform
import random
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the evaluation/ package

from synthetic_corpus import write_corpus  # noqa: E402

QUERIES = 200
NEGATIVES = 100


def _records(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


def _as_excerpt(rec: dict, path: str):
    """An archive entry holding only the record's title and its first 50 words (an aggregator item)."""
    from unspin.document import record_document

    return record_document({"id": rec["id"], "url": rec.get("url"), "title": rec.get("title"),
                            "excerpt": " ".join(rec["text"].split()[:50]), "text": "",
                            "unspin_entry": "excerpt", "unspin_story": rec["id"]}, path)


def bench(n: int, workdir: Path, excerpt_share: float = 0.0, baselines: bool = True) -> dict:
    from evaluation.matching import SyntheticCorpus, training_texts
    from evaluation.thesaurus_spinner import ThesaurusSpinner
    from unspin.document import parse_text, record_document
    from unspin.match.archive import open_archive

    feed = write_corpus(n, workdir / f"synthetic-{n}.jsonl")
    records = _records(feed)
    db = workdir / f"archive-{n}.sqlite"
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(str(db) + suffix):
            os.remove(str(db) + suffix)
    arc = open_archive(str(db))
    n_excerpts = int(n * excerpt_share)  # the first ones are archived as title + excerpt only
    docs = (_as_excerpt(r, f"feed:{k}") if k < n_excerpts else record_document(r, f"feed:{k}")
            for k, r in enumerate(records))
    t, cpu = time.perf_counter(), time.process_time()
    arc.add_documents(docs, batch_size=1000)
    index_s, index_cpu = time.perf_counter() - t, time.process_time() - cpu
    with arc.write():  # fold the WAL into the file so its size is the archive's size
        pass
    arc.engine.dispose()
    import sqlite3

    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    size = os.path.getsize(db)
    arc = open_archive(str(db))

    rng = random.Random(1)
    spinner = ThesaurusSpinner()
    picks = rng.sample(range(n), QUERIES)
    queries = []  # (text, expected id or None)
    for k, i in enumerate(picks):
        rate = 0.3 if k % 2 == 0 else 0.6
        queries.append((spinner.spin(records[i]["text"], rate, rng).text, records[i]["id"]))
    synth = SyntheticCorpus(training_texts(), seed=99)
    for k in range(NEGATIVES):
        src = records[rng.randrange(n)]["text"]
        numbers = re.findall(r"\b\d[\d,.]*\b", src) or None
        queries.append((synth.article(k, numbers=numbers)["text"], None))

    load_index = os.getloadavg()[1]  # 5-minute load average at the end of indexing
    lat, cpu_lat, ok = [], [], 0
    for text, want in queries:
        doc = parse_text(text, "q.txt", "text")[0]
        t, c = time.perf_counter(), time.process_time()
        found = arc.find_sources(doc, top=5)
        lat.append((time.perf_counter() - t) * 1000)
        cpu_lat.append((time.process_time() - c) * 1000)
        ok += (found[0].id == want) if (want and found) else (want is None and not found)
    arc.close()
    result = {"n": n, "index_rate": n / index_s, "index_cpu_rate": n / index_cpu, "bytes_per_article": size / n,
              "p50": _pct(lat, 0.5), "p95": _pct(lat, 0.95), "cpu_p50": _pct(cpu_lat, 0.5),
              "cpu_p95": _pct(cpu_lat, 0.95), "accuracy": ok / len(queries), "load_index": load_index,
              "load_query": os.getloadavg()[1]}
    result["excerpts"] = n_excerpts
    if baselines:
        result.update(_tfidf(records, queries))
        result.update(_datasketch(records, queries))
    return result


def _tfidf(records: list[dict], queries: list[tuple[str, str | None]]) -> dict:
    """Brute force: TF-IDF cosine against every archived article; top 1 must be the source (none for negatives,
    judged with the cosine threshold that best separates this run's positives from negatives)."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    t = time.perf_counter()
    vec = TfidfVectorizer(sublinear_tf=True, dtype=np.float32)
    matrix = vec.fit_transform(r["text"] for r in records)
    fit_s = time.perf_counter() - t
    ids = [r["id"] for r in records]
    lat, best = [], []
    for text, want in queries:
        t = time.perf_counter()
        sims = (matrix @ vec.transform([text]).T).toarray().ravel()
        top = int(sims.argmax())
        lat.append((time.perf_counter() - t) * 1000)
        best.append((ids[top], float(sims[top]), want))
    accuracy = max(sum((i == w and s >= th) if w else s < th for i, s, w in best) / len(best)
                   for th in sorted({s for _, s, _ in best}) + [2.0])
    return {"tfidf_fit_s": fit_s, "tfidf_p50": _pct(lat, 0.5), "tfidf_accuracy": accuracy}


def _datasketch(records: list[dict], queries: list[tuple[str, str | None]]) -> dict:
    from datasketch import MinHash, MinHashLSH

    def mh(text: str) -> MinHash:
        words = re.findall(r"\w+", text.lower())
        m = MinHash(num_perm=128, seed=1)
        m.update_batch([" ".join(words[i:i + 3]).encode() for i in range(max(1, len(words) - 2))])
        return m

    t = time.perf_counter()
    lsh = MinHashLSH(threshold=0.3, num_perm=128)
    sigs = {}
    with lsh.insertion_session() as session:
        for r in records:
            sigs[r["id"]] = m = mh(r["text"])
            session.insert(r["id"], m)
    build_s = time.perf_counter() - t
    lat, ok = [], 0
    for text, want in queries:
        t = time.perf_counter()
        q = mh(text)
        cands = lsh.query(q)
        top = max(cands, key=lambda c: q.jaccard(sigs[c])) if cands else None
        lat.append((time.perf_counter() - t) * 1000)
        ok += (top == want) if want else top is None
    return {"ds_index_rate": len(records) / build_s, "ds_p50": _pct(lat, 0.5), "ds_accuracy": ok / len(queries)}


def main_excerpts(sizes: list[int], share: float) -> None:
    """``--excerpt-share S``: that share of each archive holds excerpt entries (title + first 50 words),
    the rest full texts; the same queries (a spun copy's source may now be an excerpt entry); no
    baselines."""
    workdir = Path(os.environ.get("UNSPIN_BENCH_DIR", tempfile.gettempdir())) / "unspin-bench-match"
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}; "
          f"{time.strftime('%Y-%m-%d')}")
    print(f"queries per size: {QUERIES} spun archived articles (half 30%, half 60%) + {NEGATIVES} same-cast "
          f"negatives; {share:.0%} of the archive excerpt entries")
    print()
    print("| archived (excerpt entries) | index rate (wall; per CPU second) | DB bytes/entry | p50 / p95 wall (CPU) | "
          "accuracy | load average (indexing; queries) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for n in sizes:
        r = bench(n, workdir, excerpt_share=share, baselines=False)
        print(f"| {n:,} ({r['excerpts']:,}) | {r['index_rate']:.0f}/s ({r['index_cpu_rate']:.0f}/s CPU) | "
              f"{r['bytes_per_article']:.0f} | {r['p50']:.0f} / {r['p95']:.0f} ms ({r['cpu_p50']:.0f} / "
              f"{r['cpu_p95']:.0f} ms) | {r['accuracy']:.1%} | {r['load_index']:.1f}; {r['load_query']:.1f} |",
              flush=True)
        print("<!-- " + json.dumps(r) + " -->", flush=True)


def main(sizes: list[int]) -> None:
    workdir = Path(os.environ.get("UNSPIN_BENCH_DIR", tempfile.gettempdir())) / "unspin-bench-match"
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}; "
          f"{time.strftime('%Y-%m-%d')}")
    print(f"queries per size: {QUERIES} spun archived articles (half 30%, half 60%) + "
          f"{NEGATIVES} same-cast negatives")
    print()
    print("| archived | unspin index rate (wall; per CPU second) | DB bytes/article | unspin p50 / p95 wall "
          "(CPU) | unspin accuracy | TF-IDF brute force p50 | TF-IDF accuracy | datasketch LSH p50 | "
          "datasketch accuracy | load average (indexing; queries) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for n in sizes:
        r = bench(n, workdir)
        print(f"| {n:,} | {r['index_rate']:.0f}/s ({r['index_cpu_rate']:.0f}/s CPU) | {r['bytes_per_article']:.0f} | "
              f"{r['p50']:.0f} / {r['p95']:.0f} ms ({r['cpu_p50']:.0f} / {r['cpu_p95']:.0f} ms) | "
              f"{r['accuracy']:.1%} | {r['tfidf_p50']:.0f} ms (fit {r['tfidf_fit_s']:.0f} s) | "
              f"{r['tfidf_accuracy']:.1%} | {r['ds_p50']:.1f} ms (build {r['ds_index_rate']:.0f}/s) | "
              f"{r['ds_accuracy']:.1%} | {r['load_index']:.1f}; {r['load_query']:.1f} |", flush=True)
        print("<!-- " + json.dumps(r) + " -->", flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--excerpt-share" in args:
        k = args.index("--excerpt-share")
        share = float(args[k + 1])
        del args[k : k + 2]
        main_excerpts([int(a) for a in args] or [10_000, 100_000], share)
    else:
        main([int(a) for a in args] or [10_000, 100_000])
