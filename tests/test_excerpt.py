"""Issue #17: aggregator items as excerpt-only archive entries, story clusters, excerpt matching."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from unspin.cli import cli
from unspin.document import load_documents, parse_text
from unspin.match.aggregator import AggregatorProblem, aggregator_entries, is_aggregator_item
from unspin.match.archive import open_archive

pytest_plugins = ["postgres_server"]

REPO = Path(__file__).resolve().parent.parent
AGG = REPO / "fixtures" / "aggregator"
ITEM = AGG / "item-night-library.md"
LIB_URL = "https://millbrookledger.example/news/library-late-hours-exam-season"
ORCHARD_URL = "https://farmweekly.example/2026/04/orchard-frost-losses"


def _doc(path: Path):
    docs, errors = load_documents([str(path)])
    assert not errors
    return docs[0]


@pytest.fixture
def stitched_archive(tmp_path) -> str:
    url = "sqlite:///" + str(tmp_path / "a.sqlite")
    arc = open_archive(url)
    arc.add_documents(_entries(ITEM) + [_doc(AGG / "original-orchard-frost.md")])
    arc.close()
    return url


def _entries(path: Path):
    return aggregator_entries(_doc(path))


def test_aggregator_item_becomes_one_entry_per_item_and_related_item():
    doc = _doc(ITEM)
    assert is_aggregator_item(doc)
    assert not is_aggregator_item(_doc(AGG / "original-night-library.md"))  # has a body
    entries = aggregator_entries(doc)
    assert [e.id for e in entries] == [
        LIB_URL, "https://valleydispatch.example/2026/04/02/millbrook-library-petition",
        "https://countyherald.example/library-board-overnight-cost"]
    assert {e.meta["unspin_story"] for e in entries} == {LIB_URL}
    first = entries[0]
    assert first.title.startswith("Millbrook Library Will Stay Open")
    assert first.provider_name == "Millbrook Ledger" and first.provider_domain == "millbrookledger.example"
    assert first.published == "2026-04-02T09:15:00Z"
    assert "1,840 signatures" in first.prose() and first.prose().startswith(first.title)
    assert entries[2].provider_name == "County Herald"


def test_aggregator_problems_are_plain_errors(tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_text('---\ntitle: "A"\nexcerpt: "Some words here."\nurl: "https://x.example/a"\nrelated: 5\n---\n')
    with pytest.raises(AggregatorProblem, match="'related' is not a list"):
        aggregator_entries(_doc(bad))
    nourl = tmp_path / "nourl.md"
    nourl.write_text('---\ntitle: "A"\nexcerpt: "Some words here."\nurl: "https://x.example/a"\n'
                     'related:\n  - title: "B"\n    excerpt: "Other words."\n---\n')
    with pytest.raises(AggregatorProblem, match="related item 1 has no URL"):
        aggregator_entries(_doc(nourl))


def test_archive_add_cli_dedupes_by_url_keeps_story_and_reports_bad_items(cli_runner, tmp_path):
    db = str(tmp_path / "a.sqlite")
    second = tmp_path / "second-item.md"  # another item listing one of the same related articles
    second.write_text(
        '---\ntitle: "Board approves overnight library hours"\n'
        'excerpt: "Millbrook trustees voted five to two on Tuesday to keep the reading room open late."\n'
        'webUrl: "https://otherpaper.example/overnight-hours"\n'
        'related:\n  - title: "Students win late-night study space at Millbrook library"\n'
        '    excerpt: "A petition started by two high school seniors persuaded the library board."\n'
        '    webUrl: "https://valleydispatch.example/2026/04/02/millbrook-library-petition"\n---\n')
    bad = tmp_path / "bad.md"
    bad.write_text('---\ntitle: "A"\nexcerpt: "Words."\nwebUrl: "https://x.example/a"\nrelated: [3]\n---\n')
    r = cli_runner.invoke(cli, ["archive", "add", "--db", db, str(ITEM), str(second), str(bad)])
    assert r.exit_code == 2
    assert "4 added, 0 updated, 0 unchanged, 1 errors" in r.output  # one entry per URL
    assert f"{bad}: error: related item 1 is not a mapping" in r.stderr
    arc = open_archive(db)
    assert arc.count() == 4
    stories = arc.stories_of(["https://valleydispatch.example/2026/04/02/millbrook-library-petition"])
    story, members = stories["https://valleydispatch.example/2026/04/02/millbrook-library-petition"]
    assert story == LIB_URL and len(members) == 3 and {m["kind"] for m in members} == {"excerpt"}
    again = arc.add_documents(_entries(ITEM))
    assert again.added == 0  # the related article the second item also listed is updated to this version
    assert arc.check_integrity() == []
    arc.close()


def test_excerpt_never_replaces_full_text_with_same_url(db_url):
    arc = open_archive(db_url)
    full = _doc(AGG / "original-night-library.md")
    assert full.url == LIB_URL
    arc.add_documents([full])
    res = arc.add_documents(_entries(ITEM))
    assert (res.added, res.unchanged) == (2, 1)
    stored = arc.get(LIB_URL)
    assert "Helen Okafor" in stored.text  # still the full text
    assert arc.stories_of([LIB_URL])[LIB_URL][0] == LIB_URL  # but in the story
    # the full text is a full-text source, found as such
    copy = parse_text((AGG / "copy-stitched.md").read_text(), "copy.md", "markdown")[0]
    found = arc.find_sources(copy, top=3)
    assert found[0].kind == "article"
    assert arc.check_integrity() == []
    arc.close()


def test_stitched_copy_finds_the_excerpt_only_original_and_the_full_text(stitched_archive):
    arc = open_archive(stitched_archive)
    copy = _doc(AGG / "copy-stitched.md")
    found = arc.find_sources(copy, top=3)
    ids = [m.id for m in found]
    assert ids[0] == ORCHARD_URL and LIB_URL in ids
    full, ex = found[0], found[ids.index(LIB_URL)]
    assert full.kind == "article" and ex.kind == "excerpt"
    assert ex.coverage < full.coverage  # an excerpt explains only its window
    # what was compared and which words aligned
    assert ex.compared["excerpt"].startswith("The Millbrook Public Library will keep")
    assert len(ex.aligned_words) >= 25
    same = sum(copy.text[qs:qe].lower() == ex.source_text[ss:se].lower() for qs, qe, ss, se in ex.aligned_words)
    assert same >= len(ex.aligned_words) - 6  # the rest are synonyms the spinner swapped in
    window = ex.alignments[-1]
    # substitutions only for words aligned with the excerpt, inside its window
    subs = {(s.spun, s.original) for s in ex.substitutions}
    assert ("pupils", "students") in subs and ("accumulated", "collected") in subs
    assert all(window.query_start <= s.query_start < s.query_end <= window.query_end for s in ex.substitutions)
    assert all(ex.source_text[s.source_start:s.source_end] == s.original for s in ex.substitutions)
    js = ex.to_json()
    assert js["kind"] == "excerpt" and js["story"]["originals"] == 3 and js["story"]["matched"] == [LIB_URL]
    assert set(full.to_json()) >= {"id", "title", "url", "provider", "score", "coverage", "alignments",
                                   "substitutions", "kind"}
    arc.close()


def test_same_topic_and_unrelated_articles_get_no_excerpt_source(stitched_archive):
    arc = open_archive(stitched_archive)
    for name in ("same-topic-library-hours.md",):
        assert arc.find_sources(_doc(AGG / name)) == []
    # the orchard article's own full text matches only itself, never the library excerpt
    found = arc.find_sources(_doc(AGG / "original-orchard-frost.md"))
    assert [m.id for m in found] == [ORCHARD_URL]
    arc.close()


def test_match_cli_text_and_json_show_excerpt_only_source(cli_runner, stitched_archive):
    db = stitched_archive
    r = cli_runner.invoke(cli, ["match", "--db", db, str(AGG / "copy-stitched.md")])
    assert r.exit_code == 1
    assert "excerpt only (the archive holds its title and excerpt" in r.output
    assert "story: this copy tells the story of these 3 originals (1 matched)" in r.output
    r = cli_runner.invoke(cli, ["match", "--db", db, "--format", "json", str(AGG / "copy-stitched.md")])
    out = json.loads(r.output)
    kinds = [m["kind"] for m in out["documents"][0]["matches"]]
    assert kinds == ["article", "excerpt"]
    ex = out["documents"][0]["matches"][1]
    assert ex["compared"]["title"].startswith("Millbrook Library") and ex["aligned_words"]


def test_check_db_us301_only_on_words_aligned_with_the_excerpt(cli_runner, stitched_archive):
    r = cli_runner.invoke(cli, ["check", "--db", stitched_archive, "--format", "json",
                                str(AGG / "copy-stitched.md")])
    out = json.loads(r.output)
    findings = [f for d in out["documents"] if "findings" in d for f in d["findings"]] if "documents" in out \
        else out.get("findings", [])
    us301 = [f for f in findings if f["rule"] == "US301"]
    excerpt = [f for f in us301 if f["evidence"].get("kind") == "excerpt"]
    assert excerpt, us301
    text = (AGG / "copy-stitched.md").read_text()
    first_para_end = text.index("\n\n", text.index("The Millbrook"))
    assert all(f["end"] <= first_para_end for f in excerpt)  # the excerpt's window: the lead only
    assert {text[f["start"]:f["end"]] for f in excerpt} >= {"pupils", "accumulated"}


def _strip_excerpt_schema(url: str) -> None:
    from sqlalchemy import create_engine, text

    from unspin.match.archive import normalise_url

    eng = create_engine(normalise_url(url))
    with eng.begin() as conn:
        conn.execute(text("DROP TABLE unspin_stories"))
        conn.execute(text("ALTER TABLE unspin_articles DROP COLUMN kind"))
    eng.dispose()


def test_archive_made_before_issue_17_is_migrated(db_url):
    arc = open_archive(db_url)
    arc.add_documents([_doc(AGG / "original-orchard-frost.md")])
    arc.close()
    if db_url.startswith("sqlite"):
        import sqlite3

        if sqlite3.sqlite_version_info < (3, 35):
            pytest.skip("SQLite too old to drop a column (needed to make a pre-#17 archive)")
    _strip_excerpt_schema(db_url)
    arc = open_archive(db_url)  # migrates
    assert arc.get(ORCHARD_URL) is not None
    res = arc.add_documents(_entries(ITEM))
    assert res.added == 3
    assert arc.stories_of([LIB_URL])[LIB_URL][0] == LIB_URL
    found = arc.find_sources(_doc(AGG / "copy-stitched.md"), top=3)
    assert [m.kind for m in found] == ["article", "excerpt"]
    assert arc.check_integrity() == []
    arc.close()


def test_removing_an_excerpt_entry_drops_its_index_rows_and_story_link(tmp_path):
    url = "sqlite:///" + str(tmp_path / "r.sqlite")
    arc = open_archive(url)
    arc.add_documents(_entries(ITEM))
    assert arc.remove([LIB_URL]) == 1
    assert arc.check_integrity() == []
    assert LIB_URL not in arc.stories_of([LIB_URL])
    assert arc.find_sources(_doc(AGG / "copy-stitched.md")) == []
    arc.close()


def test_fixture_item_is_project_written():
    # the shipped fixtures must not copy the shared example item's text
    shared = REPO.parent / "shared" / "data" / "aggregator" / "example-item.md"
    if not shared.exists():
        pytest.skip("no shared example item here")
    theirs = {line.strip() for line in shared.read_text().splitlines() if len(line.strip()) > 30}
    for f in AGG.glob("*.md"):
        assert not theirs & {line.strip() for line in f.read_text().splitlines()}
