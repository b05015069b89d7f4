"""Evaluation of excerpt-only sources (issue #17): archives of titles + <= 50-word excerpts.

Run ``python -m evaluation.excerpts [--sizes 300 2000 10000] [--queries 300] [--seed 2]``;
it prints a Markdown section (and with ``--out``, writes docs/evaluation-excerpts.md).

Corpus (evaluation only, never shipped): Wikinews 2019-2020 (CC BY 2.5, Wikinews contributors) and
Reuters-21578 (research use only), both from ``../shared/data/news-corpus``; Reuters rows marked
tabular, shorter than 80 words or whose first 50 words repeat another row's are left out. The
articles are shuffled (``--seed``); the archive of size N holds the first N as excerpt entries
(title + the first 50 words of the body, cut mid-sentence when it falls there), so the archives are
nested. Queries:

- spun copies: ``--queries`` articles drawn from the first 300 (in every archive), whole article
  (title line + body) spun at 30% of content words by ``ThesaurusSpinner`` (held out from unspin's
  WordNet table) and by ``WordNetSpinner`` (WordNet: the same resource as the thesaurus mapping of
  the matcher, so its row is optimistic); the source must be match #1;
- same-topic negatives: articles outside the largest archive whose nearest archived article (TF-IDF
  cosine over full texts) is at least 0.3 and below 0.9, that share no 8-word sentence with it and
  whose first 50 words are not within 85% (rapidfuzz ratio) of any archived excerpt (Reuters re-sends
  items); each queried as written and spun 30%; a false source is any excerpt match;
- stitched copies: ~1200 leading characters of an excerpt-only article + ~1200 trailing characters
  of an article archived as a full text (``--stitched`` of them, 100 full texts added to each
  archive), spun 30%: both must be among the top 3;
- full-text control: the same spun copies against an archive of the same articles as full texts.

A brute-force TF-IDF baseline (unigrams + bigrams, cosine against every excerpt, threshold 0.3) is
scored on the same queries.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NEWS = REPO.parent / "shared" / "data" / "news-corpus"
EXCERPT_WORDS = 50


def load_corpus() -> list[dict]:
    """Wikinews and Reuters records with a title and a body of at least 80 words, first-50-words unique."""
    out: list[dict] = []
    seen: set[str] = set()
    for name in ("wikinews_2019_2020.jsonl", "reuters21578.jsonl"):
        path = NEWS / name
        if not path.exists():
            continue
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                if r.get("tabular") or not r.get("title") or not r.get("text"):
                    continue
                words = r["text"].split()
                if len(words) < 80:
                    continue
                head = " ".join(w.lower() for w in words[:EXCERPT_WORDS])
                if head in seen:
                    continue
                seen.add(head)
                title = r["title"]
                if title.isupper():  # Reuters titles are ALL CAPS
                    title = title.capitalize()
                out.append({"id": r["id"], "title": title, "text": r["text"],
                            "url": r.get("url") or f"https://reuters.example/{r['id']}"})
    return out


def excerpt_of(text: str, words: int = EXCERPT_WORDS) -> str:
    toks = text.split()
    return " ".join(toks[:words])


def excerpt_doc(rec: dict):
    from unspin.document import record_document
    from unspin.match.aggregator import ENTRY_KEY, EXCERPT, STORY_KEY

    return record_document({"id": rec["url"], "url": rec["url"], "title": rec["title"],
                            "excerpt": excerpt_of(rec["text"]), "text": "", ENTRY_KEY: EXCERPT,
                            STORY_KEY: rec["url"]}, rec["id"])


def full_doc(rec: dict):
    from unspin.document import record_document

    return record_document({"id": rec["url"], "url": rec["url"], "title": rec["title"], "text": rec["text"]},
                           rec["id"])


def _query_doc(text: str):
    from unspin.document import parse_text

    return parse_text(text, "query.txt", "text")[0]


def _share_sentence(a: str, b: str) -> bool:
    from .matching import _share_sentence as share

    return share(a, b)


def same_topic_negatives(corpus: list[dict], archived: int, limit: int, rng: random.Random) -> list[tuple[int, int]]:
    """(held-out index, archived neighbour index) pairs on the same topic (TF-IDF cosine 0.3-0.9)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    held = list(range(archived, len(corpus)))
    rng.shuffle(held)
    held = held[: limit * 4]
    vec = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=2)
    arc = vec.fit_transform([r["text"] for r in corpus[:archived]])
    q = vec.transform([corpus[i]["text"] for i in held])
    sims = (q @ arc.T).toarray()
    from rapidfuzz import fuzz, process

    heads = [excerpt_of(r["text"]).lower() for r in corpus[:archived]]
    out = []
    for row, i in enumerate(held):
        j = int(sims[row].argmax())
        if not (0.3 <= sims[row, j] < 0.9) or _share_sentence(corpus[i]["text"], corpus[j]["text"]):
            continue
        # Reuters re-sends items with a word changed: a lead within 85% (character Indel ratio) of an
        # archived excerpt is a copy of it, not another report
        if process.extractOne(excerpt_of(corpus[i]["text"]).lower(), heads, scorer=fuzz.ratio, score_cutoff=85):
            continue
        out.append((i, j))
        if len(out) >= limit:
            break
    return out


def _leading(paragraphs: list[str], chars: int) -> list[str]:
    from .matching import _leading as lead

    return lead(paragraphs, chars)


def run(sizes: list[int], queries: int, seed: int, stitched_n: int, negatives_n: int,
        dump: Path | None = None) -> str:
    from unspin.match.archive import open_archive

    from .thesaurus_spinner import ThesaurusSpinner
    from .wordnet_spinner import WordNetSpinner

    t0 = time.time()
    rng = random.Random(seed)
    corpus = load_corpus()
    rng.shuffle(corpus)
    biggest = max(sizes)
    if biggest + 300 > len(corpus):
        raise SystemExit(f"only {len(corpus)} articles; the largest archive must leave 300 out")
    spinners = [ThesaurusSpinner(), WordNetSpinner()]
    picks = rng.sample(range(min(300, biggest)), min(queries, 300))
    spun = {sp.name: [(i, sp.spin(corpus[i]["title"] + "\n\n" + corpus[i]["text"], 0.3, rng).text) for i in picks]
            for sp in spinners}
    negs = same_topic_negatives(corpus, biggest, negatives_n, rng)
    neg_queries = []
    for i, _ in negs:
        full = corpus[i]["title"] + "\n\n" + corpus[i]["text"]
        neg_queries.append(full)
        neg_queries.append(spinners[0].spin(full, 0.3, rng).text)
    # full-text articles for the stitched copies: taken from outside the largest archive, not negatives
    used = {i for i, _ in negs}
    full_pool = [k for k in range(biggest, len(corpus)) if k not in used][:100]
    stitched = []
    for k in range(stitched_n):
        a = picks[k % len(picks)]
        b = full_pool[k % len(full_pool)]
        pa, pb = corpus[a]["text"].split("\n\n"), corpus[b]["text"].split("\n\n")
        parts = _leading(pa, 1200) + _leading(pb[::-1], 1200)[::-1]
        if k % 2:
            parts = _leading(pb, 1200) + _leading(pa, 1200)  # the excerpt's story second
        stitched.append((a, b, spinners[k % 2].spin("\n\n".join(parts), 0.3, rng).text))

    tmp = Path(tempfile.mkdtemp(prefix="unspin-eval-excerpts-"))
    rows = []
    features: list[dict] = []
    for n in sizes:
        arc = open_archive("sqlite:///" + str(tmp / f"excerpts-{n}.sqlite"))
        arc.add_documents([excerpt_doc(r) for r in corpus[:n]] + [full_doc(corpus[k]) for k in full_pool],
                          batch_size=1000)
        lat: list[float] = []

        def query(text: str, _arc=arc, _lat=lat):
            t = time.perf_counter()
            found = _arc.find_sources(_query_doc(text), top=5)
            _lat.append(time.perf_counter() - t)
            return found

        row = {"n": n, "entries": arc.count(), "duplicates": 0}
        by_url = {r["url"]: r for r in corpus[:n]}
        for name, items in spun.items():
            hits = 0
            for i, text in items:
                found = query(text)
                ok = bool(found) and found[0].id == corpus[i]["url"]
                if found and not ok and found[0].id in by_url and _near_duplicate(by_url[found[0].id], corpus[i]):
                    ok = True  # the archive holds the same item twice (Reuters re-sends items)
                    row["duplicates"] += 1
                hits += ok
                if dump is not None and found:
                    features.append({"n": n, "set": name, "ok": ok, "compared": found[0].compared})
            row[name] = (hits, len(items))
        false = 0
        for text in neg_queries:
            found = [m for m in query(text) if m.kind == "excerpt"]
            false += bool(found)
            if dump is not None and found:
                features.append({"n": n, "set": "negative", "ok": False, "compared": found[0].compared,
                                 "id": found[0].id, "query": text[:300]})
        row["negatives"] = (false, len(neg_queries))
        both = 0
        for a, b, text in stitched:
            ids = [m.id for m in query(text)[:3]]
            both += corpus[a]["url"] in ids and corpus[b]["url"] in ids
        row["stitched"] = (both, len(stitched))
        lat.sort()
        row["p50"], row["p95"] = lat[len(lat) // 2] * 1000, lat[int(len(lat) * 0.95)] * 1000
        row["tfidf"] = _tfidf(corpus[:n], spun["thesaurus"], neg_queries, corpus)
        arc.close()
        rows.append(row)
        print(json.dumps(row), flush=True)

    # full-text control: the same thesaurus-spun copies against full texts of the first 300 + the rest
    n = min(sizes)
    arc = open_archive("sqlite:///" + str(tmp / "fulltext.sqlite"))
    arc.add_documents([full_doc(r) for r in corpus[:n]], batch_size=1000)
    full_hits = sum(bool(f := arc.find_sources(_query_doc(t), top=5)) and f[0].id == corpus[i]["url"]
                    for i, t in spun["thesaurus"])
    full_false = sum(bool(arc.find_sources(_query_doc(t), top=5)) for t in neg_queries)
    arc.close()
    if dump is not None:
        dump.write_text(json.dumps(features), encoding="utf-8")
    return _render(rows, (full_hits, len(spun["thesaurus"])), (full_false, len(neg_queries)), n, len(corpus),
                   seed, time.time() - t0, sizes, queries, stitched_n, negatives_n)


def _near_duplicate(a: dict, b: dict) -> bool:
    """Two articles whose excerpts are within 85% of each other (rapidfuzz ratio): one item re-sent."""
    from rapidfuzz import fuzz

    return fuzz.ratio(excerpt_of(a["text"]).lower(), excerpt_of(b["text"]).lower()) >= 85


def _tfidf(archived: list[dict], positives: list[tuple[int, str]], negatives: list[str], corpus: list[dict]) -> dict:
    """Brute-force TF-IDF (unigrams+bigrams) over the excerpt entries: top-1 and false sources at 0.3."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    m = vec.fit_transform([r["title"] + "\n\n" + excerpt_of(r["text"]) for r in archived])
    urls = [r["url"] for r in archived]

    def best(text: str) -> tuple[str, float]:
        sims = (m @ vec.transform([text]).T).toarray().ravel()
        k = int(sims.argmax())
        return urls[k], float(sims[k])

    hits = sum(1 for i, t in positives if (b := best(t))[0] == corpus[i]["url"] and b[1] >= 0.3)
    false = sum(1 for t in negatives if best(t)[1] >= 0.3)
    return {"hits": hits, "of": len(positives), "false": false, "neg": len(negatives)}


def _pct(a: int, b: int) -> str:
    return f"{a / b:.3f}" if b else "-"


def _render(rows, full, full_false, n_full, corpus_n, seed, elapsed, sizes, queries, stitched_n, negatives_n) -> str:
    cmd = (f"python -m evaluation.excerpts --sizes {' '.join(map(str, sizes))} --queries {queries} "
           f"--stitched {stitched_n} --negatives {negatives_n} --seed {seed}")
    lines = [
        "## Excerpt-only sources",
        "",
        f"Command: `{cmd}` ({time.strftime('%Y-%m-%d')}, {elapsed:.0f} s; {corpus_n} usable Wikinews + Reuters "
        "articles, evaluation only).",
        "",
        "| excerpt entries | copy -> its excerpt, top-1 (thesaurus spinner 30%) | top-1 (WordNet spinner 30%) | "
        "same-topic false source | stitched: both in top 3 | TF-IDF top-1 / false (0.3) | p50 / p95 ms |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        t = r["tfidf"]
        lines.append(
            f"| {r['n']:,} | {_pct(*r['thesaurus'])} ({r['thesaurus'][0]}/{r['thesaurus'][1]}) | "
            f"{_pct(*r['wordnet'])} ({r['wordnet'][0]}/{r['wordnet'][1]}) | "
            f"{_pct(*r['negatives'])} ({r['negatives'][0]}/{r['negatives'][1]}) | "
            f"{_pct(*r['stitched'])} ({r['stitched'][0]}/{r['stitched'][1]}) | "
            f"{_pct(t['hits'], t['of'])} / {_pct(t['false'], t['neg'])} | {r['p50']:.0f} / {r['p95']:.0f} |")
    lines += [
        "",
        f"Each archive also holds the 100 full texts the stitched copies draw on. Full-text control (the same "
        f"thesaurus-spun copies against the first {n_full} articles archived as full texts): top-1 "
        f"{_pct(*full)} ({full[0]}/{full[1]}), same-topic false source {_pct(*full_false)} "
        f"({full_false[0]}/{full_false[1]}).",
        "",
        "A copy whose match #1 is another archived item with an excerpt within 85% of its own (Reuters re-sends "
        "items with a word changed) counts as found; such duplicates per archive size: "
        + ", ".join(f"{r['n']:,}: {r['duplicates']}" for r in rows) + ".",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[300, 2000, 10000])
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--stitched", type=int, default=100)
    ap.add_argument("--negatives", type=int, default=300)
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--dump", type=Path, help="Write the verification features of every top match (JSON).")
    ap.add_argument("--out", type=Path, help="Folder to write evaluation-excerpts.md into.")
    args = ap.parse_args(argv)
    md = run(sorted(args.sizes), args.queries, args.seed, args.stitched, args.negatives, args.dump)
    if args.out:
        from unspin.fileio import atomic_write_text

        args.out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(args.out / "evaluation-excerpts.md",
                          "# Evaluation: excerpt-only sources\n\nWritten by `python -m evaluation.excerpts`; "
                          "rerun it to check these numbers.\n\n" + md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

