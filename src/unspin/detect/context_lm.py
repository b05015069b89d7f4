"""Substitution gain: how much more probable, in its own context, a synonym would be than the word used.

Writers pick the idiomatic word; a synonym spinner swaps many content words for dictionary synonyms
that are less probable where they stand ("facial acknowledgment", "squeeze secretary"). For every
content word ``w`` with context ``p2 p1 _ n1 n2`` the gain is

    gain(w) = max(0, max over synonyms s of w [ lp(s | p2 p1) + lp(n1 | p1 s) + lp(n2 | s n1) ]
                     - [ lp(w | p2 p1) + lp(n1 | p1 w) + lp(n2 | w n1) ])      (natural log)

with pocketsphinx's generic US-English trigram LM (``en-us.lm.bin``, BSD; loaded on first use,
memory-mapped) and the synonym table ``models/context/synonyms.tsv.gz`` (WordNet synonyms of any
sense in the same inflection, most frequent first; built by ``scripts/build_context_tables.py``).
Both sides share the context, so the gain compares the writer's choice with its alternatives rather
than the text's style with a reference -- 1987 wire copy and a science feature are judged alike.
``features`` aggregates it over an article.

Cost control: synonyms are tried only for words whose own left-context log-probability is below their
unigram log-probability plus ``PRUNE`` (a word its context predicts well is not worth replacing), at
most ``MAX_SYN`` of them; long articles are sub-sampled to at most ``MAX_WORDS`` candidate words
(evenly spaced, deterministic). Words next to a token the LM does not know (numbers, names, wire
jargon such as "mln") are skipped: with no usable context the "gain" would only say that the synonym
is a more frequent word. No numpy.
"""

from __future__ import annotations

import gzip
import math
import os
import re
from functools import cache


LN = math.log(1.0001)  # pocketsphinx log base -> natural log
OOV = -400_000_000  # prob() below this: the predicted word is unknown to the LM
FLOOR = -25.0 / LN  # floor of one term, pocketsphinx units
MAX_SYN = 4
PRUNE = -1.0  # ln units: expand when lp(w | left context) - lp(w) <= PRUNE
MAX_WORDS = 400
GAIN_THRESHOLDS = (1.0, 2.5, 5.0)
FEATURES = ("ctx_gain_mean", "ctx_lift_mean", "ctx_low_lift_frac") + tuple(
    f"ctx_gain_gt{t:g}" for t in GAIN_THRESHOLDS)


def lm_path() -> str:
    import pocketsphinx

    return os.path.join(os.path.dirname(pocketsphinx.__file__), "model", "en-us", "en-us.lm.bin")


@cache
def load_lm():
    """The pocketsphinx trigram LM (≈80 ms, memory-mapped), or None when pocketsphinx is missing."""
    try:
        from pocketsphinx import NGramModel
    except ImportError:
        return None
    return NGramModel.readfile(lm_path())


def synonyms_path():
    from ..resources import model_path

    return model_path("context", "synonyms.tsv.gz")


@cache
def load_synonyms() -> dict[str, tuple[int, str]]:
    """form -> (LM unigram log-prob in pocketsphinx units, space-separated synonyms)."""
    with gzip.open(synonyms_path(), "rt", encoding="utf-8") as fh:
        data = fh.read()
    out: dict[str, tuple[int, str]] = {}
    for line in data.split("\n"):
        parts = line.split("\t")
        if len(parts) == 3:
            out[parts[0]] = (int(parts[1]), parts[2])
    return out


def available() -> bool:
    try:
        return load_lm() is not None and bool(load_synonyms())
    except OSError:
        return False


_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\w+|[.!?]+|\n[ \t]*\n")


def _sentences(text: str) -> list[list[tuple[str, bool]]]:
    """Sentences as lists of (lower-cased word, may be a spinner's substitution).

    A deliberately cheap split (. ! ? and blank lines end a sentence; other punctuation is dropped,
    the speech LM has none): an abbreviation splitting a sentence costs a little context, equally
    for clean and spun text.
    """
    out: list[list[tuple[str, bool]]] = []
    toks: list[tuple[str, bool]] = []
    for t in _TOKEN.findall(text):
        c = t[0]
        if c.isalpha():
            cand = len(t) > 2 and t[1:].islower() and (c.islower() or not toks) and t.isalpha()
            toks.append((t.lower().replace("’", "'"), cand))
        elif c in ".!?\n":
            if toks:
                out.append(toks)
                toks = []
        else:
            toks.append((t.lower(), False))
    if toks:
        out.append(toks)
    return out


def gains(text: str, prune: float | None = PRUNE, max_syn: int = MAX_SYN, max_words: int = MAX_WORDS,
          skip_oov: bool = True) -> tuple[list[float], list[float]] | None:
    """Per candidate word: (gain, lift = lp(w | left context) - lp(w)), natural log; None without LM."""
    lm = load_lm()
    if lm is None:
        return None
    prob = lm.prob
    syn = load_synonyms()
    sents = _sentences(text)
    n_cand = sum(1 for s in sents for w, c in s if c and w in syn)
    step = max(1, math.ceil(n_cand / max_words))
    lim = None if prune is None else prune / LN
    out_gain: list[float] = []
    out_lift: list[float] = []
    known: dict[str, bool] = {"<s>": True, "</s>": True}

    def kn(x: str) -> bool:
        v = known.get(x)
        if v is None:
            v = known[x] = prob([x]) > OOV
        return v

    k = -1
    for sent in sents:
        w = ["<s>", "<s>"] + [t for t, _ in sent] + ["</s>", "</s>"]
        for i, (tok, cand) in enumerate(sent):
            if not cand:
                continue
            entry = syn.get(tok)
            if entry is None:
                continue
            k += 1
            if k % step:
                continue
            j = i + 2
            p1, p2, n1, n2 = w[j - 1], w[j - 2], w[j + 1], w[j + 2]
            if skip_oov and not (kn(p1) and kn(n1)):
                continue  # unknown neighbour (number, name, jargon): the gain would be mere frequency
            own = max(FLOOR, prob([tok, p1, p2]))
            lift = own - entry[0]
            out_lift.append(lift * LN)
            if lim is not None and lift > lim:
                out_gain.append(0.0)
                continue
            base = own + max(FLOOR, prob([n1, tok, p1]))
            if n1 != "</s>":
                base += max(FLOOR, prob([n2, n1, tok]))
            best = base
            for s in entry[1].split(" ", max_syn)[:max_syn]:
                v = max(FLOOR, prob([s, p1, p2])) + max(FLOOR, prob([n1, s, p1]))
                if n1 != "</s>":
                    v += max(FLOOR, prob([n2, n1, s]))
                if v > best:
                    best = v
            out_gain.append((best - base) * LN)
    return out_gain, out_lift


def features(text: str) -> dict[str, float]:
    """Article-level substitution-gain features (all 0.0 when the LM is unavailable)."""
    res = gains(text)
    if res is None or not res[0]:
        return dict.fromkeys(FEATURES, 0.0)
    g, lift = res
    n = len(g)
    out = {"ctx_gain_mean": sum(g) / n, "ctx_lift_mean": sum(lift) / n,
           "ctx_low_lift_frac": sum(1 for x in lift if x <= PRUNE) / n}
    for t in GAIN_THRESHOLDS:
        out[f"ctx_gain_gt{t:g}"] = sum(1 for x in g if x > t) / n
    return out
