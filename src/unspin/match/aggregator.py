"""News-aggregator items as archive entries: the item and each of its ``related`` items (issue #17).

An aggregator item is a Markdown file whose YAML front matter holds a title, an excerpt of one or two
sentences, the original URL, the provider, topics and a list of ``related`` items (other providers'
coverage of the same story, each with its own title, excerpt, URL and provider), and no body. Such an
item holds no full text to fingerprint, so ``archive add`` turns it into *excerpt entries*: one per
item and related item, each stored as its title and excerpt, identified by its URL (so the same
related article listed under two items is one entry), and all grouped under one *story* (the item's
URL), so ``match`` can say "this copy tells the story of these N originals".

The parsing reads ``Document.meta`` (the front matter ``document.parse_markdown`` already parsed).
"""

from __future__ import annotations

from typing import Any

from ..model import Document

EXCERPT = "excerpt"
ARTICLE = "article"
ENTRY_KEY = "unspin_entry"  # Document.meta key marking an excerpt entry
STORY_KEY = "unspin_story"  # Document.meta key: the story cluster the entry belongs to


class AggregatorProblem(ValueError):
    """An aggregator item whose front matter cannot be used; the message is one plain sentence."""


def is_aggregator_item(doc: Document) -> bool:
    """A front-matter document (or JSONL record) with an excerpt and no body prose."""
    meta = doc.meta or {}
    if doc.kind not in ("markdown", "jsonl") or not isinstance(meta.get("excerpt"), str):
        return False
    if doc.meta.get(ENTRY_KEY) == EXCERPT:
        return False  # already an entry
    return not any(s.field == "body" for s in doc.segments)


def entry_kind(doc: Document) -> str:
    return EXCERPT if (doc.meta or {}).get(ENTRY_KEY) == EXCERPT else ARTICLE


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return " ".join(value.split())
    return None


def _url(item: dict[str, Any]) -> str | None:
    for key in ("originalUrl", "webUrl", "url"):
        u = _text(item.get(key))
        if u:
            return u
    return None


def _provider(item: dict[str, Any]) -> dict[str, str] | None:
    p = item.get("provider")
    if isinstance(p, dict):
        out = {k: str(p[k]) for k in ("name", "domain") if isinstance(p.get(k), (str, int))}
        return out or None
    if isinstance(p, str) and p.strip():
        return {"name": p.strip()}
    return None


def _entry(item: dict[str, Any], story: str, path: str, where: str) -> Document:
    from ..document import record_document

    title, excerpt, url = _text(item.get("title")), _text(item.get("excerpt")), _url(item)
    if not url:
        raise AggregatorProblem(f"{where} has no URL (originalUrl, webUrl or url)")
    if not title and not excerpt:
        raise AggregatorProblem(f"{where} has neither a title nor an excerpt")
    published = item.get("publishedDateTime") or item.get("published") or item.get("date")
    rec: dict[str, Any] = {"id": url, "url": url, "text": "", ENTRY_KEY: EXCERPT, STORY_KEY: story}
    if title:
        rec["title"] = title
    if excerpt:
        rec["excerpt"] = excerpt
    if published is not None:
        iso = getattr(published, "isoformat", None)
        rec["published"] = iso().replace("+00:00", "Z") if callable(iso) else str(published)
    provider = _provider(item)
    if provider:
        rec["provider"] = provider
    return record_document(rec, path)


def aggregator_entries(doc: Document) -> list[Document]:
    """The excerpt entries of an aggregator item: the item first, then its related items, one per URL.

    Raises AggregatorProblem when the item itself has no URL or no text; a related item that is not a
    mapping or lacks a URL is an error too (the file is then reported and nothing of it is added).
    """
    meta = doc.meta or {}
    story = _url(meta) or doc.id
    if not story:
        raise AggregatorProblem("aggregator item has no URL (originalUrl, webUrl or url)")
    entries = [_entry(meta, story, doc.path, "aggregator item")]
    related = meta.get("related")
    if related is None:
        related = []
    if not isinstance(related, list):
        raise AggregatorProblem("front matter 'related' is not a list")
    for k, item in enumerate(related, 1):
        if not isinstance(item, dict):
            raise AggregatorProblem(f"related item {k} is not a mapping")
        entries.append(_entry(item, story, doc.path, f"related item {k}"))
    seen: set[str] = set()
    out = []
    for e in entries:
        if e.id not in seen:
            seen.add(e.id or "")
            out.append(e)
    return out


def expand_documents(docs: Any, errors: list | None = None) -> Any:
    """Documents as archive entries: aggregator items become their excerpt entries, others pass through.

    A broken aggregator item is appended to ``errors`` (``InputError``) and skipped.
    """
    from ..model import InputError

    for doc in docs:
        if not is_aggregator_item(doc):
            yield doc
            continue
        try:
            yield from aggregator_entries(doc)
        except AggregatorProblem as exc:
            if errors is None:
                raise
            errors.append(InputError(doc.path, str(exc)))
