"""Metrics computed from data: span precision/recall, suggestion accuracy, false flags, AUC, Brier,
reliability. Plain Python, so tests can check them against hand-made cases."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from unspin.model import Finding

from .spinner import Substitution


@dataclass
class SpanCounts:
    """Counts summed over documents; the rates are properties."""

    findings: int = 0  # findings reported
    true_findings: int = 0  # findings overlapping a substitution
    substitutions: int = 0
    found_substitutions: int = 0  # substitutions overlapped by at least one finding
    suggested: int = 0  # true findings that carry a suggestion
    suggestion_correct: int = 0  # ... whose first suggestion restores the original wording
    words: int = 0

    def add(self, other: SpanCounts) -> None:
        for k in self.__dataclass_fields__:
            setattr(self, k, getattr(self, k) + getattr(other, k))

    @property
    def precision(self) -> float | None:
        return self.true_findings / self.findings if self.findings else None

    @property
    def recall(self) -> float | None:
        return self.found_substitutions / self.substitutions if self.substitutions else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None or p + r == 0:
            return None if p is None or r is None else 0.0
        return 2 * p * r / (p + r)

    @property
    def suggestion_accuracy(self) -> float | None:
        return self.suggestion_correct / self.suggested if self.suggested else None

    @property
    def flags_per_1000_words(self) -> float | None:
        return 1000.0 * self.findings / self.words if self.words else None


def _overlap(a0: int, a1: int, b0: int, b1: int) -> bool:
    return a0 < b1 and b0 < a1


def original_region(spun: str, original: str, subs: Sequence[Substitution], start: int, end: int) -> str:
    """The original wording behind spun[start:end]; a cut substitution is taken whole."""
    subs = sorted(subs, key=lambda s: s.start)

    def to_orig(x: int, side: str) -> int:
        delta = 0
        for s in subs:
            if s.end <= x:
                delta += len(s.original) - len(s.replacement)
                continue
            if s.start < x:  # x falls inside a substitution: snap to its original edges
                base = s.start + delta
                return base if side == "start" else base + len(s.original)
            break
        return x + delta

    return original[to_orig(start, "start") : to_orig(end, "end")]


def span_counts(findings: Iterable[Finding], subs: Sequence[Substitution], words: int,
                spun: str = "", original: str = "") -> SpanCounts:
    """Score one document's findings against its substitutions.

    A finding is correct if it overlaps a substitution; a substitution is found if any finding
    overlaps it. A suggestion is correct when applying the finding's first suggestion restores
    (ignoring case and spacing) the original wording of the region the finding and the substitutions
    it overlaps cover, reconstructed through the substitutions -- so a finding wider than the
    substitution ("facial acknowledgment" for a spun "acknowledgment") is judged on the whole phrase,
    and one narrower than it on the whole substitution.
    """
    c = SpanCounts(substitutions=len(subs), words=words)
    found = [False] * len(subs)
    for f in findings:
        c.findings += 1
        hits = [i for i, s in enumerate(subs) if _overlap(f.start, f.end, s.start, s.end)]
        if not hits:
            continue
        c.true_findings += 1
        for i in hits:
            found[i] = True
        if f.suggestions:
            c.suggested += 1
            got = f.suggestions[0].text
            if original:
                # judged on the whole region the finding and its substitutions cover: a finding on one
                # word of a spun phrase ("fluffy" in "fluffy set") is right when applying it restores
                # the phrase ("fuzzy set"), wrong when other words stay spun ("insect colony")
                a = min([f.start] + [subs[i].start for i in hits])
                b = max([f.end] + [subs[i].end for i in hits])
                got = spun[a:f.start] + got + spun[f.end:b]
                want = original_region(spun, original, subs, a, b)
            else:
                want = " ".join(subs[i].original for i in hits)
            if _norm(got) == _norm(want):
                c.suggestion_correct += 1
    c.found_substitutions = sum(found)
    return c


def _norm(s: str) -> str:
    return " ".join(s.lower().replace("-", " ").split())


# ---------------------------------------------------------------------------------------------------
# Article scores


def auc(scores: Sequence[float], labels: Sequence[int]) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties count one half); None without both classes."""
    pairs = sorted(zip(scores, labels, strict=True), key=lambda t: t[0])
    n_pos = sum(1 for _, y in pairs if y)
    n_neg = len(pairs) - n_pos
    if not n_pos or not n_neg:
        return None
    rank_sum = 0.0
    i = 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        mid_rank = (i + 1 + j) / 2.0  # average 1-based rank of the tie block
        rank_sum += mid_rank * sum(1 for _, y in pairs[i:j] if y)
        i = j
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def brier(scores: Sequence[float], labels: Sequence[int]) -> float | None:
    if not scores:
        return None
    return sum((p - y) ** 2 for p, y in zip(scores, labels, strict=True)) / len(scores)


@dataclass
class ReliabilityBin:
    lo: float
    hi: float
    count: int = 0
    mean_score: float = 0.0
    fraction_spun: float = 0.0


def reliability(scores: Sequence[float], labels: Sequence[int], bins: int = 10) -> list[ReliabilityBin]:
    """Equal-width bins of the score: how many articles, their mean score and the share that were spun."""
    out = [ReliabilityBin(k / bins, (k + 1) / bins) for k in range(bins)]
    sums = [[0.0, 0] for _ in range(bins)]
    for p, y in zip(scores, labels, strict=True):
        k = min(int(p * bins), bins - 1)
        out[k].count += 1
        sums[k][0] += p
        sums[k][1] += y
    for b, (s, y) in zip(out, sums, strict=True):
        if b.count:
            b.mean_score = s / b.count
            b.fraction_spun = y / b.count
    return out


def prior_weights(labels: Sequence[int], prior: float) -> list[float]:
    """Per-item weights that make spun items ``prior`` of the total weight (clean the rest)."""
    n1 = sum(1 for y in labels if y)
    n0 = len(labels) - n1
    if not n0 or not n1:
        return [1.0] * len(labels)
    return [prior / n1 if y else (1.0 - prior) / n0 for y in labels]


def weighted_brier(scores: Sequence[float], labels: Sequence[int], weights: Sequence[float]) -> float | None:
    total = sum(weights)
    if not scores or not total:
        return None
    return sum(w * (p - y) ** 2 for p, y, w in zip(scores, labels, weights, strict=True)) / total


def weighted_reliability(scores: Sequence[float], labels: Sequence[int], weights: Sequence[float],
                         bins: int = 10) -> list[ReliabilityBin]:
    """Like ``reliability``, but the share spun in each bin is weighted (``count`` stays the raw count)."""
    out = [ReliabilityBin(k / bins, (k + 1) / bins) for k in range(bins)]
    acc = [[0.0, 0.0, 0.0] for _ in range(bins)]  # weight, weighted score, weighted label
    for p, y, w in zip(scores, labels, weights, strict=True):
        k = min(int(p * bins), bins - 1)
        out[k].count += 1
        acc[k][0] += w
        acc[k][1] += w * p
        acc[k][2] += w * y
    for b, (w, sp, sy) in zip(out, acc, strict=True):
        if w:
            b.mean_score = sp / w
            b.fraction_spun = sy / w
    return out


def expected_calibration_error(table: list[ReliabilityBin]) -> float | None:
    n = sum(b.count for b in table)
    if not n:
        return None
    return sum(b.count * abs(b.mean_score - b.fraction_spun) for b in table) / n


def quantile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    v = sorted(values)
    pos = q * (len(v) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


@dataclass
class ScoreSet:
    """Article scores with labels, grouped however the caller likes."""

    scores: list[float] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)

    def add(self, score: float, label: int) -> None:
        self.scores.append(score)
        self.labels.append(label)
