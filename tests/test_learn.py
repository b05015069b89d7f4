"""``unspin learn``: mining substitutions from matched copies, trust thresholds, and the US103 round trip."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from unspin.cli import cli
from unspin.detect.lexicon import read_tsv
from unspin.match.learn import SubstitutionMiner, lexicon_tsv, mine_match_json, shape_problem

# A tiny spinner dictionary: the same swaps in every copy, as a real spinner's would be.
SWAPS = {"expected": "foreseen", "warned": "cautioned", "hospital": "infirmary"}


def spin(text: str) -> str:
    body_start = text.index("\n---", 3) + 4 if text.startswith("---") else 0
    head, body = text[:body_start], text[body_start:]
    head = re.sub(r"https://[^/\s\"]+", "https://spinfarm.example", head)  # a content farm's own URL
    for a, b in SWAPS.items():
        body = re.sub(rf"\b{a}\b", b, body)
    return head + body


def articles_with(fixtures: Path, words: tuple[str, ...], n: int) -> list[Path]:
    found = []
    for p in sorted((fixtures / "articles").glob("*/*.md")):
        text = p.read_text(encoding="utf-8")
        if sum(bool(re.search(rf"\b{w}\b", text)) for w in words) >= 2:
            found.append(p)
    assert len(found) >= n, "the fixtures no longer hold enough articles using the swapped words"
    return found[:n]


@pytest.fixture
def corpus(tmp_path, fixtures, cli_runner):
    """An archive of originals (all but the last), their spun copies, and one copy whose source is absent."""
    originals = articles_with(fixtures, tuple(SWAPS), 5)
    # the copy whose source stays out of the archive uses "expected" (the swap every run learns)
    last = next(p for p in reversed(originals) if re.search(r"\bexpected\b", p.read_text(encoding="utf-8")))
    originals = [p for p in originals if p != last] + [last]
    src_dir, copy_dir = tmp_path / "src", tmp_path / "copies"
    src_dir.mkdir()
    copy_dir.mkdir()
    for p in originals:
        (src_dir / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
        (copy_dir / p.name).write_text(spin(p.read_text(encoding="utf-8")), encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    archived = [str(src_dir / p.name) for p in originals[:-1]]
    r = cli_runner.invoke(cli, ["archive", "add", "--db", db, *archived])
    assert r.exit_code == 0, r.stderr
    copies = [str(copy_dir / p.name) for p in originals[:-1]]
    unseen = str(copy_dir / originals[-1].name)
    return db, copies, unseen


# --- shape checks ------------------------------------------------------------------------------------

@pytest.mark.parametrize("spun,original,problem", [
    ("foreseen", "expected", None),
    ("money related emergency", "financial crisis", None),
    ("14 per cent", "15 per cent", "numbers"),
    ("Kendrik", "Kendrick", "spelling"),
    ("the", "a", "function words"),
    ("said Sarah Kendrick", "said Ms Kendrick", "names"),
    ("Expected", "expected", "case or punctuation only"),
    ("one two three four five", "a b c d e", "too long"),
])
def test_shape_checks(spun, original, problem):
    assert shape_problem(spun, original) == problem


# --- trust thresholds --------------------------------------------------------------------------------

def test_thresholds_split_trusted_from_review():
    m = SubstitutionMiner()
    for doc in ("d1", "d2", "d3"):
        m.add(doc, "foreseen", "expected", example_bad="Profits were foreseen to fall.",
              example_good="Profits were expected to fall.")
    m.add("d1", "cautioned", "warned")  # seen once
    m.add("d1", "infirmary", "hospital")
    m.add("d1", "infirmary", "hospital")  # twice, but in one copy only
    for doc in ("d1", "d2"):
        m.add(doc, "house", "home")  # a common English word
    for doc, orig in (("d1", "clinic"), ("d2", "ward"), ("d3", "surgery")):
        m.add(doc, "sanatorium", orig)  # no consistent original
    trusted, review = m.entries(min_count=2, min_docs=2)
    assert [(e.spun, e.canonical, e.count, e.docs) for e in trusted] == [("foreseen", "expected", 3, 3)]
    reasons = {e.spun: e.reason for e in review}
    assert "seen 1 time" in reasons["cautioned"]
    assert "in 1 copy" in reasons["infirmary"]
    assert "common word" in reasons["house"]
    assert "maps to this original" in reasons["sanatorium"]
    assert trusted[0].example_bad == "Profits were foreseen to fall."


def test_ordinary_wording_of_the_sources_is_not_trusted():
    m = SubstitutionMiner()
    m.source_texts["s1"] = "The foreseen outcome came. It was foreseen. Foreseen, indeed."
    for doc in ("d1", "d2"):
        m.add(doc, "foreseen", "expected")
    trusted, review = m.entries()
    assert trusted == [] and "ordinary wording" in review[0].reason


def test_lexicon_tsv_round_trip_gives_us103_entries(tmp_path):
    m = SubstitutionMiner()
    for doc in ("d1", "d2"):
        m.add(doc, "money related emergency", "financial crisis", example_bad="A money related\temergency hit.")
    trusted, _ = m.entries()
    p = tmp_path / "learned.tsv"
    p.write_text(lexicon_tsv(trusted, header_note="a note"), encoding="utf-8")
    (entry,) = read_tsv(p)
    assert (entry.spun, entry.canonical, entry.rule, entry.weight) == (
        "money related emergency", "financial crisis", "US103", 2)
    assert entry.example_bad == "A money related emergency hit."  # tabs never break the row


def test_match_json_is_validated():
    with pytest.raises(ValueError, match="documents"):
        mine_match_json(SubstitutionMiner(), {"schema_version": 1})


# --- end to end --------------------------------------------------------------------------------------

def test_learn_then_check_catches_a_copy_whose_source_is_absent(tmp_path, corpus, cli_runner):
    db, copies, unseen = corpus
    out, review = tmp_path / "learned.tsv", tmp_path / "review.tsv"
    r = cli_runner.invoke(cli, ["learn", "--no-config", "--db", db, "-o", str(out), "--review", str(review),
                                *copies])
    assert r.exit_code == 0, r.stderr
    assert "trusted" in r.stderr
    learned = {(e.spun, e.canonical): e for e in read_tsv(out)}
    assert ("foreseen", "expected") in learned
    # "cautioned" is in one of the archived originals as written: it would fire on clean text
    assert ("cautioned", "warned") not in learned
    rows = {r["spun"]: r for r in _tsv_rows(review)}
    assert "fires on clean text" in rows["cautioned"]["why"]
    kept = _tsv_rows(out)
    assert all(r["why"].startswith(f"{r['count']} sightings in {r['docs']} copies of {r['sources']} originals")
               for r in kept)
    assert all(e.rule == "US103" for e in learned.values())
    assert learned[("foreseen", "expected")].weight >= 2
    assert "foreseen" in learned[("foreseen", "expected")].example_bad
    # The unseen copy's source is not archived: the learned lexicon alone catches its swaps.
    r = cli_runner.invoke(cli, ["check", "--no-config", "--no-generic", "--format", "json", "--lexicon", str(out),
                                unseen])
    payload = json.loads(r.stdout)
    us103 = [f for f in payload["documents"][0]["findings"] if f["rule"] == "US103"]
    assert us103 and {f["text"].lower() for f in us103} <= {"foreseen", "cautioned", "infirmary"}
    assert all(f["suggestions"][0]["source"] == "learned" for f in us103)
    # And without it, nothing marks them.
    r = cli_runner.invoke(cli, ["check", "--no-config", "--no-generic", "--format", "json", unseen])
    assert not [f for f in json.loads(r.stdout)["documents"][0]["findings"] if f["rule"] == "US103"]


def _tsv_rows(path) -> list[dict]:
    """The rows of a learned TSV by column name; every row has exactly the header's columns."""
    lines = [ln for ln in Path(path).read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    header = lines[0].split("\t")
    assert len(set(header)) == len(header) and all(header)
    rows = [ln.split("\t") for ln in lines[1:]]
    assert all(len(r) == len(header) for r in rows)  # no unnamed extra column
    return [dict(zip(header, r, strict=True)) for r in rows]


def test_learn_from_match_json(tmp_path, corpus, cli_runner):
    db, copies, _ = corpus
    r = cli_runner.invoke(cli, ["match", "--no-config", "--db", db, "--format", "json", *copies])
    assert r.exit_code == 1, r.stderr  # sources found
    results = tmp_path / "match.json"
    results.write_text(r.stdout, encoding="utf-8")
    out = tmp_path / "learned.tsv"
    r = cli_runner.invoke(cli, ["learn", "--no-config", "--db", db, "--from-match", str(results), "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    assert ("foreseen", "expected") in {(e.spun, e.canonical) for e in read_tsv(out)}


def test_learn_mines_pairs_inside_the_archive_in_the_right_direction(tmp_path, corpus, cli_runner):
    db, copies, _ = corpus
    r = cli_runner.invoke(cli, ["archive", "add", "--db", db, *copies])
    assert r.exit_code == 0, r.stderr
    out = tmp_path / "learned.tsv"
    r = cli_runner.invoke(cli, ["learn", "--no-config", "--db", db, "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    pairs = {(e.spun, e.canonical) for e in read_tsv(out)}
    assert ("foreseen", "expected") in pairs
    assert ("expected", "foreseen") not in pairs


def test_bad_match_file_is_one_line_and_exit_2(tmp_path, cli_runner):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    r = cli_runner.invoke(cli, ["learn", "--no-config", "--from-match", str(bad), "--from-match",
                                str(tmp_path / "missing.json")])
    assert r.exit_code == 2
    errs = [ln for ln in r.stderr.splitlines() if "error" in ln]
    assert len(errs) == 2 and "not valid JSON" in errs[0] and "no such file" in errs[1]
    assert "Traceback" not in r.stderr


# --- independent evidence, clean text, a review file people can read ---------------------------------

def test_two_copies_of_one_story_are_not_independent_evidence():
    m = SubstitutionMiner()
    for copy in ("copy-a", "copy-b"):  # two spun copies of one original
        m.add(copy, "squeeze", "press", source_key="story-1")
        m.add(copy, "money related emergency", "financial crisis", source_key="story-1")
    m.add("copy-c", "money related emergency", "financial crisis", source_key="story-2")
    trusted, review = m.entries()
    assert [e.spun for e in trusted] == ["money related emergency"]
    assert "copies of only 1 original" in {e.spun: e.reason for e in review}["squeeze"]
    assert trusted[0].sources == 2 and trusted[0].why.startswith("3 sightings in 3 copies of 2 originals")


def test_a_swap_that_occurs_in_clean_originals_is_never_trusted():
    m = SubstitutionMiner()
    for copy, src in (("c1", "s1"), ("c2", "s2"), ("c3", "s3")):
        m.add(copy, "squeeze", "press", source_key=src)
    m.add_clean_text("o9", "The budget squeeze hit schools this year.")
    trusted, review = m.entries()
    assert trusted == [] and "fires on clean text" in review[0].reason
    # the copies' own words do not count as clean text
    m2 = SubstitutionMiner()
    for copy, src in (("c1", "s1"), ("c2", "s2")):
        m2.add(copy, "squeeze secretary", "press secretary", source_key=src)
    m2.add_clean_text("c1", "The squeeze secretary spoke.")
    assert [e.spun for e in m2.entries()[0]] == ["squeeze secretary"]


def test_front_matter_examples_are_the_field_value():
    from unspin.match.learn import _sentence_around

    text = '---\ntitle: "Squeeze secretary quits after row"\nprovider:\n  name: X\n---\n\nBody text here.\n'
    i = text.index("Squeeze")
    assert _sentence_around(text, i, i + 7) == "Squeeze secretary quits after row"


def test_learn_with_nothing_to_learn_explains_and_writes_nothing(tmp_path, fixtures, cli_runner):
    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    r = cli_runner.invoke(cli, ["archive", "add", "--db", db, str(fixtures / "examples" / "originals")])
    assert r.exit_code == 0, r.stderr
    out = tmp_path / "learned.tsv"
    out.write_text("kept\n")
    r = cli_runner.invoke(cli, ["learn", "--no-config", "--db", db, "-o", str(out)])
    assert r.exit_code == 2
    assert "nothing to learn from" in r.stderr and "unspin learn --db URL copies/" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert out.read_text() == "kept\n"  # the user's file is not replaced by an empty lexicon
