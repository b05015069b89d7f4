"""Evaluation data built at run time: clean articles, spun copies with known substitutions, and the
unseen-phrase set from the screener half split by canonical phrase.

Clean text comes from the project's own fixtures (fixtures/articles/<topic>/*.md) and the shared
news corpus (Wikinews, CC BY 2.5; Reuters-21578, research use only -- evaluation only, never a
shipped model). Spun text is made here by the evaluation spinners; nothing generated is written to
the repository.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from unspin.document import Source, parse_text, read_source
from unspin.model import Document

from .spinner import SpunText, Substitution

REPO = Path(__file__).resolve().parents[1]
FIXTURE_ARTICLES = REPO / "fixtures" / "articles"
NEWS_CORPUS = REPO.parent / "shared" / "data" / "news-corpus"
PPS_HALF = REPO.parent / "shared" / "data" / "pps-lexicon-half.tsv"


@dataclass(frozen=True)
class Article:
    """One clean article as plain prose (title, excerpt and body separated by blank lines)."""

    id: str
    corpus: str  # "fixtures", "wikinews", "reuters"
    topic: str
    text: str

    def document(self) -> Document:
        return make_document(self.text, f"{self.corpus}:{self.id}")


@dataclass(frozen=True)
class Sample:
    """A document to analyse plus what is known about it."""

    id: str
    corpus: str
    spinner: str  # "" for clean text
    rate: float
    text: str
    substitutions: tuple[Substitution, ...] = ()

    @property
    def spun(self) -> bool:
        return bool(self.spinner)

    def document(self) -> Document:
        return make_document(self.text, f"{self.corpus}:{self.id}:{self.spinner or 'clean'}:{self.rate}")


def make_document(text: str, path: str) -> Document:
    """A plain-text document (paragraphs at blank lines) whose offsets index ``text``."""
    return parse_text(text, path, "text")[0]


# ---------------------------------------------------------------------------------------------------
# Clean text


def fixture_articles(root: Path = FIXTURE_ARTICLES) -> list[Article]:
    """The project's own clean articles, in path order; unreadable files are skipped."""
    out = []
    for path in sorted(root.glob("*/*.md")):
        try:
            doc = read_source(Source(str(path)))[0]
        except Exception:  # a colleague's file mid-write: skip rather than fail the evaluation
            continue
        text = doc.prose()
        if len(text.split()) >= 80:
            out.append(Article(path.stem, "fixtures", path.parent.name, text))
    return out


def _jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@cache
def _wikinews() -> tuple[Article, ...]:
    path = NEWS_CORPUS / "wikinews_2019_2020.jsonl"
    if not path.exists():
        return ()
    out = []
    for rec in _jsonl(path):
        text = f"{rec.get('title', '').strip()}\n\n{rec.get('text', '').strip()}".strip()
        if len(text.split()) >= 80:
            out.append(Article(rec["id"], "wikinews", "news", text))
    return tuple(out)


def wikinews_articles() -> list[Article]:
    """Wikinews 2019-2020 (CC BY 2.5): may feed shipped models, with credit."""
    return list(_wikinews())


def reuters_articles(limit: int, seed: int = 0, min_words: int = 150) -> list[Article]:
    """A seeded sample of Reuters-21578 stories (RESEARCH ONLY: evaluation, never a shipped model)."""
    path = NEWS_CORPUS / "reuters21578.jsonl"
    if not path.exists() or limit <= 0:
        return []
    pool = []
    for rec in _jsonl(path):
        body = rec.get("text", "").strip()
        if len(body.split()) < min_words:
            continue
        title = rec.get("title", "").strip()
        if title.isupper():  # Reuters headlines are all capitals; keep them out of the prose
            title = ""
        pool.append(Article(rec["id"], "reuters", "news", f"{title}\n\n{body}".strip()))
    rng = random.Random(seed)
    return sorted(rng.sample(pool, min(limit, len(pool))), key=lambda a: a.id)


# ---------------------------------------------------------------------------------------------------
# Spinners and spun samples


def spinners(which: tuple[str, ...] = ("wordnet", "thesaurus", "lexicon-reverse")) -> dict[str, object]:
    """The evaluation's substitution sources by name (those that can be built here)."""
    out: dict[str, object] = {}
    for name in which:
        if name == "wordnet":
            from .wordnet_spinner import WordNetSpinner

            out[name] = WordNetSpinner()
        elif name == "thesaurus":
            from .thesaurus_spinner import ThesaurusSpinner

            out[name] = ThesaurusSpinner()
        elif name == "lexicon-reverse":
            sp = lexicon_reverse_spinner()
            if sp is not None:
                out[name] = sp
    return out


def lexicon_reverse_spinner():
    """The news lexicon used backwards (canonical -> spun), phrase level; None without a news lexicon.

    Scoring the lexicon on its own rows is not a fair test of it; results are reported apart.
    """
    from unspin.detect.lexicon import read_tsv
    from unspin.resources import data_path

    from .thesaurus_spinner import ThesaurusSpinner

    table: dict[tuple[str, ...], list[str]] = {}
    for path in sorted(data_path("lexicon").glob("*.tsv")):
        if "pps" in path.name:
            continue
        try:
            entries = read_tsv(path)
        except (OSError, ValueError):
            continue
        for e in entries:
            if e.rule != "US101" or e.condition:
                continue
            for canon in e.suggestions():
                key = tuple(canon.lower().split())
                if key and e.spun.lower() != canon.lower():
                    reps = table.setdefault(key, [])
                    if e.spun not in reps:
                        reps.append(e.spun)
    if not table:
        return None
    sp = ThesaurusSpinner(thesaurus={k: tuple(v) for k, v in table.items()})
    sp.name = "lexicon-reverse"
    return sp


def spin_article(article: Article, spinner, rate: float, seed: int) -> Sample:
    """Spin one article deterministically: the rng is seeded by seed, article, spinner and rate."""
    key = f"{seed}|{article.corpus}|{article.id}|{spinner.name}|{rate}"
    rng = random.Random(int.from_bytes(hashlib.sha1(key.encode()).digest()[:8], "big"))
    spun: SpunText = spinner.spin(article.text, rate, rng)
    return Sample(article.id, article.corpus, spinner.name, rate, spun.text, spun.substitutions)


def clean_sample(article: Article) -> Sample:
    return Sample(article.id, article.corpus, "", 0.0, article.text)


# ---------------------------------------------------------------------------------------------------
# Unseen tortured phrases: the screener half split by canonical phrase

TEMPLATES = (
    "In this study, {p} was used to analyse the samples collected during the second phase.",
    "We compare the proposed approach with {p} on three public data sets.",
    "Recent work has shown that {p} plays an important role in the overall performance.",
    "The results section discusses how {p} affects the accuracy of the final model.",
    "Several authors have examined {p} in the context of engineering applications.",
    "Table 2 summarises the parameters related to {p} that were measured in the experiment.",
    "The main contribution of this paper is a new method based on {p} for noisy inputs.",
    "Earlier surveys describe {p} as a promising direction for future research.",
)


def pps_split(canonical: str) -> str:
    """The issue's split of the screener half: by canonical phrase, stable across runs."""
    return "test" if hashlib.sha1(canonical.strip().lower().encode()).digest()[0] % 2 else "train"


def read_pps_half(path: Path = PPS_HALF) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [dict(r) for r in reader if (r.get("tortured_phrase") or "").strip()]


def train_lexicon(path: Path = PPS_HALF):
    """A lexicon from the TRAIN split of the screener half plus the project's non-screener lexicons."""
    from unspin.detect.lexicon import Lexicon, read_tsv
    from unspin.resources import data_path

    entries = [e for e in read_tsv(path) if pps_split(e.canonical) == "train"]
    for p in sorted(data_path("lexicon").glob("*.tsv")):
        if "pps" not in p.name:
            try:
                entries.extend(read_tsv(p))
            except (OSError, ValueError):
                continue
    return Lexicon(entries)


@dataclass(frozen=True)
class PhraseSet:
    """Documents with TEST-split tortured phrases placed in sentences, and their clean twins."""

    spun: list[Sample]
    clean: list[Sample]
    phrases: int


def unseen_phrase_set(limit: int | None = None, seed: int = 0, per_doc: int = 12,
                      path: Path = PPS_HALF) -> PhraseSet:
    """TEST-split, unconditional screener rows placed into science sentences (one sentence each).

    Rows with a screener query (AND/NOT/proximity) are left out: their meaning depends on context
    the template sentences do not have; so are rows whose tortured phrase also occurs in the TRAIN
    split. The clean twin puts the canonical phrase in the same slot.
    """

    half = read_pps_half(path)
    # a few canonicals differ only in a plural or a query condition, so the same tortured phrase can
    # sit in both splits ("transcription activator-like effector(s)"): such rows are not unseen
    seen = {" ".join(r["tortured_phrase"].lower().split()) for r in half
            if pps_split(r["canonical_phrase"]) == "train"}
    rows = [r for r in half
            if pps_split(r["canonical_phrase"]) == "test" and not (r.get("pps_query") or "").strip()
            and " ".join(r["tortured_phrase"].lower().split()) not in seen]
    rows.sort(key=lambda r: (r["canonical_phrase"].lower(), r["tortured_phrase"].lower()))
    rng = random.Random(seed)
    if limit is not None and limit < len(rows):
        rows = sorted(rng.sample(rows, limit), key=lambda r: r["tortured_phrase"].lower())
    spun, clean = template_samples(rows, "test", per_doc)
    return PhraseSet(spun, clean, len(rows))


def template_samples(rows: list[dict], split: str, per_doc: int) -> tuple[list[Sample], list[Sample]]:
    """Screener rows set in neutral TEMPLATES, ``per_doc`` phrases a document: the spun samples (the
    tortured phrase, one substitution each) and their clean twins (the canonical wording), ids
    ``pps-SPLIT-NNNN``."""
    from unspin.detect.lexicon import canonical_variants

    spun: list[Sample] = []
    clean: list[Sample] = []
    for d in range(0, len(rows), per_doc):
        s_parts: list[str] = []
        c_parts: list[str] = []
        subs: list[Substitution] = []
        pos = 0
        for k, r in enumerate(rows[d : d + per_doc]):
            tortured = " ".join(r["tortured_phrase"].split())
            canon = canonical_variants(r["canonical_phrase"])
            canon_text = canon[0] if canon else r["canonical_phrase"].strip()
            head, tail = TEMPLATES[(d + k) % len(TEMPLATES)].split("{p}")
            if k:
                s_parts.append("\n\n")
                pos += 2
            s_parts.append(head)
            pos += len(head)
            subs.append(Substitution(pos, pos + len(tortured), canon_text, tortured))
            s_parts.append(tortured + tail)
            pos += len(tortured) + len(tail)
            c_parts.append(head + canon_text + tail)
        sid = f"pps-{split}-{d // per_doc:04d}"
        spun.append(Sample(sid, f"pps-{split}", "pps", 1.0, "".join(s_parts), tuple(subs)))
        clean.append(Sample(sid, f"pps-{split}-clean", "", 0.0, "\n\n".join(c_parts)))
    return spun, clean
