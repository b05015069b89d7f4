"""Text-quality normalisation: US401-US404 findings and normalise_text for the archive."""

from __future__ import annotations

import pytest

from unspin.detect.normalise import diff_spans, normalisation_findings, normalise_text
from unspin.document import parse_text
from unspin.findings import FindingBuilder


def findings(text: str, kind: str = "text"):
    doc = parse_text(text, "a.md" if kind == "markdown" else "a.txt", kind)[0]
    return normalisation_findings(doc, FindingBuilder(doc))


# (rule, damaged text, the span flagged, the repair suggested)
CASES = [
    ("US401", "The minister said she didnâ€™t know.", "didnâ€™t", "didn’t"),
    ("US401", "Prices rose to Â£5 a bag at the CafÃ©.", "CafÃ©.", "Café."),
    ("US402", "The cafe\u0301 opened on Monday.", "cafe\u0301", "café"),
    ("US403", "The com\u200bpany said profits rose.", "com\u200bpany", "company"),
    ("US403", "Shares fell\x07 sharply.", "fell\x07", "fell"),
    ("US404", "The  council voted on Monday.", "  ", " "),
    ("US404", "The council voted.   \nThen it rose.", "   ", ""),
]


@pytest.mark.parametrize("rule,text,span,repair", CASES)
def test_each_rule_flags_and_repairs(rule, text, span, repair):
    found = [f for f in findings(text) if f.rule == rule]
    assert found, f"{rule} missed {text!r}"
    assert any(f.text == span and f.suggestions[0].text == repair for f in found), \
        [(f.text, f.suggestions[0].text) for f in found]
    assert all(f.suggestions[0].source == "normalise" for f in found)


@pytest.mark.parametrize("text", [
    "The café opened on Monday, and naïve buyers queued outside.",
    "The minister said she didn’t know. “Quotes” stay curly.",
    "End of sentence.  Two spaces after a full stop are a habit, not an artefact.",
    "Emoji with joiners stay: 👩\u200d🔬 is one glyph.",
])
def test_clean_text_has_no_findings(text):
    assert findings(text) == []


def test_markdown_layout_is_not_whitespace_noise():
    text = "Intro line.\n\n-   item one\n1.  first\n\n| a  | b |\n|----|---|\n\nA hard  \nbreak.\n"
    assert findings(text, "markdown") == []  # list markers, a table and a hard line break


def test_markdown_runs_inside_list_items_are_flagged():
    text = "Intro line.\n\n- item  one\n"
    assert [(f.rule, f.text) for f in findings(text, "markdown")] == [("US404", "  ")]


def test_code_and_front_matter_keys_are_left_alone():
    text = "---\ntitle: \"Good title\"\nslug: caf\u00c3\u00a9\n---\n\nBody text.\n\n```\nx  =  1\u200b\n```\n"
    assert findings(text, "markdown") == []


def test_normalise_text_repairs_everything_and_is_idempotent():
    text = "She didnâ€™t know.  \nThe com\u200bpany  said cafe\u0301 prices rose.\n"
    fixed = normalise_text(text)
    assert fixed == "She didn’t know.\nThe company said café prices rose.\n"
    assert normalise_text(fixed) == fixed


def test_normalise_text_returns_clean_text_unchanged():
    text = "A clean article.\n\nWith two paragraphs and a café.\n"
    assert normalise_text(text) == text


def test_diff_spans_widen_to_whole_words():
    old, new = "she didnâ€™t know", "she didn’t know"
    ((i1, i2, j1, j2),) = diff_spans(old, new)
    assert old[i1:i2] == "didnâ€™t" and new[j1:j2] == "didn’t"
