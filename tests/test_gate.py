"""The archive's gate (issue #18): originals, copies and held articles; review; migration of old archives.

Fixtures: fixtures/gate/ holds spun copies of our own fixture articles (scripts/make_gate_fixtures.py):
copies/ and later/ are two spins (two spinners) of six originals, unsourced/ heavy spins of three
articles the tests never archive.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from unspin.cli import cli
from unspin.document import load_documents
from unspin.match.archive import ArchiveError, document_id, open_archive

pytest_plugins = ["postgres_server"]

REPO = Path(__file__).resolve().parent.parent
FIX = REPO / "fixtures"
GATE = FIX / "gate"
ORIGINALS = ("business/airline-profit-warning.md", "courts-crime/farm-machinery-gang-jailed.md",
             "environment/glen-arrach-peatland-restoration.md", "health/hospital-waiting-list.md",
             "politics/press-secretary-resigns.md", "science/sodium-battery-coating.md")
UNSOURCED = ("business/coffee-roaster-prices.md", "environment/castlebridge-emissions-inventory.md",
             "health/antibiotic-prescribing-trial.md")


def add(cli_runner, db: str, *paths, extra=()):
    r = cli_runner.invoke(cli, ["archive", "add", "--no-config", "--db", db, "--no-progress", "--format", "json",
                                *extra, *map(str, paths)])
    assert r.exit_code in (0, 1), r.stderr
    return r.exit_code, json.loads(r.stdout)


def docs_of(*paths) -> list:
    docs, errors = load_documents([str(p) for p in paths])
    assert not errors
    return docs


def originals() -> list[Path]:
    return [FIX / "articles" / p for p in ORIGINALS]


def test_copies_are_copies_and_a_later_copy_matches_the_original_never_a_stored_copy(db_url, cli_runner):
    # the originals, through the gate with its defaults: clean news with no source -> originals
    code, out = add(cli_runner, db_url, *originals())
    assert code == 0 and out["totals"]["original"] == 6 and out["totals"]["held"] == 0
    orig_ids = {document_id(d) for d in docs_of(*originals())}
    code, out = add(cli_runner, db_url, GATE / "copies")
    assert code == 0
    assert [a["status"] for a in out["articles"]] == ["copy"] * 6
    assert out["providers"]["Spin Farm"]["copy"] == 6
    arc = open_archive(db_url)
    try:
        for a in out["articles"]:
            assert len(a["sources"]) == 1 and a["sources"][0] in orig_ids
            links = arc.copy_links(a["id"])
            assert links[0]["id"] == a["sources"][0] and links[0]["substitutions"], a["id"]
            assert arc.get(a["id"]).status == "copy"
        copy_pks = {arc.get(a["id"]).pk for a in out["articles"]}
        stats = arc.stats()
        assert stats["statuses"]["copy"] == 6 and stats["statuses"]["original"] == 6
        assert arc.check_integrity() == []
        for doc in docs_of(GATE / "later"):
            from unspin.match.fingerprint import fingerprint

            assert not {pk for pk, _ in arc.candidates(fingerprint(doc.prose()).keys, 100)} & copy_pks
            found = arc.find_sources(doc)
            assert found and found[0].id in orig_ids, doc.path
            assert all(m.id in orig_ids for m in found)
    finally:
        arc.close()
    # the later copies through the gate: copies of the originals, linked to them, not to the first copies
    code, out = add(cli_runner, db_url, GATE / "later")
    assert code == 0 and [a["status"] for a in out["articles"]] == ["copy"] * 6
    assert all(a["sources"] and set(a["sources"]) <= orig_ids for a in out["articles"])


def test_a_heavily_spun_article_with_no_source_is_held_and_is_no_source(db_url, cli_runner):
    code, out = add(cli_runner, db_url, GATE / "unsourced")
    assert code == 1  # something was held
    assert [a["status"] for a in out["articles"]] == ["held"] * 3
    assert out["totals"]["held"] == 3 and out["providers"]["Spin Farm"]["held"] == 3
    arc = open_archive(db_url)
    try:
        clean = docs_of(*(FIX / "articles" / p for p in UNSOURCED))
        for doc in clean:
            assert arc.find_sources(doc) == [], doc.path
        assert arc.stats()["index_rows"] == 0  # held articles are not indexed
    finally:
        arc.close()
    # the clean originals added afterwards are originals, not copies of the held spins
    code, out = add(cli_runner, db_url, *(FIX / "articles" / p for p in UNSOURCED))
    assert code == 0 and [a["status"] for a in out["articles"]] == ["original"] * 3


def test_review_accept_and_reject(tmp_path, cli_runner):
    db = "sqlite:///" + str(tmp_path / "a.sqlite")
    add(cli_runner, db, GATE / "unsourced")
    r = cli_runner.invoke(cli, ["archive", "review", "--no-config", "--db", db, "--format", "json"])
    assert r.exit_code == 0, r.stderr
    items = json.loads(r.stdout)["articles"]
    assert [i["status"] for i in items] == ["held"] * 3
    assert all(i["provider"] == "Spin Farm" and i["score"] >= 0.5 and i["findings"] for i in items)
    text = cli_runner.invoke(cli, ["archive", "review", "--no-config", "--db", db])
    assert items[0]["id"] in text.stdout and "held" in text.stdout
    keep, drop = items[0]["id"], items[1]["id"]
    r = cli_runner.invoke(cli, ["archive", "accept", "--no-config", "--db", db, keep])
    assert r.exit_code == 0 and "accepted 1 of 1" in r.stdout
    r = cli_runner.invoke(cli, ["archive", "reject", "--no-config", "--db", db, drop, "no-such-id"])
    assert r.exit_code == 1 and "no-such-id: not moved" in r.stderr
    arc = open_archive(db)
    try:
        assert arc.get(keep).status == "original" and arc.get(drop).status == "rejected"
        assert arc.check_integrity() == []
        # the accepted article is now a source: its clean original matches it
        clean = {document_id(d): d for d in docs_of(*(FIX / "articles" / p for p in UNSOURCED))}
        hits = [d for d in clean.values() if arc.find_sources(d)]
        assert len(hits) == 1
        # rejecting an original takes it out of the index again
        arc.set_status([keep], "rejected")
        assert arc.stats()["index_rows"] == 0 and arc.check_integrity() == []
    finally:
        arc.close()
    r = cli_runner.invoke(cli, ["archive", "review", "--no-config", "--db", db, "--format", "json"])
    assert [i["id"] for i in json.loads(r.stdout)["articles"]] == [items[2]["id"]]


def test_fix_stores_the_rewrite_beside_the_submitted_text(tmp_path, cli_runner):
    db = "sqlite:///" + str(tmp_path / "a.sqlite")
    code, out = add(cli_runner, db, GATE / "unsourced", extra=["--fix"])
    fixed = [a for a in out["articles"] if a["status"] == "fixed"]
    assert fixed, "at least one heavily spun article has a suggestion for every finding"
    assert code == (1 if out["totals"]["held"] else 0)
    arc = open_archive(db)
    try:
        spun = {document_id(d): d for d in docs_of(GATE / "unsourced")}
        clean = {d.title: d for d in docs_of(*(FIX / "articles" / p for p in UNSOURCED))}
        from rapidfuzz.distance import Indel

        for a in fixed:
            art = arc.get(a["id"])
            assert art.submitted_text == spun[a["id"]].prose() and art.text != art.submitted_text
            original = clean[art.title].prose()
            # the rewrite is closer to the article before spinning than the submitted text is
            assert Indel.normalized_similarity(art.text, original) > Indel.normalized_similarity(
                art.submitted_text, original)
    finally:
        arc.close()


def test_a_copy_in_the_same_run_as_its_original_is_a_copy(tmp_path, cli_runner):
    db = "sqlite:///" + str(tmp_path / "a.sqlite")
    code, out = add(cli_runner, db, originals()[0], GATE / "later" / originals()[0].name)
    assert [a["status"] for a in out["articles"]] == ["original", "copy"]
    assert out["articles"][1]["sources"] == [out["articles"][0]["id"]]
    arc = open_archive(db)
    try:
        assert arc.copy_links(out["articles"][1]["id"])[0]["id"] == out["articles"][0]["id"]
    finally:
        arc.close()


def test_readding_is_unchanged_and_keeps_the_status_trusted_overrides(tmp_path, cli_runner):
    db = "sqlite:///" + str(tmp_path / "a.sqlite")
    add(cli_runner, db, GATE / "unsourced")
    code, out = add(cli_runner, db, GATE / "unsourced")
    assert code == 0 and out["totals"]["unchanged"] == 3 and out["totals"]["held"] == 0
    code, out = add(cli_runner, db, GATE / "unsourced", extra=["--trusted"])
    assert code == 0 and out["trusted"] and out["totals"]["original"] == 3 and out["totals"]["updated"] == 3
    arc = open_archive(db)
    try:
        assert arc.stats()["statuses"]["original"] == 3 and arc.check_integrity() == []
    finally:
        arc.close()


def test_hold_policy_spun_lets_suspect_articles_through(tmp_path, cli_runner, monkeypatch):
    from unspin.analysis import _finish as real_finish
    from unspin.match import gate  # noqa: F401

    def suspect(*args, **kwargs):
        rep = real_finish(*args, **kwargs)
        from dataclasses import replace

        return replace(rep, score=0.6, verdict="suspect")

    monkeypatch.setattr("unspin.analysis._finish", suspect)
    db = "sqlite:///" + str(tmp_path / "a.sqlite")
    code, out = add(cli_runner, db, originals()[0], extra=["--hold", "spun"])
    assert code == 0 and out["articles"][0]["status"] == "original" and out["hold"] == "spun"
    code, out = add(cli_runner, db, originals()[1])
    assert code == 1 and out["articles"][0]["status"] == "held" and out["hold"] == "suspect"
    cfg = tmp_path / ".unspin.toml"
    cfg.write_text('gate-hold = "sometimes"\n')
    r = cli_runner.invoke(cli, ["archive", "add", "--config", str(cfg), "--db", db, str(originals()[2])])
    assert r.exit_code == 2 and "gate-hold" in r.stderr


def test_statistics_are_fed_originals_only(tmp_path, cli_runner, monkeypatch):
    fed: list[str] = []
    from unspin.match import corpus

    monkeypatch.setattr(corpus, "record_originals", lambda archive, docs: fed.extend(document_id(d) for d in docs))
    db = "sqlite:///" + str(tmp_path / "a.sqlite")
    add(cli_runner, db, *originals())
    orig_ids = [document_id(d) for d in docs_of(*originals())]
    assert fed == orig_ids
    add(cli_runner, db, GATE / "copies", GATE / "unsourced")
    assert fed == orig_ids  # copies and held articles never
    held = document_id(docs_of(GATE / "unsourced" / Path(UNSOURCED[0]).name)[0])
    cli_runner.invoke(cli, ["archive", "accept", "--no-config", "--db", db, held])
    assert fed == orig_ids + [held]


def test_summary_text_and_exit_codes(tmp_path, cli_runner):
    db = "sqlite:///" + str(tmp_path / "a.sqlite")
    r = cli_runner.invoke(cli, ["archive", "add", "--no-config", "--db", db, "--no-progress",
                                str(GATE / "unsourced"), str(tmp_path / "missing.md")])
    assert r.exit_code == 2  # unreadable input wins over held
    assert "3 held" in r.stdout and "Spin Farm" in r.stdout and "missing.md: error" in r.stderr


# --- migration of archives made before the gate ---------------------------------------------------------

def _v1_tables():
    """The schema 1 tables, as unspin made them before the gate (verbatim from match/archive.py then)."""
    from sqlalchemy import BigInteger, Column, Float, ForeignKey, Integer, MetaData, String, Table, Text

    md = MetaData()
    Table("unspin_meta", md, Column("key", String(64), primary_key=True), Column("value", Text))
    Table("unspin_articles", md,
          Column("pk", Integer, primary_key=True, autoincrement=True),
          Column("id", Text, nullable=False, unique=True),
          Column("content_hash", String(64), nullable=False, index=True),
          Column("title", Text), Column("url", Text), Column("provider_name", Text),
          Column("provider_domain", Text), Column("published", Text), Column("path", Text),
          Column("text", Text, nullable=False),
          Column("shingle_count", Integer, nullable=False),
          Column("band_count", Integer, nullable=False),
          Column("added_at", Float, nullable=False))
    Table("unspin_bands", md,
          Column("key", BigInteger, primary_key=True),
          Column("article", Integer, ForeignKey("unspin_articles.pk", ondelete="CASCADE"), primary_key=True),
          sqlite_with_rowid=False)
    return md


def _make_v1_archive(url: str, docs) -> None:
    """An archive as schema-1 unspin wrote it: its tables, meta rows, articles and band rows."""
    import time

    from sqlalchemy import create_engine

    from unspin.match.archive import content_hash, normalise_url
    from unspin.match.fingerprint import fingerprint, params

    md = _v1_tables()
    engine = create_engine(normalise_url(url))
    with engine.begin() as conn:
        md.create_all(conn)
        conn.execute(md.tables["unspin_meta"].insert(), [{"key": "schema_version", "value": "1"},
                                                         {"key": "created", "value": "2026-05-01T00:00:00Z"},
                                                         *({"key": k, "value": v} for k, v in params().items())])
        arts = md.tables["unspin_articles"]
        for doc in docs:
            fp = fingerprint(doc.prose())
            pk = conn.execute(arts.insert().returning(arts.c.pk), {
                "id": document_id(doc), "content_hash": content_hash(doc.prose()), "title": doc.title,
                "url": doc.url, "provider_name": doc.provider_name, "provider_domain": doc.provider_domain,
                "published": doc.published, "path": doc.path, "text": doc.prose(),
                "shingle_count": fp.shingle_count, "band_count": len(fp.keys), "added_at": time.time()}).scalar_one()
            conn.execute(md.tables["unspin_bands"].insert(), [{"key": k, "article": pk} for k in set(fp.keys)])
    engine.dispose()


def _schema(url: str) -> dict:
    from sqlalchemy import create_engine, inspect

    from unspin.match.archive import normalise_url

    engine = create_engine(normalise_url(url))
    try:
        insp = inspect(engine)
        out = {}
        for t in sorted(n for n in insp.get_table_names() if n.startswith("unspin_")):
            out[t] = {
                "columns": sorted((c["name"], str(c["type"]).split("(")[0], c["nullable"])
                                  for c in insp.get_columns(t)),
                "indexes": sorted(i["name"] for i in insp.get_indexes(t)),
                "pk": sorted(insp.get_pk_constraint(t)["constrained_columns"]),
            }
        return out
    finally:
        engine.dispose()


def test_an_archive_made_before_the_gate_is_migrated(db_url, cli_runner, request, tmp_path):
    from unspin.match.migrations import SCHEMA_VERSION

    _make_v1_archive(db_url, docs_of(*originals()))
    arc = open_archive(db_url)  # migrates
    try:
        stats = arc.stats()
        assert stats["schema_version"] == SCHEMA_VERSION == 4
        assert stats["statuses"]["original"] == 6 and stats["articles"] == 6
        assert arc.check_integrity() == []
    finally:
        arc.close()
    # the migrated archive works as a source index for the gate
    code, out = add(cli_runner, db_url, GATE / "copies")
    assert [a["status"] for a in out["articles"]] == ["copy"] * 6
    # and has the schema a fresh archive has
    if db_url.startswith("sqlite"):
        fresh = "sqlite:///" + str(tmp_path / "fresh.sqlite")
    else:
        fresh = request.getfixturevalue("postgres_cluster").create_database(f"fresh_{abs(hash(db_url)) % 10**8}")
    open_archive(fresh).close()
    assert _schema(db_url) == _schema(fresh)
    # opening again is a no-op
    open_archive(db_url).close()


def test_a_failed_migration_leaves_the_old_archive_untouched(tmp_path, monkeypatch):
    from unspin.match import migrations
    from unspin.match.migrations import SCHEMA_VERSION

    url = "sqlite:///" + str(tmp_path / "old.sqlite")
    _make_v1_archive(url, docs_of(originals()[0]))

    def broken(conn):
        migrations._v2_gate(conn)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(migrations, "MIGRATIONS", [(2, "broken", broken)])
    with pytest.raises(RuntimeError):
        open_archive(url)
    con = sqlite3.connect(tmp_path / "old.sqlite")
    cols = {r[1] for r in con.execute("PRAGMA table_info(unspin_articles)")}
    version = con.execute("SELECT value FROM unspin_meta WHERE key = 'schema_version'").fetchone()[0]
    con.close()
    assert "status" not in cols and version == "1"
    monkeypatch.undo()
    arc = open_archive(url)
    assert arc.stats()["schema_version"] == SCHEMA_VERSION
    arc.close()


def test_migration_steps_are_consecutive():
    from unspin.match.migrations import MIGRATIONS, SCHEMA_VERSION, pending

    assert [m[0] for m in MIGRATIONS] == list(range(2, SCHEMA_VERSION + 1))
    assert pending(SCHEMA_VERSION) == [] and [m[0] for m in pending(1)] == [m[0] for m in MIGRATIONS]


def test_newer_archives_are_still_refused(tmp_path):
    path = tmp_path / "a.sqlite"
    open_archive(str(path)).close()
    con = sqlite3.connect(path)
    con.execute("UPDATE unspin_meta SET value = '99' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with pytest.raises(ArchiveError, match="newer"):
        open_archive(str(path))


# --- the editor's page ---------------------------------------------------------------------------------

def _call(srv, method: str, path: str, payload=None) -> tuple[int, dict]:
    import http.client

    host, port = srv.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        body = None if payload is None else json.dumps(payload).encode()
        conn.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def test_the_page_lists_held_articles_and_accepts_or_rejects_them(tmp_path, cli_runner):
    from unspin.config import Config
    from unspin.web.server import WebApp, _static_bytes, start_in_thread

    db = "sqlite:///" + str(tmp_path / "a.sqlite")
    add(cli_runner, db, GATE / "unsourced")
    arc = open_archive(db, create=False)
    srv, thread = start_in_thread(WebApp(config=Config(generic=False), archive=arc))
    try:
        status, data = _call(srv, "GET", "/api/review")
        assert status == 200 and [a["status"] for a in data["articles"]] == ["held"] * 3
        first, second = data["articles"][0]["id"], data["articles"][1]["id"]
        assert _call(srv, "POST", "/api/review", {"id": first, "action": "accept"}) == (
            200, {"id": first, "status": "original"})
        assert _call(srv, "POST", "/api/review", {"id": second, "action": "reject"})[1]["status"] == "rejected"
        status, err = _call(srv, "POST", "/api/review", {"id": first, "action": "accept"})
        assert status == 404 and "already" in err["error"]
        status, err = _call(srv, "POST", "/api/review", {"id": first, "action": "delete"})
        assert status == 400
        assert len(_call(srv, "GET", "/api/review")[1]["articles"]) == 1
        assert b"review-panel" in _static_bytes("index.html") and b"/api/review" in _static_bytes("review.js")
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(5)
        arc.close()
    srv, thread = start_in_thread(WebApp(config=Config(generic=False)))
    try:
        assert _call(srv, "GET", "/api/review")[0] == 409
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(5)


def test_the_provider_report_gives_the_archive_counts(tmp_path, cli_runner):
    db = "sqlite:///" + str(tmp_path / "a.sqlite")
    add(cli_runner, db, *originals())
    add(cli_runner, db, GATE / "copies", GATE / "unsourced")
    out = tmp_path / "report"
    r = cli_runner.invoke(cli, ["report", "--no-config", "--no-progress", "-j", "1", "--out", str(out), "--db", db,
                                str(GATE / "copies"), str(GATE / "unsourced"), *map(str, originals())])
    assert r.exit_code == 0, r.stderr
    data = json.loads((out / "providers.json").read_text())
    by = {p["provider"]: p["archive"] for p in data["providers"]}
    assert by["Spin Farm"] == {"original": 0, "copy": 6, "held": 3, "fixed": 0, "rejected": 0}
    assert by["Harbour Ledger"]["original"] == 2 and by["Harbour Ledger"]["copy"] == 0
    assert "In the archive: 0 originals, 6 copies, 3 held" in (out / "report.html").read_text()
    assert "archive_held" in (out / "providers.csv").read_text().splitlines()[0]


def test_review_script_never_writes_html():
    """Titles and findings reach the page through textContent only, as in app.js."""
    js = (REPO / "src/unspin/web/static/review.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in js, sink


def test_a_lightly_spun_copy_from_the_same_provider_is_still_a_copy(tmp_path, cli_runner):
    db = "sqlite:///" + str(tmp_path / "a.sqlite")
    src = originals()[0]
    add(cli_runner, db, src)
    text = src.read_text(encoding="utf-8")
    head_end = text.index("\n---\n", 3) + 5
    body = text[head_end:]
    for a, b in {"expected": "foreseen", "warned": "cautioned", "aircraft": "airship"}.items():
        body = body.replace(f" {a} ", f" {b} ")
    same = tmp_path / "same-provider.md"
    same.write_text(text[:head_end].replace("northwind-airways-profit-warning", "northwind-airways-again") + body,
                    encoding="utf-8")
    code, out = add(cli_runner, db, same)
    assert out["articles"][0]["status"] == "copy" and out["articles"][0]["sources"] == [document_id(
        docs_of(src)[0])]


def test_find_sources_skips_an_article_that_is_no_source_even_if_indexed(tmp_path):
    """Belt and braces: retrieval finds only indexed articles, and find_sources also checks the status."""
    from unspin.match.sources import find_sources

    arc = open_archive(str(tmp_path / "a.sqlite"))
    try:
        arc.add_documents(docs_of(originals()[0]))
        copy = docs_of(GATE / "copies" / originals()[0].name)[0]
        assert find_sources(arc, copy)
        real = arc.get_by_pk

        def as_held(pks):
            from dataclasses import replace

            return {pk: replace(a, status="held") for pk, a in real(pks).items()}

        arc.get_by_pk = as_held
        assert find_sources(arc, copy) == []
    finally:
        arc.close()


def test_the_summary_keeps_the_input_order(tmp_path, cli_runner):
    db = "sqlite:///" + str(tmp_path / "a.sqlite")
    first, second = originals()[:2]
    add(cli_runner, db, second)
    code, out = add(cli_runner, db, first, second, originals()[2])
    assert [a["status"] for a in out["articles"]] == ["original", "unchanged", "original"]
    assert [a["path"] for a in out["articles"]] == [str(first), str(second), str(originals()[2])]


def test_one_document_that_breaks_the_analysis_fails_alone(tmp_path, cli_runner, monkeypatch):
    import unspin.analysis as analysis

    real = analysis._finish

    def boom(doc, *args, **kwargs):
        if "press-secretary" in doc.path:
            raise RuntimeError("synthetic bug")
        return real(doc, *args, **kwargs)

    monkeypatch.setattr(analysis, "_finish", boom)
    db = "sqlite:///" + str(tmp_path / "a.sqlite")
    r = cli_runner.invoke(cli, ["archive", "add", "--no-config", "--db", db, "--no-progress", "--format", "json",
                                *map(str, originals())])
    assert r.exit_code == 2
    out = json.loads(r.stdout)
    assert out["totals"]["original"] == 5 and len(out["errors"]) == 1
    assert "press-secretary" in out["errors"][0]["path"] and "synthetic bug" in r.stderr
