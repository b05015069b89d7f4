"""The fast n-gram counter of the archive-as-corpus (issue #16) gives ngram_key's buckets exactly."""

from __future__ import annotations

from collections import Counter

import pytest

from unspin.match.corpus import BUCKETS, _words, count_text, ngram_key, text_keys

TEXTS = [
    "The council voted 7 to 2 on Tuesday. Mayor Ortega said: \"We will look again.\"\n\nResidents asked why; "
    "the e-mail from the U.S. office (dated 3.5 weeks ago) didn't say.",
    "İstanbul's mayor met Zoë Ünal — café owners’ spokeswoman — in Straße 9; ǅemal and ﬁnn joined.",
    "one", "one two", "a. b c. d e f. g", "", "...", "x\r\n\r\ny z w", "snake_case words_here and more_of_them",
]


def _expected(text: str) -> tuple[Counter, list[int]]:
    c: Counter = Counter()
    totals = [0, 0, 0]
    for run in _words(text):
        for n in (1, 2, 3):
            grams = [ngram_key(run[i:i + n]) for i in range(len(run) - n + 1)]
            c.update(grams)
            totals[n - 1] += len(grams)
    return c, totals


@pytest.mark.parametrize("text", TEXTS)
def test_text_keys_are_the_buckets_of_every_ngram_within_a_run(text):
    keys, totals = text_keys(text)
    want, want_totals = _expected(text)
    assert Counter(keys.tolist()) == want and totals == want_totals
    assert count_text(text) == (want, want_totals)
    assert all(0 <= k < BUCKETS for k in keys.tolist())


def test_runs_break_at_sentence_punctuation_and_blank_lines_only():
    assert _words("Mr Smith's e-mail: sent. Then\n\nnew para, same run") == [
        ["mr", "smith's", "e-mail"], ["sent"], ["then"], ["new", "para", "same", "run"]]
