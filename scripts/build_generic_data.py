"""Shared data handling for building and tuning the generic collocation model.

Corpora:
  * Wikinews 2019-2020 (CC BY 2.5): split by article id; "train" feeds the combiner and threshold,
    "dev" is for measuring.
  * Screener lexicon TRAIN split only (sha1(canonical)[0] even): tortured phrases put in sentences.
  * fixtures/articles (clean news written for the project): false-flag measurement only.
  * Reuters-21578 (research only): held-out false-flag measurement, never fed to the model.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # the evaluation/ package

from unspin.findings import FindingBuilder  # noqa: E402
from unspin.model import Document, Segment  # noqa: E402
from unspin.text import MatchStream, word_count  # noqa: E402

SHARED = Path("/work/shared/data")
WIKINEWS = SHARED / "news-corpus" / "wikinews_2019_2020.jsonl"
REUTERS = SHARED / "news-corpus" / "reuters21578.jsonl"
PPS = SHARED / "pps-lexicon-half.tsv"

TEMPLATES = [
    "In this paper we apply {p} to the data collected from the survey.",
    "The results show that {p} improves the accuracy of the proposed method.",
    "Officials said the {p} would be reviewed next month.",
    "We describe how {p} was used in the experiments reported below.",
    "According to the report, {p} played a major role in the outcome.",
]


def wikinews_split(article_id: str) -> str:
    return "dev" if hashlib.sha1(article_id.encode()).digest()[0] % 3 == 0 else "train"


def pps_split(canonical: str) -> str:
    return "test" if hashlib.sha1(canonical.strip().lower().encode()).digest()[0] % 2 else "train"


def text_doc(text: str, path: str = "<text>") -> Document:
    return Document(path=path, text=text, segments=(Segment(0, len(text), "body"),))


def load_wikinews(split: str | None = None) -> list[Document]:
    docs = []
    with open(WIKINEWS, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if split and wikinews_split(rec["id"]) != split:
                continue
            docs.append(text_doc(rec["text"], rec["id"]))
    return docs


def load_reuters(limit: int | None = None) -> list[Document]:
    docs = []
    with open(REUTERS, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec.get("text", "").strip():
                docs.append(text_doc(rec["text"], rec["id"]))
            if limit and len(docs) >= limit:
                break
    return docs


def load_fixtures() -> list[Document]:
    from unspin.document import parse_markdown

    out = []
    for p in sorted((ROOT / "fixtures" / "articles").glob("*/*.md")):
        try:
            out.append(parse_markdown(p.read_text(encoding="utf-8"), str(p)))
        except Exception as exc:  # a fixture being written right now
            print(f"skip {p}: {exc}", file=sys.stderr)
    return out


def pps_rows(split: str = "train") -> list[tuple[str, str]]:
    assert split == "train", "the screener TEST split is never used for building or tuning"
    rows = []
    with open(PPS, encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            if pps_split(r["canonical_phrase"]) == split:
                rows.append((r["tortured_phrase"].strip(), r["canonical_phrase"].strip()))
    return rows


@dataclass
class Case:
    """A text with known spun spans [(start, end, original, replacement)]."""

    doc: Document
    spans: list[tuple[int, int, str, str]] = field(default_factory=list)


def spun_cases(docs: list[Document], rate: float, seed: int) -> list[Case]:
    from evaluation.wordnet_spinner import WordNetSpinner

    sp = WordNetSpinner()
    out = []
    for k, d in enumerate(docs):
        rng = random.Random(f"{seed}:{d.path}")
        r = sp.spin(d.text, rate, rng)
        out.append(Case(text_doc(r.text, d.path + f"#spun{k}"),
                        [(s.start, s.end, s.original, s.replacement) for s in r.substitutions]))
    return out


def pps_cases(rows: list[tuple[str, str]], seed: int = 0) -> list[Case]:
    rng = random.Random(seed)
    out = []
    for tortured, canonical in rows:
        t = rng.choice(TEMPLATES)
        i = t.index("{p}")
        text = t.replace("{p}", tortured)
        out.append(Case(text_doc(text, "pps:" + tortured), [(i, i + len(tortured), canonical, tortured)]))
    return out


def run_generic(doc: Document):
    from unspin.detect.generic import generic_findings

    return generic_findings(doc, MatchStream(doc.text, doc.segments), FindingBuilder(doc))


def _norm(s: str) -> str:
    return " ".join(s.lower().replace("-", " ").split())


def score_cases(cases: list[Case]) -> dict:
    """Span recall/precision and suggestion accuracy of US201 on texts with known spun spans."""
    n_spans = hit = n_find = good_find = sugg_ok = 0
    for c in cases:
        fs = run_generic(c.doc)
        n_find += len(fs)
        n_spans += len(c.spans)
        for f in fs:
            if any(f.start < e and s < f.end for s, e, _, _ in c.spans):
                good_find += 1
        for s, e, orig, _ in c.spans:
            over = [f for f in fs if f.start < e and s < f.end]
            if not over:
                continue
            hit += 1
            f = over[0]
            # expected: the finding's span with the spun part replaced by the original
            a, b = min(f.start, s), max(f.end, e)
            want = c.doc.text[a:s] + orig + c.doc.text[e:b]
            got = c.doc.text[a:f.start] + (f.suggestions[0].text if f.suggestions else "") + \
                c.doc.text[f.end:b]
            sugg_ok += _norm(want) == _norm(got)
    return {
        "spans": n_spans, "recall": hit / max(1, n_spans), "findings": n_find,
        "precision": good_find / max(1, n_find), "sugg_acc": sugg_ok / max(1, hit),
    }


def false_flags(docs: list[Document]) -> dict:
    words = flags = 0
    examples = []
    for d in docs:
        words += word_count(d.prose())
        fs = run_generic(d)
        flags += len(fs)
        examples += [(f.text, f.suggestions[0].text, round(f.confidence, 2)) for f in fs]
    return {"words": words, "flags": flags, "per_1k": 1000 * flags / max(1, words), "examples": examples}
