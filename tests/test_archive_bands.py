"""Index rows of the archive (issue #16): bulk-written (numpy-sorted; binary COPY on PostgreSQL), no
foreign key since schema 4, and the schema-4 step that drops it from older archives."""

from __future__ import annotations

from sqlalchemy import create_engine, func, inspect, select, text

from unspin.document import parse_text
from unspin.match.archive import normalise_url, open_archive
from unspin.match.fingerprint import fingerprint

pytest_plugins = ["postgres_server"]

ARTICLE = ("The council of {town} voted {n} to 2 on Tuesday to close the old library on Main Street, "
           "after a report found that the roof of the building could fail in a storm. "
           "Mayor {name} said the town would look for a new site before the end of the year. "
           "Residents who spoke at the meeting asked the council to keep the reading room open. "
           "The report put the cost of the repairs at {n} million dollars, more than the town spends "
           "on its parks in a year. A vote on the new site is expected in {month}.")


def _docs(n: int, offset: int = 0):
    towns = ["Alder", "Birch", "Cedar", "Dunmore", "Elmwood", "Fairview", "Glenn", "Harlow"]
    months = ["March", "April", "May", "June"]
    out = []
    for k in range(offset, offset + n):
        body = ARTICLE.format(town=f"{towns[k % 8]}{k}", n=k + 3, name=f"Ortega{k}", month=months[k % 4])
        out.append(parse_text(body, f"a{k}.txt", "text")[0])
    return out


def _band_rows(url: str) -> set[tuple[int, int]]:
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            return {(int(k), int(a)) for k, a in conn.execute(text("SELECT key, article FROM unspin_bands"))}
    finally:
        engine.dispose()


def test_index_rows_are_each_articles_distinct_keys_and_go_with_it(db_url):
    arc = open_archive(db_url)
    try:
        docs = _docs(12)
        res = arc.add_documents(docs, batch_size=5)  # three batches
        assert res.added == 12
        pks = {a.id: a.pk for a in arc.get_by_pk(list(range(1, 100))).values()}
        want = {(k, pks[_id(arc, d)]) for d in docs for k in set(fingerprint(d.prose()).keys)}
        assert _band_rows(db_url) == want
        assert arc.check_integrity() == []
        # removing and re-statusing articles takes their rows out (no foreign key does it for us)
        assert arc.remove([_id(arc, docs[0]), _id(arc, docs[1])]) == 2
        arc.set_status([_id(arc, docs[2])], "rejected")
        left = {pk for _, pk in _band_rows(db_url)}
        assert left == {pks[_id(arc, d)] for d in docs[3:]}
        arc.set_status([_id(arc, docs[2])], "original")
        assert pks[_id(arc, docs[2])] in {pk for _, pk in _band_rows(db_url)}
        assert arc.check_integrity() == []
        # a spun copy still finds its source through the rows
        found = arc.find_sources(parse_text(docs[5].prose().replace("voted", "decided"), "q.txt", "text")[0])
        assert found and found[0].id == _id(arc, docs[5])
    finally:
        arc.close()


def _id(arc, doc) -> str:
    from unspin.match.archive import document_id

    return document_id(doc)


def test_schema_4_drops_the_foreign_key_of_an_older_archive_and_keeps_its_rows(db_url):
    from unspin.match import migrations

    arc = open_archive(db_url)
    arc.add_documents(_docs(6))
    arc.close()
    rows = _band_rows(db_url)
    # make it the archive schema 3 wrote: index rows with a foreign key, version 3
    engine = create_engine(normalise_url(db_url))
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("ALTER TABLE unspin_bands RENAME TO old_bands")
            conn.exec_driver_sql("CREATE TABLE unspin_bands (key BIGINT NOT NULL, article INTEGER NOT NULL "
                                 "REFERENCES unspin_articles (pk) ON DELETE CASCADE, PRIMARY KEY (key, article)) "
                                 "WITHOUT ROWID")
            conn.exec_driver_sql("INSERT INTO unspin_bands SELECT * FROM old_bands")
            conn.exec_driver_sql("DROP TABLE old_bands")
        else:
            conn.exec_driver_sql("ALTER TABLE unspin_bands ADD FOREIGN KEY (article) REFERENCES unspin_articles (pk) "
                                 "ON DELETE CASCADE")
        conn.exec_driver_sql("UPDATE unspin_meta SET value = '3' WHERE key = 'schema_version'")
        assert inspect(conn).get_foreign_keys("unspin_bands")
    engine.dispose()

    arc = open_archive(db_url)  # migrates
    try:
        assert arc.stats()["schema_version"] == migrations.SCHEMA_VERSION == 4
        assert arc.check_integrity() == []
    finally:
        arc.close()
    engine = create_engine(normalise_url(db_url))
    with engine.connect() as conn:
        assert inspect(conn).get_foreign_keys("unspin_bands") == []
        assert conn.execute(select(func.count()).select_from(text("unspin_bands"))).scalar_one() == len(rows)
    engine.dispose()
    assert _band_rows(db_url) == rows
    # the step is idempotent: running it on the new schema changes nothing
    engine = create_engine(normalise_url(db_url))
    with engine.begin() as conn:
        migrations.v4_bands_without_fk(conn)
    engine.dispose()
    assert _band_rows(db_url) == rows
