"""One line for a document whose processing raised: the bottom of the per-document boundary.

Kept apart from ``unspin.guard`` (which runs the analysis) so that the document reader, the
archive and the rewriters can use it without importing the pipeline.
"""

from __future__ import annotations

import os

from .model import InputError


def failure(path: str, exc: BaseException, what: str = "could not be analysed") -> InputError:
    """The one line for a document whose processing raised: the path, what failed and the exception."""
    if os.environ.get("UNSPIN_DEBUG"):
        import traceback

        traceback.print_exception(exc)
    if isinstance(exc, RecursionError):
        detail = "nested too deeply"
    elif isinstance(exc, MemoryError):
        detail = "out of memory"
    else:
        text = str(exc).splitlines()[0][:160] if str(exc) else ""
        detail = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return InputError(path, f"{what} ({detail}); this is a bug in unspin, please report it")
