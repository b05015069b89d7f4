"""The substitution detector: every reviewed row's examples, screener conditions, matching rules."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from unspin.analysis import Context, analyze
from unspin.config import Config
from unspin.detect.lexicon import Lexicon, Query, canonical_variants, read_tsv
from unspin.document import parse_text
from unspin.rewrite.case import match_case
from unspin.text import MatchStream, normalise_phrase

LEXICON_DIR = Path(__file__).resolve().parent.parent / "data" / "lexicon"
NEWS = LEXICON_DIR / "news.tsv"
CTX = Context(config=Config(generic=False, select=("US1",)))


def news_rows():
    if not NEWS.exists():
        return []
    return read_tsv(NEWS)


def check(text: str):
    return analyze(parse_text(text, "t.txt", "text")[0], CTX).findings


def test_news_lexicon_is_large_and_well_formed():
    rows = news_rows()
    assert len(rows) >= 400
    assert len({r.id for r in rows}) == len(rows)
    assert len({normalise_phrase(r.spun) for r in rows}) == len(rows)
    for r in rows:
        assert r.spun and r.canonical and r.example_bad and r.example_good, r.id
        assert r.source == "unspin-news", r.id
    with open(NEWS, encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh, delimiter="\t"))
    assert header == ["id", "spun", "canonical", "condition", "source", "example_bad", "example_good"]


@pytest.mark.parametrize("row", news_rows(), ids=lambda r: r.id)
def test_news_row_bad_example_is_flagged_and_rewritten(row):
    findings = [f for f in check(row.example_bad) if f.rule == "US101"]
    mine = [f for f in findings if normalise_phrase(f.text) == normalise_phrase(row.spun)]
    assert mine, f"{row.id}: {row.spun!r} not found in {row.example_bad!r} (got {[f.text for f in findings]})"
    f = mine[0]
    assert f.suggestions and f.suggestions[0].source == "lexicon"
    fixed = row.example_bad[:f.start] + f.suggestions[0].text + row.example_bad[f.end:]
    assert fixed == row.example_good


@pytest.mark.parametrize("row", news_rows(), ids=lambda r: r.id)
def test_news_row_good_example_is_clean(row):
    assert [f.text for f in check(row.example_good) if f.rule == "US101"] == []


def test_screener_half_ships_verbatim_with_attribution():
    shipped = LEXICON_DIR / "pps-lexicon-half.tsv"
    shared = Path(__file__).resolve().parents[2] / "shared" / "data" / "pps-lexicon-half.tsv"
    if shared.exists():
        assert shipped.read_bytes() == shared.read_bytes()
    assert len(read_tsv(shipped)) == 3620
    notice = (LEXICON_DIR / "README.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in notice and "Problematic Paper Screener" in notice


def lex(*rows: tuple[str, str, str]) -> Lexicon:
    from unspin.detect.lexicon import Entry

    return Lexicon([Entry(id=f"T{i}", spun=s, canonical=c, condition=q, source="pps")
                    for i, (s, c, q) in enumerate(rows)])


def found(lexicon: Lexicon, text: str) -> list[str]:
    doc = parse_text(text, "t.txt", "text")[0]
    return [doc.text[h.start:h.end] for h in lexicon.find(MatchStream(doc.text, doc.segments))]


def test_and_condition_needs_the_other_phrase():
    lx = lex(("profound learning", "deep learning", '"profound learning" AND "deep learning"'))
    assert found(lx, "We use profound learning here.") == []
    assert found(lx, "We use profound learning here. Deep learning is popular.") == ["profound learning"]


def test_not_condition_and_bare_words_and_wildcards():
    lx = lex(("android versatile", "Android mobile", '"android versatile" NOT "paranoid android"'),
             ("enhancement calculation", "optimization algorithm", '"enhancement calculation" AND optimiz*'),
             ("social removing", "social distancing", '"social removing" AND COVID'))
    assert found(lx, "An android versatile app.") == ["android versatile"]
    assert found(lx, "An android versatile app by Paranoid Android.") == []
    assert found(lx, "The enhancement calculation.") == []
    assert found(lx, "The enhancement calculation for optimizing cost.") == ["enhancement calculation"]
    assert found(lx, "During COVID, social removing was required.") == ["social removing"]


def test_or_groups_and_typo_operator():
    lx = lex(("front barbecue", "front grille", '"front barbecue" AND ("car" OR "vehicle")'),
             ("total national production", "gross domestic product", '"total national production" ADN "GDP"'))
    assert found(lx, "The front barbecue of the house.") == []
    assert found(lx, "The front barbecue of the vehicle.") == ["front barbecue"]
    assert found(lx, "Total national production (GDP) rose.") == ["Total national production"]


def test_proximity_query_allows_words_in_between():
    lx = lex(("bleakness mortality", "morbidity, mortality", '"bleakness mortality"~5'))
    assert found(lx, "Rates of bleakness and mortality rose.") == ["bleakness and mortality"]
    assert found(lx, "Bleakness. Mortality rose.") == []


def test_phrase_boundaries_case_hyphens_and_line_breaks():
    lx = lex(("facial acknowledgment", "facial recognition", ""), ("money related emergency", "financial crisis", ""))
    assert found(lx, "Facial Acknowledgment cameras") == ["Facial Acknowledgment"]
    assert found(lx, "facial acknowledgments were") == []
    assert found(lx, "superfacial acknowledgment") == []
    assert found(lx, "a money-related emergency") == ["money-related emergency"]
    assert found(lx, "the facial\n   acknowledgment system") == ["facial\n   acknowledgment"]
    assert found(lx, "facial, acknowledgment") == []


def test_no_match_across_code_blocks_or_from_title_into_body():
    lx = lex(("squeeze secretary", "press secretary", ""))
    md = "---\ntitle: The squeeze\n---\n\nsecretary said `x` squeeze\n\n```\nsecretary\n```\n"
    assert found_md(lx, md) == []


def found_md(lexicon, text):
    doc = parse_text(text, "t.md", "markdown")[0]
    return [doc.text[h.start:h.end] for h in lexicon.find(MatchStream(doc.text, doc.segments))]


def test_longest_overlapping_match_wins():
    lx = lex(("neural organization", "neural network", ""),
             ("convolutional neural organization", "convolutional neural network", ""))
    assert found(lx, "A convolutional neural organization.") == ["convolutional neural organization"]


def test_canonical_variants_clean_screener_notes():
    assert canonical_variants("Human Machine Interface OR Human-computer interaction") == (
        "Human Machine Interface", "Human-computer interaction")
    assert canonical_variants("particle swarm [optimization] algorithm") == ("particle swarm optimization algorithm",)
    assert canonical_variants("performance expectancy, see https://en.wikipedia.org/wiki/X") == (
        "performance expectancy",)
    assert canonical_variants("The word 'are' as in the conjugated verb 'be', see https://x.example/y") == ()


@pytest.mark.parametrize("orig, repl, want", [
    ("facial acknowledgment", "facial recognition", "facial recognition"),
    ("Facial acknowledgment", "facial recognition", "Facial recognition"),
    ("Facial Acknowledgment", "facial recognition", "Facial Recognition"),
    ("FACIAL ACKNOWLEDGMENT", "facial recognition", "FACIAL RECOGNITION"),
    ("total national production", "GDP", "GDP"),
])
def test_match_case(orig, repl, want):
    assert match_case(orig, repl) == want


def test_query_parser_tree():
    q = Query('"a b" AND ("c" OR d*) NOT "e"')
    assert q.head.phrase == "a b"
    assert q.holds("a b x c") and q.holds("a b dog") and not q.holds("a b c e") and not q.holds("a b")
