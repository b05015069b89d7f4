"""Runs the evaluation suites and writes docs/evaluation.md.

Suites: ``detect`` (span metrics per detector, spinner and rate; false flags on clean text; unseen
screener phrases), ``score`` (article AUC, calibration, clean-article scores), and ``match`` /
``rewrite`` (delegated to ``evaluation.matching`` / ``.rewriting`` when those exist).
"""

from __future__ import annotations

import datetime as _dt
import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unspin.config import Config

from . import datasets as ds
from .detection import Analyzer, clean_table, generic_status, spun_table, unseen_phrase_rows
from .scoring import auc_table, calibration, clean_scores, threshold_table

SUITES = ("detect", "score", "match", "rewrite", "slots")


@dataclass(frozen=True)
class Plan:
    """How big an evaluation run is."""

    quick: bool
    seed: int = 0
    rates: tuple[float, ...] = (0.1, 0.2, 0.3, 0.45, 0.6)
    seeds_per_rate: int = 2
    fixtures_per_topic: int | None = None  # None: all fixture articles
    wikinews: int | None = None  # None: all
    reuters: int = 400
    unseen_phrases: int | None = None  # None: every TEST-split phrase
    spinners: tuple[str, ...] = ("wordnet", "thesaurus", "lexicon-reverse")

    @classmethod
    def make(cls, quick: bool, seed: int = 0) -> Plan:
        if quick:
            return cls(quick=True, seed=seed, rates=(0.1, 0.3), seeds_per_rate=1, fixtures_per_topic=2,
                       wikinews=20, reuters=20, unseen_phrases=96)
        return cls(quick=False, seed=seed)


@dataclass
class Results:
    plan: Plan
    suites: tuple[str, ...]
    started: str
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    generic_note: str | None = None
    spinners: list[str] = field(default_factory=list)
    spun_rows: list[dict[str, Any]] = field(default_factory=list)
    clean_rows: list[dict[str, Any]] = field(default_factory=list)
    unseen_rows: list[dict[str, Any]] = field(default_factory=list)
    unseen_phrases: int = 0
    auc_rows: list[dict[str, Any]] = field(default_factory=list)
    calibration: list[dict[str, Any]] = field(default_factory=list)
    clean_score_rows: list[dict[str, Any]] = field(default_factory=list)
    thresholds: list[dict[str, Any]] = field(default_factory=list)
    suspect_threshold: float = 0.5
    spun_threshold: float = 0.8
    scorer: dict[str, Any] = field(default_factory=dict)
    delegated: dict[str, str] = field(default_factory=dict)  # suite -> markdown (or a note)


def pick_fixtures(articles: list[ds.Article], per_topic: int | None) -> list[ds.Article]:
    if per_topic is None:
        return articles
    seen: dict[str, int] = {}
    out = []
    for a in articles:
        if seen.get(a.topic, 0) < per_topic:
            out.append(a)
            seen[a.topic] = seen.get(a.topic, 0) + 1
    return out


def build_samples(plan: Plan, fixtures: list[ds.Article], spinners: dict[str, object]) -> list[ds.Sample]:
    """Clean samples of every corpus plus spun fixture copies for each spinner, rate and seed."""
    wiki = ds.wikinews_articles()
    if plan.wikinews is not None:
        wiki = wiki[: plan.wikinews]
    clean = fixtures + wiki + ds.reuters_articles(plan.reuters, seed=plan.seed)
    samples = [ds.clean_sample(a) for a in clean]
    for sp in spinners.values():
        for rate in plan.rates:
            for k in range(plan.seeds_per_rate):
                samples.extend(ds.spin_article(a, sp, rate, plan.seed + k) for a in fixtures)
    return samples


def run(suites: tuple[str, ...] = ("detect", "score"), quick: bool = False, seed: int = 0,
        out_dir: Path | None = None, config: Config | None = None,
        progress: Callable[[str], None] | None = None) -> Results:
    """Run the chosen suites and return their results (``report.render`` turns them into Markdown)."""
    say = progress or (lambda _m: None)
    cfg = config or Config()
    plan = Plan.make(quick, seed)
    t0 = time.perf_counter()
    res = Results(plan=plan, suites=suites, started=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                  suspect_threshold=cfg.suspect_threshold, spun_threshold=cfg.spun_threshold)
    if "detect" in suites or "score" in suites:
        res.generic_note = generic_status()
        generic = res.generic_note is None
        fixtures = pick_fixtures(ds.fixture_articles(), plan.fixtures_per_topic)
        spinners = ds.spinners(plan.spinners)
        res.spinners = list(spinners)
        say(f"building samples: {len(fixtures)} fixture articles, spinners {', '.join(spinners)}")
        samples = build_samples(plan, fixtures, spinners)
        res.counts = {"fixture_articles": len(fixtures), "samples": len(samples),
                      "spun_samples": sum(1 for s in samples if s.spun),
                      "clean_samples": sum(1 for s in samples if not s.spun)}
        say(f"analysing {len(samples)} documents")
        analysed = Analyzer(generic=generic).run_all(samples, say)
        if "detect" in suites:
            dets = ("lexicon", "generic", "all") if generic else ("lexicon", "all")
            res.spun_rows = spun_table(analysed, dets)
            res.clean_rows = clean_table(analysed, dets)
            say("unseen screener phrases")
            phrases = ds.unseen_phrase_set(limit=plan.unseen_phrases, seed=plan.seed)
            res.unseen_phrases = phrases.phrases
            res.unseen_rows = unseen_phrase_rows(phrases.spun, phrases.clean, generic)
        if "score" in suites:
            from unspin.detect.scorer import load_model

            model = load_model()
            res.scorer = (model.data.get("meta", {}) | {"present": True,
                                                         "prior": model.data.get("calibration", {}).get("prior")}
                          ) if model else {"present": False}
            res.auc_rows = auc_table(analysed)
            prior = model.data.get("calibration", {}).get("prior") if model else None
            res.calibration = [calibration(analysed, name, prior) for name in spinners]
            res.clean_score_rows = clean_scores(analysed, cfg.suspect_threshold, cfg.spun_threshold)
            res.thresholds = threshold_table(analysed)
    for suite in ("match", "rewrite", "slots"):
        if suite in suites:
            res.delegated[suite] = _delegate(suite, quick, say)
    res.seconds = time.perf_counter() - t0
    return res


def _delegate(suite: str, quick: bool, say: Callable[[str], None]) -> str:
    module = {"match": "evaluation.matching", "rewrite": "evaluation.rewriting", "slots": "evaluation.slots"}[suite]
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:
            return f"_Skipped: `{module}` is not in this checkout yet._"
        raise
    say(f"{suite} suite ({module})")
    import tempfile

    # A throwaway working folder: the suites leave archives and learned lexicons there, some built
    # from Reuters text, which is for evaluation only and must not land in docs/.
    with tempfile.TemporaryDirectory(prefix=f"unspin-eval-{suite}-") as work:
        try:
            result = mod.run(Path(work), quick)
        except ModuleNotFoundError as exc:  # scikit-learn and friends: the "build" extra
            return (f"_Skipped: the {suite} suite needs `{exc.name}` "
                    "(`pip install 'unspin[build]'`)._")
    if isinstance(result, str):
        return result
    if result is None:
        return f"_`{module}.run` returned no section._"
    import json

    return "```json\n" + json.dumps(result, indent=2, default=str) + "\n```"
