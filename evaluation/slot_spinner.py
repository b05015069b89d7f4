"""Our own thesaurus spinner over the compiled reverse-thesaurus tables, split in two halves.

The slot detector (US203) reads ``models/thesaurus/`` backwards: for a word in the text, the words a
spinner could have replaced by it. This spinner reads the same pairs forwards (original -> spun
word) and only replaces originals of one *half* of the headwords: half "A" (the stable hash of the
original's WordNet lemma is even) spins the detector's TRAINING text (``scripts/build_slots.py``),
half "B" its EVALUATION text (``python -m evaluation.slots``). So the evaluation scores
restorations to headwords the combiner never saw as a restoration.

Caveat (stated with the numbers): the pairs come from the detector's own pruned table, so every
swap of this spinner is a pair the detector can propose; the hand-written thesaurus spinner
(``thesaurus_spinner.py``) has no such link and is reported beside it.
"""

from __future__ import annotations

import hashlib
import random
from functools import cache

from unspin.text import WORD_RE

from .spinner import SpunText, Substitution, keep_case
from .thesaurus_spinner import is_content_word


def half_of(word: str) -> str:
    """"A" or "B": the half of an original word form, by the stable hash of its WordNet lemma."""
    from .wordnet_spinner import load_wordnet

    wn = _wordnet(load_wordnet)
    got = wn.analyses(word)
    lemma = got[0][0] if got else word
    return "A" if hashlib.sha1(lemma.encode()).digest()[0] % 2 == 0 else "B"


_WN: list = []


def _wordnet(loader):
    if not _WN:
        _WN.append(loader())
    return _WN[0]


@cache
def forward_table() -> dict[str, tuple[str, ...]]:
    """{original word form: spun forms} from the shipped reverse table (every pair, both halves)."""
    import numpy as np

    from unspin.detect.generic import load_model
    from unspin.detect.slots import load_slot_model

    m = load_model()
    sm = load_slot_model()
    n = len(sm.n_cand)
    src = np.repeat(np.arange(n), sm.n_cand)  # the spun word (the key of the reverse table)
    dst = np.asarray(sm.cand_ids, dtype=np.int64)  # the original
    order = np.argsort(dst, kind="stable")
    out: dict[str, list[str]] = {}
    for o, s in zip(dst[order].tolist(), src[order].tolist(), strict=True):
        out.setdefault(m.word(o), []).append(m.word(s))
    return {k: tuple(v) for k, v in out.items()}


class SlotSpinner:
    """Replaces about ``rate`` of the content words by a thesaurus neighbour (half "A" or "B")."""

    def __init__(self, half: str):
        if half not in ("A", "B"):
            raise ValueError("half must be 'A' or 'B'")
        self.half = half
        self.name = f"thesaurus-{half}"
        self._half: dict[str, bool] = {}

    def _ok(self, word: str) -> bool:
        h = self._half.get(word)
        if h is None:
            h = self._half[word] = half_of(word) == self.half
        return h

    def spin(self, text: str, rate: float, rng: random.Random) -> SpunText:
        table = forward_table()
        tokens = [t for t in WORD_RE.finditer(text) if t.group()[:1].isalpha()]
        content = [t for t in tokens if is_content_word(t.group())]
        units = [t for t in content if t.group().lower() in table and (t.group().islower() or t.group()[1:].islower())
                 and self._ok(t.group().lower())]
        want = int(round(rate * len(content)))
        rng.shuffle(units)
        chosen = sorted(units[:want], key=lambda t: t.start())
        out: list[str] = []
        subs: list[Substitution] = []
        pos = length = 0
        for t in chosen:
            chunk = text[pos:t.start()]
            out.append(chunk)
            length += len(chunk)
            opts = table[t.group().lower()]
            repl = keep_case(t.group(), opts[rng.randrange(len(opts))])
            out.append(repl)
            subs.append(Substitution(length, length + len(repl), t.group(), repl))
            length += len(repl)
            pos = t.end()
        out.append(text[pos:])
        return SpunText(original=text, text="".join(out), substitutions=tuple(subs), spinner=self.name, rate=rate)
