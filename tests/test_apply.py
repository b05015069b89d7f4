"""Applying edits: ranking, case, inflection, a/an, front matter safety, diffs and safe writes."""

from __future__ import annotations

import os
import stat

import pytest

from unspin.analysis import FindingBuilder
from unspin.document import parse_text
from unspin.model import Suggestion
from unspin.rewrite.apply import FileChangedError, apply_edits, encode_like, unified_diff, write_if_unchanged
from unspin.rewrite.inflect import indefinite_article, inflect, inflect_like
from unspin.rewrite.suggest import plan_edits, ranked_suggestions


def doc_of(text: str, kind: str = "text"):
    return parse_text(text, "a.md" if kind == "markdown" else "a.txt", kind)[0]


def finding(doc, phrase: str, *suggestions: tuple[str, str], rule: str = "US101", confidence: float = 0.9,
            occurrence: int = 0):
    start = -1
    for _ in range(occurrence + 1):
        start = doc.text.index(phrase, start + 1)
    fb = FindingBuilder(doc)
    return fb.make(rule, start, start + len(phrase), "spun", [Suggestion(t, s) for t, s in suggestions],
                   confidence)


def rewrite(text: str, *specs, kind: str = "text") -> str:
    doc = doc_of(text, kind)
    findings = [finding(doc, *spec) if isinstance(spec, tuple) and isinstance(spec[1], tuple) else spec
                for spec in specs]
    return apply_edits(doc, plan_edits(findings)).text


# --- ranking -----------------------------------------------------------------------------------------

def test_source_beats_lexicon_beats_generic():
    doc = doc_of("The money related emergency hit banks.")
    lex = finding(doc, "money related emergency", ("monetary crisis", "lexicon"))
    gen = finding(doc, "money related emergency", ("cash crisis", "generic"), rule="US201", confidence=0.99)
    src = finding(doc, "money related emergency", ("financial crisis", "source"), rule="US301", confidence=0.7)
    ranked = ranked_suggestions([gen, lex, src])
    assert [(s.text, s.source) for s in ranked] == [
        ("financial crisis", "source"), ("monetary crisis", "lexicon"), ("cash crisis", "generic")]
    (edit,) = plan_edits([gen, lex, src])
    assert edit.suggestion.source == "source" and edit.rule == "US301"
    assert [s.source for s in edit.alternatives] == ["lexicon", "generic"]


def test_overlapping_findings_keep_the_best_evidenced_span():
    doc = doc_of("The money related emergency hit banks.")
    short = finding(doc, "money related", ("financial", "lexicon"))
    long = finding(doc, "money related emergency", ("financial crisis", "source"), rule="US301")
    edits = plan_edits([short, long])
    assert [(e.original, e.suggestion.text) for e in edits] == [("money related emergency", "financial crisis")]
    assert apply_edits(doc, edits).text == "The financial crisis hit banks."


def test_select_and_min_confidence_choose_what_is_applied():
    doc = doc_of("The huge firm made a gigantic loss.")
    a = finding(doc, "huge", ("big", "lexicon"), rule="US101", confidence=0.95)
    b = finding(doc, "gigantic", ("large", "generic"), rule="US201", confidence=0.4)
    assert [e.original for e in plan_edits([a, b], select=("US1",))] == ["huge"]
    assert [e.original for e in plan_edits([a, b], ignore=("US1",))] == ["gigantic"]
    assert [e.original for e in plan_edits([a, b], min_confidence=0.5)] == ["huge"]


def test_a_suggestion_equal_to_the_text_is_not_an_edit():
    doc = doc_of("The firm grew.")
    assert plan_edits([finding(doc, "firm", ("firm", "lexicon"))]) == []


# --- natural replacements ----------------------------------------------------------------------------

@pytest.mark.parametrize("text,phrase,sugg,source,expected", [
    ("Facial acknowledgment is used.", "Facial acknowledgment", "facial recognition", "lexicon",
     "Facial recognition is used."),
    ("FACIAL ACKNOWLEDGMENT IS USED.", "FACIAL ACKNOWLEDGMENT", "facial recognition", "lexicon",
     "FACIAL RECOGNITION IS USED."),
    ("Police scratched the data.", "scratched", "scrape", "lexicon", "Police scraped the data."),
    ("Two organizations objected.", "organizations", "agency", "lexicon", "Two agencies objected."),
    ("Two organizations objected.", "organizations", "agencies", "source", "Two agencies objected."),
    ("Banks are stopping loans.", "stopping", "halt", "generic", "Banks are halting loans."),
    ("Two money related emergencies.", "money related emergencies", "financial crisis", "lexicon",
     "Two financial crises."),
    ("Squeeze secretary Jo Li spoke.", "Squeeze secretary", "press secretary", "source",
     "Press secretary Jo Li spoke."),
    ("He met the Reuters desk.", "Reuters desk", "Reuters news desk", "source", "He met the Reuters news desk."),
])
def test_case_and_inflection(text, phrase, sugg, source, expected):
    assert rewrite(text, (phrase, (sugg, source))) == expected


@pytest.mark.parametrize("text,phrase,sugg,expected", [
    ("It was a huge loss.", "huge", "enormous", "It was an enormous loss."),
    ("It was an enormous loss.", "enormous", "big", "It was a big loss."),
    ("An enormous loss.", "enormous", "big", "A big loss."),
    ("It took an age.", "age", "hour", "It took an hour."),
    ("She was a member.", "member", "MP", "She was an MP."),
    ("It was a plan.", "plan", "one-off", "It was a one-off."),
    ("It was an idea for a unique scheme.", "idea", "university plan", "It was a university plan for a unique "
                                                                        "scheme."),
])
def test_article_agreement(text, phrase, sugg, expected):
    assert rewrite(text, (phrase, (sugg, "lexicon"))) == expected


@pytest.mark.parametrize("base,form,expected", [
    ("scrape", "ed", "scraped"), ("stop", "ed", "stopped"), ("carry", "ed", "carried"), ("go", "ed", "went"),
    ("agency", "s", "agencies"), ("crisis", "s", "crises"), ("box", "s", "boxes"), ("make", "ing", "making"),
    ("run", "ing", "running"), ("visit", "ed", "visited"),
])
def test_inflect(base, form, expected):
    assert inflect(base, form) == expected


def test_inflect_like_leaves_inflected_replacements_alone():
    assert inflect_like("scratched", "scraped") == "scraped"
    assert inflect_like("organizations", "agencies") == "agencies"
    assert inflect_like("acknowledgment", "recognition") == "recognition"
    assert inflect_like("thing", "item") == "item"  # "thing" is not an -ing form


@pytest.mark.parametrize("word,article", [
    ("hour", "an"), ("university", "a"), ("apple", "an"), ("MP", "an"), ("UN", "a"),
    ("European", "a"), ("8", "an"), ("11-day", "an"), ("honest", "an"), ("umbrella", "an"), ("one", "a"),
    ("Nato", "a"), ("FBI", "an"), ("unusual", "an"),
])
def test_indefinite_article(word, article):
    assert indefinite_article(word) == article


# --- documents ---------------------------------------------------------------------------------------

def test_front_matter_changes_only_prose_fields_and_only_when_yaml_safe():
    text = ('---\ntitle: "Police widen facial acknowledgment trial"\nslug: facial-acknowledgment\n'
            'excerpt: A squeeze secretary spoke\n---\n\nThe squeeze secretary said so.\n')
    doc = doc_of(text, "markdown")
    f1 = finding(doc, "facial acknowledgment", ("facial recognition", "lexicon"))
    f2 = finding(doc, "squeeze secretary", ("press \"secretary\"", "lexicon"))  # needs quoting: skipped
    f3 = finding(doc, "squeeze secretary", ("press secretary", "lexicon"), occurrence=1)
    result = apply_edits(doc, plan_edits([f1, f2, f3]))
    assert result.text == ('---\ntitle: "Police widen facial recognition trial"\nslug: facial-acknowledgment\n'
                           'excerpt: A squeeze secretary spoke\n---\n\nThe press secretary said so.\n')
    assert len(result.skipped) == 1 and "YAML" in result.skipped[0][1]


def test_html_replacements_are_escaped():
    doc = doc_of("<p>The huge firm.</p>", "html")
    f = finding(doc, "huge", ("big & bold", "lexicon"))
    assert apply_edits(doc, plan_edits([f])).text == "<p>The big &amp; bold firm.</p>"


def test_stale_edit_is_skipped_not_misapplied():
    doc = doc_of("The huge firm.")
    f = finding(doc, "huge", ("big", "lexicon"))
    other = doc_of("The vast firm.")
    result = apply_edits(other, plan_edits([f]))
    assert result.text == "The vast firm." and result.skipped


def test_unified_diff():
    d = unified_diff("x.md", "one\ntwo\n", "one\n2\n")
    assert d.startswith("--- a/x.md\n+++ b/x.md\n") and "-two\n+2\n" in d
    assert unified_diff("x.md", "same", "same") == ""
    assert "\\ No newline at end of file" in unified_diff("x.md", "a", "b")


@pytest.mark.parametrize("original", [b"plain", b"\xef\xbb\xbfbom", "\ufeffutf16".encode("utf-16")])
def test_encode_like_keeps_the_encoding(original):
    from unspin.document import decode

    text = decode(original)
    assert encode_like(original, text) == original


# --- safe writes -------------------------------------------------------------------------------------

def test_write_keeps_mode(tmp_path):
    p = tmp_path / "a.md"
    p.write_bytes(b"old")
    os.chmod(p, 0o640)
    write_if_unchanged(p, b"old", b"new")
    assert p.read_bytes() == b"new"
    assert stat.S_IMODE(p.stat().st_mode) == 0o640


def test_changed_file_is_not_overwritten(tmp_path):
    p = tmp_path / "a.md"
    p.write_bytes(b"someone else's edit")
    with pytest.raises(FileChangedError):
        write_if_unchanged(p, b"old", b"new")
    assert p.read_bytes() == b"someone else's edit"


@pytest.mark.parametrize("target", ["os.replace", "os.fsync", "os.chmod"])
def test_fault_between_write_and_rename_leaves_the_file_whole(tmp_path, monkeypatch, target):
    p = tmp_path / "a.md"
    original = b"the original article\n" * 100
    p.write_bytes(original)

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    module, name = target.split(".")
    monkeypatch.setattr(os, name, boom)
    with pytest.raises(OSError):
        write_if_unchanged(p, original, b"new text")
    monkeypatch.undo()
    assert p.read_bytes() == original
    assert [q.name for q in tmp_path.iterdir()] == ["a.md"]  # no temporary file left behind


# --- the evaluation's rewrite score ------------------------------------------------------------------

def test_score_rewrite_counts_exact_restorations_and_word_distance():
    from unspin.evaluation.rewriting import score_rewrite
    from unspin.evaluation.spinner import Substitution

    original = "The press secretary said profits fell sharply."
    spun = "The squeeze secretary said benefits fell sharply."
    subs = [Substitution(4, 11, "press", "squeeze"), Substitution(27, 35, "profits", "benefits")]
    assert spun[4:11] == "squeeze" and spun[27:35] == "benefits"
    good = score_rewrite(original, spun, original, subs, [])
    assert (good.restored, good.dist_before, good.dist_after, good.words) == (2, 2, 0, 7)
    half = score_rewrite(original, spun, "The press secretary said gains fell sharply.", subs, [])
    assert (half.restored, half.dist_after) == (1, 1)
    case = score_rewrite(original, spun, "The Press secretary said profits fell sharply.", subs, [])
    assert case.restored == 1  # restoration is case-sensitive
