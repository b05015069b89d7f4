"""A crude article spinner driven by WordNet 3.0: the TRAINING spinner for the generic detector.

It behaves like a cheap synonym spinner: about ``rate`` of the content words are replaced by a lemma
that shares *any* synset with them (so the sense is often wrong: "press" -> "squeeze"), the
inflection of the original is carried over ("recognitions" for "acknowledgments"), the first letter
keeps its case, and two-word WordNet expressions can be swapped as a unit.

WordNet data comes from the compiled table ``models/generic/wordnet.json.gz`` (built by
``scripts/build_generic_model.py``), or is parsed from the Debian WordNet files when the table is
absent. WordNet 3.0 (c) Princeton University, see models/LICENSES.md.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from unspin.text import WORD_RE

from .spinner import SpunText, Substitution, keep_case

WORDNET_DIR = Path("/usr/share/wordnet")
POS_FILES = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}
_ADJ_MARKER = re.compile(r"\((?:a|p|ip)\)$")

# Closed-class words and very common verbs a spinner (and the detector) leaves alone.
STOPWORDS = frozenset("""
a about above across after afterwards again against all almost alone along already also although
always am among amongst an and another any anyhow anyone anything anyway anywhere are around as at
be became because become becomes becoming been before beforehand behind being below beside besides
between beyond both but by can cannot could did do does doing done down during each either else
elsewhere enough etc even ever every everyone everything everywhere except few for former formerly
from further had has have having he hence her here hereafter hereby herein hers herself him himself
his how however i if in indeed into is it its itself just last latter latterly least less many may
me meanwhile might mine more moreover most mostly much must my myself namely neither never
nevertheless next no nobody none noone nor not nothing now nowhere of off often on once one only
onto or other others otherwise our ours ourselves out over own per perhaps please quite rather
re same say says said several she should since so some somehow someone something sometime sometimes
somewhere still such than that the their theirs them themselves then thence there thereafter
thereby therefore therein thereupon these they this those though through throughout thru thus to
together too toward towards under until up upon us very via was we well were what whatever when
whence whenever where whereafter whereas whereby wherein whereupon wherever whether which while
whither who whoever whole whom whose why will with within without would yet you your yours yourself
yourselves mr mrs ms dr st get got gets getting go goes going went gone make made makes making
let lets like including include includes included according told tell tells around s t
""".split())


def parse_wordnet_dir(root: Path = WORDNET_DIR) -> dict:
    """Parse WordNet's data.* and *.exc files into {"synsets": {pos: [[lemma, ...]]}, "exc": {pos: {form: [base]}}}.

    Lemmas are lower-cased with underscores turned into spaces; adjective satellites count as "a".
    """
    synsets: dict[str, list[list[str]]] = {p: [] for p in POS_FILES}
    for pos, name in POS_FILES.items():
        with open(root / f"data.{name}", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("  "):
                    continue  # licence header
                fields = line.split()
                w_cnt = int(fields[3], 16)
                lemmas = []
                for k in range(w_cnt):
                    lemma = _ADJ_MARKER.sub("", fields[4 + 2 * k]).replace("_", " ").lower()
                    if lemma not in lemmas:
                        lemmas.append(lemma)
                synsets[pos].append(lemmas)
    exc: dict[str, dict[str, list[str]]] = {p: {} for p in POS_FILES}
    for pos, name in POS_FILES.items():
        path = root / f"{name}.exc"
        if not path.exists():
            continue
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                fields = line.split()
                if len(fields) >= 2:
                    exc[pos][fields[0].replace("_", " ")] = [b.replace("_", " ") for b in fields[1:]]
    return {"synsets": synsets, "exc": exc}


def compiled_path() -> Path:
    from unspin.resources import model_path

    return model_path("generic", "wordnet.json.gz")


@cache
def load_wordnet() -> WordNet:
    try:
        path = compiled_path()
        if path.exists():
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                return WordNet(json.load(fh))
    except FileNotFoundError:
        pass
    return WordNet(parse_wordnet_dir())


# Morphy's detachment rules (WordNet 3.0 morph.c): (suffix, ending, inflection tag).
_RULES = {
    "n": [("ses", "s", "pl"), ("xes", "x", "pl"), ("zes", "z", "pl"), ("ches", "ch", "pl"),
          ("shes", "sh", "pl"), ("men", "man", "pl"), ("ies", "y", "pl"), ("s", "", "pl")],
    "v": [("ies", "y", "s"), ("es", "e", "s"), ("es", "", "s"), ("s", "", "s"), ("ed", "e", "ed"),
          ("ed", "", "ed"), ("ing", "e", "ing"), ("ing", "", "ing")],
    "a": [("er", "", "er"), ("est", "", "est"), ("er", "e", "er"), ("est", "e", "est")],
    "r": [],
}
_VOWELS = set("aeiou")


class WordNet:
    """Lemma -> synonyms by part of speech, morphy-style lemmatisation and regular inflection."""

    def __init__(self, data: dict):
        self.synsets: dict[str, list[list[str]]] = data["synsets"]
        self.exc: dict[str, dict[str, list[str]]] = data["exc"]
        self.syn: dict[str, dict[str, set[str]]] = {p: {} for p in POS_FILES}
        for pos, sets in self.synsets.items():
            table = self.syn[pos]
            for lemmas in sets:
                for lemma in lemmas:
                    s = table.setdefault(lemma, set())
                    s.update(x for x in lemmas if x != lemma)
        # irregular forms: (pos, base, tag) -> form
        self._irregular: dict[tuple[str, str, str], str] = {}
        for pos, table in self.exc.items():
            for form, bases in sorted(table.items()):
                for base in bases:
                    tag = _irregular_tag(pos, form, base)
                    self._irregular.setdefault((pos, base, tag), form)

    def is_lemma(self, word: str, pos: str) -> bool:
        return word in self.syn[pos]

    def synonyms(self, lemma: str, pos: str | None = None) -> set[str]:
        """Lemmas sharing any synset with ``lemma`` (of one part of speech, or all)."""
        if pos:
            return set(self.syn[pos].get(lemma, ()))
        out: set[str] = set()
        for p in POS_FILES:
            out |= self.syn[p].get(lemma, set())
        return out

    def analyses(self, word: str) -> list[tuple[str, str, str]]:
        """(lemma, pos, tag) readings of a lower-cased word form; tag "" is the base form."""
        out: list[tuple[str, str, str]] = []
        for pos in POS_FILES:
            if word in self.syn[pos]:
                out.append((word, pos, ""))
            for base in self.exc[pos].get(word, ()):
                if base in self.syn[pos]:
                    out.append((base, pos, _irregular_tag(pos, word, base)))
            for suffix, ending, tag in _RULES[pos]:
                if word.endswith(suffix) and len(word) > len(suffix) + 1:
                    base = word[: -len(suffix)] + ending
                    if base in self.syn[pos]:
                        out.append((base, pos, tag))
                    elif tag in ("ed", "ing") and len(base) > 2 and base[-1] == base[-2] and \
                            base[:-1] in self.syn[pos]:  # stopped -> stop
                        out.append((base[:-1], pos, tag))
        seen: set[tuple[str, str, str]] = set()
        return [a for a in out if not (a in seen or seen.add(a))]

    def inflect(self, lemma: str, pos: str, tag: str) -> str:
        """Put ``lemma`` into the inflection ``tag`` (the head word of a multi-word lemma)."""
        if not tag:
            return lemma
        words = lemma.split(" ")
        head = len(words) - 1 if pos == "n" else 0
        w = words[head]
        form = self._irregular.get((pos, lemma, tag)) or self._irregular.get((pos, w, tag))
        if form and " " not in form:
            words[head] = form
        else:
            words[head] = regular_inflection(w, tag)
        return " ".join(words)


def _irregular_tag(pos: str, form: str, base: str) -> str:
    if pos == "n":
        return "pl"
    if pos == "v":
        if form.endswith("ing"):
            return "ing"
        if form.endswith("s") and not base.endswith("s"):
            return "s"
        return "ed"
    if pos == "a":
        return "est" if form.endswith("st") else "er"
    return ""


def regular_inflection(w: str, tag: str) -> str:
    if tag in ("pl", "s"):
        if w.endswith(("s", "x", "z", "ch", "sh")):
            return w + "es"
        if len(w) > 1 and w.endswith("y") and w[-2] not in _VOWELS:
            return w[:-1] + "ies"
        return w + "s"
    cvc = (len(w) >= 3 and len(w) <= 4 and w[-1] not in _VOWELS and w[-1] not in "wxy"
           and w[-2] in _VOWELS and w[-3] not in _VOWELS)
    if tag == "ed":
        if w.endswith("e"):
            return w + "d"
        if len(w) > 1 and w.endswith("y") and w[-2] not in _VOWELS:
            return w[:-1] + "ied"
        return w + w[-1] + "ed" if cvc else w + "ed"
    if tag == "ing":
        if w.endswith("ie"):
            return w[:-2] + "ying"
        if w.endswith("e") and not w.endswith(("ee", "ye", "oe")) and len(w) > 2:
            return w[:-1] + "ing"
        return w + w[-1] + "ing" if cvc else w + "ing"
    if tag in ("er", "est"):
        if w.endswith("e"):
            return w + tag[1:]
        if w.endswith("y") and len(w) > 1 and w[-2] not in _VOWELS:
            return w[:-1] + "i" + tag
        return w + tag
    return w


class WordNetSpinner:
    """Replaces about ``rate`` of the content words with a WordNet synonym from any sense."""

    name = "wordnet"

    def __init__(self, wordnet: WordNet | None = None, phrase_rate: float = 0.3,
                 multiword: bool = True):
        self._wn = wordnet
        self.phrase_rate = phrase_rate  # chance to swap a two-word WordNet expression as a unit
        self.multiword = multiword  # allow multi-word replacements ("take care" for "mind")

    @property
    def wordnet(self) -> WordNet:
        if self._wn is None:
            self._wn = load_wordnet()
        return self._wn

    def _options(self, word: str) -> list[tuple[str, str, str]]:
        """Sorted (lemma, pos, tag) readings with at least one usable synonym."""
        wn = self.wordnet
        out = []
        for lemma, pos, tag in wn.analyses(word):
            if tag in ("er", "est"):
                continue
            if self._choices(lemma, pos, word, tag):
                out.append((lemma, pos, tag))
        return sorted(out)

    def _choices(self, lemma: str, pos: str, word: str, tag: str) -> list[str]:
        out = []
        for syn in sorted(self.wordnet.synonyms(lemma, pos)):
            if not self.multiword and " " in syn:
                continue
            if not re.fullmatch(r"[a-z][a-z' -]*[a-z]", syn) or syn.count(" ") > 2:
                continue
            form = self.wordnet.inflect(syn, pos, tag)
            if form != word:
                out.append(form)
        return out

    def spin(self, text: str, rate: float, rng: random.Random) -> SpunText:
        tokens = list(WORD_RE.finditer(text))
        starts = _sentence_starts(text, tokens)
        content: list[int] = []
        for i, m in enumerate(tokens):
            w = m.group()
            if not w.isalpha() or len(w) < 3:
                continue
            if w[0].isupper() and (i not in starts or w.isupper()):
                continue  # names, acronyms
            if w[1:] != w[1:].lower():
                continue
            if w.lower() in STOPWORDS:
                continue
            content.append(i)
        want = int(round(rate * len(content)))
        content_set = set(content)
        # candidate units: (first token, last token)
        order = list(content)
        rng.shuffle(order)
        taken: set[int] = set()
        plan: list[tuple[int, int, str]] = []
        wn = self.wordnet
        for i in order:
            if len(plan) >= want:
                break
            if i in taken:
                continue
            unit = None
            # phrase level: a two-word WordNet expression starting or ending here
            if rng.random() < self.phrase_rate:
                for a, b in ((i, i + 1), (i - 1, i)):
                    if a < 0 or b >= len(tokens) or a in taken or b in taken:
                        continue
                    if a not in content_set and b not in content_set:
                        continue
                    ta, tb = tokens[a], tokens[b]
                    if text[ta.end():tb.start()] != " " or not tb.group().isalpha():
                        continue
                    if tb.group()[0].isupper():
                        continue
                    phrase = f"{ta.group().lower()} {tb.group().lower()}"
                    opts = [(lem, pos, tag) for lem, pos, tag in
                            [(phrase, p, "") for p in POS_FILES if wn.is_lemma(phrase, p)]
                            if self._choices(lem, pos, phrase, tag)]
                    if opts:
                        lemma, pos, tag = opts[rng.randrange(len(opts))]
                        choices = self._choices(lemma, pos, phrase, tag)
                        unit = (a, b, choices[rng.randrange(len(choices))])
                        break
            if unit is None:
                w = tokens[i].group()
                opts = self._options(w.lower())
                if not opts:
                    continue
                lemma, pos, tag = opts[rng.randrange(len(opts))]
                choices = self._choices(lemma, pos, w.lower(), tag)
                unit = (i, i, choices[rng.randrange(len(choices))])
            a, b, repl = unit
            taken.update(range(a, b + 1))
            plan.append((a, b, repl))
        plan.sort()
        out: list[str] = []
        subs: list[Substitution] = []
        pos_in = 0
        length = 0
        for a, b, repl in plan:
            s, e = tokens[a].start(), tokens[b].end()
            chunk = text[pos_in:s]
            out.append(chunk)
            length += len(chunk)
            original = text[s:e]
            repl = keep_case(original, repl)
            out.append(repl)
            subs.append(Substitution(length, length + len(repl), original, repl))
            length += len(repl)
            pos_in = e
        out.append(text[pos_in:])
        return SpunText(original=text, text="".join(out), substitutions=tuple(subs), spinner=self.name,
                        rate=rate)


def _sentence_starts(text: str, tokens: Iterable[re.Match]) -> set[int]:
    starts = set()
    prev_end = None
    prev_tok = None
    for i, m in enumerate(tokens):
        if prev_tok is None or prev_tok in ".!?:\"“”" or "\n" in text[prev_end:m.start()]:
            starts.add(i)
        prev_tok = m.group()
        prev_end = m.end()
    return starts
