"""The compiled lexicon table (data/lexicon/compiled.json) and the dict scan for short documents.

The table must stay in sync with data/lexicon/*.tsv (rebuild with scripts/build_lexicon_table.py),
and every way of loading and matching must give the same findings as compiling the TSVs.
"""

from __future__ import annotations

import gc
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unspin.detect import lexicon as L
from unspin.detect.lexicon import Entry, EntryTable, Lexicon, read_tsv
from unspin.document import load_documents, parse_text
from unspin.text import MatchStream

REPO = Path(__file__).resolve().parent.parent
LEXICON_DIR = REPO / "data" / "lexicon"


def shipped_files() -> list[Path]:
    return sorted(LEXICON_DIR.glob("*.tsv"))


@pytest.fixture(scope="module")
def table():
    t = L.load_table(shipped_files())
    assert t is not None, "data/lexicon/compiled.json is missing or stale: run scripts/build_lexicon_table.py"
    return t


@pytest.fixture(scope="module")
def compiled_from_tsv() -> Lexicon:
    return Lexicon.from_files(shipped_files())


def automaton_only(lexicon: Lexicon) -> Lexicon:
    lexicon._dict_scan_left = 0
    return lexicon


def hits(lexicon: Lexicon, text: str, kind: str = "text") -> list[tuple[int, int, Entry]]:
    doc = parse_text(text, "t." + {"text": "txt", "markdown": "md"}[kind], kind)[0]
    return [(h.start, h.end, h.entry) for h in lexicon.find(MatchStream(doc.text, doc.segments))]


def test_shipped_table_is_in_sync_with_the_tsvs():
    """Fails after a lexicon edit (or a change to key normalisation) until the table is rebuilt."""
    built = L.dump_table(L.build_table(shipped_files()))
    assert L.table_path().read_text(encoding="utf-8") == built, (
        "data/lexicon/compiled.json is out of date: run python scripts/build_lexicon_table.py")


def test_build_script_is_deterministic_and_checks(tmp_path):
    script = REPO / "scripts" / "build_lexicon_table.py"
    out = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert L.dump_table(L.build_table(shipped_files())) == L.dump_table(L.build_table(shipped_files()))


def test_table_carries_the_screener_attribution(table):
    assert "CC BY 4.0" in table["attribution"] and "Problematic Paper Screener" in table["attribution"]
    notice = (LEXICON_DIR / "README.md").read_text(encoding="utf-8")
    assert "compiled.json" in notice


def test_default_lexicon_loads_the_table(table):
    lex = L.default_lexicon()
    assert isinstance(lex.entries, EntryTable)
    assert len(lex.entries) == len(table["entries"])


def test_table_entries_equal_the_tsv_rows(table, compiled_from_tsv):
    from_table = list(EntryTable(table["entries"]))
    assert from_table == list(compiled_from_tsv.entries)
    assert from_table == [e for p in shipped_files() for e in read_tsv(p)]
    lex = Lexicon.from_table(table)
    assert lex._keys == compiled_from_tsv._keys
    assert [i for i, _ in lex._proximity] == [i for i, _ in compiled_from_tsv._proximity]
    assert lex._first_words() == compiled_from_tsv._first_words()


def test_entry_table_indexing():
    rows = ["A\tx y\tz\t\tpps\t\t\t3", "B\tp q\tr\t\tunspin-news\tbad\tgood\t0"]
    extra = [Entry(id="C", spun="s t", canonical="u")]
    t = EntryTable(rows, extra)
    assert len(t) == 3
    assert t[0] == Entry("A", "x y", "z", "", "pps", "", "", 3)
    assert t[0] is t[0]
    assert t[-1] is extra[0] and t[1].example_good == "good"
    assert [e.id for e in t[1:]] == ["B", "C"]
    with pytest.raises(IndexError):
        t[3]
    with pytest.raises(IndexError):
        t[-4]


def test_stale_or_broken_table_is_ignored(tmp_path, table):
    files = []
    for p in shipped_files():
        shutil.copy(p, tmp_path / p.name)
        files.append(tmp_path / p.name)
    good = tmp_path / "compiled.json"
    good.write_text(L.table_path().read_text(encoding="utf-8"), encoding="utf-8")
    assert L.load_table(files, good) == table
    with open(files[0], "a", encoding="utf-8") as fh:  # an edited lexicon: same rows plus one
        fh.write("NEWS-9999\tpurple elephant\tgrey elephant\t\tunspin-news\t\t\n")
    assert L.load_table(files, good) is None
    assert L.load_table(files[:1], good) is None  # a file fewer
    assert L.load_table(shipped_files(), tmp_path / "missing.json") is None
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert L.load_table(shipped_files(), bad) is None
    old = tmp_path / "old.json"
    old.write_text('{"format": 0}', encoding="utf-8")
    assert L.load_table(shipped_files(), old) is None


def test_default_lexicon_falls_back_to_the_tsvs_when_the_table_is_stale(monkeypatch, tmp_path):
    monkeypatch.setattr(L, "table_path", lambda: tmp_path / "missing.json")
    L.default_lexicon.cache_clear()
    try:
        lex = L.default_lexicon()
        assert isinstance(lex.entries, list)
        assert hits(lex, "The facial acknowledgment system.")
    finally:
        L.default_lexicon.cache_clear()


def sample_texts() -> list[tuple[str, str]]:
    """Fixture articles, the news rows' examples, and screener phrases in sentences."""
    docs, _ = load_documents([str(REPO / "fixtures")])
    out = [(d.text, d.kind if d.kind in ("text", "markdown") else "text") for d in docs]
    news = read_tsv(LEXICON_DIR / "news.tsv")
    out += [(e.example_bad, "text") for e in news] + [(e.example_good, "text") for e in news]
    pps = read_tsv(LEXICON_DIR / "pps-lexicon-half.tsv")
    rng = random.Random(7)
    for _ in range(200):
        picks = rng.sample(pps, 6)
        words = " ".join(f"The {e.spun.upper() if rng.random() < 0.2 else e.spun} was, in short," for e in picks)
        out.append((words + " deep learning and a neural network.", "text"))
    return out


def test_every_loading_and_matching_path_gives_the_same_hits(table, compiled_from_tsv):
    from_tsv = automaton_only(Lexicon.from_files(shipped_files()))
    table_automaton = automaton_only(Lexicon.from_table(table))
    table_dict_scan = Lexicon.from_table(table)
    table_dict_scan._dict_scan_left = sys.maxsize
    for text, kind in sample_texts():
        want = hits(from_tsv, text, kind)
        assert hits(table_dict_scan, text, kind) == want
        assert hits(table_automaton, text, kind) == want
        assert hits(compiled_from_tsv, text, kind) == want  # dict scan, then the automaton once the budget is spent
    assert table_dict_scan._automaton is None and compiled_from_tsv._automaton is not None


def test_dict_scan_budget_then_automaton(table):
    lex = Lexicon.from_table(table)
    text = "The facial acknowledgment system. " * 100
    for _ in range(Lexicon.DICT_SCAN_CHARS // len(text) + 1):
        assert lex._automaton is None
        assert len(hits(lex, text)) == 100
    assert len(hits(lex, text)) == 100
    assert lex._automaton is not None


def test_extra_lexicon_on_top_of_the_table(tmp_path, table):
    extra = tmp_path / "learned.tsv"
    extra.write_text("id\tspun\tcanonical\tcondition\tsource\tcount\n"
                     "L1\tpurple elephant\tgrey elephant\t\tlearned-test\t4\n"
                     "L2\tfacial acknowledgment\tface recognition\t\tlearned-test\t2\n"
                     "L3\tvibrant elephant\tgrey elephant\t\"vibrant elephant\"~2\tlearned-test\t1\n", encoding="utf-8")
    want = automaton_only(Lexicon.from_files([*shipped_files(), extra]))
    got = Lexicon.from_table(table, read_tsv(extra))
    text = ("A purple elephant and the facial acknowledgment system; a vibrant grey elephant. "
            "Purple-elephant rows.")
    assert hits(got, text) == hits(want, text)
    assert {e.id for _, _, e in hits(got, text)} >= {"L1"}
    assert hits(automaton_only(Lexicon.from_table(table, read_tsv(extra))), text) == hits(want, text)
    assert table["keys"]["facial acknowledgment"] == want._keys["facial acknowledgment"][:1]  # table untouched


PHRASES = ["facial acknowledgment", "squeeze secretary", "money related emergency", "related emergency",
           "state-of-the-art", "state of the art method", "aid vector machine", "vector machine",
           "don't care", "x", "co-operation", "it's", "mr. smith", "u.s. army"]
FILLER = ["the", "a", "said", "on", "facial", "secretary", "money", "machine", ",", ".", "-", "—", "’", "'",
          "aid", "vector", "emergency", "related", "squeeze", "state", "of", "art", "method", "Co-Operation",
          "don’t", "care", "X", "it’s", "Mr.", "smith", "U.S.", "army", "¦"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(FILLER + PHRASES), st.sampled_from([" ", "  ", "\n", "", "\n\n"])),
                min_size=1, max_size=40),
       st.sampled_from(["text", "markdown"]))
def test_dict_scan_agrees_with_the_automaton(parts, kind):
    entries = [Entry(id=f"T{i}", spun=p, canonical="x", source="test") for i, p in enumerate(PHRASES)]
    text = "".join(w + sep for w, sep in parts)
    assert hits(Lexicon(entries), text, kind) == hits(automaton_only(Lexicon(entries)), text, kind)


def test_check_restores_the_garbage_collector(cli_runner, tmp_path):
    from unspin.cli import cli

    f = tmp_path / "a.md"
    f.write_text("# Title\n\nThe squeeze secretary said nothing.\n", encoding="utf-8")
    assert gc.isenabled()
    for args in (["check", "--no-generic", str(f)], ["check", "--no-generic", str(tmp_path / "missing.md")],
                 ["check", "--no-generic", "--lexicon", str(tmp_path / "nope.tsv"), str(f)]):
        cli_runner.invoke(cli, args)
        assert gc.isenabled(), args
    gc.disable()
    try:
        cli_runner.invoke(cli, ["check", "--no-generic", str(f)])
        assert not gc.isenabled()  # left as it was
    finally:
        gc.enable()
