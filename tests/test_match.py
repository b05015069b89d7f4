"""Matching end to end: spun copies find their source, stitched copies both, same-story articles none."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from unspin.document import load_documents, parse_text
from unspin.match.archive import document_id, open_archive

REPO = Path(__file__).resolve().parent.parent
ARTICLES = REPO / "fixtures" / "articles"


@pytest.fixture(scope="module")
def corpus():
    docs, errors = load_documents([str(ARTICLES)])
    assert not errors
    story_b = [d for d in docs if Path(d.path).stem.endswith("-b")]
    archived = [d for d in docs if d not in story_b]
    return archived, story_b


@pytest.fixture(scope="module")
def archive(corpus, tmp_path_factory):
    path = tmp_path_factory.mktemp("match") / "archive.sqlite"
    arc = open_archive(str(path))
    arc.add_documents(corpus[0])
    yield arc
    arc.close()


def _spin(text: str, rate: float, seed: int, spinner: str = "thesaurus") -> str:
    if spinner == "thesaurus":
        from evaluation.thesaurus_spinner import ThesaurusSpinner as S
    else:
        from evaluation.wordnet_spinner import WordNetSpinner as S
    return S().spin(text, rate, random.Random(seed)).text


@pytest.mark.parametrize("spinner", ["thesaurus", "wordnet"])
@pytest.mark.parametrize("rate", [0.3, 0.6])
def test_spun_copy_finds_its_source_first(archive, corpus, rate, spinner):
    for k, doc in enumerate(corpus[0][::3]):
        query = parse_text(_spin(doc.prose(), rate, k, spinner), "copy.txt", "text")[0]
        found = archive.find_sources(query)
        assert found and found[0].id == document_id(doc), doc.path
        best = found[0]
        assert best.coverage > 0.5 and 0 < best.score <= 1
        for sub in best.substitutions:
            assert query.text[sub.query_start:sub.query_end] == sub.spun
            assert best.source_text[sub.source_start:sub.source_end] == sub.original
        for p in best.alignments:
            assert p.query_start < p.query_end and p.source_start < p.source_end


def test_same_story_reports_are_not_sources(archive, corpus):
    for doc in corpus[1]:
        assert archive.find_sources(doc) == [], doc.path
        spun = parse_text(_spin(doc.prose(), 0.3, 1), doc.path, "text")[0]
        assert archive.find_sources(spun) == [], doc.path


def test_stitched_copy_lists_both_sources_with_their_passages(archive, corpus):
    a, b = corpus[0][2], corpus[0][20]
    pa, pb = a.prose().split("\n\n"), b.prose().split("\n\n")
    text = "\n\n".join(pa[: len(pa) // 2] + pb[len(pb) // 2:])
    query = parse_text(_spin(text, 0.3, 7), "stitched.txt", "text")[0]
    found = {m.id: m for m in archive.find_sources(query)}
    assert set(found) == {document_id(a), document_id(b)}
    first, second = found[document_id(a)], found[document_id(b)]
    # each source explains its own part of the copy, and no sentence is credited twice
    assert max(p.query_end for p in first.alignments) <= min(p.query_start for p in second.alignments)
    assert 0.99 <= first.coverage + second.coverage + 0.2


def test_source_findings_suggest_the_source_wording(archive, corpus):
    from unspin.findings import FindingBuilder
    from unspin.match.sources import source_findings

    doc = next(d for d in corpus[0] if "press-secretary" in d.path)
    spun_file = _spin(doc.text, 0.5, 3)
    query = parse_text(spun_file, "copy.md", "markdown")[0]
    findings = source_findings(query, FindingBuilder(query), archive)
    assert len(findings) > 10
    for f in findings:
        assert f.rule == "US301" and f.text == query.text[f.start:f.end]
        assert f.suggestions[0].source == "source" and f.suggestions[0].text != f.text
        assert f.evidence["source_id"] == document_id(doc)
        assert f.suggestions[0].text.lower() in f.evidence["source_sentence"].lower()


def test_match_cli_json_contract(tmp_path, corpus, cli_runner):
    from unspin.cli import cli

    db = "sqlite:///" + str(tmp_path / "a.sqlite")
    open_archive(db).add_documents(corpus[0])
    doc = corpus[0][5]
    copy = tmp_path / "copy.md"
    copy.write_text(_spin(doc.text, 0.4, 2), encoding="utf-8")
    same_story = corpus[1][0].path
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"abc\x00\x01\x02 binary")
    res = cli_runner.invoke(cli, ["match", "--db", db, "--format", "json", "--top", "2", str(copy),
                                  same_story, str(bad)])
    assert res.exit_code == 2
    out = json.loads(res.stdout)
    assert out["schema_version"] == 1
    assert [d["path"] for d in out["documents"]] == [str(copy), same_story]
    first = out["documents"][0]["matches"]
    assert first[0]["id"] == document_id(doc)
    assert set(first[0]) >= {"id", "title", "url", "score", "coverage", "alignments", "substitutions"}
    assert set(first[0]["substitutions"][0]) == {"spun", "original", "query_start", "query_end",
                                                  "source_start", "source_end"}
    assert out["documents"][1]["matches"] == []
    assert out["errors"][0]["path"] == str(bad)
    res = cli_runner.invoke(cli, ["match", "--db", db, str(copy)])
    assert res.exit_code == 1 and "1 likely source" in res.stdout and "swapped:" in res.stdout


def test_match_without_an_archive_is_a_plain_error(tmp_path, cli_runner):
    from unspin.cli import cli

    res = cli_runner.invoke(cli, ["match", "--db", str(tmp_path / "nothing.sqlite"), str(ARTICLES)])
    assert res.exit_code == 2
    assert "no archive here yet" in res.stderr and "Traceback" not in res.stderr


def test_passage_of_a_long_article_is_found(corpus, tmp_path):
    """A long archived article is fingerprinted in chunks, so a passage copied out of its middle is found.

    Against the whole article's 2000-odd skeleton shingles the passage's resemblance is a few
    percent, which the LSH bands find only by luck; against its own chunk it is large.
    """
    from unspin.document import record_document
    from unspin.match.fingerprint import CHUNK_MAX, fingerprint, text_shingles

    long_text = "\n\n".join(d.prose() for d in corpus[1])
    assert len(text_shingles(long_text)) > 4 * CHUNK_MAX
    assert len(fingerprint(long_text).keys) > len(fingerprint(corpus[1][0].prose()).keys) * 4
    arc = open_archive(str(tmp_path / "long.sqlite"))
    arc.add_documents([record_document({"id": "long", "title": "Omnibus", "text": long_text}, "feed")]
                      + corpus[0])
    try:
        paras = corpus[1][4].prose().split("\n\n")
        passage = "\n\n".join(paras[len(paras) // 3 : len(paras) // 3 + 4])
        query = parse_text(_spin(passage, 0.3, 5), "passage.txt", "text")[0]
        found = arc.find_sources(query)
        assert found and found[0].id == "long"
        assert found[0].coverage > 0.8
    finally:
        arc.close()


def test_a_copied_run_of_a_few_sentences_is_listed_even_as_a_small_share(archive, corpus):
    from unspin.match.sources import MIN_COVERAGE

    a, b = corpus[0][2], corpus[0][20]
    pa = a.prose().split("\n\n")
    sliver = next(p for p in b.prose().split("\n\n")[1:] if p.count(". ") >= 2)  # a paragraph of 3+ sentences
    text = "\n\n".join(pa + pa[1:] + [sliver])  # a long copy of a, padded, then b's paragraph
    query = parse_text(_spin(text, 0.3, 11), "sliver.txt", "text")[0]
    found = {m.id: m for m in archive.find_sources(query)}
    assert set(found) == {document_id(a), document_id(b)}
    small = found[document_id(b)]
    assert small.coverage < MIN_COVERAGE and len(small.alignments) >= 3
