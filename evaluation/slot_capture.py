"""Record every document's candidate slots as the article scorer sees them (development dumps).

``scripts/build_scorer.py --dump`` and ``scripts/eval_article.py --dump`` wrap ``analyze`` in
``capture()``: each call of ``detect.article.slot_features`` (one per analysed document, in order)
appends that document's slots, compactly, to the returned list, so article-level aggregations can be
tried offline on the same runs (``evaluation/article_features.py``) without rerunning the detectors.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any


def compact(slots: list[Any]) -> list[list[float]]:
    """[p_spun, judge, margin, start, end, restores] per slot (restores: 1 when the best candidate
    differs from the text)."""
    return [[round(s.p_spun, 6), s.features.get("judge", 0.0), round(float(s.margin), 4), s.start, s.end,
             1 if (s.best and s.best.lower() != s.text.lower()) else 0] for s in slots]


@contextmanager
def capture():
    from unspin.detect import article

    seen: list[list[list[float]]] = []
    original = article.slot_features

    def recording(slots, words):
        seen.append(compact(slots))
        return original(slots, words)

    article.slot_features = recording
    try:
        yield seen
    finally:
        article.slot_features = original
