"""Article-level probability of being spun: a calibrated logistic regression evaluated in plain Python.

The model (``models/scorer.json``, built by ``scripts/build_scorer.py``) combines features of the
findings (density by rule family, confidence, repeated odd phrases) with the article's substitution
gain (``context_lm``: how much more probable, in the same trigram context, a WordNet synonym would be
than the word the text uses -- aggregated over all content words). Text-style features (word
rarity against reference frequencies, lexical variety, readability, function-word profile) are
still computed and reported when the model asks for them, but the shipped model does not use them:
they measure house style (1987 wire copy looks "rare") as much as spinning. Weights, feature
scaling and calibration are JSON, evaluated in plain Python (no scikit-learn at check time; the
substitution gain is computed with numpy from the LM tables US201 ships). When the model file is
missing, a transparent density rule is used instead.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from functools import cache
from typing import Any

from ..model import Document, Finding
from ..rules import family_of, is_spin, spin_families
from ..text import WORD_RE, MatchStream, sentences

MODEL_NAME = "scorer.json"

# Closed-class words: the function-word profile and "is this a content word".
FUNCTION_WORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most
my myself no nor not now of off on once only or other our ours ourselves out over own same she should
so some such than that the their theirs them themselves then there these they this those through to
too under until up very was we were what when where which while who whom why will with would you
your yours yourself yourselves also may might must shall upon whether
""".split())
_VOWEL_GROUPS = re.compile(r"[aeiouy]+")


def syllables(word: str) -> int:
    """A cheap English syllable estimate (vowel groups, silent final e); at least 1."""
    w = word.lower()
    n = len(_VOWEL_GROUPS.findall(w))
    if w.endswith("e") and not w.endswith(("le", "ee", "ye")) and n > 1:
        n -= 1
    return max(1, n)


# ---------------------------------------------------------------------------------------------------
# Features


PSEUDO_WORDS = 200  # finding densities count this many finding-free words extra (short texts)


def finding_features(findings: list[Finding], words: int) -> dict[str, float]:
    """Densities per 100 words by rule family, confidence and repeated odd phrases.

    The densities are shrunk for short texts: they are taken over ``words + PSEUDO_WORDS`` words,
    so one finding in a 150-word brief does not look like a spun article. The list-free rules (US2xx)
    count from their second finding on (the first one's confidence is ``us2_max_confidence``): one
    odd word is what clean wire copy also shows now and then (0.3-0.5 per 1,000 words), a spun
    article shows several."""
    per = 100.0 / (max(words, 0) + PSEUDO_WORDS)
    # one list per spin family of the registry; the feature names below are the shipped model's
    fam: dict[str, list[Finding]] = {code: [] for code in spin_families()}
    for f in findings:
        key = family_of(f.rule)
        if key in fam:
            fam[key].append(f)
    texts = Counter(" ".join(f.text.lower().split()) for fs in fam.values() for f in fs)
    us2_conf = [f.confidence for f in fam["US2"]]
    return {
        "us1_per100": per * len(fam["US1"]),
        "us2_per100": per * max(0, len(us2_conf) - 1),
        "us3_per100": per * len(fam["US3"]),
        "us2_weighted_per100": per * (sum(us2_conf) - max(us2_conf, default=0.0)),
        "us2_max_confidence": max((f.confidence for f in fam["US2"]), default=0.0),
        "repeated_odd_per100": per * sum(c for c in texts.values() if c > 1),
    }


def text_features(text: str, ref: dict[str, float]) -> dict[str, float]:
    """Word rarity, lexical variety, readability and function-word profile of prose ``text``."""
    toks = [m.group() for m in WORD_RE.finditer(text)]
    words = [t for t in toks if t[:1].isalpha()]
    n = max(len(words), 1)
    lower = [w.lower() for w in words]
    func = sum(1 for w in lower if w in FUNCTION_WORDS)
    # Content words, skipping capitalised words that are likely names (not at sentence start we
    # cannot tell cheaply, so every capitalised word is skipped: rarity of names says nothing).
    content = [w.lower() for w in words if w[:1].islower() and w.lower() not in FUNCTION_WORDS
               and len(w) > 2 and w.replace("-", "").replace("'", "").replace("’", "").isalpha()]
    nc = max(len(content), 1)
    floor = ref.get("", 1.0)  # zipf given to words missing from the reference list
    zipfs = [ref.get(w, floor) for w in content]
    sents = max(len(sentences(text)), 1)
    syl = [syllables(w) for w in words]
    spw = sum(syl) / n
    wps = len(words) / sents
    return {
        "log_words": math.log(n),
        "content_zipf_mean": sum(zipfs) / nc if zipfs else 0.0,
        "rare_word_frac": sum(1 for z in zipfs if z < 3.0) / nc,
        "very_rare_word_frac": sum(1 for z in zipfs if z < 2.0) / nc,
        "zipf_3_4_frac": sum(1 for z in zipfs if 3.0 <= z < 4.0) / nc,
        "zipf_4_5_frac": sum(1 for z in zipfs if 4.0 <= z < 5.0) / nc,
        "content_mattr": _mattr(content, 50),
        "word_length": sum(len(w) for w in words) / n,
        "long_word_frac": sum(1 for s in syl if s >= 3) / n,
        "words_per_sentence": wps,
        "flesch_reading_ease": 206.835 - 1.015 * wps - 84.6 * spw,
        "function_word_frac": func / n,
        "the_frac": sum(1 for w in lower if w == "the") / n,
    }


def _mattr(items: list[str], window: int) -> float:
    """Moving-average type-token ratio (length-independent lexical variety)."""
    if not items:
        return 0.0
    if len(items) <= window:
        return len(set(items)) / len(items)
    counts = Counter(items[:window])
    total = len(counts)
    for i in range(window, len(items)):
        old, new = items[i - window], items[i]
        counts[old] -= 1
        if counts[old] == 0:
            del counts[old]
        counts[new] += 1
        total += len(counts)
    return total / (len(items) - window + 1)


def context_features(text: str | MatchStream) -> dict[str, float]:
    """Substitution-gain features of prose text or of a document's MatchStream (``context_lm``;
    clean-news means when its tables are unavailable)."""
    from . import context_lm

    return context_lm.features(text)


TEXT_FEATURES = frozenset(text_features("a b c", {}))


def extract_features(doc: Document, findings: list[Finding], words: int, ref: dict[str, float] | None = None,
                     text: bool | None = None, stream: MatchStream | None = None,
                     context: dict[str, float] | None = None) -> dict[str, float]:
    """The scorer features of one analysed document: findings and substitution gain always, text-style
    features when ``text`` is true (default: when the shipped model uses any of them). ``stream``: the
    document's MatchStream when the caller has one (else it is built); ``context``: its substitution-
    gain features when already worked out (``context_lm.features_many`` over a batch)."""
    model = load_model()
    feats = finding_features(findings, words)
    if context is None:
        context = context_features(stream if stream is not None else MatchStream(doc.text, doc.segments))
    feats.update(context)
    if text is None:
        text = model is None or bool(TEXT_FEATURES & set(model.features))
    if text:
        if ref is None:
            ref = model.reference if model is not None else {}
        feats.update(text_features(doc.prose(), ref))
    else:
        feats["log_words"] = math.log(max(words, 1))
    return feats


# ---------------------------------------------------------------------------------------------------
# Model


class ScorerModel:
    """Standardise -> logistic regression -> Platt calibration, from the JSON built by build_scorer.py."""

    def __init__(self, data: dict[str, Any]):
        self.data = data
        self.features: list[str] = list(data["features"])
        self.mean: list[float] = list(data["scaler"]["mean"])
        self.scale: list[float] = list(data["scaler"]["scale"])
        self.coef: list[float] = list(data["logistic"]["coef"])
        self.intercept: float = float(data["logistic"]["intercept"])
        cal = data["calibration"]
        self.platt_a: float = float(cal["a"])
        self.platt_b: float = float(cal["b"])
        self.prior_shift: float = float(cal.get("prior_shift", 0.0))
        ref = data.get("reference") or {"floor": 1.0, "words": "", "zipf_x10": []}
        self.reference: dict[str, float] = {"": float(ref["floor"])}
        for w, q in zip(ref["words"].split(" "), ref["zipf_x10"], strict=False):
            if w:
                self.reference[w] = q / 10.0
        if not (len(self.features) == len(self.mean) == len(self.scale) == len(self.coef)):
            raise ValueError("models/scorer.json is inconsistent: feature, scaler and weight lengths differ")

    def decision(self, feats: dict[str, float]) -> float:
        z = self.intercept
        for name, mu, sd, w in zip(self.features, self.mean, self.scale, self.coef, strict=True):
            z += w * (feats.get(name, mu) - mu) / (sd or 1.0)  # a feature not worked out says nothing
        return z

    def probability(self, feats: dict[str, float]) -> float:
        return _sigmoid(self.platt_a * self.decision(feats) + self.platt_b + self.prior_shift)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@cache
def load_model() -> ScorerModel | None:
    """The shipped scorer, or None when models/scorer.json is absent."""
    from ..resources import model_path

    try:
        path = model_path(MODEL_NAME)
        with open(path, encoding="utf-8") as fh:
            return ScorerModel(json.load(fh))
    except FileNotFoundError:
        return None


def density_score(findings: list[Finding], words: int) -> float:
    """Fallback when no model is shipped: confidence-weighted findings per 100 words, squashed."""
    weighted = sum(f.confidence for f in findings if is_spin(f.rule))
    return 1.0 - math.exp(-0.9 * 100.0 * weighted / max(words, 50))


def score_document(doc: Document, stream: MatchStream, findings: list[Finding], words: int,
                   context: dict[str, float] | None = None, slots: list | None = None
                   ) -> tuple[float, dict[str, float]]:
    """Probability in [0, 1] that ``doc`` was spun, and the features it was computed from
    (``context``: the document's substitution-gain features, when worked out already; ``slots``:
    its candidate slots (``detect.article``), summed into the slot features -- without them those
    features take their training mean, i.e. say nothing)."""
    model = load_model()
    feats = extract_features(doc, findings, words, stream=stream, context=context)
    if slots is not None:
        from .article import slot_features

        feats.update(slot_features(slots, words))
    if model is None:
        return density_score(findings, words), feats
    return model.probability(feats), feats


def article_finding(doc: Document, fb: Any, score: float) -> Finding:
    """The registry's US901 detector (stage ``article``): the whole article scores as spun. Placed on
    the title, or the first paragraph."""
    first = doc.segments[0] if doc.segments else None
    start, end = (first.start, first.end) if first else (0, 0)
    return fb.make("US901", start, end, f"the article scores {score:.2f}: likely spun as a whole",
                   confidence=score, evidence={"score": round(score, 4)})
