"""Per-provider aggregation of article reports, and the rule that flags low-quality providers.

Everything here is a pure function of the article rows, so the numbers do not depend on how or
where the articles were analysed: rows are aggregated in input order, in one process.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..model import DocumentReport
from ..rules import is_spin

UNKNOWN_PROVIDER = "(no provider)"
HISTOGRAM_BINS = 10


@dataclass(frozen=True)
class ArticleRow:
    """What the report keeps of one analysed article: small, picklable, and enough for every output."""

    path: str
    provider: str
    domain: str | None
    score: float
    verdict: str
    words: int
    findings: int
    phrases: tuple[str, ...] = ()  # spun phrases as marked, lower-cased, in document order
    id: str | None = None
    title: str | None = None
    url: str | None = None
    readability: float | None = None
    quality: float | None = None
    heat: float | None = None
    related: int = 0

    @property
    def flagged(self) -> bool:
        return self.verdict != "clean"

    @property
    def provider_key(self) -> str:
        return provider_key(self.provider, self.domain)


def provider_key(name: str | None, domain: str | None) -> str:
    """Articles are grouped by domain when they have one, else by provider name (case-insensitive)."""
    if domain and domain.strip():
        return domain.strip().lower()
    if name and name.strip() and name != UNKNOWN_PROVIDER:
        return " ".join(name.split()).lower()
    return ""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            x = float(value.strip())
        except ValueError:
            return None
        return x if math.isfinite(x) else None
    return None


def normalise_phrase_text(text: str) -> str:
    return " ".join(text.split()).lower()


def article_row(report: DocumentReport, readability: float | None = None) -> ArticleRow:
    """Reduce a DocumentReport (and its document's metadata) to an ArticleRow."""
    doc = report.document
    meta = doc.meta if doc is not None else {}
    related = meta.get("related")
    name = doc.provider_name if doc is not None else None
    domain = doc.provider_domain if doc is not None else None
    return ArticleRow(
        path=report.path,
        provider=" ".join(name.split()) if name and name.strip() else (domain or UNKNOWN_PROVIDER),
        domain=domain.strip() if domain and domain.strip() else None,
        score=float(report.score),
        verdict=report.verdict,
        words=report.words,
        findings=len(report.findings),
        phrases=tuple(normalise_phrase_text(f.text) for f in report.findings
                      if is_spin(f.rule) and f.text.strip()),
        id=doc.id if doc is not None else None,
        title=doc.title if doc is not None else None,
        url=doc.url if doc is not None else None,
        readability=readability,
        quality=_number(meta.get("quality")),
        heat=_number(meta.get("heat")),
        related=len(related) if isinstance(related, list) else 0,
    )


# ---------------------------------------------------------------------------------------------------
# The flag rule


@dataclass(frozen=True)
class FlagRule:
    """A provider is low quality when it has at least ``min_articles`` articles and either
    ``flagged_share`` of them are flagged or its mean score is at least ``mean_score``."""

    min_articles: int = 5
    flagged_share: float = 0.25
    mean_score: float = 0.5

    def __post_init__(self) -> None:
        if not isinstance(self.min_articles, int) or self.min_articles < 1:
            raise ValueError("min_articles must be a whole number of at least 1")
        for name in ("flagged_share", "mean_score"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not 0.0 <= v <= 1.0:
                raise ValueError(f"{name} must be in [0.0, 1.0]")

    def reasons(self, articles: int, flagged_share: float, mean_score: float) -> list[str]:
        """Why a provider with these numbers is low quality; empty when it is not."""
        if articles < self.min_articles:
            return []
        out = []
        if flagged_share >= self.flagged_share:
            out.append(f"{flagged_share:.0%} of articles flagged (rule: at least {self.flagged_share:.0%})")
        if mean_score >= self.mean_score:
            out.append(f"mean score {mean_score:.2f} (rule: at least {self.mean_score:.2f})")
        return out

    def describe(self, suspect_threshold: float | None = None) -> str:
        flagged = "an article is flagged when its verdict is suspect or spun"
        if suspect_threshold is not None:
            flagged += f" (score at least {suspect_threshold:.2f})"
        return (f"A provider is flagged as low quality when it has at least {self.min_articles} "
                f"article{'s' if self.min_articles != 1 else ''} and either at least "
                f"{self.flagged_share:.0%} of its articles are flagged or its mean article score is at least "
                f"{self.mean_score:.2f}; {flagged}.")

    def to_json(self) -> dict[str, Any]:
        return {"min_articles": self.min_articles, "flagged_share": self.flagged_share,
                "mean_score": self.mean_score}


# ---------------------------------------------------------------------------------------------------
# Aggregation


@dataclass(frozen=True)
class ProviderStats:
    key: str
    name: str
    domain: str | None
    articles: int
    flagged: int
    spun: int
    suspect: int
    mean_score: float
    worst_score: float
    worst_article: str
    mean_readability: float | None
    mean_quality: float | None
    mean_heat: float | None
    top_phrases: tuple[tuple[str, int], ...]
    examples: tuple[ArticleRow, ...]
    histogram: tuple[int, ...]  # article counts per score bin [0, 0.1), ..., [0.9, 1.0]
    low_quality: bool = False
    reasons: tuple[str, ...] = ()
    scores: tuple[float, ...] = field(default=(), repr=False)
    archive: dict[str, int] | None = None  # the archive gate's counts by status (report --db; report/gate.py)

    @property
    def flagged_share(self) -> float:
        return self.flagged / self.articles if self.articles else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.name,
            "domain": self.domain,
            "articles": self.articles,
            "flagged": self.flagged,
            "flagged_share": round(self.flagged_share, 4),
            "spun": self.spun,
            "suspect": self.suspect,
            "mean_score": round(self.mean_score, 4),
            "worst_score": round(self.worst_score, 4),
            "worst_article": self.worst_article,
            "mean_readability": _round(self.mean_readability, 2),
            "mean_quality": _round(self.mean_quality, 4),
            "mean_heat": _round(self.mean_heat, 2),
            "low_quality": self.low_quality,
            "reasons": list(self.reasons),
            "top_phrases": [{"phrase": p, "count": c} for p, c in self.top_phrases],
            "score_histogram": list(self.histogram),
            "examples": [{"path": a.path, "id": a.id, "title": a.title, "url": a.url,
                          "score": round(a.score, 4), "verdict": a.verdict} for a in self.examples],
            "archive": self.archive,
        }


def _round(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits)


def _mean(values: list[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def score_bin(score: float, bins: int = HISTOGRAM_BINS) -> int:
    return min(bins - 1, max(0, int(score * bins)))


def _most_common_name(names: list[str]) -> str:
    counts = Counter(names)
    best = max(counts.values())
    return min(n for n, c in counts.items() if c == best)


def aggregate_providers(rows: Iterable[ArticleRow], rule: FlagRule, *, top_phrases: int = 5,
                        examples: int = 3) -> list[ProviderStats]:
    """One ProviderStats per provider, ranked: low-quality first, then by flagged share and mean score."""
    groups: dict[str, list[ArticleRow]] = {}
    for row in rows:
        groups.setdefault(row.provider_key, []).append(row)
    out = []
    for key, items in groups.items():
        scores = [r.score for r in items]
        n = len(items)
        flagged = sum(1 for r in items if r.flagged)
        mean_score = math.fsum(scores) / n
        worst = min(items, key=lambda r: (-r.score, r.path))
        phrase_counts = Counter(p for r in items for p in r.phrases)
        top = tuple(sorted(phrase_counts.items(), key=lambda pc: (-pc[1], pc[0]))[:top_phrases])
        hist = [0] * HISTOGRAM_BINS
        for s in scores:
            hist[score_bin(s)] += 1
        reasons = rule.reasons(n, flagged / n, mean_score)
        domains = [r.domain for r in items if r.domain]
        out.append(ProviderStats(
            key=key,
            name=_most_common_name([r.provider for r in items]),
            domain=_most_common_name(domains) if domains else None,
            articles=n,
            flagged=flagged,
            spun=sum(1 for r in items if r.verdict == "spun"),
            suspect=sum(1 for r in items if r.verdict == "suspect"),
            mean_score=mean_score,
            worst_score=worst.score,
            worst_article=worst.path,
            mean_readability=_mean([r.readability for r in items if r.readability is not None]),
            mean_quality=_mean([r.quality for r in items if r.quality is not None]),
            mean_heat=_mean([r.heat for r in items if r.heat is not None]),
            top_phrases=top,
            examples=tuple(sorted(items, key=lambda r: (-r.score, r.path))[:examples]),
            histogram=tuple(hist),
            low_quality=bool(reasons),
            reasons=tuple(reasons),
            scores=tuple(scores),
        ))
    out.sort(key=lambda p: (not p.low_quality, -p.flagged_share, -p.mean_score, p.name.lower(), p.key))
    return out


@dataclass(frozen=True)
class Totals:
    articles: int
    providers: int
    flagged: int
    low_quality_providers: int
    errors: int

    def to_json(self) -> dict[str, int]:
        return {"articles": self.articles, "providers": self.providers, "flagged": self.flagged,
                "low_quality_providers": self.low_quality_providers, "errors": self.errors}


def totals(rows: list[ArticleRow], providers: list[ProviderStats], errors: int) -> Totals:
    return Totals(articles=len(rows), providers=len(providers), flagged=sum(1 for r in rows if r.flagged),
                  low_quality_providers=sum(1 for p in providers if p.low_quality), errors=errors)
