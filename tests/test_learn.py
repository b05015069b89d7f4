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
    assert ("foreseen", "expected") in learned and ("cautioned", "warned") in learned
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
