"""One emitter per output format, all reading the same reports and errors."""

from __future__ import annotations

from collections.abc import Callable

from ..model import DocumentReport, InputError

Emitter = Callable[[list[DocumentReport], list[InputError]], str]
FORMATS = ("text", "json", "sarif", "github")


def get_emitter(name: str, **options) -> Emitter:
    if name == "json":
        from .json import emit
    elif name == "sarif":
        from .sarif import emit
    elif name == "github":
        from .github import emit
    elif name == "text":
        from .text import emit
    else:
        raise ValueError(f"unknown format {name!r}; choose from {', '.join(FORMATS)}")
    return lambda reports, errors: emit(reports, errors, **options)
