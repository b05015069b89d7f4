"""Evaluation of source matching: spun copies, stitched copies and same-story negatives.

Run ``python -m evaluation.matching [--quick]``; it writes docs/evaluation-matching.md.

Corpus: the project's fixture articles (written for unspin), Wikinews 2019-2020 articles when
``../shared/data/news-corpus/wikinews_2019_2020.jsonl`` is present (CC BY 2.5, Wikinews
contributors; read at run time, never shipped), and synthetic articles made by ``SyntheticCorpus``
(a word Markov chain over those texts with invented names and numbers), which also fill the archive
with distractors. Spinners: ``ThesaurusSpinner`` (held out: hand-written thesaurus) and
``WordNetSpinner``, at 30% and 60% of content words.

Negatives ("same topic, not a source") are: fixture ``story-a``/``story-b`` pairs (one archived, the
other queried), Wikinews articles held out of the archive whose nearest archived neighbour is on the
same story (TF-IDF cosine), and synthetic articles that reuse every name and number of an archived
article with independent wording; each is queried as written and spun at 30%.
"""

from __future__ import annotations

import json
import random
import re
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from unspin.document import load_documents, parse_text, record_document
from unspin.model import Document
from unspin.text import WORD_RE

REPO = Path(__file__).resolve().parents[1]
WIKINEWS = REPO.parent / "shared" / "data" / "news-corpus" / "wikinews_2019_2020.jsonl"
_SYLLABLES = ("ka ren dor mi lo sa ve tan bru el ost vik har mon del ria ton ash bel cor fen gar lin "
              "mar nor pel quin rad sel tor ul wen yar zan").split()


# ---------------------------------------------------------------------------------------------------
# Synthetic articles


class SyntheticCorpus:
    """Distinct synthetic news articles from a word Markov chain, with invented names and numbers.

    The chain (order 2, backing off to order 1 a third of the time so that long verbatim runs of the
    training text are rare) gives realistic function-word patterns; names that are not sentence
    initial and all numbers are replaced per article, so any two articles differ.
    """

    def __init__(self, texts: list[str], seed: int = 7):
        self.seed = seed
        self.order2: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.order1: dict[str, list[str]] = defaultdict(list)
        self.starts: list[tuple[str, str]] = []
        for text in texts:
            for para in re.split(r"\n\s*\n", text):
                toks = WORD_RE.findall(para)
                if len(toks) < 6:
                    continue
                toks = ["<s>"] + toks + ["</p>"]
                for a, b, c in zip(toks, toks[1:], toks[2:], strict=False):
                    self.order2[(a, b)].append(c)
                    self.order1[b].append(c)
                    if a in ("<s>", ".") and b[:1].isupper():
                        self.starts.append((a, b))
        if not self.starts:
            raise ValueError("the training texts have no sentences")

    def article(self, n: int, sentences: tuple[int, int] = (12, 24), names: dict[str, str] | None = None,
                numbers: list[str] | None = None) -> dict:
        """Article ``n`` (deterministic) as a JSONL-style record: id, title, text, url, provider."""
        rng = random.Random(self.seed * 1_000_003 + n)
        cast: dict[str, str] = dict(names or {})
        want = rng.randint(*sentences)
        paras: list[str] = []
        words: list[str] = []
        count = 0
        a, b = rng.choice(self.starts)
        words.append(b)
        steps = 0
        while count < want and steps < 4000:
            steps += 1
            nxt_pool = self.order2.get((a, b)) if rng.random() > 0.33 else None
            nxt_pool = nxt_pool or self.order1.get(b) or ["."]
            c = rng.choice(nxt_pool)
            if c == "</p>":
                if words and words[-1] not in (".", "!", "?"):
                    words.append(".")
                paras.append(_detok(words))
                count += 1
                words = []
                a, b = rng.choice(self.starts)
                words.append(b)
                continue
            if c in (".", "!", "?"):
                count += 1
                if rng.random() < 0.3:
                    words.append(c)
                    paras.append(_detok(words))
                    words = []
                    a, b = rng.choice(self.starts)
                    words.append(b)
                    continue
            words.append(self._respell(c, b, rng, cast, numbers))
            a, b = b, c
        if words:
            paras.append(_detok(words + ["."]))
        title = " ".join(paras[0].split()[:9]).rstrip(",.;:")
        provider = f"{_name(random.Random(n % 97))} News"
        return {"id": f"synthetic-{self.seed}-{n}", "title": title, "text": "\n\n".join(paras),
                "url": f"https://synthetic.example/{self.seed}/{n}", "provider": provider}

    def _respell(self, tok: str, prev: str, rng: random.Random, cast: dict[str, str],
                 numbers: list[str] | None) -> str:
        if any(ch.isdigit() for ch in tok):
            if numbers:
                return rng.choice(numbers)
            return re.sub(r"\d", lambda _: str(rng.randint(0, 9)), tok)
        if tok[:1].isupper() and prev not in ("<s>", ".", "!", "?", '"', "“") and len(tok) > 2 and not tok.isupper():
            if tok not in cast:
                cast[tok] = _name(rng)
            return cast[tok]
        return tok


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _detok(words: list[str]) -> str:
    out = " ".join(words)
    out = re.sub(r" ([.,;:!?)\]”’])", r"\1", out)
    out = re.sub(r"([(\[“]) ", r"\1", out)
    return out


def training_texts(with_wikinews: bool = True) -> list[str]:
    """Prose of the fixture articles, plus Wikinews when available: the synthetic generator's input."""
    docs, _ = load_documents([str(REPO / "fixtures" / "articles")])
    texts = [d.body() for d in docs]
    if with_wikinews and WIKINEWS.exists():
        texts += [r["text"] for r in _wikinews()]
    return texts


def _wikinews() -> list[dict]:
    with open(WIKINEWS, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


# ---------------------------------------------------------------------------------------------------
# Evaluation


def _doc(text: str, path: str) -> Document:
    return parse_text(text, path, "text")[0]


def _spinners():
    from .thesaurus_spinner import ThesaurusSpinner
    from .wordnet_spinner import WordNetSpinner

    return [ThesaurusSpinner(), WordNetSpinner()]


def _same_story_wikinews(records: list[dict], threshold: float = 0.3) -> list[tuple[int, int]]:
    """(held-out index, archived neighbour index) for Wikinews pairs on the same story (TF-IDF cosine)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    m = TfidfVectorizer(stop_words="english", min_df=1, sublinear_tf=True).fit_transform(
        [r["text"] for r in records])
    sim = cosine_similarity(m)
    pairs = []
    used: set[int] = set()
    for i in range(len(records)):
        sim[i, i] = 0
    for i, j in sorted(((i, int(sim[i].argmax())) for i in range(len(records))), key=lambda t: -sim[t[0], t[1]]):
        if sim[i, j] < threshold or i in used or j in used:
            continue
        if sim[i, j] > 0.9:
            continue  # a duplicate, not an independent report
        pairs.append((i, j))
        used.update((i, j))
    return pairs


def run(out_dir: Path, quick: bool = False) -> str:
    """Build an archive, run every query set, and return the Markdown section (also written to out_dir)."""
    from unspin.match.archive import open_archive

    t0 = time.time()
    rng = random.Random(20260521)
    fixtures, _ = load_documents([str(REPO / "fixtures" / "articles")])
    fixtures = [d for d in fixtures if d.segments]
    story_b = [d for d in fixtures if Path(d.path).stem.endswith("-b")]
    story_a = {Path(d.path).stem[:-2]: d for d in fixtures if Path(d.path).stem.endswith("-a")}
    pairs = [(story_a[Path(b.path).stem[:-2]], b) for b in story_b if Path(b.path).stem[:-2] in story_a]
    archived_fixtures = [d for d in fixtures if not Path(d.path).stem.endswith("-b")]

    wiki = _wikinews() if WIKINEWS.exists() else []
    wiki_pairs = _same_story_wikinews(wiki) if wiki else []
    held_out = {i for i, _ in wiki_pairs}
    wiki_docs = [record_document(r, f"wikinews:{k}") for k, r in enumerate(wiki) if k not in held_out]

    synth = SyntheticCorpus(training_texts(), seed=11)
    n_synth = 400 if quick else 3000
    synth_docs = [record_document(synth.article(k), f"synthetic:{k}") for k in range(n_synth)]

    tmp = Path(tempfile.mkdtemp(prefix="unspin-eval-match-"))
    archive = open_archive("sqlite:///" + str(tmp / "eval.sqlite"))
    archive.add_documents(archived_fixtures + wiki_docs + synth_docs)
    from unspin.match.archive import document_id

    real = archived_fixtures + wiki_docs
    sources = real if not quick else rng.sample(real, min(60, len(real)))
    sources = sources + rng.sample(synth_docs, 40 if quick else 150)
    latencies: list[float] = []

    def query(text: str, path: str):
        t = time.perf_counter()
        found = archive.find_sources(_doc(text, path), top=5)
        latencies.append(time.perf_counter() - t)
        return found

    # 1. spun copies: the source must be match #1
    spun_rows = []
    sub_tp = sub_fp = sub_fn = 0
    for spinner in _spinners():
        for rate in (0.3, 0.6):
            hits = 0
            achieved = []
            for doc in sources:
                spun = spinner.spin(doc.prose(), rate, rng)
                found = query(spun.text, "spun")
                if found and found[0].id == document_id(doc):
                    hits += 1
                    tp, fp, fn = _substitution_counts(spun, found[0])
                    sub_tp, sub_fp, sub_fn = sub_tp + tp, sub_fp + fp, sub_fn + fn
                words = sum(1 for w in WORD_RE.findall(doc.prose()) if w[0].isalnum())
                achieved.append(sum(len(s.original.split()) for s in spun.substitutions) / max(words, 1))
            spun_rows.append((spinner.name, rate, statistics.mean(achieved), hits, len(sources)))

    # 2. stitched copies: both sources must be listed. "balanced": leading paragraphs of one article
    # and trailing paragraphs of another, about 1200 characters each (each source gives a large share,
    # as a content farm's stitched copy does); "halves": half the paragraphs of each, whatever their
    # length, so one source may give only a sliver of a long copy (reported to show that limit).
    stitched_n = 40 if quick else 300
    stitched = {"balanced": 0, "halves": 0}
    for k in range(stitched_n):
        a, b = rng.sample(sources, 2)
        pa, pb = a.prose().split("\n\n"), b.prose().split("\n\n")
        spinner = _spinners()[k % 2]
        for kind in stitched:
            if kind == "halves":
                parts = pa[: max(1, len(pa) // 2)] + pb[len(pb) // 2 :]
            else:
                parts = _leading(pa, 1200) + _leading(pb[::-1], 1200)[::-1]
            found = {m.id for m in query(spinner.spin("\n\n".join(parts), 0.3, rng).text, "stitched")}
            stitched[kind] += {document_id(a), document_id(b)} <= found

    # 3. negatives: same story, not a source
    neg_rows = []
    thes = _spinners()[0]

    def negatives(name: str, docs: list[Document], exclude_ids: set[str] | None = None):
        false = 0
        n = 0
        for doc in docs:
            for spun_rate in (0.0, 0.3):
                text = doc.prose() if spun_rate == 0 else thes.spin(doc.prose(), spun_rate, rng).text
                found = [m for m in query(text, "negative") if not exclude_ids or m.id not in exclude_ids]
                false += bool(found)
                n += 1
        neg_rows.append((name, n, false))

    negatives("fixture story-b vs archived story-a", [b for _, b in pairs])
    archive.remove([document_id(a) for a, _ in pairs])
    archive.add_documents([b for _, b in pairs])
    negatives("fixture story-a vs archived story-b", [a for a, _ in pairs])
    if wiki_pairs:
        # Wikinews reuses background paragraphs between articles: a pair sharing a verbatim sentence
        # is a partial copy, not an independent report, so it is scored as a positive instead.
        independent = [i for i, j in wiki_pairs if not _share_sentence(wiki[i]["text"], wiki[j]["text"])]
        copies = [(i, j) for i, j in wiki_pairs if i not in set(independent)]
        negatives("Wikinews same-story, held out (no shared sentence)",
                  [record_document(wiki[i], f"wikinews:{i}") for i in independent])
        copy_found = sum(any(m.id == wiki[j]["id"] for m in query(wiki[i]["text"], "copy")) for i, j in copies)
        copy_note = (f"{len(copies)} same-story Wikinews pairs share verbatim sentences (reused background "
                     f"paragraphs); they are partial copies, left out of the negatives, and the archived one "
                     f"is listed as a source for {copy_found} of them.")
    else:
        copy_note = ""
    cast_docs = []
    for k, doc in enumerate(rng.sample(real, min(len(real), 60 if quick else 250))):
        names = {}
        numbers = [m.group() for m in re.finditer(r"\b\d[\d,.]*\b", doc.prose())] or None
        caps = [w for w in re.findall(r"(?<![.!?]\s)\b[A-Z][a-z]{2,}\b", doc.prose())]
        if caps:
            # every invented name becomes one of the archived article's names
            pool = list(dict.fromkeys(caps))
            names = _CastMap(pool, random.Random(k))
        cast_docs.append(record_document(synth.article(10_000_000 + k, names=names, numbers=numbers),
                                         f"same-cast:{k}"))
    negatives("synthetic, same names and numbers as an archived article", cast_docs)

    elapsed = time.time() - t0
    lat = sorted(latencies)
    p50 = lat[len(lat) // 2] * 1000
    p95 = lat[int(len(lat) * 0.95)] * 1000
    archived = archive.count()
    archive.close()
    md = _render(spun_rows, stitched, stitched_n, neg_rows, sub_tp, sub_fp, sub_fn, archived, len(real),
                 len(synth_docs), p50, p95, elapsed, quick, bool(wiki), copy_note)
    out_dir.mkdir(parents=True, exist_ok=True)
    return md


class _CastMap(dict):
    """A names table that maps every invented name onto the archived article's names."""

    def __init__(self, pool: list[str], rng: random.Random):
        super().__init__()
        self.pool = pool
        self.rng = rng

    def __contains__(self, key: object) -> bool:
        if not dict.__contains__(self, key):
            self[key] = self.rng.choice(self.pool)
        return True


def _substitution_counts(spun, match) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) of reported substitutions vs the spinner's own.

    A reported substitution is right when it overlaps a spinner substitution and its original
    wording is the spinner's original (case-insensitive).
    """
    truth = [(s.start, s.end, s.original.lower()) for s in spun.substitutions]
    tp = fp = 0
    hit: set[int] = set()
    for s in match.substitutions:
        ok = False
        for k, (a, b, orig) in enumerate(truth):
            if s.query_start < b and a < s.query_end and orig in s.original.lower():
                ok = True
                hit.add(k)
        tp += ok
        fp += not ok
    return tp, fp, len(truth) - len(hit)


def _leading(paragraphs: list[str], chars: int) -> list[str]:
    """Leading paragraphs up to about ``chars`` characters (at least one)."""
    out: list[str] = []
    total = 0
    for p in paragraphs:
        if out and total + len(p) > chars * 1.3:
            break
        out.append(p)
        total += len(p)
        if total >= chars:
            break
    return out


def _share_sentence(a: str, b: str, min_words: int = 8) -> bool:
    """True when the two texts have a sentence of at least ``min_words`` words in common, word for word."""
    from unspin.text import sentences

    def norm(t: str) -> set[str]:
        out = set()
        for s, e in sentences(t):
            words = [w.lower() for w in WORD_RE.findall(t[s:e]) if w[0].isalnum()]
            if len(words) >= min_words:
                out.add(" ".join(words))
        return out

    return bool(norm(a) & norm(b))


def _render(spun_rows, both, stitched_n, neg_rows, tp, fp, fn, archived, n_real, n_synth, p50, p95, elapsed,
            quick, wiki, copy_note="") -> str:
    lines = [
        "## Source matching" + (" (quick run)" if quick else ""),
        "",
        f"Command: `python -m evaluation.matching{' --quick' if quick else ''}` "
        f"({time.strftime('%Y-%m-%d')}, {elapsed:.0f} s).",
        "",
        f"Archive: {archived} articles at the end of the run ({n_real} real: fixture articles"
        + (" and Wikinews 2019-2020 (CC BY 2.5, Wikinews contributors)" if wiki else "")
        + f"; {n_synth} synthetic distractors).",
        "",
        "### Spun copies: is the source match #1?",
        "",
        "| spinner | rate asked | words substituted | source is #1 | of | share |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, rate, achieved, hits, n in spun_rows:
        lines.append(f"| {name} | {rate:.0%} of content words | {achieved:.0%} of all words | {hits} | {n} | "
                     f"{hits / n:.1%} |")
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    lines += [
        "",
        f"Word substitutions reported for the found source, against the spinner's own record: precision "
        f"{prec:.1%}, recall {rec:.1%} ({tp} right, {fp} wrong, {fn} missed).",
        "",
        "### Stitched copies, spun 30%: are both sources listed?",
        "",
        "| construction | both listed | of | share |",
        "| --- | --- | --- | --- |",
        f"| balanced: ~1200 leading characters of one article + ~1200 trailing of another | {both['balanced']} | "
        f"{stitched_n} | {both['balanced'] / stitched_n:.1%} |",
        f"| halves: first half of one article's paragraphs + second half of another's | {both['halves']} | "
        f"{stitched_n} | {both['halves'] / stitched_n:.1%} |",
        "",
        "A source is listed when at least 3 of its sentences align and explain 15% of the copy, or when the "
        "copy holds a run of at least 3 near-verbatim sentences of it (unspin/match/sources.py, is_source). "
        "The halves misses are slivers of one or two sentences of a long copy, or passages too short to share "
        "an LSH band with their source's chunk (see docs/matching.md).",
        "",
        "### Same story, not a source: a false source is any match at all",
        "",
        "| negative set (each as written and spun 30%) | queries | with a false source | share |",
        "| --- | --- | --- | --- |",
    ]
    total_n = total_f = 0
    for name, n, false in neg_rows:
        lines.append(f"| {name} | {n} | {false} | {false / n:.1%} |")
        total_n += n
        total_f += false
    lines += [f"| all | {total_n} | {total_f} | {total_f / max(total_n, 1):.1%} |", ""]
    if copy_note:
        lines += [copy_note, ""]
    lines += [
              f"Query latency over all queries (this archive, 2 shared cores): p50 {p50:.0f} ms, p95 {p95:.0f} ms.",
              ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse

    from unspin.fileio import atomic_write_text

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="Smaller sets (a few minutes less).")
    ap.add_argument("--out", type=Path, default=REPO / "docs", help="Folder for evaluation-matching.md.")
    args = ap.parse_args(argv)
    md = run(args.out, quick=args.quick)
    header = ("# Evaluation: source matching\n\nWritten by `python -m evaluation.matching`; "
              "rerun it to check these numbers.\n\n")
    atomic_write_text(args.out / "evaluation-matching.md", header + md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
