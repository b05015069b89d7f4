"""The per-document boundary: one document's failure is reported for that document, never for the run.

Input errors (a file that cannot be read or parsed) are caught where documents are read
(``document.read_source_reporting``); this module covers the rest: an unexpected exception while a
document is analysed, or while a report is rendered, becomes one ``InputError`` naming that document,
and every other document is still analysed and reported. The command then exits 2 as for any input
error (docs/formats.md, "Errors").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .failures import failure
from .model import Document, DocumentReport, InputError

__all__ = ["analyze_each", "failure", "guarded", "render_each"]


def analyze_each(docs: Iterable[Document], ctx: Any, errors: list[InputError]) -> Iterator[DocumentReport]:
    """``analysis.analyze_many`` that never raises for one document: a batch that fails is analysed
    again document by document, and a document that still fails goes to ``errors``."""
    from .analysis import analyze, analyze_many, batches

    for batch in batches(docs):
        try:
            reports = list(analyze_many(batch, ctx))
        except Exception:
            reports = []
            for doc in batch:
                try:
                    reports.append(analyze(doc, ctx))
                except Exception as exc:
                    errors.append(failure(doc.path, exc))
        yield from reports


def render_each(emit: Callable[[list[DocumentReport], list[InputError]], str], reports: list[DocumentReport],
                errors: list[InputError]) -> str:
    """``emit(reports, errors)``; if it raises, the reports it cannot render are left out and named in
    ``errors`` (found one by one), and the rest are rendered."""
    try:
        return emit(reports, errors)
    except Exception:
        pass
    kept: list[DocumentReport] = []
    for r in reports:
        try:
            emit([r], [])
            kept.append(r)
        except Exception as exc:
            errors.append(failure(r.path, exc, "could not be reported"))
    return emit(kept, errors)


def guarded(path: str, errors: list[InputError], fn: Callable[[], Any], what: str = "could not be processed"
            ) -> Any:
    """``fn()``, or None with the failure added to ``errors`` for ``path``."""
    try:
        return fn()
    except Exception as exc:
        errors.append(failure(path, exc, what))
        return None
