"""Article-level evaluation of the shipped scorer: AUC per spinner and rate, calibration, clean scores."""

from __future__ import annotations

from typing import Any

from .detection import Analysed
from .metrics import (
    auc,
    brier,
    expected_calibration_error,
    prior_weights,
    quantile,
    reliability,
    weighted_brier,
    weighted_reliability,
)

# Corpora the shipped scorer was trained on (see scripts/build_scorer.py): reported, but apart.
TRAINING_CORPORA = ("wikinews",)
TRAINING_SPINNERS = ("wordnet",)


def held_out_clean(analysed: list[Analysed]) -> list[Analysed]:
    return [a for a in analysed if not a.sample.spun and a.sample.corpus not in TRAINING_CORPORA]


def auc_table(analysed: list[Analysed]) -> list[dict[str, Any]]:
    """AUC of spun copies (one spinner, one rate) against held-out clean articles: all of them, and the
    clean originals of the same fixture articles alone (same register, paired)."""
    negatives = [a.score for a in held_out_clean(analysed)]
    fixtures = [a.score for a in held_out_clean(analysed) if a.sample.corpus == "fixtures"]
    groups: dict[tuple[str, float], list[float]] = {}
    for a in analysed:
        if a.sample.spun:
            groups.setdefault((a.sample.spinner, a.sample.rate), []).append(a.score)
    rows = []
    for (spinner, rate), pos in sorted(groups.items()):
        scores = pos + negatives
        labels = [1] * len(pos) + [0] * len(negatives)
        rows.append({"spinner": spinner, "rate": rate, "held_out_spinner": spinner not in TRAINING_SPINNERS,
                     "positives": len(pos), "negatives": len(negatives), "auc": auc(scores, labels),
                     "auc_fixtures": auc(pos + fixtures, [1] * len(pos) + [0] * len(fixtures)),
                     "median_spun_score": quantile(pos, 0.5)})
    return rows


def calibration(analysed: list[Analysed], spinner: str, prior: float | None = None) -> dict[str, Any]:
    """Brier score and reliability table over held-out clean articles and one spinner's copies: as
    sampled, and (when ``prior`` is given) re-weighted so spun copies are ``prior`` of the articles --
    the share of spun articles the scorer's calibration assumes."""
    items = held_out_clean(analysed) + [a for a in analysed if a.sample.spinner == spinner]
    scores = [a.score for a in items]
    labels = [1 if a.sample.spun else 0 for a in items]
    table = reliability(scores, labels, bins=10)
    out = {"spinner": spinner, "n": len(items), "brier": brier(scores, labels), "table": table,
           "ece": expected_calibration_error(table), "positives": sum(labels), "prior": prior}
    if prior is not None:
        w = prior_weights(labels, prior)
        wtable = weighted_reliability(scores, labels, w, bins=10)
        out |= {"brier_prior": weighted_brier(scores, labels, w), "table_prior": wtable,
                "ece_prior": expected_calibration_error_weighted(wtable, scores, w)}
    return out


def expected_calibration_error_weighted(table, scores: list[float], weights: list[float]) -> float | None:
    """ECE with bins weighted by their share of the (re-weighted) articles."""
    bins = len(table)
    mass = [0.0] * bins
    for p, w in zip(scores, weights, strict=True):
        mass[min(int(p * bins), bins - 1)] += w
    total = sum(mass)
    if not total:
        return None
    return sum(m * abs(b.mean_score - b.fraction_spun) for m, b in zip(mass, table, strict=True)) / total


def clean_scores(analysed: list[Analysed], suspect: float, spun: float) -> list[dict[str, Any]]:
    """Per clean corpus: how often the score stays below the thresholds, and its upper quantiles."""
    groups: dict[str, list[float]] = {}
    for a in analysed:
        if not a.sample.spun:
            groups.setdefault(a.sample.corpus, []).append(a.score)
    rows = []
    for corpus, scores in sorted(groups.items()):
        rows.append({"corpus": corpus, "n": len(scores), "in_training": corpus in TRAINING_CORPORA,
                     "below_suspect": sum(1 for s in scores if s < suspect) / len(scores),
                     "below_spun": sum(1 for s in scores if s < spun) / len(scores),
                     "p50": quantile(scores, 0.5), "p99": quantile(scores, 0.99), "max": max(scores)})
    return rows


def threshold_table(analysed: list[Analysed], thresholds=(0.3, 0.5, 0.7, 0.8, 0.9)) -> list[dict[str, Any]]:
    """For candidate thresholds: clean articles at or above them, and spun copies caught per spinner."""
    clean = [a.score for a in held_out_clean(analysed)]
    spun: dict[str, list[float]] = {}
    for a in analysed:
        if a.sample.spun:
            spun.setdefault(a.sample.spinner, []).append(a.score)
    rows = []
    for t in thresholds:
        row = {"threshold": t, "clean_flagged": sum(1 for s in clean if s >= t) / max(len(clean), 1)}
        for name, scores in sorted(spun.items()):
            row[name] = sum(1 for s in scores if s >= t) / len(scores)
        rows.append(row)
    return rows
