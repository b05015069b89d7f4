"""Every report of a corpus as one line of text, to show that a speed change leaves the analysis unchanged.

    PYTHONPATH=OLD/src python benchmarks/dump_reports.py /tmp/old.txt
    PYTHONPATH=NEW/src python benchmarks/dump_reports.py /tmp/new.txt
    cmp /tmp/old.txt /tmp/new.txt        # must print nothing

Analyses the 294 Wikinews 2019-2020 articles of ../shared/data/news-corpus and every fixture, in
batches (``analyze_many``, what ``check`` and ``report`` do), then some of them one by one
(``analyze``), with all detectors on, and writes per report: path, score, verdict, every finding (rule,
offsets, message, confidence, evidence, suggestions), every scorer feature and the extra fields
(``suspicious``). Floats are written with ``repr``, so a change in the last bit shows.
(``scripts/snapshot_outputs.sh`` compares what the CLI prints on the fixtures.)
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def line(r) -> str:
    findings = [(f.rule, f.start, f.end, f.message, f.confidence, repr(f.evidence), repr(f.suggestions))
                for f in r.findings]
    return repr((r.path, r.score, r.verdict, findings, sorted(r.features.items()), repr(r.extra)))


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    sys.path.insert(0, str(REPO / "scripts"))
    import build_generic_data

    from unspin.analysis import Context, analyze, analyze_many
    from unspin.config import Config
    from unspin.document import load_documents

    news = build_generic_data.load_wikinews()
    fixtures, _ = load_documents([str(REPO / "fixtures")])
    ctx = Context(config=Config(generic=True))
    with open(argv[0], "w", encoding="utf-8") as out:
        for r in analyze_many(news + fixtures, ctx):
            out.write(line(r) + "\n")
        for d in fixtures[:30] + news[:20]:
            out.write(line(analyze(d, ctx)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
