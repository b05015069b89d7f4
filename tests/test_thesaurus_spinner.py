"""The held-out evaluation spinner: phrase-first matching, case, rate, determinism and offsets."""

from __future__ import annotations

import random

import pytest

from evaluation.thesaurus_spinner import ThesaurusSpinner, is_content_word, load_thesaurus

TABLE = {
    ("facial", "recognition"): ("facial acknowledgment",),
    ("facial",): ("countenance",),
    ("recognition",): ("acknowledgment",),
    ("press", "secretary"): ("squeeze secretary",),
    ("police",): ("constabulary", "law enforcement"),
    ("cameras",): ("recorders",),
    ("trial",): ("experiment", "test"),
}


def spinner() -> ThesaurusSpinner:
    return ThesaurusSpinner(thesaurus=TABLE)


def test_multiword_rows_match_before_single_words():
    s = spinner().spin("Facial recognition cameras.", 1.0, random.Random(0))
    assert s.text == "Facial acknowledgment recorders."
    assert [x.original for x in s.substitutions] == ["Facial recognition", "cameras"]


def test_first_letter_keeps_its_case_and_offsets_point_into_spun_text():
    text = "Police said the trial of the Press secretary would go on. The police agreed."
    s = spinner().spin(text, 1.0, random.Random(3))
    assert s.text.startswith(("Constabulary said", "Law enforcement said"))
    for sub in s.substitutions:
        assert s.text[sub.start : sub.end] == sub.replacement
        assert sub.replacement[:1].isupper() == sub.original[:1].isupper()
    assert "Squeeze secretary" in s.text
    assert s.original == text and s.spinner == "thesaurus"


def test_punctuation_breaks_a_phrase_and_acronyms_are_left():
    s = spinner().spin("Facial, recognition. POLICE", 1.0, random.Random(0))
    assert s.text == "Countenance, acknowledgment. POLICE"


def test_rate_limits_the_number_of_replacements():
    text = " ".join(["police cameras trial"] * 20)
    low = spinner().spin(text, 0.1, random.Random(1))
    high = spinner().spin(text, 0.6, random.Random(1))
    assert len(low.substitutions) == 6  # 10% of 60 content words
    assert len(high.substitutions) == 36
    assert spinner().spin(text, 0.0, random.Random(1)).text == text


def test_deterministic_given_rng():
    text = " ".join(["police cameras trial"] * 20)
    a = spinner().spin(text, 0.3, random.Random(7))
    b = spinner().spin(text, 0.3, random.Random(7))
    c = spinner().spin(text, 0.3, random.Random(8))
    assert a == b
    assert a.text != c.text


def test_bad_rate_is_rejected():
    with pytest.raises(ValueError):
        spinner().spin("police", 1.5, random.Random(0))


def test_shipped_thesaurus_loads_and_spins_news_text():
    table = load_thesaurus()
    assert ("facial", "recognition") in table and len(table) > 1000
    text = ("The press secretary said the financial crisis had hit consumer spending, and police "
            "would use facial recognition cameras at the station during the trial.")
    s = ThesaurusSpinner().spin(text, 0.6, random.Random(0))
    assert s.substitutions
    for sub in s.substitutions:
        assert s.text[sub.start : sub.end] == sub.replacement
    assert is_content_word("recognition") and not is_content_word("the") and not is_content_word("NHS")
