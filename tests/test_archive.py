"""The archive on SQLite and on a real PostgreSQL server: idempotent adds, removal, concurrency, crashes."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from unspin.document import load_documents, parse_text, record_document
from unspin.match.archive import ArchiveError, document_id, open_archive

pytest_plugins = ["postgres_server"]

REPO = Path(__file__).resolve().parent.parent
ARTICLES = REPO / "fixtures" / "articles"


def _synthetic_jsonl(path: Path, n: int, start: int = 0, seed: int = 5) -> Path:
    from evaluation.matching import SyntheticCorpus, training_texts

    corpus = SyntheticCorpus(training_texts(with_wikinews=False), seed=seed)
    with open(path, "w", encoding="utf-8") as fh:
        for k in range(start, start + n):
            fh.write(json.dumps(corpus.article(k, sentences=(6, 10))) + "\n")
    return path


@pytest.fixture
def fixture_docs():
    docs, errors = load_documents([str(ARTICLES)])
    assert not errors
    return docs


def test_add_is_idempotent_and_keeps_metadata(db_url, fixture_docs):
    arc = open_archive(db_url)
    first = arc.add_documents(fixture_docs)
    assert (first.added, first.updated, first.unchanged) == (len(fixture_docs), 0, 0)
    again = arc.add_documents(fixture_docs)
    assert (again.added, again.updated, again.unchanged) == (0, 0, len(fixture_docs))
    assert arc.count() == len(fixture_docs)
    doc = fixture_docs[0]
    stored = arc.get(document_id(doc))
    assert (stored.title, stored.url, stored.provider_name, stored.published) == (
        doc.title, doc.url, doc.provider_name, doc.published)
    assert stored.text == doc.prose()
    assert arc.check_integrity() == []
    arc.close()


def test_same_id_updates_and_same_content_is_not_duplicated(db_url):
    arc = open_archive(db_url)
    body = "The council approved the budget on Monday. " * 5
    arc.add_documents([record_document({"id": "a1", "title": "Old", "text": body}, "feed:1")])
    changed = "The mayor vetoed the budget on Tuesday after a long debate. " * 5
    res = arc.add_documents([record_document({"id": "a1", "title": "New", "text": changed}, "feed:1")])
    assert (res.added, res.updated) == (0, 1)
    assert arc.get("a1").title == "New" and "vetoed" in arc.get("a1").text
    # the same words under another id (or none) update the archived article instead of duplicating it
    res = arc.add_documents([record_document({"title": "New", "text": changed}, "other:1")])
    assert (res.added, res.unchanged) == (0, 1)
    assert arc.count() == 1
    assert arc.check_integrity() == []
    arc.close()


def test_remove_stats_and_index_stays_consistent(db_url, fixture_docs):
    arc = open_archive(db_url)
    arc.add_documents(fixture_docs)
    gone = [document_id(d) for d in fixture_docs[:3]]
    assert arc.remove(gone + ["no-such-id"]) == 3
    stats = arc.stats()
    assert stats["articles"] == len(fixture_docs) - 3
    assert stats["index_rows"] > 0 and stats["bytes"] > 0
    assert arc.check_integrity() == []
    assert arc.get(gone[0]) is None
    arc.close()


def test_lsh_candidates_contain_the_brute_force_best(db_url, fixture_docs):
    import random

    from evaluation.thesaurus_spinner import ThesaurusSpinner
    from unspin.match.fingerprint import fingerprint, text_shingles
    from unspin.match.index import brute_force_candidates

    arc = open_archive(db_url)
    arc.add_documents(fixture_docs)
    corpus = [(document_id(d), text_shingles(d.prose())) for d in fixture_docs]
    rng = random.Random(4)
    for doc in fixture_docs[::4]:
        spun = ThesaurusSpinner().spin(doc.prose(), 0.5, rng).text
        oracle = brute_force_candidates(text_shingles(spun), corpus, limit=1)
        pks = {pk for pk, _ in arc.candidates(fingerprint(spun).keys, 10)}
        ids = {a.id for a in arc.get_by_pk(sorted(pks)).values()}
        assert oracle[0][0] == document_id(doc)
        assert oracle[0][0] in ids
    arc.close()


def _add_cmd(db: str, path: Path, batch: int = 100) -> list[str]:
    # --trusted: these tests are about storage (concurrent writers, killed runs) and import the
    # synthetic corpus's generated articles, known originals; the gate has its own tests (test_gate.py)
    return [sys.executable, "-c", "from unspin.cli import main; main()", "archive", "add", "--trusted", "--db", db,
            "--batch-size", str(batch), "--no-progress", str(path)]


def _cli_env() -> dict:
    return dict(os.environ, UNSPIN_DEBUG="")


@pytest.fixture(scope="module")
def two_feeds(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("feeds")
    return _synthetic_jsonl(base / "one.jsonl", 300, 0), _synthetic_jsonl(base / "two.jsonl", 300, 300)


def test_two_processes_adding_at_once_lose_nothing(db_url, two_feeds):
    open_archive(db_url).close()
    procs = [subprocess.Popen(_add_cmd(db_url, f, batch=25), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=_cli_env()) for f in two_feeds]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    arc = open_archive(db_url)
    assert arc.count() == 600
    assert arc.check_integrity() == []
    arc.close()


def test_killed_run_leaves_a_consistent_archive(db_url, tmp_path):
    feed = _synthetic_jsonl(tmp_path / "big.jsonl", 1500, 0, seed=9)
    arc = open_archive(db_url)
    proc = subprocess.Popen(_add_cmd(db_url, feed, batch=50), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=_cli_env())
    deadline = time.time() + 120
    while time.time() < deadline and arc.count() < 100:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    n = arc.count()
    assert 100 <= n < 1500, "the kill should land mid-run"
    assert n % 50 == 0, "a batch is all in or all out"
    assert arc.check_integrity() == []
    arc.close()
    done = subprocess.run(_add_cmd(db_url, feed, batch=50), capture_output=True, text=True, env=_cli_env())
    assert done.returncode == 0, done.stderr
    arc = open_archive(db_url)
    assert arc.count() == 1500 and arc.check_integrity() == []
    arc.close()


@pytest.mark.parametrize("make, problem", [
    (lambda p: p.write_text("just some notes\n"), "not a SQLite database"),
    (lambda p: sqlite3.connect(p).execute("CREATE TABLE recipes (name TEXT)").connection.commit(),
     "other tables: recipes"),
    (lambda p: p.mkdir(), "is a folder"),
])
def test_corrupt_or_foreign_files_get_a_plain_error(tmp_path, make, problem, cli_runner):
    path = tmp_path / "archive.sqlite"
    make(path)
    with pytest.raises(ArchiveError, match=problem):
        open_archive(str(path))
    from unspin.cli import cli

    result = cli_runner.invoke(cli, ["archive", "add", "--db", str(path), str(ARTICLES)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and problem in result.stderr and "Traceback" not in result.stderr


def test_newer_schema_version_is_refused(tmp_path):
    path = tmp_path / "a.sqlite"
    open_archive(str(path)).close()
    con = sqlite3.connect(path)
    con.execute("UPDATE unspin_meta SET value = '99' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with pytest.raises(ArchiveError, match="newer"):
        open_archive(str(path))


def test_missing_archive_is_not_created_for_reading(tmp_path):
    with pytest.raises(ArchiveError, match="no archive here yet"):
        open_archive(str(tmp_path / "none.sqlite"), create=False)
    assert not (tmp_path / "none.sqlite").exists()


def test_cli_add_stats_list_remove(tmp_path, cli_runner):
    from unspin.cli import cli

    db = "sqlite:///" + str(tmp_path / "a.sqlite")
    missing = str(tmp_path / "missing.md")
    res = cli_runner.invoke(cli, ["archive", "add", "--db", db, "--no-progress", str(ARTICLES / "politics"),
                                  missing])
    assert res.exit_code == 2
    assert "missing.md: error: no such file or folder" in res.stderr
    n = len(list((ARTICLES / "politics").glob("*.md")))
    assert f"{n} added" in res.stdout
    res = cli_runner.invoke(cli, ["archive", "stats", "--db", db, "--check", "--format", "json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["articles"] == n
    assert json.loads(res.stdout)["problems"] == []
    res = cli_runner.invoke(cli, ["archive", "list", "--db", db, "--format", "json"])
    ids = [r["id"] for r in json.loads(res.stdout)]
    assert len(ids) == n
    res = cli_runner.invoke(cli, ["archive", "remove", "--db", db, ids[0]])
    assert res.exit_code == 0 and "removed 1 of 1" in res.stdout


def test_stdin_document_gets_a_content_id():
    doc = parse_text("Some words here. And more words.", "-", "text")[0]
    assert document_id(doc).startswith("sha256:")
