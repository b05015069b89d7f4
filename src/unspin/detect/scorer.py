"""Article-level probability of being spun, from the findings and the text.

Until the trained model of models/scorer.json exists, the score is a transparent density rule:
confidence-weighted findings per 100 prose words, squashed into [0, 1].
"""

from __future__ import annotations

import math

from ..model import Document, Finding
from ..text import MatchStream


def score_document(doc: Document, stream: MatchStream, findings: list[Finding], words: int) -> tuple[float, dict]:
    weighted = sum(f.confidence for f in findings if f.rule.startswith(("US1", "US2", "US3")))
    density = 100.0 * weighted / max(words, 50)
    score = 1.0 - math.exp(-0.9 * density)
    return score, {"weighted_findings": weighted, "density_per_100_words": density}
