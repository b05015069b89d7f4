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
(evenly spaced, deterministic). No numpy.

Robustness: words next to a token the LM does not know (numbers, names, wire jargon such as "mln")
are skipped -- with no usable context the "gain" would only say that the synonym is a more frequent
word; a context window already seen in the article (tables, repeated boilerplate) counts once; and
the article averages are shrunk towards clean news (``PSEUDO_WORDS``, ``CLEAN_MEANS``).
"""

from __future__ import annotations

import gzip
import math
import re
from functools import cache

from .lm import load_lm

LN = math.log(1.0001)  # pocketsphinx log base -> natural log
OOV = -400_000_000  # prob() below this: the predicted word is unknown to the LM
FLOOR = -25.0 / LN  # floor of one term, pocketsphinx units
MAX_SYN = 4
PRUNE = -1.0  # ln units: expand when lp(w | left context) - lp(w) <= PRUNE
MAX_WORDS = 400
GAIN_THRESHOLDS = (1.0, 2.5, 5.0)
# Short articles give noisy averages: every feature is shrunk towards its typical value in clean
# news (approximate means over the Wikinews training articles) with the weight of PSEUDO_WORDS
# candidate words, so a 40-word wire brief is not judged on three unlucky words.
PSEUDO_WORDS = 60
CLEAN_MEANS = {"ctx_gain_mean": 0.19, "ctx_lift_mean": 1.70, "ctx_low_lift_frac": 0.136,
               "ctx_gain_gt1": 0.053, "ctx_gain_gt2.5": 0.031, "ctx_gain_gt5": 0.012}
FEATURES = ("ctx_gain_mean", "ctx_lift_mean", "ctx_low_lift_frac") + tuple(
    f"ctx_gain_gt{t:g}" for t in GAIN_THRESHOLDS)


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


_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*|\w+|[.!?]+|\n[ \t]*\n")
_BREAK = ("</s>", "</s>", "<s>", "<s>")


def _tokens(text: str) -> tuple[list[str], list[int]]:
    """Lower-cased words with sentence padding (``<s> <s> ... </s> </s>``), and the positions of words
    that may be a spinner's substitution (alphabetic, 3+ letters, lower case or capitalised first word).

    A deliberately cheap split: . ! ? and blank lines end a sentence; other punctuation is dropped
    (the speech LM has none). An abbreviation splitting a sentence costs a little context, equally
    for clean and spun text.
    """
    out = ["<s>", "<s>"]
    cand: list[int] = []
    start = True
    for t in _TOKEN.findall(text.replace("’", "'")):
        c = t[0]
        if c.isalpha():
            low = t.lower()
            if len(t) > 2 and (t == low or (start and t[1:] == low[1:])) and t.isalpha():
                cand.append(len(out))
            out.append(low)
            start = False
        elif c in ".!?\n":
            if not start:
                out.extend(_BREAK)
                start = True
        else:
            out.append(t.lower())
            start = False
    out.extend(("</s>", "</s>"))
    return out, cand


def gains(text: str, prune: float | None = PRUNE, max_syn: int = MAX_SYN, max_words: int = MAX_WORDS,
          skip_oov: bool = True) -> tuple[list[float], list[float]] | None:
    """Per candidate word: (gain, lift = lp(w | left context) - lp(w)), natural log; None without LM."""
    lm = load_lm()
    if lm is None:
        return None
    prob = lm.prob
    try:
        syn = load_synonyms()
    except OSError:  # no models/context/ table: no gain features (the scorer uses clean-news means)
        return None
    w, cand = _tokens(text)
    cand = [j for j in cand if w[j] in syn]
    step = max(1, math.ceil(len(cand) / max_words))
    if step > 1:
        cand = cand[::step]
    lim = math.inf if prune is None else prune / LN
    out_gain: list[float] = []
    out_lift: list[float] = []
    known: dict[str, bool] = {"<s>": True, "</s>": True}
    seen: set[tuple[str, ...]] = set()
    for j in cand:
        tok = w[j]
        p1, p2, n1, n2 = w[j - 1], w[j - 2], w[j + 1], w[j + 2]
        if skip_oov:
            # unknown neighbour (number, name, jargon): the gain would be mere frequency
            k1 = known.get(p1)
            if k1 is None:
                k1 = known[p1] = prob([p1]) > OOV
            k2 = known.get(n1)
            if k2 is None:
                k2 = known[n1] = prob([n1]) > OOV
            if not (k1 and k2):
                continue
        window = (p2, p1, tok, n1, n2)
        if window in seen:
            continue  # tables and boilerplate repeat whole lines: count each context once
        seen.add(window)
        uni, alts = syn[tok]
        own = prob([tok, p1, p2])
        if own < FLOOR:
            own = FLOOR
        lift = own - uni
        out_lift.append(lift * LN)
        if lift > lim:
            out_gain.append(0.0)
            continue
        end = n1 == "</s>"
        base = own + max(FLOOR, prob([n1, tok, p1])) + (0.0 if end else max(FLOOR, prob([n2, n1, tok])))
        best = base
        for s in alts.split(" ", max_syn)[:max_syn]:
            v = max(FLOOR, prob([s, p1, p2])) + max(FLOOR, prob([n1, s, p1]))
            if not end:
                v += max(FLOOR, prob([n2, n1, s]))
            if v > best:
                best = v
        out_gain.append((best - base) * LN)
    return out_gain, out_lift


def features(text: str) -> dict[str, float]:
    """Article-level substitution-gain features, shrunk towards clean news for short articles
    (``CLEAN_MEANS`` when the LM is unavailable)."""
    res = gains(text)
    if res is None:
        return dict(CLEAN_MEANS)
    g, lift = res
    raw = {"ctx_gain_mean": sum(g), "ctx_lift_mean": sum(lift),
           "ctx_low_lift_frac": float(sum(1 for x in lift if x <= PRUNE))}
    for t in GAIN_THRESHOLDS:
        raw[f"ctx_gain_gt{t:g}"] = float(sum(1 for x in g if x > t))
    n = len(g)
    return {k: (raw[k] + PSEUDO_WORDS * CLEAN_MEANS[k]) / (n + PSEUDO_WORDS) for k in FEATURES}
