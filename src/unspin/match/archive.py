"""The archive of original articles: SQLAlchemy Core over SQLite (default) or PostgreSQL.

Four tables, all prefixed ``unspin_`` so that a newsroom's shared PostgreSQL database can hold
other things too:

- ``unspin_meta``: key/value pairs, among them ``schema_version`` and the fingerprint parameters;
- ``unspin_articles``: one row per article (archive id, content hash, metadata, the archived prose,
  the gate's status: original, copy, held, fixed or rejected, see ``unspin.match.gate``, and the
  entry's kind: "article" or "excerpt");
- ``unspin_bands``: the LSH index, one (key, article) row per band of the article's MinHash (and, for
  an excerpt entry, one row per retrieval term, in the negative key range: ``match.excerpt``). Only
  entries that may be sources (status original or fixed) have index rows, so copies, held and
  rejected articles are never retrieved as candidates;
- ``unspin_links``: a copy's likely sources, with the aligned substitutions;
- ``unspin_stories``: (story, archive id) rows grouping an aggregator item's entries (issue #17).

Schema changes are steps in ``unspin.match.migrations``, run when an older archive is opened.

Writes happen in batches, one transaction each, so a killed run leaves every batch either fully in
or fully out. Writers are serialised: SQLite transactions that write start with ``BEGIN IMMEDIATE``
(WAL journal, long busy timeout, so a second process waits instead of failing), PostgreSQL ones take
a transaction-level advisory lock. Readers never block writers.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..archive_url import default_db_url, resolve_archive_url  # noqa: F401  (default_db_url re-exported)
from ..model import Document
from .migrations import SCHEMA_VERSION

# statuses of an archived article (the gate's sorting, then an editor's review)
ORIGINAL, COPY, HELD, FIXED, REJECTED = "original", "copy", "held", "fixed", "rejected"
STATUSES = (ORIGINAL, COPY, HELD, FIXED, REJECTED)
SOURCE_STATUSES = (ORIGINAL, FIXED)  # indexed, offered as sources
BATCH_SIZE = 500
BUSY_TIMEOUT_MS = 120_000
CACHE_KIB = 131_072  # SQLite page cache per connection, at most 128 MiB
_PG_LOCK_ID = 0x756E7370  # "unsp": the advisory lock every PostgreSQL writer takes
_SQLITE_MAGIC = b"SQLite format 3\x00"


class ArchiveError(Exception):
    """The archive cannot be opened or used; the message is one plain sentence."""


@dataclass(frozen=True)
class ArchivedArticle:
    """An article as stored: archive id, metadata and the archived prose (source offsets index ``text``)."""

    id: str
    title: str | None
    url: str | None
    provider_name: str | None
    provider_domain: str | None
    published: str | None
    path: str | None
    text: str
    pk: int = 0
    status: str = ORIGINAL
    score: float | None = None
    verdict: str | None = None
    findings: str | None = None  # JSON list of the gate's top findings
    submitted_text: str | None = None  # the text as submitted, when ``text`` is the gate's rewrite


@dataclass
class Incoming:
    """A document to store, with the gate's decision about it (defaults: a trusted original).

    ``text`` replaces the document's prose (a rewrite; the prose is then kept as ``submitted_text``);
    ``links`` are the copy's likely sources (``SourceMatch``)."""

    doc: Document
    status: str = ORIGINAL
    score: float | None = None
    verdict: str | None = None
    findings: str | None = None
    text: str | None = None
    links: tuple[Any, ...] = ()
    fingerprint: Any = None  # of the stored text when the caller has it already (``fingerprint.fingerprint``)
    prose: str | None = None  # ``normalise_text(doc.prose())`` when the caller has it already
    content_hash: str | None = None  # ``content_hash(prose)`` likewise


@dataclass
class AddResult:
    """What ``add_documents`` did: counts of added, updated and unchanged articles."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    ids: list[str] = field(default_factory=list)
    stored: list[tuple[str, str]] = field(default_factory=list)  # (id, status) of every row written
    written: list[Incoming] = field(default_factory=list)  # the items added or updated (not unchanged)
    failed: list = field(default_factory=list)  # InputError per document that could not be prepared

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged


def normalise_url(url: str) -> str:
    """Accept a plain file path as a SQLite archive; pick psycopg (v3) for ``postgresql://``."""
    if "://" not in url:
        return "sqlite:///" + os.path.abspath(os.path.expanduser(url))
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def display_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


def document_id(doc: Document) -> str:
    """The archive id of a document: its own id, else its URL, else its file path, else a content hash."""
    if doc.id:
        return doc.id
    if doc.url:
        return doc.url
    if doc.kind != "jsonl" and doc.path not in ("-", "") and os.path.exists(doc.path):
        return os.path.abspath(doc.path)
    return "sha256:" + content_hash(doc.prose())[:24]


def repaired_text(text: str) -> str:
    """``normalise_text(text)`` (``unspin.detect.normalise``), with its shortcut for text it leaves alone
    (``unchanged_by_normalise``: a few C-level scans instead of the substitutions)."""
    from ..detect.normalise import normalise_text, unchanged_by_normalise

    return text if unchanged_by_normalise(text) else normalise_text(text)


def content_hash(prose: str) -> str:
    """SHA-256 of the normalised words of the prose: same words, same hash, whatever the markup."""
    from ..text import WORD_RE

    words = " ".join(WORD_RE.findall(prose)).lower()  # same as lowering each word, one pass
    return hashlib.sha256(words.encode("utf-8")).hexdigest()


def entry_fingerprint(text: str, kind: str = "article") -> Any:
    """The index keys of an archive entry: skeleton LSH keys for a full text, term keys for an excerpt."""
    from .fingerprint import Fingerprint, fingerprint

    if kind == "excerpt":
        from .excerpt import entry_keys

        keys = entry_keys(text)
        return Fingerprint(len(keys), keys)
    return fingerprint(text)


def _tables():
    from sqlalchemy import BigInteger, Column, Float, ForeignKey, Index, Integer, MetaData, String, Table, Text

    md = MetaData()
    meta = Table("unspin_meta", md, Column("key", String(64), primary_key=True), Column("value", Text))
    articles = Table(
        "unspin_articles", md,
        Column("pk", Integer, primary_key=True, autoincrement=True),
        Column("id", Text, nullable=False, unique=True),
        Column("content_hash", String(64), nullable=False, index=True),
        Column("title", Text), Column("url", Text), Column("provider_name", Text),
        Column("provider_domain", Text), Column("published", Text), Column("path", Text),
        Column("text", Text, nullable=False),
        Column("shingle_count", Integer, nullable=False),
        Column("band_count", Integer, nullable=False),
        Column("added_at", Float, nullable=False),
        # issue #17: "article" (full text) or "excerpt" (title + excerpt of an aggregator item)
        Column("kind", String(16), nullable=False, server_default="article"),
        # schema 2 (migrations._v2_gate): the gate
        Column("status", String(16), nullable=False, server_default=ORIGINAL),
        Column("score", Float), Column("verdict", String(16)), Column("findings", Text),
        Column("submitted_text", Text), Column("reviewed_at", Float),
        Index("ix_unspin_articles_status", "status"),
    )
    # schema 4 (migrations.v4_bands_without_fk): no foreign key from ``article`` to the articles, whose
    # check cost PostgreSQL a lookup per index row (three quarters of its CPU in a bulk load); the
    # archive deletes an article's rows itself (``_delete_bands``) and ``check_integrity`` looks for orphans
    bands = Table(
        "unspin_bands", md,
        Column("key", BigInteger, primary_key=True),
        Column("article", Integer, primary_key=True),
        sqlite_with_rowid=False,
    )
    links = Table(
        "unspin_links", md,
        Column("article", Integer, ForeignKey("unspin_articles.pk", ondelete="CASCADE"), primary_key=True),
        Column("source", Integer, ForeignKey("unspin_articles.pk", ondelete="CASCADE"), primary_key=True),
        Column("rank", Integer, nullable=False), Column("score", Float, nullable=False),
        Column("coverage", Float, nullable=False), Column("substitutions", Text, nullable=False),
        Index("ix_unspin_links_source", "source"),
    )
    stories = _stories_table(md)
    return md, meta, articles, bands, links, stories


class Archive:
    """An archive of original articles with an LSH index over spin-proof fingerprints.

    Open with ``open_archive(url)``; ``add_documents`` and ``find_sources`` are the main entry points.
    """

    def __init__(self, engine: Any, url: str):
        self.engine = engine
        self.url = url
        self.metadata, self.meta, self.articles, self.bands, self.links, self.stories = _tables()
        self.is_sqlite = engine.dialect.name == "sqlite"
        self._prepared: dict[int, tuple[Document, str, str]] = {}

    # -- connections -------------------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[Any]:
        """A write transaction that holds the archive's writer lock until it commits or rolls back."""
        with self._errors():
            with self.engine.connect().execution_options(unspin_write=True) as conn:
                with conn.begin():
                    if not self.is_sqlite:
                        from sqlalchemy import text

                        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_ID})
                    yield conn

    @contextmanager
    def read(self) -> Iterator[Any]:
        """A read-only transaction (a consistent snapshot)."""
        with self._errors():
            with self.engine.connect() as conn:
                with conn.begin():
                    yield conn

    @contextmanager
    def _errors(self) -> Iterator[None]:
        from sqlalchemy import exc

        try:
            yield
        except exc.OperationalError as e:
            raise ArchiveError(_plain(e)) from None
        except exc.DatabaseError as e:
            raise ArchiveError(_plain(e)) from None

    def close(self) -> None:
        self.engine.dispose()

    # -- writing -----------------------------------------------------------------------------------

    def prepared(self, doc: Document) -> tuple[str, str] | None:
        """(content hash, repaired prose) of a document of the last batch ``store`` wrote, so the
        n-gram counts of the same originals (``corpus.record_originals``) need not compute them again."""
        got = self._prepared.get(id(doc))
        return (got[1], got[2]) if got is not None and got[0] is doc else None

    def add_documents(self, docs: Iterable[Document], *, batch_size: int = BATCH_SIZE,
                      on_batch: Callable[[int], None] | None = None) -> AddResult:
        """Add or update documents as originals, without the gate (a trusted import), in batches (one
        transaction each); idempotent.

        The stored text is the document's prose after text-quality repairs (``normalise_text``).

        A document whose archive id (``document_id``) or whose content is already archived updates
        that row instead of adding a second one.
        """
        result = AddResult()
        batch: list[Incoming] = []
        for doc in docs:
            batch.append(Incoming(doc))
            if len(batch) >= batch_size:
                self.store(batch, result)
                if on_batch:
                    on_batch(len(batch))
                batch = []
        if batch:
            self.store(batch, result)
            if on_batch:
                on_batch(len(batch))
        return result

    def store(self, items: list[Incoming], result: AddResult | None = None) -> AddResult:
        """Write one batch of documents, each with its status, in one transaction; returns the counts.

        Articles that may be sources (SOURCE_STATUSES) get index rows; the others get none, so they
        are never retrieved as candidates. A copy's links to its sources replace any earlier ones.
        """
        import json

        from sqlalchemy import delete, select, update

        from .aggregator import STORY_KEY, entry_kind
        from .fingerprint import FUNCTION_WORDS, fingerprints

        result = result if result is not None else AddResult()
        self._prepared = {}  # this batch's documents: their repaired prose and content hash (``prepared``)
        rows: dict[str, dict[str, Any]] = {}  # by id; a later duplicate in the batch wins
        by_hash: dict[str, str] = {}
        story_rows: list[tuple[str, str]] = []  # (story, id as given) of excerpt entries
        from .tokenbatch import content_hashes, hashes_and_skeletons

        texts: list[tuple[Incoming, str, str, str, bool]] = []  # (item, prose, text, kind, needs a fingerprint)
        for item in items:
            try:
                # mojibake, NFC, controls, spaces repaired before storing
                prose = item.prose if item.prose is not None else repaired_text(item.doc.prose())
                text = repaired_text(item.text) if item.text is not None else prose
                kind = entry_kind(item.doc)
            except Exception as exc:  # a bug on one document: reported for it, the batch is still stored
                from ..failures import failure

                result.failed.append(failure(item.doc.path, exc, "could not be archived"))
                continue
            need_fp = kind == "article" and (item.fingerprint is None or item.text is not None)
            texts.append((item, prose, text, kind, need_fp))
        # content hashes of the prose (of the submitted words, so resubmitting them is recognised) and
        # the skeleton words of the texts to fingerprint, computed together for the texts ``tokenbatch``
        # takes (one pass over a text serves both when the stored text is the prose)
        shared = [k for k, (it, _, _, _, need_fp) in enumerate(texts)
                  if it.content_hash is None and need_fp and it.text is None]
        in_shared = set(shared)
        hash_only = [k for k, (it, _, _, _, _) in enumerate(texts) if it.content_hash is None and k not in in_shared]
        pre_hash: dict[int, str] = {}
        pre_skeleton: dict[int, Any] = {}
        try:
            for k, got in zip(shared, hashes_and_skeletons([texts[k][1] for k in shared], FUNCTION_WORDS),
                              strict=True):
                if got is not None:
                    pre_hash[k], pre_skeleton[k] = got
            for k, h in zip(hash_only, content_hashes([texts[k][1] for k in hash_only]), strict=True):
                if h is not None:
                    pre_hash[k] = h
        except Exception:  # the per-text code below then does them
            pass
        prepared: list[tuple[Incoming, str, str, str, str, str, Any, int]] = []
        for k, (item, prose, text, kind, need_fp) in enumerate(texts):
            doc = item.doc
            try:
                h = item.content_hash if item.content_hash is not None else pre_hash.get(k) or content_hash(prose)
                did = document_id(doc)
                fp = (None if need_fp else item.fingerprint if kind == "article" else entry_fingerprint(text, kind))
            except Exception as exc:  # a bug on one document: reported for it, the batch is still stored
                from ..failures import failure

                result.failed.append(failure(doc.path, exc, "could not be archived"))
                continue
            prepared.append((item, prose, text, h, did, kind, fp, k))
        # the fingerprints of the full texts that need one, computed together (``fingerprints``)
        todo = [j for j, p in enumerate(prepared) if p[6] is None]
        try:
            ready = dict(zip(todo, fingerprints([prepared[j][2] for j in todo],
                                                [pre_skeleton.get(prepared[j][7]) for j in todo]), strict=True))
        except Exception:  # a text the batch code cannot take: each is fingerprinted on its own below
            ready = {}
        for j, (item, prose, text, h, did, kind, fp, _) in enumerate(prepared):
            doc = item.doc
            if fp is None:
                try:
                    fp = ready[j] if j in ready else entry_fingerprint(text, kind)
                except Exception as exc:
                    from ..failures import failure

                    result.failed.append(failure(doc.path, exc, "could not be archived"))
                    continue
            if did not in rows and h in by_hash:
                did = by_hash[h]  # same words under another id in this batch: one article
            if kind == "excerpt" and rows.get(did, {}).get("kind") == "article":
                continue  # never let an excerpt replace the full text of the same URL
            source = item.status in SOURCE_STATUSES
            rows[did] = {
                "id": did, "content_hash": h, "title": doc.title, "url": doc.url,
                "provider_name": doc.provider_name, "provider_domain": doc.provider_domain,
                "published": doc.published, "path": None if doc.path == "-" else doc.path, "text": text,
                "shingle_count": fp.shingle_count, "band_count": len(fp.keys) if source else 0,
                "added_at": time.time(), "status": item.status, "score": item.score, "verdict": item.verdict,
                "findings": item.findings, "submitted_text": prose if item.text is not None else None,
                "reviewed_at": None, "kind": kind,
                "_keys": fp.keys if source else (), "_links": item.links, "_item": item,
            }
            by_hash[h] = did
            self._prepared[id(doc)] = (doc, h, prose)
            story = (doc.meta or {}).get(STORY_KEY)
            if story:
                story_rows.append((str(story), did))
        a = self.articles
        with self.write() as conn:
            existing: dict[str, tuple[int, str, str, str]] = {}  # id -> (pk, id, hash, status)
            kinds: dict[int, str] = {}
            ids = list(rows)
            cols = (a.c.pk, a.c.id, a.c.content_hash, a.c.status, a.c.kind)
            for chunk in _chunks(ids, 400):
                for pk, rid, h, st, kind in conn.execute(select(*cols).where(a.c.id.in_(chunk))):
                    existing[rid] = (pk, rid, h, st)
                    kinds[pk] = kind
            hashes = [r["content_hash"] for rid, r in rows.items() if rid not in existing]
            by_content: dict[str, tuple[int, str, str, str]] = {}
            for chunk in _chunks(hashes, 400):
                for pk, rid, h, st, kind in conn.execute(select(*cols).where(a.c.content_hash.in_(chunk))):
                    by_content.setdefault(h, (pk, rid, h, st))
                    kinds[pk] = kind
            new: list[tuple[dict[str, Any], tuple[int, ...], tuple[Any, ...]]] = []
            band_keys: list[Any] = []  # per article written: its distinct keys ...
            band_pks: list[int] = []  # ... and its pk
            linked: list[tuple[int, tuple[Any, ...]]] = []
            final_id: dict[str, str] = {}
            for rid, row in rows.items():
                keys = row.pop("_keys")
                links = row.pop("_links")
                item = row.pop("_item")
                old = existing.get(rid) or by_content.get(row["content_hash"])
                if old is None:
                    new.append((row, keys, links))
                    result.written.append(item)
                    final_id[rid] = rid
                    continue
                pk, old_id, old_hash, old_status = old
                final_id[rid] = old_id
                if row["kind"] == "excerpt" and kinds.get(pk) == "article":
                    result.unchanged += 1  # the full text stays; the excerpt only joins its story
                    result.ids.append(old_id)
                    continue
                values = dict(row)
                if old_id != rid and rid not in existing:
                    values["id"] = old_id if _is_weak_id(rid) else rid
                final_id[rid] = values["id"]
                was_source = old_status in SOURCE_STATUSES
                same = (old_hash == row["content_hash"] and old_status == row["status"]
                        and kinds.get(pk) == row["kind"])
                if same:
                    values.pop("added_at")
                    result.unchanged += 1
                else:
                    result.updated += 1
                    result.written.append(item)
                if was_source and not same:
                    self._delete_bands(conn, [pk])
                conn.execute(update(a).where(a.c.pk == pk).values(**values))
                if keys and not same:
                    band_keys.append(keys)
                    band_pks.append(pk)
                linked.append((pk, links))
                result.ids.append(values["id"])
                result.stored.append((values["id"], row["status"]))
            if new:
                inserted = self._insert_articles(conn, [r for r, _, _ in new])
                for (pk, rid), (row, keys, links) in zip(inserted, new, strict=False):
                    if keys:
                        band_keys.append(keys)
                        band_pks.append(pk)
                    linked.append((pk, links))
                    result.ids.append(rid)
                    result.stored.append((rid, row["status"]))
                result.added += len(new)
            if band_keys:
                self._insert_bands(conn, band_keys, band_pks)
            touched = [pk for pk, _ in linked]
            for chunk in _chunks(touched, 400):
                conn.execute(delete(self.links).where(self.links.c.article.in_(chunk)))
            wanted = {m.id for _, links in linked for m in links}
            source_pk: dict[str, int] = {}
            for chunk in _chunks(sorted(wanted), 400):
                source_pk.update((rid, pk) for pk, rid in conn.execute(select(a.c.pk, a.c.id).where(a.c.id.in_(chunk))))
            link_rows = []
            for pk, links in linked:
                seen: set[int] = set()
                for rank, m in enumerate(links):
                    spk = source_pk.get(m.id)
                    if spk is None or spk == pk or spk in seen:  # removed meanwhile, or itself
                        continue
                    seen.add(spk)
                    link_rows.append({"article": pk, "source": spk, "rank": rank, "score": float(m.score),
                                      "coverage": float(m.coverage),
                                      "substitutions": json.dumps([x.to_json() for x in m.substitutions])})
            if link_rows:
                conn.execute(self.links.insert(), link_rows)
            if story_rows:
                self._add_stories(conn, [(story, final_id.get(rid, rid)) for story, rid in story_rows])
            if any(r["kind"] == "excerpt" for r in rows.values()):
                self._mark_excerpts(conn)
        return result

    def set_status(self, ids: Iterable[str], status: str) -> list[ArchivedArticle]:
        """Move articles to ``status`` (an editor's accept or reject); returns the articles moved
        (as they are now). Index rows are added or removed as the article becomes a source or stops
        being one; an article moved to a source status keeps no copy links."""
        from sqlalchemy import delete, select, update

        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        a = self.articles
        moved: list[int] = []
        with self.write() as conn:
            for chunk in _chunks(list(ids), 400):
                q = select(a.c.pk, a.c.status, a.c.text, a.c.kind).where(a.c.id.in_(chunk))
                for pk, st, text, kind in conn.execute(q):
                    if st == status:
                        continue
                    if st in SOURCE_STATUSES and status not in SOURCE_STATUSES:
                        self._delete_bands(conn, [pk])
                        conn.execute(update(a).where(a.c.pk == pk).values(band_count=0))
                    elif status in SOURCE_STATUSES and st not in SOURCE_STATUSES:
                        fp = entry_fingerprint(text, kind)
                        if fp.keys:
                            self._insert_bands(conn, [fp.keys], [pk])
                        conn.execute(update(a).where(a.c.pk == pk).values(band_count=len(fp.keys)))
                        conn.execute(delete(self.links).where(self.links.c.article == pk))
                    conn.execute(update(a).where(a.c.pk == pk).values(status=status, reviewed_at=time.time()))
                    moved.append(pk)
        return list(self.get_by_pk(moved).values())

    def remove(self, ids: Iterable[str]) -> int:
        """Remove articles by archive id; returns how many were there."""
        from sqlalchemy import delete, or_, select

        a, lk = self.articles, self.links
        removed = 0
        with self.write() as conn:
            for chunk in _chunks(list(ids), 400):
                pks = [r[0] for r in conn.execute(select(a.c.pk).where(a.c.id.in_(chunk)))]
                if pks:
                    self._delete_bands(conn, pks)
                    conn.execute(delete(lk).where(or_(lk.c.article.in_(pks), lk.c.source.in_(pks))))
                    conn.execute(delete(a).where(a.c.pk.in_(pks)))
                    conn.execute(delete(self.stories).where(self.stories.c.article_id.in_(chunk)))
                    removed += len(pks)
        return removed

    def _insert_articles(self, conn: Any, rows: list[dict[str, Any]]) -> list[tuple[int, str]]:
        """Insert new article rows; returns (pk, id) of each, in order.

        SQLite: one DBAPI ``executemany`` without RETURNING, then the new pks looked up by id (unique;
        this transaction holds the writer lock), because Core's ``INSERT ... RETURNING`` with
        parameter order on SQLite runs one statement per row. PostgreSQL: Core's batched RETURNING."""
        from sqlalchemy import select

        a = self.articles
        if not self.is_sqlite:
            return [(pk, rid) for pk, rid in conn.execute(a.insert().returning(a.c.pk, a.c.id,
                                                                              sort_by_parameter_order=True), rows)]
        cols = list(rows[0])
        conn.exec_driver_sql(f"INSERT INTO unspin_articles ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                             [tuple(r[c] for c in cols) for r in rows])
        pk_of: dict[str, int] = {}
        for chunk in _chunks([r["id"] for r in rows], 400):
            pk_of.update((rid, pk) for pk, rid in conn.execute(select(a.c.pk, a.c.id).where(a.c.id.in_(chunk))))
        return [(pk_of[r["id"]], r["id"]) for r in rows]

    def _insert_bands(self, conn: Any, keys: list[Any], pks: list[int]) -> None:
        """Insert the index rows (key, pk) for each article's keys (repeats within one article dropped).

        The rows go in sorted by key, so consecutive rows land in the same B-tree leaf instead of random
        ones; SQLite takes them with one DBAPI ``executemany`` (~10x faster than Core's per-row
        parameter processing), PostgreSQL with one binary ``COPY`` built by numpy (no per-row Python).
        """
        import numpy as np

        key = np.fromiter((k for ks in keys for k in ks), dtype=np.int64)
        art = np.repeat(np.asarray(pks, dtype=np.int64), [len(ks) for ks in keys])
        order = np.lexsort((art, key))
        key, art = key[order], art[order]
        if len(key) > 1:  # repeats of a key within one article (and of an article within a batch) go
            fresh = np.ones(len(key), dtype=bool)
            fresh[1:] = (key[1:] != key[:-1]) | (art[1:] != art[:-1])
            key, art = key[fresh], art[fresh]
        if self.is_sqlite:
            conn.exec_driver_sql("INSERT INTO unspin_bands (key, article) VALUES (?, ?)",
                                 list(zip(key.tolist(), art.tolist(), strict=True)))
            return
        # COPY ... (FORMAT BINARY): a 19-byte header, per row a field count and (length, value) per
        # field in network byte order, then a -1 trailer
        rows = np.empty(len(key), dtype=[("n", ">i2"), ("lk", ">i4"), ("k", ">i8"), ("la", ">i4"), ("a", ">i4")])
        rows["n"], rows["lk"], rows["k"], rows["la"], rows["a"] = 2, 8, key, 4, art
        payload = b"PGCOPY\n\xff\r\n\x00" + bytes(8) + rows.tobytes() + b"\xff\xff"
        raw = conn.connection.driver_connection  # the psycopg connection, inside this transaction
        with raw.cursor() as cur, cur.copy("COPY unspin_bands (key, article) FROM STDIN (FORMAT BINARY)") as cp:
            cp.write(payload)

    def _delete_bands(self, conn: Any, pks: list[int]) -> None:
        """Delete the index rows of these articles, found by recomputing their keys from the stored text.

        The band table's primary key is (key, article) and it has no index on ``article`` alone (that
        would double its size); the fingerprint is deterministic, so the keys are recomputed instead.
        """
        from sqlalchemy import delete, select

        a, b = self.articles, self.bands
        q = select(a.c.pk, a.c.text, a.c.kind).where(a.c.pk.in_(pks), a.c.band_count > 0)
        for pk, text, kind in conn.execute(q):
            keys = list(set(entry_fingerprint(text, kind).keys))
            if keys:
                conn.execute(delete(b).where(b.c.article == pk, b.c.key.in_(keys)))

    def _add_stories(self, conn: Any, pairs: list[tuple[str, str]]) -> None:
        """Record story membership (story id, archive id); pairs already there are left alone."""
        from sqlalchemy import select

        st = self.stories
        pairs = list(dict.fromkeys(pairs))
        have: set[tuple[str, str]] = set()
        for chunk in _chunks(sorted({s for s, _ in pairs}), 400):
            have.update(conn.execute(select(st.c.story, st.c.article_id).where(st.c.story.in_(chunk))).all())
        fresh = [{"story": s, "article_id": i} for s, i in pairs if (s, i) not in have]
        if fresh:
            conn.execute(st.insert(), fresh)

    def _mark_excerpts(self, conn: Any) -> None:
        from sqlalchemy import select

        m = self.meta
        if conn.execute(select(m.c.value).where(m.c.key == "has_excerpts")).scalar() is None:
            conn.execute(m.insert(), [{"key": "has_excerpts", "value": "1"}])
        self._has_excerpts = True

    def has_excerpts(self) -> bool:
        """Whether excerpt entries were ever added (then ``find_sources`` looks them up too)."""
        if getattr(self, "_has_excerpts", False):
            return True
        from sqlalchemy import select

        with self.read() as conn:
            got = conn.execute(select(self.meta.c.value).where(self.meta.c.key == "has_excerpts")).scalar()
        self._has_excerpts = got is not None
        return self._has_excerpts

    def stories_of(self, ids: list[str]) -> dict[str, tuple[str, list[dict[str, Any]]]]:
        """For each archive id in a story: (story id, its members' id, title, URL, provider and kind).

        An entry in several stories gets the one with the most members.
        """
        from sqlalchemy import select

        st, a = self.stories, self.articles
        with self.read() as conn:
            links = conn.execute(select(st.c.story, st.c.article_id).where(st.c.article_id.in_(ids))).all()
            if not links:
                return {}
            stories = sorted({s for s, _ in links})
            q = (select(st.c.story, a.c.id, a.c.title, a.c.url, a.c.provider_name, a.c.kind)
                 .select_from(st.join(a, a.c.id == st.c.article_id)).where(st.c.story.in_(stories))
                 .order_by(st.c.story, a.c.pk))
            members: dict[str, list[dict[str, Any]]] = {}
            for story, rid, title, url, provider, kind in conn.execute(q):
                members.setdefault(story, []).append(
                    {"id": rid, "title": title, "url": url, "provider": provider, "kind": kind})
        out: dict[str, tuple[str, list[dict[str, Any]]]] = {}
        for story, rid in sorted(links):
            got = members.get(story, [])
            if rid not in out or len(got) > len(out[rid][1]):
                out[rid] = (story, got)
        return out

    # -- reading -----------------------------------------------------------------------------------

    def count(self) -> int:
        from sqlalchemy import func, select

        with self.read() as conn:
            return conn.execute(select(func.count()).select_from(self.articles)).scalar_one()

    def get(self, article_id: str) -> ArchivedArticle | None:
        """The archived article with this id, or None."""
        found = self._select(self.articles.c.id == article_id)
        return found[0] if found else None

    def get_by_pk(self, pks: list[int]) -> dict[int, ArchivedArticle]:
        """Archived articles by internal row number."""
        if not pks:
            return {}
        return {art.pk: art for art in self._select(self.articles.c.pk.in_(pks))}

    def _select(self, where: Any) -> list[ArchivedArticle]:
        from sqlalchemy import select

        a = self.articles
        q = select(a.c.pk, a.c.id, a.c.title, a.c.url, a.c.provider_name, a.c.provider_domain,
                   a.c.published, a.c.path, a.c.text, a.c.status, a.c.score, a.c.verdict, a.c.findings,
                   a.c.submitted_text).where(where)
        with self.read() as conn:
            return [ArchivedArticle(id=r.id, title=r.title, url=r.url, provider_name=r.provider_name,
                                    provider_domain=r.provider_domain, published=r.published, path=r.path,
                                    text=r.text, pk=r.pk, status=r.status, score=r.score, verdict=r.verdict,
                                    findings=r.findings, submitted_text=r.submitted_text)
                    for r in conn.execute(q)]

    def list_articles(self, limit: int = 50, offset: int = 0, statuses: Iterable[str] | None = None
                      ) -> list[dict[str, Any]]:
        """Metadata of archived articles (no text), most recently added first; ``statuses`` limits
        the list to articles with those statuses."""
        from sqlalchemy import select

        a = self.articles
        q = select(a.c.id, a.c.title, a.c.url, a.c.provider_name, a.c.published, a.c.status)
        if statuses is not None:
            q = q.where(a.c.status.in_(list(statuses)))
        q = q.order_by(a.c.added_at.desc(), a.c.pk.desc()).limit(limit).offset(offset)
        with self.read() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def review_items(self, statuses: Iterable[str] = (HELD, COPY), limit: int = 100, offset: int = 0
                     ) -> list[dict[str, Any]]:
        """Articles waiting for an editor (held, and copies), oldest first: id, status, score, verdict,
        provider, the gate's top findings and, for copies, their sources (id, score, coverage, number
        of substitutions)."""
        import json

        from sqlalchemy import select

        a, lk = self.articles, self.links
        q = (select(a.c.pk, a.c.id, a.c.title, a.c.url, a.c.provider_name, a.c.provider_domain, a.c.status,
                    a.c.score, a.c.verdict, a.c.findings, a.c.added_at, a.c.submitted_text.is_not(None))
             .where(a.c.status.in_(list(statuses))).order_by(a.c.added_at, a.c.pk).limit(limit).offset(offset))
        src = a.alias("src")
        with self.read() as conn:
            rows = conn.execute(q).all()
            links: dict[int, list[dict[str, Any]]] = {}
            pks = [r.pk for r in rows]
            for chunk in _chunks(pks, 400):
                lq = (select(lk.c.article, src.c.id, src.c.title, lk.c.score, lk.c.coverage, lk.c.substitutions)
                      .join(src, src.c.pk == lk.c.source).where(lk.c.article.in_(chunk))
                      .order_by(lk.c.article, lk.c.rank))
                for art, sid, stitle, score, cov, subs in conn.execute(lq):
                    links.setdefault(art, []).append({
                        "id": sid, "title": stitle, "score": round(score, 4), "coverage": round(cov, 4),
                        "substitutions": len(json.loads(subs))})
        return [{"id": r.id, "title": r.title, "url": r.url, "provider": r.provider_name or r.provider_domain,
                 "status": r.status, "score": None if r.score is None else round(r.score, 4),
                 "verdict": r.verdict, "fixed": bool(r[-1]), "added_at": r.added_at,
                 "findings": json.loads(r.findings) if r.findings else [], "sources": links.get(r.pk, [])}
                for r in rows]

    def copy_links(self, article_id: str) -> list[dict[str, Any]]:
        """The sources a stored copy was linked to, best first, with the aligned substitutions."""
        import json

        from sqlalchemy import select

        a, lk = self.articles, self.links
        src = a.alias("src")
        q = (select(src.c.id, lk.c.score, lk.c.coverage, lk.c.substitutions)
             .select_from(lk.join(a, a.c.pk == lk.c.article).join(src, src.c.pk == lk.c.source))
             .where(a.c.id == article_id).order_by(lk.c.rank))
        with self.read() as conn:
            return [{"id": sid, "score": score, "coverage": cov, "substitutions": json.loads(subs)}
                    for sid, score, cov, subs in conn.execute(q)]

    def status_counts(self) -> dict[str, int]:
        """Articles per status ({status: n})."""
        from sqlalchemy import func, select

        a = self.articles
        with self.read() as conn:
            return {st: n for st, n in conn.execute(select(a.c.status, func.count()).group_by(a.c.status))}

    def provider_status_rows(self) -> list[tuple[str | None, str | None, str, int]]:
        """(provider name, provider domain, status, articles) for every combination in the archive."""
        from sqlalchemy import func, select

        a = self.articles
        q = select(a.c.provider_name, a.c.provider_domain, a.c.status, func.count()).group_by(
            a.c.provider_name, a.c.provider_domain, a.c.status)
        with self.read() as conn:
            return [tuple(r) for r in conn.execute(q)]

    def existing(self, ids: Iterable[str], hashes: Iterable[str]) -> tuple[dict[str, tuple[int, str]],
                                                                          dict[str, int]]:
        """What is already archived: {id: (pk, content hash)} for these ids, {content hash: pk} for
        these hashes."""
        from sqlalchemy import select

        a = self.articles
        by_id: dict[str, tuple[int, str]] = {}
        by_hash: dict[str, int] = {}
        with self.read() as conn:
            for chunk in _chunks(list(ids), 400):
                for pk, rid, h in conn.execute(select(a.c.pk, a.c.id, a.c.content_hash).where(a.c.id.in_(chunk))):
                    by_id[rid] = (pk, h)
            for chunk in _chunks(list(hashes), 400):
                q = select(a.c.pk, a.c.content_hash).where(a.c.content_hash.in_(chunk))
                for pk, h in conn.execute(q):
                    by_hash.setdefault(h, pk)
        return by_id, by_hash

    def stats(self) -> dict[str, Any]:
        """Counts and size: articles, providers, index rows, bytes on disk (SQLite) or in the database."""
        from sqlalchemy import func, select, text

        a = self.articles
        with self.read() as conn:
            n = conn.execute(select(func.count()).select_from(a)).scalar_one()
            bands = conn.execute(select(func.count()).select_from(self.bands)).scalar_one()
            providers = conn.execute(select(func.count(func.distinct(a.c.provider_name)))).scalar_one()
            chars = conn.execute(select(func.coalesce(func.sum(func.length(a.c.text)), 0))).scalar_one()
            last = conn.execute(select(func.max(a.c.added_at))).scalar_one()
            if self.is_sqlite:
                size = conn.execute(text("PRAGMA page_count")).scalar_one() * conn.execute(
                    text("PRAGMA page_size")).scalar_one()
            else:
                size = conn.execute(text(
                    "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                    "WHERE c.relname IN ('unspin_meta', 'unspin_articles', 'unspin_bands', 'unspin_links', "
                    "'unspin_stories') "
                    "AND c.relkind = 'r'"
                )).scalar_one()
            version = conn.execute(select(self.meta.c.value).where(self.meta.c.key == "schema_version")).scalar()
            per = dict(conn.execute(select(a.c.status, func.count()).group_by(a.c.status)).all())
        return {"url": display_url(self.url), "schema_version": int(version or 0), "articles": n,
                "providers": providers, "index_rows": bands, "text_chars": int(chars), "bytes": int(size),
                "last_added": last, "statuses": {st: int(per.get(st, 0)) for st in STATUSES}}

    def candidates(self, keys: Iterable[int], limit: int = 50) -> list[tuple[int, int]]:
        """(article pk, shared LSH bands) for articles sharing at least one band key, most shared first."""
        from .index import lsh_candidates

        with self.read() as conn:
            return lsh_candidates(conn, self.bands, list(keys), limit)

    def find_sources(self, doc: Document, top: int = 5) -> list[Any]:
        """Likely sources of ``doc`` in this archive, best first (see ``unspin.match.sources.SourceMatch``)."""
        from .sources import find_sources

        return find_sources(self, doc, top=top)

    def check_integrity(self) -> list[str]:
        """Problems found in the archive (empty when consistent): storage checks, then index agreement."""
        from sqlalchemy import func, select, text

        problems: list[str] = []
        a, b = self.articles, self.bands
        with self.read() as conn:
            if self.is_sqlite:
                res = [r[0] for r in conn.execute(text("PRAGMA integrity_check"))]
                if res != ["ok"]:
                    problems.extend(f"sqlite: {r}" for r in res)
            counts = select(b.c.article, func.count().label("n")).group_by(b.c.article).subquery()
            q = (select(a.c.id, a.c.band_count, func.coalesce(counts.c.n, 0))
                 .select_from(a.outerjoin(counts, counts.c.article == a.c.pk))
                 .where(a.c.band_count != func.coalesce(counts.c.n, 0)))
            for rid, want, got in conn.execute(q):
                # duplicate keys within one signature collapse to one row, so fewer is allowed if >0
                if got == 0 or got > want:
                    problems.append(f"article {rid!r}: {got} index rows, expected {want}")
            orphans = conn.execute(select(func.count()).select_from(b).where(
                ~b.c.article.in_(select(a.c.pk)))).scalar_one()
            if orphans:
                problems.append(f"{orphans} index rows point at no article")
        return problems


def _is_weak_id(rid: str) -> bool:
    """Ids made up by unspin (content hashes) give way to an existing article's real id."""
    return rid.startswith("sha256:")


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _plain(e: Exception) -> str:
    """One line from a database exception, without SQL or driver noise."""
    orig = getattr(e, "orig", None) or e
    msg = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    if "file is not a database" in msg or "file is encrypted" in msg:
        return "not an unspin archive (the file is not a SQLite database)"
    if "database is locked" in msg:
        return "the archive is locked by another process (gave up waiting); try again"
    if "unable to open database file" in msg:
        return "cannot open the database file (does its folder exist and is it writable?)"
    if "readonly database" in msg:
        return "the archive is read-only"
    return msg


# ---------------------------------------------------------------------------------------------------
# Opening


def open_archive(url: str | None = None, *, create: bool = True) -> Archive:
    """Open (and with ``create``, initialise) the archive at ``url``; raises ArchiveError."""
    raw = url or resolve_archive_url().url  # type: ignore[union-attr]
    url = normalise_url(raw)
    try:
        from sqlalchemy import create_engine, event
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError
    except ImportError:  # pragma: no cover - a dependency
        raise ArchiveError("SQLAlchemy is not installed") from None
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ArchiveError("not a database URL (use sqlite:///path/archive.sqlite or postgresql://...)") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        path = parsed.database
        if not path or path == ":memory:":
            raise ArchiveError("an in-memory SQLite archive would be lost at exit; give a file path")
        _check_sqlite_file(Path(path), create)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):  # noqa: ANN001 - SQLAlchemy event signature
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (IMMEDIATE for writers)
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA foreign_keys = ON")
            cur.execute("PRAGMA journal_mode = WAL")  # readers never block the writer; persistent
            cur.execute("PRAGMA synchronous = NORMAL")  # with WAL: a crash may lose the last commit, never corrupts
            # The band index takes random-key inserts all over its B-tree: a larger page cache keeps the
            # upper levels and more leaves in memory (a cap, allocated only as pages are used), and
            # checkpointing every ~64 MiB of WAL instead of 4 MiB folds repeated page writes together.
            cur.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            cur.execute("PRAGMA wal_autocheckpoint = 16384")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn):  # noqa: ANN001
            write = conn.get_execution_options().get("unspin_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
    elif backend == "postgresql":
        try:
            engine = create_engine(url, pool_pre_ping=True)
        except (NoSuchModuleError, ImportError, ModuleNotFoundError):
            raise ArchiveError("PostgreSQL support needs psycopg: pip install 'unspin[postgres]'") from None
    else:
        raise ArchiveError(f"unsupported database {backend!r} (use sqlite:/// or postgresql://)")
    archive = Archive(engine, url)
    try:
        _prepare_schema(archive, create)
    except ArchiveError:
        engine.dispose()
        raise
    except Exception as exc:  # driver errors at connect time (refused connection, bad password, ...)
        engine.dispose()
        from sqlalchemy import exc as sa_exc

        if isinstance(exc, (sa_exc.DBAPIError, OSError)):
            raise ArchiveError(_plain(exc)) from None
        raise
    return archive


def _check_sqlite_file(path: Path, create: bool) -> None:
    if path.is_dir():
        raise ArchiveError("is a folder, not an archive file")
    if not path.exists():
        if not create:
            raise ArchiveError("no archive here yet; add articles with 'unspin archive add'")
        if not path.parent.exists():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ArchiveError(f"cannot create the folder {path.parent}: {exc.strerror or exc}") from None
        return
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise ArchiveError(f"cannot read: {exc.strerror or exc}") from None
    if head and head != _SQLITE_MAGIC:
        raise ArchiveError("not an unspin archive (the file is not a SQLite database)")


def _prepare_schema(archive: Archive, create: bool) -> None:
    """Check the schema version and fingerprint parameters; create the tables in a fresh database."""
    from sqlalchemy import inspect, select

    from .fingerprint import params

    with archive._errors():
        with archive.engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
    ours = {"unspin_meta", "unspin_articles", "unspin_bands"}  # the tables of schema 1; later ones migrate
    if not names & ours:
        if archive.is_sqlite and names:
            listed = ", ".join(sorted(names)[:5])
            raise ArchiveError(f"not an unspin archive (a SQLite database with other tables: {listed})")
        if not create:
            raise ArchiveError("no archive here yet; add articles with 'unspin archive add'")
        with archive.write() as conn:
            # another process may have created it while we waited for the lock
            if "unspin_meta" not in set(inspect(conn).get_table_names()):
                archive.metadata.create_all(conn)
                conn.execute(archive.meta.insert(), [
                    {"key": "schema_version", "value": str(SCHEMA_VERSION)},
                    {"key": "created", "value": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
                    *({"key": k, "value": v} for k, v in params().items()),
                ])
        return
    missing = ours - names
    if missing:
        raise ArchiveError(f"damaged unspin archive (missing tables: {', '.join(sorted(missing))})")
    with archive.read() as conn:
        meta = dict(conn.execute(select(archive.meta.c.key, archive.meta.c.value)).all())
    try:
        version = int(meta.get("schema_version", ""))
    except ValueError:
        raise ArchiveError("damaged unspin archive (no schema version)") from None
    if version > SCHEMA_VERSION:
        raise ArchiveError(f"archive schema version {version} is newer than this unspin understands "
                           f"({SCHEMA_VERSION}); upgrade unspin")
    if version < 1:
        raise ArchiveError(f"archive schema version {version} is older than 1; make a new archive and "
                           "add the articles again")
    for k, v in params().items():
        if meta.get(k) != v:
            raise ArchiveError(f"archive fingerprints were made with different settings ({meta.get(k)!r}); "
                               "make a new archive and add the articles again")
    if version < SCHEMA_VERSION:
        from .migrations import migrate

        with archive._errors():
            migrate(archive)
    if not _has_excerpt_schema(archive):  # an archive whose excerpt schema was removed by hand, at any version
        with archive.write() as conn:
            migrate_excerpt_entries(conn, archive)


# ---------------------------------------------------------------------------------------------------
# Schema step of issue #17: excerpt-only entries and story clusters
#
# One self-contained, idempotent step (it inspects before it alters), run as step 3 of
# ``unspin.match.migrations`` (after the gate's step 2): it adds ``unspin_articles.kind`` ("article" for full texts, the
# default for every existing row; "excerpt" for an aggregator item's title + excerpt) and the
# ``unspin_stories`` table (story id, archive id of a member), which keeps which entries an aggregator
# item grouped as coverage of one story. Fresh archives get both from ``_tables``.


def _stories_table(md: Any) -> Any:
    from sqlalchemy import Column, Index, PrimaryKeyConstraint, Table, Text

    return Table(
        "unspin_stories", md,
        Column("story", Text, nullable=False), Column("article_id", Text, nullable=False),
        PrimaryKeyConstraint("story", "article_id"),
        Index("ix_unspin_stories_article", "article_id"),
    )


def _has_excerpt_schema(archive: Archive) -> bool:
    from sqlalchemy import inspect

    with archive._errors():
        with archive.engine.connect() as conn:
            insp = inspect(conn)
            return ("unspin_stories" in insp.get_table_names()
                    and any(c["name"] == "kind" for c in insp.get_columns("unspin_articles")))


def migrate_excerpt_entries(conn: Any, archive: Archive | None = None) -> None:
    """Add the ``kind`` column and the ``unspin_stories`` table to an archive made before issue #17
    (the schema step ``migrations.v3_excerpts``, inside a write transaction)."""
    from .migrations import v3_excerpts

    v3_excerpts(conn)
