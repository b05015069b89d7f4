"""Locate shipped data (lexicons, models) in a wheel install or a source checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def _root(name: str) -> Path:
    bundled = _PACKAGE / "_bundled" / name
    if bundled.is_dir():
        return bundled
    checkout = _PACKAGE.parent.parent / name  # src/unspin -> repo root
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"unspin's {name}/ folder is missing from this installation ({bundled})")


def data_path(*parts: str) -> Path:
    """Path under the shipped data/ folder."""
    return _root("data").joinpath(*parts)


def model_path(*parts: str) -> Path:
    """Path under the shipped models/ folder."""
    return _root("models").joinpath(*parts)


def docs_uri(name: str = "rules.md") -> str | None:
    """A file: URI of a document under docs/ (the checkout's, or the copy bundled in the wheel), or None."""
    try:
        path = _root("docs") / name
    except FileNotFoundError:
        return None
    return path.resolve().as_uri() if path.is_file() else None
