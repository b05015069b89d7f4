"""unspin: find synonym-spun copies of articles, their sources, and the original wording.

Public API (imported lazily so that the command-line start-up stays fast)::

    from unspin import analyze, analyze_many, load_documents, Finding, DocumentReport

``analyze_many`` analyses a folder or feed several documents at a time (the same reports as
``analyze`` one by one, faster).
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["analyze", "analyze_many", "analyze_text", "load_documents", "Finding", "Document", "DocumentReport",
           "Config"]


def __getattr__(name: str):
    if name in ("analyze", "analyze_many", "analyze_text", "Context"):
        from . import analysis

        return getattr(analysis, name)
    if name == "load_documents":
        from .document import load_documents

        return load_documents
    if name in ("Finding", "Document", "DocumentReport", "Suggestion", "InputError"):
        from . import model

        return getattr(model, name)
    if name == "Config":
        from .config import Config

        return Config
    raise AttributeError(name)
