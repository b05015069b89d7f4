"""Carry the letter case of a matched phrase over to its replacement."""

from __future__ import annotations


def match_case(original: str, replacement: str) -> str:
    """Give ``replacement`` the case pattern of ``original``.

    ALL CAPS stays all caps, Title Case stays title case, a capitalised first word stays capitalised;
    otherwise the replacement is returned as written (keeping acronyms such as "GDP").
    """
    letters = [c for c in original if c.isalpha()]
    if not letters or not replacement:
        return replacement
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return replacement.upper()
    words = original.split()
    if len(words) > 1 and all(w[:1].isupper() for w in words if w[:1].isalpha()):
        return " ".join(w[:1].upper() + w[1:] for w in replacement.split(" "))
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def capitalise_like(model: str, word: str) -> str:
    """``word`` with its first letter upper case when ``model``'s is (the rest as written)."""
    return word[:1].upper() + word[1:] if model[:1].isupper() else word
