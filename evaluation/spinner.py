"""Shared types for evaluation spinners: a spun text and the substitutions that made it."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Substitution:
    """One replaced span: offsets into the spun text, the original words and what replaced them."""

    start: int
    end: int
    original: str
    replacement: str


@dataclass(frozen=True)
class SpunText:
    original: str
    text: str
    substitutions: tuple[Substitution, ...] = field(default_factory=tuple)
    spinner: str = ""
    rate: float = 0.0


def keep_case(original: str, replacement: str) -> str:
    """Give ``replacement`` the capitalisation of the first letter of ``original``."""
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


class Spinner(Protocol):
    """Replaces about ``rate`` of the content words of a text; deterministic for a given rng."""

    name: str

    def spin(self, text: str, rate: float, rng: random.Random) -> SpunText: ...
