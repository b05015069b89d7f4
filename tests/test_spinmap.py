"""US202 spinner-vocabulary: word swaps learned from the lexicons, judged in context."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evaluation import datasets as ds
from unspin.analysis import Context, analyze
from unspin.config import Config
from unspin.detect import spinmap
from unspin.text import MatchStream

REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "models" / "spinmap" / "spinmap.json"
ONLY = Context(config=Config(select=("US202",)))


def us202(text: str):
    return [f for f in analyze(ds.make_document(text, "t.txt"), ONLY).findings if f.rule == "US202"]


def test_flags_a_known_swap_and_suggests_the_original():
    (f,) = us202("Police used facial acknowledgment software at the stadium.")
    assert f.text == "acknowledgment"
    assert f.suggestions[0].text == "recognition"
    assert f.evidence["replaced"] == "acknowledgment"
    assert f.evidence["score"] >= f.evidence["threshold"]
    assert 0.5 <= f.confidence <= 1.0


def test_a_multi_word_swap_is_one_finding_over_the_whole_run():
    found = us202("Unemployment soared in the years after the money related emergency of 2008.")
    assert [(f.text, f.suggestions[0].text) for f in found] == [("money related emergency", "financial crisis")]


def test_the_same_words_in_their_ordinary_sense_are_not_flagged():
    assert us202("Police used facial recognition software at the stadium.") == []
    assert us202("The letter was an acknowledgment that mistakes had been made.") == []
    assert us202("The kitten had fluffy white fur and slept on the sofa all afternoon.") == []
    assert us202("The settlement was reached after three days of talks.") == []


def test_select_and_ignore_reach_each_generic_rule():
    text = "Police used facial acknowledgment software at the stadium."
    doc = ds.make_document(text, "t.txt")
    rules = {f.rule for f in analyze(doc, Context(config=Config(select=("US2",), ignore=("US201",)))).findings}
    assert rules == {"US202"}
    rules = {f.rule for f in analyze(doc, Context(config=Config(select=("US2",), ignore=("US202",)))).findings}
    assert rules == {"US201"}
    assert us202(text)  # selecting the one code runs it (the generic block is not gated on "US2")


def test_case_follows_the_text():
    (f,) = us202("Facial acknowledgment software was used by police at the stadium gates.")
    assert (f.text, f.suggestions[0].text) == ("acknowledgment", "recognition")
    (f,) = us202("Police used FACIAL ACKNOWLEDGMENT software at the stadium.") or (None,)
    assert f is None  # all-capitals words are not judged (headlines, acronyms)


def test_tree_scorer_walks_leaves_in_place():
    """A two-leaf stump stored the way build_spinmap.export_trees writes it."""
    m = spinmap.SpinMap({"pairs": {"a": [["b", 1]]}, "weights": {
        "features": ["gain"], "baseline": 0.5, "depth": 3, "roots": [0],
        "feature": [0, 0, 0], "split": [1.0, 0.0, 0.0], "left": [1, 1, 2], "right": [2, 1, 2],
        "value": [0.0, -2.0, 3.0]}})
    assert m.score([{"gain": 0.0}, {"gain": 1.0}, {"gain": 5.0}]).tolist() == [-1.5, -1.5, 3.5]


def test_shipped_table_is_learned_from_the_screener_train_split_only():
    data = json.loads(MODEL.read_text(encoding="utf-8"))
    assert "CC BY 4.0" in data["about"]
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import build_spinmap
    finally:
        sys.path.remove(str(REPO / "scripts"))
    rows = build_spinmap.read_rows()
    screener = [r for r in rows if "split_key" in r]
    assert len(screener) > 1000 and all(ds.pps_split(r["split_key"]) == "train" for r in screener)
    assert set(data["weights"]["features"]) == set(spinmap.FEATURES)


@pytest.mark.slow
def test_rebuild_reproduces_the_shipped_model(tmp_path):
    """scripts/build_spinmap.py gives models/spinmap/spinmap.json byte for byte. It depends on the
    generic model's tables (LM levels, vocabulary, synonyms): rebuild it when they change."""
    dest = tmp_path / "spinmap.json"
    subprocess.run([sys.executable, str(REPO / "scripts" / "build_spinmap.py"), "--out", str(dest)],
                   check=True, capture_output=True)
    assert dest.read_bytes() == MODEL.read_bytes()


def test_a_multi_word_key_does_not_match_across_punctuation():
    smap = spinmap.load_spinmap()
    key = next(k for k in smap.pairs if k.count(" ") == 1 and k.replace(" ", "").isalpha())
    a, b = key.split()
    for sep in (", ", " - ", "/", "; "):
        text = f"The report listed {a}{sep}{b} and other items in its annex."
        d = ds.make_document(text, "t.txt")
        got = spinmap.candidates(d, MatchStream(d.text, d.segments), smap)
        assert all(c["key"] != key for c in got), (sep, [c["key"] for c in got])
    d = ds.make_document(f"The report listed {a} {b} and other items in its annex.", "t.txt")
    assert any(c["key"] == key for c in spinmap.candidates(d, MatchStream(d.text, d.segments), smap))


@given(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 12)), max_size=12),
       st.lists(st.tuples(st.integers(0, 60), st.integers(0, 12)), max_size=12))
def test_overlap_filter_equals_the_pairwise_definition(earlier, new):
    from unspin.analysis import _not_taken
    from unspin.model import Finding

    def fs(spans):
        return [Finding(rule="US201", start=s, end=s + n, line=1, column=1, text="x", message="m")
                for s, n in spans]

    kept = _not_taken(fs(new), fs(earlier))
    want = [f for f in fs(new) if not any(f.start < s + n and s < f.end for s, n in earlier)]
    assert [(f.start, f.end) for f in kept] == [(f.start, f.end) for f in want]


def test_concurrent_documents_give_the_same_findings_as_one_at_a_time(monkeypatch):
    """The generic model's token tables grow and reset while documents come in; threads must not
    interleave those steps (a small table size forces resets during the run)."""
    from concurrent.futures import ThreadPoolExecutor

    from unspin.detect import generic

    texts = [f"Report {k}: police used facial acknowledgment software near gate {k}. The money related "
             f"emergency of 2008 hit item{k} and term{k * 7} hard. A counterfeit neural organization "
             f"sorted word{k * 13} samples." for k in range(40)]
    ctx = Context(config=Config(select=("US2",)))

    def run(t):
        r = analyze(ds.make_document(t, "t.txt"), ctx)  # the scorer's context tables run too
        return [(f.rule, f.start, f.end, f.suggestions[0].text) for f in r.findings] + [round(r.score, 9)]

    from unspin.detect import context_lm

    monkeypatch.setattr(generic, "CACHE_MAX", 300)
    monkeypatch.setattr(context_lm, "CACHE_MAX", 300)
    one_at_a_time = [run(t) for t in texts]
    with ThreadPoolExecutor(max_workers=6) as pool:
        together = list(pool.map(run, texts * 3))
    assert together == one_at_a_time * 3
    assert any(one_at_a_time)


def test_a_cached_split_is_not_reused_after_the_type_table_was_reset():
    from unspin.detect import generic, words

    m = generic.load_model()
    d = ds.make_document("A counterfeit neural organization was trained on the images.", "t.txt")
    stream = MatchStream(d.text, d.segments)
    before = [c["key"] for c in spinmap.candidates(d, stream, spinmap.load_spinmap())]
    with m.lock:
        m._reset_types()
        words.split(m, ds.make_document("other words entirely here", "o.txt"),
                       MatchStream("other words entirely here", ds.make_document("other words entirely here",
                                                                                 "o.txt").segments))
    assert [c["key"] for c in spinmap.candidates(d, stream, spinmap.load_spinmap())] == before
    assert before


@pytest.mark.parametrize("code", ["US101", "US102", "US201", "US202"])
def test_each_rule_flags_its_own_example_when_selected_alone(code):
    """`unspin rules` shows an example and the fixed wording: the rule must flag the one and not the
    other, also when it is the only rule selected (a family prefix such as "US1" is not needed)."""
    from unspin.rules import get_rule

    rule = get_rule(code)
    ctx = Context(config=Config(select=(code,)))
    assert {f.rule for f in analyze(ds.make_document(rule.example, "t.txt"), ctx).findings} == {code}
    assert analyze(ds.make_document(rule.instead, "t.txt"), ctx).findings == ()
