"""The evaluation harness: metrics are computed from data, datasets follow the issue's splits."""

from __future__ import annotations

import random

import pytest

from evaluation import datasets as ds
from evaluation.detection import Analysed, counts_for
from evaluation.metrics import (
    auc,
    brier,
    expected_calibration_error,
    original_region,
    prior_weights,
    reliability,
    span_counts,
    weighted_brier,
    weighted_reliability,
)
from evaluation.spinner import Substitution
from evaluation.thesaurus_spinner import ThesaurusSpinner
from unspin.findings import FindingBuilder
from unspin.model import Finding, Suggestion


def _finding(doc_text: str, start: int, end: int, suggestion: str | None = None, rule: str = "US201") -> Finding:
    sugg = (Suggestion(suggestion, "generic"),) if suggestion else ()
    return Finding(rule, start, end, 1, start + 1, doc_text[start:end], "m", sugg)


def _spun_sample() -> ds.Sample:
    text = ("The press secretary said police would use facial recognition cameras at the station. "
            "The trial of the cameras begins next month, police said.")
    spun = ThesaurusSpinner().spin(text, 1.0, random.Random(4))
    assert len(spun.substitutions) >= 4
    return ds.Sample("t", "fixtures", "thesaurus", 1.0, spun.text, spun.substitutions)


def _analysed(sample: ds.Sample, findings: list[Finding]) -> Analysed:
    return Analysed(sample, len(sample.text.split()), 0.0, "clean", findings, findings)


def test_perfect_detector_scores_one_and_empty_detector_zero():
    s = _spun_sample()
    perfect = [_finding(s.text, x.start, x.end, x.original) for x in s.substitutions]
    c = counts_for([_analysed(s, perfect)], "all")
    assert c.recall == 1.0 and c.precision == 1.0 and c.f1 == 1.0 and c.suggestion_accuracy == 1.0
    empty = counts_for([_analysed(s, [])], "all")
    assert empty.recall == 0.0 and empty.precision is None and empty.findings == 0


def test_wrong_spans_and_wrong_suggestions_are_counted():
    s = _spun_sample()
    subs = s.substitutions
    first = subs[0]
    # one right span with a wrong suggestion, one span on unspun text ("The" at offset 0 is never spun)
    findings = [_finding(s.text, first.start, first.end, "nonsense"), _finding(s.text, 0, 3, "A")]
    c = counts_for([_analysed(s, findings)], "all")
    assert c.findings == 2 and c.true_findings == 1
    assert c.precision == 0.5
    assert c.recall == pytest.approx(1 / len(subs))
    assert c.suggestion_accuracy == 0.0


def test_a_finding_wider_than_the_substitution_is_judged_on_the_whole_phrase():
    original = "They use facial recognition here."
    spun = "They use facial acknowledgment here."
    subs = (Substitution(16, 30, "recognition", "acknowledgment"),)
    assert original_region(spun, original, subs, 9, 30) == "facial recognition"
    good = span_counts([_finding(spun, 9, 30, "facial recognition")], subs, 5, spun, original)
    bad = span_counts([_finding(spun, 9, 30, "recognition")], subs, 5, spun, original)
    assert good.suggestion_correct == 1 and bad.suggestion_correct == 0


def test_a_finding_narrower_than_the_substitution_is_judged_on_the_whole_substitution():
    original = "We use a fuzzy set and an ant colony here."
    spun = "We use a fluffy set and an insect settlement here."
    subs = (Substitution(9, 19, "fuzzy set", "fluffy set"), Substitution(27, 44, "ant colony", "insect settlement"))
    restored = span_counts([_finding(spun, 9, 15, "fuzzy")], subs, 11, spun, original)
    half = span_counts([_finding(spun, 34, 44, "colony")], subs, 11, spun, original)
    assert restored.suggestion_correct == 1 and half.suggestion_correct == 0
    assert restored.found_substitutions == half.found_substitutions == 1


def test_false_flags_per_thousand_words():
    c = span_counts([_finding("x" * 20, 0, 3), _finding("x" * 20, 5, 8)], (), 500)
    assert c.flags_per_1000_words == pytest.approx(4.0)
    assert c.recall is None


def test_auc_brier_and_reliability_from_data():
    assert auc([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0]) == 1.0
    assert auc([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0]) == 0.0
    assert auc([0.5, 0.5], [1, 0]) == 0.5
    assert auc([0.3, 0.4], [1, 1]) is None
    assert brier([1.0, 0.0], [1, 0]) == 0.0
    assert brier([0.5, 0.5], [1, 0]) == 0.25
    table = reliability([0.05, 0.15, 0.95, 0.91], [0, 0, 1, 0], bins=10)
    assert [b.count for b in table] == [1, 1, 0, 0, 0, 0, 0, 0, 0, 2]
    assert table[9].fraction_spun == 0.5
    assert expected_calibration_error(table) == pytest.approx((0.05 + 0.15 + 2 * abs(0.93 - 0.5)) / 4)


def test_prior_weighted_brier_and_reliability():
    labels = [1, 1, 1, 0]
    w = prior_weights(labels, 0.25)  # three spun, one clean -> spun weigh 1/4 together
    assert sum(w) == pytest.approx(1.0) and w[3] == pytest.approx(0.75)
    scores = [0.95, 0.95, 0.95, 0.05]
    assert weighted_brier(scores, labels, w) == pytest.approx(0.0025)
    assert weighted_brier(scores, labels, [1.0] * 4) == pytest.approx(brier(scores, labels))
    table = weighted_reliability([0.91, 0.95, 0.92, 0.93], labels, w, bins=10)
    assert table[9].count == 4 and table[9].fraction_spun == pytest.approx(0.25)
    assert prior_weights([0, 0], 0.5) == [1.0, 1.0]


def test_pps_split_is_by_canonical_phrase():
    rows = ds.read_pps_half()
    by_canon: dict[str, set[str]] = {}
    for r in rows:
        by_canon.setdefault(r["canonical_phrase"].strip().lower(), set()).add(ds.pps_split(r["canonical_phrase"]))
    assert all(len(v) == 1 for v in by_canon.values())
    splits = [ds.pps_split(r["canonical_phrase"]) for r in rows]
    assert 0.3 < splits.count("test") / len(splits) < 0.7


def test_train_lexicon_never_contains_a_test_phrase():
    from unspin.text import normalise_phrase

    lex = ds.train_lexicon()
    train_keys = {normalise_phrase(e.spun) for e in lex.entries}
    phrases = ds.unseen_phrase_set(limit=50)
    assert phrases.phrases == 50
    for sample in phrases.spun:
        for sub in sample.substitutions:
            assert sample.text[sub.start : sub.end] == sub.replacement
            assert normalise_phrase(sub.replacement) not in train_keys or sub.replacement == sub.original


def test_spun_samples_are_deterministic_and_offsets_hold():
    arts = ds.fixture_articles()
    assert len(arts) >= 40 and len({a.topic for a in arts}) >= 6
    a = arts[0]
    sp = ThesaurusSpinner()
    one, two = ds.spin_article(a, sp, 0.3, 0), ds.spin_article(a, sp, 0.3, 0)
    assert one == two and one.substitutions
    doc = one.document()
    assert doc.text == one.text
    for sub in one.substitutions:
        assert doc.text[sub.start : sub.end] == sub.replacement
    FindingBuilder(doc)  # offsets index the document text


def test_quick_evaluation_runs_on_a_tiny_subset_and_renders(monkeypatch):
    from evaluation import harness
    from evaluation.report import render

    tiny = harness.Plan(quick=True, rates=(0.3,), seeds_per_rate=1, fixtures_per_topic=1, wikinews=3,
                        reuters=3, unseen_phrases=12, spinners=("thesaurus",))
    monkeypatch.setattr(harness.Plan, "make", classmethod(lambda cls, quick, seed=0: tiny))
    res = harness.run(("detect", "score", "match"), quick=True)
    assert res.counts["spun_samples"] == res.counts["fixture_articles"] > 0
    rows = {(r["spinner"], r["detector"]): r["counts"] for r in res.spun_rows}
    total_subs = rows[("thesaurus", "all")].substitutions
    assert total_subs > 0 and rows[("thesaurus", "lexicon")].substitutions == total_subs
    assert res.unseen_phrases == 12 and res.unseen_rows
    assert {r["spinner"] for r in res.auc_rows} == {"thesaurus"}
    md = render(res, "unspin eval --quick")
    assert "# Evaluation" in md and "unspin eval --quick" in md and "## Unseen tortured phrases" in md
    assert "## Source matching" in md


def test_eval_command_is_registered(cli_runner):
    from unspin.cli import cli

    result = cli_runner.invoke(cli, ["eval", "--help"])
    assert result.exit_code == 0 and "--quick" in result.output and "--suite" in result.output
