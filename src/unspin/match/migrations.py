"""Schema migrations of the archive: an ordered list of steps, each taking the schema one version up.

The archive records its version in ``unspin_meta`` (key ``schema_version``). ``open_archive`` runs
every step newer than that version, in order, in ONE write transaction (SQLite and PostgreSQL both
have transactional DDL), and sets the new version in the same transaction: a migration is all in or
all out, and two processes opening an old archive at once migrate it once (the second finds the new
version once it gets the writer lock).

A fresh archive is created with the current tables (``archive._tables``) at the newest version, so
each step must leave an old archive with exactly the tables and columns ``_tables`` declares (the
test ``test_migrated_schema_equals_a_fresh_one`` compares them).

To change the schema: declare the new columns/tables in ``archive._tables``, then APPEND a step here
with the next number. Write a step's DDL out in full (not from ``_tables``, which describes only the
newest schema) and portable between SQLite and PostgreSQL (``conn.dialect.name`` tells them apart).
Never edit a step that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Step = Callable[[Any], None]  # takes an open SQLAlchemy connection inside the write transaction


def _v2_gate(conn: Any) -> None:
    """The archive's gate (issue #18): a status per article (original, copy, held, fixed, rejected),
    the gate's verdict on it, the submitted text beside a fixed one, and the links from a copy to its
    sources. Existing articles were all stored as originals, which the column default says."""
    for ddl in (
        "ALTER TABLE unspin_articles ADD COLUMN status VARCHAR(16) DEFAULT 'original' NOT NULL",
        "ALTER TABLE unspin_articles ADD COLUMN score FLOAT",
        "ALTER TABLE unspin_articles ADD COLUMN verdict VARCHAR(16)",
        "ALTER TABLE unspin_articles ADD COLUMN findings TEXT",
        "ALTER TABLE unspin_articles ADD COLUMN submitted_text TEXT",
        "ALTER TABLE unspin_articles ADD COLUMN reviewed_at FLOAT",
        "CREATE INDEX ix_unspin_articles_status ON unspin_articles (status)",
        "CREATE TABLE unspin_links ("
        " article INTEGER NOT NULL REFERENCES unspin_articles (pk) ON DELETE CASCADE,"
        " source INTEGER NOT NULL REFERENCES unspin_articles (pk) ON DELETE CASCADE,"
        " rank INTEGER NOT NULL, score FLOAT NOT NULL, coverage FLOAT NOT NULL, substitutions TEXT NOT NULL,"
        " PRIMARY KEY (article, source))",
        "CREATE INDEX ix_unspin_links_source ON unspin_links (source)",
    ):
        conn.exec_driver_sql(ddl)


def v3_excerpts(conn: Any) -> None:
    """Excerpt-only entries and story clusters (issue #17): ``unspin_articles.kind`` ("article" for
    every existing row) and the ``unspin_stories`` table. Idempotent (it inspects before it alters):
    archives made by unspin versions that added these without a schema version bump have them."""
    from sqlalchemy import Column, Index, MetaData, PrimaryKeyConstraint, Table, Text, inspect, text

    insp = inspect(conn)
    if not any(c["name"] == "kind" for c in insp.get_columns("unspin_articles")):
        conn.execute(text("ALTER TABLE unspin_articles ADD COLUMN kind VARCHAR(16) NOT NULL DEFAULT 'article'"))
    if "unspin_stories" not in insp.get_table_names():
        Table("unspin_stories", MetaData(),
              Column("story", Text, nullable=False), Column("article_id", Text, nullable=False),
              PrimaryKeyConstraint("story", "article_id"),
              Index("ix_unspin_stories_article", "article_id")).create(conn)


def v4_bands_without_fk(conn: Any) -> None:
    """Index rows without a foreign key to their article (issue #16): PostgreSQL checked it with one
    lookup per row, most of the server's work in a bulk load; the archive removes an article's index
    rows itself. PostgreSQL drops the constraint; SQLite cannot, so the table is rebuilt (rows copied
    in key order: about a minute per million articles)."""
    from sqlalchemy import inspect

    fks = [fk for fk in inspect(conn).get_foreign_keys("unspin_bands") if fk.get("referred_table")]
    if not fks:
        return
    if conn.dialect.name == "sqlite":
        for ddl in (
            "CREATE TABLE unspin_bands_v4 (key BIGINT NOT NULL, article INTEGER NOT NULL,"
            " PRIMARY KEY (key, article)) WITHOUT ROWID",
            "INSERT INTO unspin_bands_v4 (key, article) SELECT key, article FROM unspin_bands ORDER BY key, article",
            "DROP TABLE unspin_bands",
            "ALTER TABLE unspin_bands_v4 RENAME TO unspin_bands",
        ):
            conn.exec_driver_sql(ddl)
        return
    for fk in fks:
        conn.exec_driver_sql(f'ALTER TABLE unspin_bands DROP CONSTRAINT "{fk["name"]}"')


# (version reached, what it does, the step). Append only; versions are consecutive from 2.
MIGRATIONS: list[tuple[int, str, Step]] = [
    (2, "gate: article status, verdict, findings, submitted text; copy -> source links", _v2_gate),
    (3, "excerpt entries: article kind; story clusters", v3_excerpts),
    (4, "index rows without a foreign key (bulk loads)", v4_bands_without_fk),
]

SCHEMA_VERSION = MIGRATIONS[-1][0] if MIGRATIONS else 1


def pending(version: int) -> list[tuple[int, str, Step]]:
    """The steps an archive at ``version`` still needs, in order."""
    return [m for m in MIGRATIONS if m[0] > version]


def migrate(archive: Any) -> list[int]:
    """Bring the archive up to SCHEMA_VERSION; returns the versions applied (empty when up to date)."""
    from sqlalchemy import select, update

    meta = archive.meta
    with archive.write() as conn:
        version = int(conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar_one())
        steps = pending(version)
        for number, _what, step in steps:
            step(conn)
            conn.execute(update(meta).where(meta.c.key == "schema_version").values(value=str(number)))
    return [n for n, _, _ in steps]
