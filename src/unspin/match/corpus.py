"""The archive as a corpus: hashed n-gram (1-3) counts of the archived ORIGINALS.

Every original the archive takes in (``record_originals``; ``unspin archive add`` calls it) adds its
word 1-, 2- and 3-grams to counts kept in the archive's own database, in two tables created lazily
next to the archive's (SQLAlchemy Core, SQLite or PostgreSQL):

- ``unspin_ngrams (key, count)``: the count of every n-gram, keyed by a stable hash of the n-gram
  (CRC-32 of its lower-cased words joined by spaces, masked to ``BUCKETS``): at most ``BUCKETS``
  rows however large the archive grows -- bounded memory and disk, at the price of rare collisions;
- ``unspin_corpus (key, value)``: totals per order (``total_1``..``total_3``), the number of
  documents, the bucket count; and one ``doc:<content hash>`` row per counted original, so
  recording the same original twice counts it once.

Writes go through the archive's writer transaction (one per batch; same locking as ``archive add``).
``CorpusCounts.load(archive)`` reads the totals and fetches counts on demand (one query per batch of
n-grams, remembered), so checking a document with ``--db`` never loads the whole table;
``CorpusCounts.from_texts(texts)`` builds the same counts in memory (tests, experiments).

The counts feed a domain judge (``gain``): how much more often the archived originals show a
slot's restoration than the word the text uses, between the same neighbours -- evidence from the
newsroom's own register that grows with the archive, whether or not the copy's own source is in it
(``unspin.detect.article.with_corpus``).
"""

from __future__ import annotations

import json
import math
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import compress
from operator import itemgetter
from typing import Any

BUCKETS = 1 << 24
ORDERS = (1, 2, 3)
WRITE_BATCH = 1000  # documents per write transaction (more share their common n-grams' upserts)
_CACHE_MAX = 200_000


def ngram_key(tokens: Sequence[str]) -> int:
    """The bucket of an n-gram (lower-cased words)."""
    return zlib.crc32(" ".join(tokens).lower().encode("utf-8")) & (BUCKETS - 1)


# n-grams do not cross these: a blank line, or sentence/clause punctuation (never inside a word token)
_BREAK_RE = re.compile(r"\n\n|[.!?;:]")
# the word alternative of ``text.WORD_RE`` (its other alternative, one punctuation mark, is no word)
_ALNUM_RE = re.compile(r"[^\W_]+(?:['’\-‐][^\W_]+)*")
# both in one scan: a word, or a run break (its first character tells which)
_TOKEN_RE = re.compile(_ALNUM_RE.pattern + "|" + _BREAK_RE.pattern)
_BREAK_FIRST = frozenset(".!?;:\n")
# the same for an ASCII text (where ``[^\W_]`` is ``[A-Za-z0-9]``): the same matches, a faster scan
_TOKEN_ASCII_RE = re.compile(r"[A-Za-z0-9]+(?:['\-][A-Za-z0-9]+)*|\n\n|[.!?;:]")


def _words(text: str) -> list[list[str]]:
    """Lower-cased words per sentence-ish run (n-grams do not cross sentence ends or paragraphs)."""
    out = []
    for piece in _BREAK_RE.split(text):
        words = _ALNUM_RE.findall(piece)
        if words:
            # one lower() per run; lower-casing never makes a space, so the split gives the words back
            out.append(" ".join(words).lower().split(" "))
    return out


def text_keys(text: str):
    """(bucket of every 1-, 2- and 3-gram occurrence as a numpy array, n-gram totals per order).

    The keys are ``ngram_key``'s: CRC-32 of the lower-cased words joined by spaces; n-grams that
    would cross a run boundary are left out. ``batch_text_keys`` of one text."""
    return batch_text_keys([text])[0]


def batch_text_keys(texts: Sequence[str], chunk: int = 256) -> list[tuple[Any, list[int]]]:
    """``text_keys`` of each text, computed for many texts at once.

    No n-gram string is built: one regular-expression scan per text finds its words and run breaks
    (``_TOKEN_RE``: the words of ``_words`` and the matches of ``_BREAK_RE``, which no word
    contains), and the CRC of each 2- and 3-gram is combined from its words' CRCs by numpy for
    ``chunk`` texts at a time (``match.crc``; equal to ``ngram_key`` bit for bit). Texts that
    ``tokenbatch`` takes (nearly all) skip the regular expression too: their words, breaks and word
    CRCs come from array operations over their characters."""
    from .tokenbatch import ngram_keys

    texts = list(texts)
    out = ngram_keys(texts, BUCKETS)
    rest = [k for k, got in enumerate(out) if got is None]
    for i in range(0, len(rest), chunk):
        part = rest[i:i + chunk]
        for k, got in zip(part, _chunk_text_keys([texts[j] for j in part]), strict=True):
            out[k] = got
    return out


def _chunk_text_keys(texts: Sequence[str]) -> list[tuple[Any, list[int]]]:
    import numpy as np

    from .crc import join_space, word_crcs

    toks: list[str] = []
    counts = []
    for text in texts:
        found = (_TOKEN_ASCII_RE if text.isascii() else _TOKEN_RE).findall(text)
        toks += found
        counts.append(len(found))
    n_docs = len(texts)
    brk = np.fromiter(map(_BREAK_FIRST.__contains__, map(itemgetter(0), toks)), dtype=bool, count=len(toks))
    word = ~brk
    starts = np.cumsum(counts) - counts
    cuts = brk.astype(np.int64)
    np.add.at(cuts, starts[starts < len(toks)], 1)  # a text's start starts a run too
    run = np.cumsum(cuts)[word]  # run number of each word: n-grams stay inside one run
    doc = np.repeat(np.arange(n_docs), counts)[word]
    # one lower() for all the words; lower-casing never makes a space, so the split gives them back
    flat = " ".join(compress(toks, word.tolist())).lower().split(" ") if word.any() else []
    del toks
    c1, l1 = word_crcs(flat)
    c2 = join_space(c1[:-1], c1[1:], l1[1:])
    c3 = join_space(c2[:-1], c1[2:], l1[2:])
    ok2 = run[:-1] == run[1:]
    ok3 = run[:-2] == run[2:]
    mask = BUCKETS - 1
    parts = []
    for keys, docs in ((c1, doc), (c2[ok2], doc[:-1][ok2]), (c3[ok3], doc[:-2][ok3])):
        bounds = np.searchsorted(docs, np.arange(n_docs + 1))
        parts.append((keys & mask, bounds))
    out = []
    for d in range(n_docs):
        pieces = [keys[bounds[d]:bounds[d + 1]] for keys, bounds in parts]
        totals = [len(p) for p in pieces]
        out.append((np.concatenate(pieces), totals))
    return out


def count_text(text: str, into: Counter | None = None) -> tuple[Counter, list[int]]:
    """(bucket counts, n-gram totals per order) of one text."""
    c = into if into is not None else Counter()
    keys, totals = text_keys(text)
    c.update(keys.tolist())
    return c, totals


def _tables(md: Any = None):
    from sqlalchemy import BigInteger, Column, MetaData, String, Table, Text

    md = md or MetaData()
    ngrams = Table("unspin_ngrams", md, Column("key", BigInteger, primary_key=True),
                   Column("count", BigInteger, nullable=False), sqlite_with_rowid=False)
    meta = Table("unspin_corpus", md, Column("key", String(96), primary_key=True), Column("value", Text))
    return ngrams, meta


def _ensure(archive: Any, conn: Any) -> tuple[Any, Any]:
    """The corpus tables, created in this (writer) transaction when missing."""
    ngrams, meta = getattr(archive, "_corpus_tables", None) or _tables()
    archive._corpus_tables = (ngrams, meta)
    if not getattr(archive, "_corpus_created", False):  # set once a batch has committed (catalogue queries)
        ngrams.metadata.create_all(conn, checkfirst=True)
    return ngrams, meta


def record_originals(archive: Any, docs: Iterable[Any]) -> int:
    """Add the n-grams of these originals (``Document`` objects) to the archive's counts; a document
    whose words were counted before is skipped. Returns how many documents were counted.

    The n-grams are counted before the writer transaction, which only merges them (one upsert per
    distinct bucket of the batch). The repaired text and content hash of a document the archive has
    just stored are reused (``Archive.prepared``) instead of being computed again."""
    from .archive import content_hash, repaired_text

    prepared = getattr(archive, "prepared", None)
    done = 0
    pending: list[tuple[str, str]] = []

    def flush() -> int:
        got = batch_text_keys([prose for _, prose in pending])
        return _record_batch(archive, [(h, keys, totals) for (h, _), (keys, totals) in zip(pending, got, strict=True)])

    for doc in docs:
        got = prepared(doc) if prepared is not None else None
        if got is None:
            prose = repaired_text(doc.prose())
            got = (content_hash(prose), prose)
        pending.append(got)
        if len(pending) >= WRITE_BATCH:
            done += flush()
            pending = []
    if pending:
        done += flush()
    archive._corpus_counts = None  # a loaded CorpusCounts of this archive is stale now
    return done


def _record_batch(archive: Any, batch: list[tuple[str, Any, list[int]]]) -> int:
    import numpy as np
    from sqlalchemy import select

    with archive.write() as conn:
        ngrams, meta = _ensure(archive, conn)
        keys = [f"doc:{h}" for h, _, _ in batch]
        seen = {r[0] for r in conn.execute(select(meta.c.key).where(meta.c.key.in_(keys)))}
        parts = []
        totals = [0, 0, 0]
        fresh: list[str] = []
        for (_h, grams, t), key in zip(batch, keys, strict=True):
            if key in seen or key in fresh:
                continue
            parts.append(grams)
            totals = [a + b for a, b in zip(totals, t, strict=True)]
            fresh.append(key)
        if not fresh:
            return 0
        grams = np.concatenate(parts).astype(np.int32)  # buckets < 2**24: a 32-bit sort is faster
        grams.sort()
        cut = np.flatnonzero(np.diff(grams)) + 1
        starts = np.concatenate([[0], cut]) if len(grams) else cut
        buckets = grams[starts].astype(np.int64)  # sorted by bucket
        counts = np.diff(np.append(starts, len(grams)))
        if archive.is_sqlite:
            _merge_sqlite(conn, buckets, counts)
        else:
            _merge_pg(conn, buckets, counts)
        old = dict(conn.execute(select(meta.c.key, meta.c.value).where(
            meta.c.key.in_(["total_1", "total_2", "total_3", "documents"]))).all())
        new = {f"total_{n}": int(old.get(f"total_{n}", 0)) + totals[n - 1] for n in ORDERS}
        new["documents"] = int(old.get("documents", 0)) + len(fresh)
        new["buckets"] = BUCKETS
        conn.execute(meta.delete().where(meta.c.key.in_(list(new))))
        conn.execute(meta.insert(), [{"key": k, "value": str(v)} for k, v in new.items()]
                     + [{"key": k, "value": "1"} for k in fresh])
    archive._corpus_created = True  # the tables exist now (this transaction committed)
    return len(fresh)


def _merge_sqlite(conn: Any, buckets: Any, counts: Any) -> None:
    """SQLite: the batch's (bucket, count) rows in one statement, as one JSON array that SQLite's
    ``json_each`` unpacks in C (each bucket and its count packed in one integer: bucket * 2**32 + count;
    a batch's count of one bucket stays far below 2**32): a third less CPU than an ``executemany`` of
    the rows, which builds and binds a Python tuple per row. SQLite before 3.38 may lack JSON: rows then."""
    import sqlite3

    import numpy as np

    if not len(buckets):  # a batch with no n-gram (texts of punctuation only): nothing to merge
        return
    upsert = " ON CONFLICT (key) DO UPDATE SET count = unspin_ngrams.count + excluded.count"
    if sqlite3.sqlite_version_info >= (3, 38) and (not len(counts) or int(counts.max()) < 1 << 32):
        packed = (buckets.astype(np.int64) << 32) | counts.astype(np.int64)
        conn.exec_driver_sql("INSERT INTO unspin_ngrams (key, count) SELECT value >> 32, value & 4294967295 "
                             "FROM json_each(?) WHERE true" + upsert,
                             (json.dumps(packed.tolist()),))
        return
    conn.exec_driver_sql("INSERT INTO unspin_ngrams (key, count) VALUES (?, ?)" + upsert,
                         list(zip(buckets.tolist(), counts.tolist(), strict=True)))


def _merge_pg(conn: Any, buckets: Any, counts: Any) -> None:
    """PostgreSQL: the batch's (bucket, count) rows go to a temporary table with one binary COPY
    (built by numpy), then one INSERT ... ON CONFLICT merges them: no per-row round trip or Python."""
    import numpy as np

    conn.exec_driver_sql("CREATE TEMPORARY TABLE IF NOT EXISTS unspin_ngrams_in (key BIGINT, count BIGINT) "
                         "ON COMMIT DELETE ROWS")
    rows = np.empty(len(buckets), dtype=[("n", ">i2"), ("lk", ">i4"), ("k", ">i8"), ("lc", ">i4"), ("c", ">i8")])
    rows["n"], rows["lk"], rows["k"], rows["lc"], rows["c"] = 2, 8, buckets, 8, counts
    raw = conn.connection.driver_connection  # the psycopg connection, inside this transaction
    with raw.cursor() as cur, cur.copy("COPY unspin_ngrams_in (key, count) FROM STDIN (FORMAT BINARY)") as cp:
        cp.write(b"PGCOPY\n\xff\r\n\x00" + bytes(8) + rows.tobytes() + b"\xff\xff")
    conn.exec_driver_sql("INSERT INTO unspin_ngrams (key, count) SELECT key, count FROM unspin_ngrams_in "
                         "ON CONFLICT (key) DO UPDATE SET count = unspin_ngrams.count + excluded.count")


class CorpusCounts:
    """n-gram counts of a corpus: ``count(tokens)``, ``total(n)``, ``documents``, and ``gain``."""

    def __init__(self, counts: dict[int, int], totals: Sequence[int], documents: int, archive: Any = None):
        self._counts = counts
        self._totals = list(totals)
        self.documents = documents
        self._archive = archive  # counts not in self._counts are fetched from here (None: they are 0)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> CorpusCounts:
        c: Counter = Counter()
        totals = [0, 0, 0]
        docs = 0
        for t in texts:
            _, tt = count_text(t, c)
            totals = [a + b for a, b in zip(totals, tt, strict=True)]
            docs += 1
        return cls(dict(c), totals, docs)

    @classmethod
    def load(cls, archive: Any) -> CorpusCounts:
        """The archive's counts (totals now, n-gram counts on demand); empty when nothing was recorded."""
        from sqlalchemy import inspect, select

        with archive.read() as conn:
            if "unspin_corpus" not in set(inspect(conn).get_table_names()):
                return cls({}, [0, 0, 0], 0)
            ngrams, meta = getattr(archive, "_corpus_tables", None) or _tables()
            archive._corpus_tables = (ngrams, meta)
            vals = dict(conn.execute(select(meta.c.key, meta.c.value).where(
                meta.c.key.in_(["total_1", "total_2", "total_3", "documents"]))).all())
        return cls({}, [int(vals.get(f"total_{n}", 0)) for n in ORDERS], int(vals.get("documents", 0)), archive)

    def total(self, n: int) -> int:
        return self._totals[n - 1]

    def fetch(self, grams: Iterable[Sequence[str]]) -> None:
        """Fetch the counts of these n-grams from the archive in one query per 500 (no-op in memory)."""
        if self._archive is None:
            return
        want = sorted({ngram_key(g) for g in grams} - self._counts.keys())
        if not want:
            return
        from sqlalchemy import select

        if len(self._counts) > _CACHE_MAX:
            self._counts.clear()
        ngrams, _ = self._archive._corpus_tables
        with self._archive.read() as conn:
            for i in range(0, len(want), 500):
                chunk = want[i:i + 500]
                got = dict(conn.execute(select(ngrams.c.key, ngrams.c.count).where(ngrams.c.key.in_(chunk))).all())
                for k in chunk:
                    self._counts[k] = int(got.get(k, 0))

    def count(self, tokens: Sequence[str]) -> int:
        key = ngram_key(tokens)
        if key not in self._counts and self._archive is not None:
            self.fetch([tokens])
        return self._counts.get(key, 0)

    @staticmethod
    def windows(left: Sequence[str], phrase: Sequence[str], right: Sequence[str]) -> list[tuple[str, ...]]:
        """The 2- and 3-grams that hold ``phrase`` with its neighbours (and the phrase itself when
        it has several words)."""
        lw, rw, p = list(left[-2:]), list(right[:2]), list(phrase)
        out: list[tuple[str, ...]] = []
        if lw:
            out.append(tuple(lw[-1:] + p[:1]))
        if rw:
            out.append(tuple(p[-1:] + rw[:1]))
        if len(lw) == 2:
            out.append(tuple(lw + p[:1]))
        if len(rw) == 2:
            out.append(tuple(p[-1:] + rw))
        if lw and rw and len(p) == 1:
            out.append(tuple(lw[-1:] + p + rw[:1]))
        if 1 < len(p) <= 3:
            out.append(tuple(p))
        return out

    def gain(self, left: Sequence[str], observed: Sequence[str], restored: Sequence[str],
             right: Sequence[str]) -> float:
        """Sum over the windows around the slot of ln((count with the restoration + 0.5) / (count
        with the observed words + 0.5)): > 0 when the archive's originals say the restoration, 0 when
        they hold neither (an empty or unrelated archive changes nothing)."""
        wo = self.windows(left, observed, right)
        wr = self.windows(left, restored, right)
        if self._archive is not None and any(ngram_key(g) not in self._counts for g in wo + wr):
            self.fetch(wo + wr)
        g = 0.0
        for a, b in zip(wr, wo, strict=False):
            g += math.log((self.count(a) + 0.5) / (self.count(b) + 0.5))
        return g


def corpus_for(archive: Any) -> CorpusCounts | None:
    """The archive's counts, loaded once per archive object (None when nothing was recorded)."""
    c = getattr(archive, "_corpus_counts", None)
    if c is None:
        try:
            c = CorpusCounts.load(archive)
        except Exception:  # an archive we cannot read the counts of: the judge goes without
            c = CorpusCounts({}, [0, 0, 0], 0)
        archive._corpus_counts = c
    return c if c.documents else None
