"""A spinner driven by the project's hand-written thesaurus: the HELD-OUT spinner of the evaluation.

``data/eval/spinner-thesaurus.tsv`` has the columns ``word``, ``pos`` and ``replacements`` (separated
by ``|``). Keys are lower-case word forms (inflections are listed as their own rows) or multi-word
expressions ("facial recognition", "according to"); a word that appears under several parts of
speech gets the union of their replacements. Multi-word keys are matched before single words
(longest first), the first letter keeps its case, and about ``rate`` of the content words of the
text are replaced -- fewer when the thesaurus does not cover enough of them (``SpunText.rate`` is
the rate asked for; count ``substitutions`` for what was achieved).

The thesaurus was written for this project and never feeds a shipped model or the detectors'
training: it is the substitution source they are scored on without having seen it.
"""

from __future__ import annotations

import random
import re
from functools import cache
from pathlib import Path

from unspin.text import WORD_RE

from .spinner import SpunText, Substitution, keep_case

_STOP = frozenset("""
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had has
have having he her here hers herself him himself his how i if in into is it its itself just me more
most my myself no nor not now of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom why will with
would you your yours yourself yourselves mr mrs ms dr said says say
""".split())

_GAP = re.compile(r"[ \t]+|[ \t]*\r?\n[ \t]*")  # words of a phrase: same line or a single line break


def default_thesaurus_path() -> Path:
    """The thesaurus TSV: ``data/eval/spinner-thesaurus.tsv``."""
    from unspin.resources import data_path

    return data_path("eval", "spinner-thesaurus.tsv")


@cache
def load_thesaurus(path: str | None = None) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Read the thesaurus into {key words: replacements}; rows of the same key are merged in order."""
    p = Path(path) if path else default_thesaurus_path()
    table: dict[tuple[str, ...], list[str]] = {}
    with open(p, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.rstrip("\n\r")
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t")
            if n == 1 and fields[0] == "word":
                continue
            if len(fields) < 3:
                raise ValueError(f"{p}:{n}: expected word, pos and replacements separated by tabs")
            key = tuple(fields[0].strip().lower().split())
            if not key:
                continue
            reps = table.setdefault(key, [])
            for r in fields[2].split("|"):
                r = " ".join(r.split())
                if r and r.lower() != " ".join(key) and r not in reps:
                    reps.append(r)
    return {k: tuple(v) for k, v in table.items() if v}


def is_content_word(word: str) -> bool:
    """A word a spinner might replace: alphabetic, 3+ letters, not a closed-class word or acronym."""
    return (len(word) >= 3 and word.replace("-", "").replace("'", "").isalpha()
            and not (word.isupper() and len(word) > 1) and word.lower() not in _STOP)


class ThesaurusSpinner:
    """Replaces about ``rate`` of the content words using the hand-written thesaurus."""

    name = "thesaurus"

    def __init__(self, path: str | Path | None = None, thesaurus: dict[tuple[str, ...], tuple[str, ...]] | None = None):
        self._path = str(path) if path else None
        self._table = thesaurus

    @property
    def table(self) -> dict[tuple[str, ...], tuple[str, ...]]:
        if self._table is None:
            self._table = load_thesaurus(self._path)
        return self._table

    def units(self, text: str) -> tuple[list[re.Match], list[tuple[int, int, tuple[str, ...]]]]:
        """Word tokens of ``text`` and the replaceable units (first token, last token, key), left to right.

        At each position the longest thesaurus key wins, so "chief executive officer" is one unit and
        its words are not also single-word units.
        """
        table = self.table
        maxlen = max((len(k) for k in table), default=1)
        tokens = [m for m in WORD_RE.finditer(text) if m.group()[:1].isalnum()]
        out: list[tuple[int, int, tuple[str, ...]]] = []
        i = 0
        while i < len(tokens):
            found = None
            for n in range(min(maxlen, len(tokens) - i), 0, -1):
                toks = tokens[i : i + n]
                if any(not _GAP.fullmatch(text[a.end() : b.start()]) for a, b in zip(toks, toks[1:], strict=False)):
                    continue  # punctuation between the words: not a phrase
                if any(t.group().isupper() and len(t.group()) > 1 for t in toks):
                    continue  # acronyms and all-caps headlines stay as they are
                key = tuple(t.group().lower() for t in toks)
                if key in table and (n > 1 or is_content_word(toks[0].group())):
                    found = (i, i + n - 1, key)
                    break
            if found:
                out.append(found)
                i = found[1] + 1
            else:
                i += 1
        return tokens, out

    def spin(self, text: str, rate: float, rng: random.Random) -> SpunText:
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be in [0.0, 1.0]")
        tokens, units = self.units(text)
        content = sum(1 for t in tokens if is_content_word(t.group()))
        want = int(round(rate * content))
        order = list(range(len(units)))
        rng.shuffle(order)
        chosen: list[int] = []
        covered = 0
        for u in order:
            if covered >= want:
                break
            a, b, _ = units[u]
            chosen.append(u)
            covered += max(1, sum(1 for t in tokens[a : b + 1] if is_content_word(t.group())))
        chosen.sort()
        out: list[str] = []
        subs: list[Substitution] = []
        pos = 0
        length = 0
        for u in chosen:
            a, b, key = units[u]
            s, e = tokens[a].start(), tokens[b].end()
            chunk = text[pos:s]
            out.append(chunk)
            length += len(chunk)
            original = text[s:e]
            reps = self.table[key]
            repl = keep_case(original, reps[rng.randrange(len(reps))])
            out.append(repl)
            subs.append(Substitution(length, length + len(repl), original, repl))
            length += len(repl)
            pos = e
        out.append(text[pos:])
        return SpunText(original=text, text="".join(out), substitutions=tuple(subs), spinner=self.name, rate=rate)
