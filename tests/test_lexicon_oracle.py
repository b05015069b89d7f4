"""The automaton against a brute-force oracle on random texts (hypothesis)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from unspin.detect.lexicon import Entry, Lexicon
from unspin.document import parse_text
from unspin.text import MatchStream

PHRASES = ["facial acknowledgment", "squeeze secretary", "money related emergency", "related emergency",
           "aid vector machine", "vector machine", "profound learning"]
FILLER = ["the", "a", "said", "on", "Tuesday", "facial", "secretary", "money", "learning", "machine", ",", ".",
          "aid", "vector", "emergency", "related", "squeeze", "profound", "acknowledgment"]
LEX = Lexicon([Entry(id=f"T{i}", spun=p, canonical="x", source="test") for i, p in enumerate(PHRASES)])


def oracle(text: str) -> list[tuple[int, int]]:
    """Every whole-word, case-insensitive occurrence; leftmost-longest, non-overlapping."""
    cands = []
    for p in PHRASES:
        pat = r"(?<![\w-])" + r"\s+".join(map(re.escape, p.split())) + r"(?![\w-])"
        cands += [(m.start(), m.end()) for m in re.finditer(pat, text, re.I)]
    cands.sort(key=lambda t: (t[0], -(t[1] - t[0])))
    out, last = [], -1
    for s, e in cands:
        if s >= last:
            out.append((s, e))
            last = e
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(FILLER + PHRASES), st.sampled_from([" ", "  ", "\n", " "])),
                min_size=1, max_size=40),
       st.booleans())
def test_automaton_agrees_with_brute_force(parts, upper):
    text = "".join(w + sep for w, sep in parts)
    if upper:
        text = text.title()
    doc = parse_text(text, "t.txt", "text")[0]
    if not doc.segments:
        return
    # one paragraph only: the oracle does not know about paragraph barriers
    text = doc.text
    if "\n\n" in text or "\n \n" in text:
        return
    got = [(h.start, h.end) for h in LEX.find(MatchStream(text, doc.segments))]
    assert got == oracle(text)
