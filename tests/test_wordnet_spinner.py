"""The WordNet evaluation spinner: deterministic, offsets right, inflection and case kept."""

from __future__ import annotations

import random

from evaluation.wordnet_spinner import WordNetSpinner, load_wordnet, regular_inflection

TEXT = (
    "Police used facial recognition software at the stadium on Saturday. The officers said the "
    "cameras helped them find several suspects, and the chief praised the results. Critics warned "
    "that the technology makes mistakes and that innocent people could be stopped."
)


def test_deterministic_and_offsets():
    sp = WordNetSpinner()
    a = sp.spin(TEXT, 0.3, random.Random(3))
    b = sp.spin(TEXT, 0.3, random.Random(3))
    assert a == b
    assert a.substitutions and a.text != TEXT
    for s in a.substitutions:
        assert a.text[s.start:s.end] == s.replacement
        assert s.original in TEXT
        assert s.original.lower() != s.replacement.lower()


def test_rate_controls_amount():
    sp = WordNetSpinner()
    few = sp.spin(TEXT, 0.1, random.Random(1))
    many = sp.spin(TEXT, 0.6, random.Random(1))
    assert len(few.substitutions) < len(many.substitutions)
    assert sp.spin(TEXT, 0.0, random.Random(1)).text == TEXT


def test_synonyms_come_from_wordnet_and_keep_case():
    wn = load_wordnet()
    sp = WordNetSpinner(phrase_rate=0.0)
    r = sp.spin(TEXT, 0.5, random.Random(5))
    for s in r.substitutions:
        assert s.original[0].isupper() == s.replacement[0].isupper()
        o = s.original.lower()
        options = set()
        for lemma, pos, tag in wn.analyses(o):
            options |= {wn.inflect(x, pos, tag) for x in wn.synonyms(lemma, pos)}
        assert s.replacement.lower() in options


def test_names_and_numbers_left_alone():
    text = "On Monday Alice Johnson paid 300 dollars in Paris."
    r = WordNetSpinner().spin(text, 1.0, random.Random(2))
    for s in r.substitutions:
        assert s.original not in ("Alice", "Johnson", "Paris", "300", "Monday", "in", "On")


def test_inflection():
    wn = load_wordnet()
    assert ("acknowledgment", "n", "pl") in wn.analyses("acknowledgments")
    assert wn.inflect("recognition", "n", "pl") == "recognitions"
    assert wn.inflect("child", "n", "pl") == "children"
    assert wn.inflect("press release", "n", "pl") == "press releases"
    assert regular_inflection("stop", "ed") == "stopped"
    assert regular_inflection("carry", "s") == "carries"
    assert "squeeze" in wn.synonyms("press")
