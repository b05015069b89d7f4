"""Evaluate the archive's gate on news: clean articles held, copies recognised, unsourced spins held.

    python scripts/eval_gate.py [--reuters N] [--hold suspect|spun]

Four runs, each into a fresh temporary SQLite archive, with the gate's defaults (same analysis as
``unspin check``):

1. clean news, no archive: every Wikinews article (../shared/data/news-corpus) through the gate;
   the share held is the false-hold rate (target <= 1%);
2. the same on N Reuters articles (held-out: research-only data, evaluation only);
3. copies: the Wikinews articles archived as originals (trusted), then spun copies of them
   (thesaurus spinner and WordNet spinner, rate 0.3) through the gate: the share stored as copies,
   and whether each copy's first source is its original;
4. unsourced spins: N Reuters articles spun at 0.8 (thesaurus) through the gate into an empty
   archive: the share held.

Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the evaluation/ package


def _gate(docs, hold: str, archive=None, workdir: Path | None = None):
    from unspin.analysis import Context
    from unspin.match.archive import open_archive
    from unspin.match.gate import gate_documents

    own = archive is None
    if own:
        archive = open_archive(str(workdir / f"gate-{time.monotonic_ns()}.sqlite"))
    try:
        return gate_documents(archive, docs, Context(), hold=hold)
    finally:
        if own:
            archive.close()


def _spun_docs(articles, spinner, rate: float, seed: int, prefix: str):
    from dataclasses import replace

    from evaluation.datasets import make_document, spin_article

    for a in articles:
        s = spin_article(a, spinner, rate, seed)
        yield replace(make_document(s.text, f"{prefix}:{a.id}"), id=f"{prefix}:{a.id}", provider_name="Spin Farm")


def _docs(articles, prefix: str, provider: str | None):
    from dataclasses import replace

    from evaluation.datasets import make_document

    for a in articles:
        yield replace(make_document(a.text, f"{prefix}:{a.id}"), id=f"{prefix}:{a.id}", provider_name=provider)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reuters", type=int, default=1000)
    ap.add_argument("--hold", choices=("spun", "suspect"), default="suspect")
    args = ap.parse_args()
    from evaluation.datasets import reuters_articles, spinners, wikinews_articles
    from unspin.match.archive import open_archive

    wiki = wikinews_articles()
    reuters = reuters_articles(args.reuters, seed=1)
    sp = spinners(("thesaurus", "wordnet"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, arts, prefix, provider in (
                ("Wikinews, clean", wiki, "wikinews", "Wikinews"),
                ("Reuters, clean (held-out)", reuters, "reuters", "Reuters")):
            s = _gate(_docs(arts, prefix, provider), args.hold, workdir=work)
            c = s.counts()
            spun = sum(1 for d in s.decisions if d.status == "held" and d.score >= 0.8)
            rows.append((name, len(arts), "held", c["held"], f"{c['held'] / len(arts):.1%}",
                         f"{c['original']} originals, {c['copy']} copies, {c['unchanged']} unchanged; "
                         f"held at score >= 0.8 (policy spun): {spun}"))
        arc = open_archive(str(work / "wiki.sqlite"))
        arc.add_documents(_docs(wiki, "wikinews", "Wikinews"))
        for spin_name in ("thesaurus", "wordnet"):
            s = _gate(_spun_docs(wiki, sp[spin_name], 0.3, 7, f"copy-{spin_name}"), args.hold, archive=arc)
            c = s.counts()
            first_right = sum(1 for d in s.decisions
                              if d.sources and d.sources[0] == "wikinews:" + d.id.split(":", 1)[1])
            rows.append((f"Wikinews spun copies ({spin_name} 0.3), originals archived", len(wiki), "copy", c["copy"],
                         f"{c['copy'] / len(wiki):.1%}",
                         f"first source = its original: {first_right}; held {c['held']}, original {c['original']}"))
        stats = arc.stats()["statuses"]
        arc.close()
        s = _gate(_spun_docs(reuters, sp["thesaurus"], 0.8, 7, "spun-reuters"), args.hold, workdir=work)
        c = s.counts()
        rows.append(("Reuters spun 0.8 (thesaurus), no source", len(reuters), "held", c["held"],
                     f"{c['held'] / len(reuters):.1%}", f"{c['original']} stored as originals"))
        bands = Counter("score >= 0.8" if d.score >= 0.8 else "0.5 <= score < 0.8" if d.score >= 0.5
                        else "score < 0.5" for d in s.decisions if d.score is not None)
    print(f"gate-hold = {args.hold}\n")
    print("| Run | Articles | Outcome | Count | Share | Notes |")
    print("|---|---:|---|---:|---:|---|")
    for r in rows:
        print("| " + " | ".join(str(x) for x in r) + " |")
    print(f"\narchive after the copy runs: {stats}; scores of the unsourced spins: {dict(bands)}")


if __name__ == "__main__":
    main()
