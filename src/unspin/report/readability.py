"""Flesch reading ease for the report: the same ``unspin.metrics.readability`` that ``unspin fix`` reports.

That module runs textstat with its syllable counter pointed at pyphen (textstat's own counter would need
nltk's cmudict, which cannot be downloaded here), so the numbers agree across commands.
"""

from __future__ import annotations


def reading_ease(text: str) -> float | None:
    """Flesch reading ease of ``text`` (higher is easier; about 30-60 for news prose); None without words."""
    if not any(ch.isalpha() for ch in text):
        return None
    from ..metrics.readability import readability

    return float(readability(text).flesch_reading_ease)
