"""``unspin archive add --jobs N`` and ``--scheduler`` (issue #16): the same archive as a run on one process.

The feed mixes originals, two spins of each of six of them (one spin filed *before* its original: with
every detector on, the gate holds it on its own findings, as the sequential command decides), an exact duplicate
under another name, heavy spins with no source (held), unrelated articles and aggregator items
(excerpt-only entries). The parallel runs gate one document per task (``task_size=1``), so an
original and its copies would land on different workers but for the grouping.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from unspin.cli import cli
from unspin.config import Config

pytest_plugins = ["postgres_server"]

REPO = Path(__file__).resolve().parent.parent
FIX = REPO / "fixtures"
ORIGINALS = ("business/airline-profit-warning.md", "courts-crime/farm-machinery-gang-jailed.md",
             "environment/glen-arrach-peatland-restoration.md", "health/hospital-waiting-list.md",
             "politics/press-secretary-resigns.md", "science/sodium-battery-coating.md")
CFG = Config()  # all detectors: the unsourced spins are held on their list-free findings


def _feed(tmp_path: Path, aggregator: bool = False) -> Path:
    feed = tmp_path / "feed"
    feed.mkdir()
    for n, rel in enumerate(ORIGINALS):
        name = Path(rel).name
        if n == 0:  # the spun copy first: it is the original of this run, the real one its copy
            shutil.copy(FIX / "gate" / "copies" / name, feed / f"a0-{name}")
        else:
            shutil.copy(FIX / "gate" / "copies" / name, feed / f"m-{name}")
        shutil.copy(FIX / "articles" / rel, feed / f"b-{name}")
        shutil.copy(FIX / "gate" / "later" / name, feed / f"z-{name}")
    shutil.copy(FIX / "articles" / ORIGINALS[1], feed / "c-duplicate.md")  # same words, another id
    for p in (FIX / "gate" / "unsourced").glob("*.md"):
        shutil.copy(p, feed / f"h-{p.name}")
    arts = FIX / "articles"
    others = sorted(p for p in arts.rglob("*.md") if str(p.relative_to(arts)) not in ORIGINALS)
    for p in others[:6]:
        shutil.copy(p, feed / f"o-{p.name}")
    if aggregator:
        for p in (FIX / "aggregator").glob("*.md"):
            if p.name != "README.md":
                shutil.copy(p, feed / f"g-{p.name}")
    return feed


def _content(url: str) -> tuple[list, list, list]:
    """(id, status, content hash) of every article, (copy id, source id, rank) of every link, and the
    corpus statistics (every n-gram count and total)."""
    from sqlalchemy import inspect, select, text

    from unspin.match.archive import open_archive

    arc = open_archive(url, create=False)
    try:
        a, lk = arc.articles, arc.links
        with arc.read() as conn:
            rows = {pk: (rid, st, h) for pk, rid, st, h in conn.execute(select(a.c.pk, a.c.id, a.c.status,
                                                                                a.c.content_hash))}
            links = sorted((rows[x][0], rows[s][0], r) for x, s, r in conn.execute(select(lk.c.article, lk.c.source,
                                                                                             lk.c.rank)))
            tables = set(inspect(conn).get_table_names())
            corpus = sorted(conn.execute(text("SELECT key, count FROM unspin_ngrams")).all()) + \
                sorted(conn.execute(text("SELECT key, value FROM unspin_corpus")).all())
            assert {"unspin_ngrams", "unspin_corpus"} <= tables and len(corpus) > 1000
        assert arc.check_integrity() == []
    finally:
        arc.close()
    return sorted(rows.values()), links, corpus


def _sequential(feed: Path, url: str):
    from unspin.analysis import Context
    from unspin.document import load_documents
    from unspin.match.aggregator import expand_documents
    from unspin.match.archive import open_archive
    from unspin.match.gate import gate_documents

    docs, errors = load_documents([str(feed)])
    assert not errors
    arc = open_archive(url)
    try:
        return gate_documents(arc, list(expand_documents(docs)), Context(config=CFG))
    finally:
        arc.close()


def _decisions(summary) -> list[tuple]:
    return [(d.id, d.status, d.sources) for d in summary.decisions]


@pytest.mark.parametrize("aggregator", [False, True])
def test_local_processes_one_document_per_task_equal_the_sequential_run(tmp_path, aggregator):
    from unspin.match.cluster import gate_feed

    feed = _feed(tmp_path, aggregator)
    seq_url = "sqlite:///" + str(tmp_path / "seq.sqlite")
    par_url = "sqlite:///" + str(tmp_path / "par.sqlite")
    seq = _sequential(feed, seq_url)
    from unspin.match.archive import open_archive

    open_archive(par_url).close()
    par, errors = gate_feed([str(feed)], par_url, CFG, jobs=2, task_size=1)
    assert errors == [] and par.failed == []
    assert _decisions(par) == _decisions(seq)
    assert (par.added, par.updated) == (seq.added, seq.updated)
    counts = par.counts()
    assert counts["copy"] >= 11 and counts["original"] >= 7 and counts["unchanged"] >= 1
    assert counts["held"] >= 1
    # the spin filed before its original is held on its own findings (no source yet); the real original,
    # on another task, is stored as the original, and the later spin of it is its copy
    by_path = {Path(d.path).name: d for d in par.decisions}
    first = Path(ORIGINALS[0]).name
    assert by_path[f"a0-{first}"].status == "held" and by_path[f"b-{first}"].status == "original"
    assert by_path[f"z-{first}"].status == "copy"
    assert by_path["c-duplicate.md"].status == "unchanged"
    assert _content(par_url) == _content(seq_url)


def test_a_run_stopped_midway_leaves_a_consistent_archive_that_a_rerun_completes(tmp_path, monkeypatch):
    import unspin.match.cluster as cluster
    from unspin.match.archive import open_archive

    feed = _feed(tmp_path)
    for later in feed.glob("z-*.md"):  # the second spins reuse the first spins' URLs: a rerun would update them
        later.unlink()
    seq_url = "sqlite:///" + str(tmp_path / "seq.sqlite")
    par_url = "sqlite:///" + str(tmp_path / "par.sqlite")
    _sequential(feed, seq_url)
    open_archive(par_url).close()
    real, calls = cluster.gate_task, []

    def lost_worker(task, settings):
        calls.append(task.index)
        if len(calls) == 3:
            raise RuntimeError("worker lost")
        return real(task, settings)

    monkeypatch.setattr(cluster, "gate_task", lost_worker)
    with pytest.raises(RuntimeError):
        cluster.gate_feed([str(feed)], par_url, CFG, task_size=2)
    arc = open_archive(par_url, create=False)
    try:
        assert arc.check_integrity() == [] and 0 < arc.count() < 20  # two tasks in, whole
    finally:
        arc.close()
    monkeypatch.setattr(cluster, "gate_task", real)
    again, errors = cluster.gate_feed([str(feed)], par_url, CFG, task_size=2)
    assert errors == [] and again.counts()["unchanged"] > 1
    assert _content(par_url) == _content(seq_url)  # corpus counts included: the stopped run's originals too


def test_groups_keep_copies_with_their_originals(tmp_path):
    from unspin.match.cluster import GateSettings, group_documents, pack_tasks, plan_task
    from unspin.parallel import cut_tasks, read_inputs

    feed = _feed(tmp_path)
    items = read_inputs([str(feed)], [], max_bytes=10**7)
    plan = plan_task(cut_tasks(items, len(items))[0], GateSettings(url="", config=CFG))
    groups = group_documents(plan.docs)
    names = [{Path(items[d.seq].path).name for d in g} for g in groups]
    for rel in ORIGINALS:
        name = Path(rel).name
        together = [g for g in names if f"b-{name}" in g]
        assert len(together) == 1 and {f"z-{name}"} <= together[0], name
    assert any({"b-farm-machinery-gang-jailed.md", "c-duplicate.md"} <= g for g in names)
    assert len(groups) >= 10  # the unrelated articles are groups of their own
    tasks = pack_tasks(groups, items, 4)
    assert sorted(p for t in tasks for p in t.picks) == sorted((d.seq, d.sub) for d in plan.docs)
    for t in tasks:
        assert list(t.picks) == sorted(t.picks)
        assert len(t.picks) <= 4 or any(len(g) == len(t.picks) for g in groups)


@pytest.mark.slow
def test_dask_cluster_into_postgresql_equals_the_sequential_run(tmp_path, cli_runner, postgres_cluster):
    distributed = pytest.importorskip("distributed")
    feed = _feed(tmp_path)
    seq_url = postgres_cluster.create_database("cluster_seq")
    par_url = postgres_cluster.create_database("cluster_par")
    base = ["archive", "add", "--no-config", "--no-progress", "--format", "json"]
    seq = cli_runner.invoke(cli, [*base, "--db", seq_url, str(feed)])
    assert seq.exit_code == 1, seq.stderr  # some held
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster:
        par = cli_runner.invoke(cli, [*base, "--db", par_url, "--scheduler", cluster.scheduler_address, str(feed)])
    assert par.exit_code == 1, par.stderr
    s, p = json.loads(seq.stdout), json.loads(par.stdout)
    assert [(a["id"], a["status"], a["sources"]) for a in p["articles"]] == \
           [(a["id"], a["status"], a["sources"]) for a in s["articles"]]
    assert {k: v for k, v in p["totals"].items()} == s["totals"]
    assert _content(par_url) == _content(seq_url)


def test_scheduler_errors_are_one_line(tmp_path, cli_runner, monkeypatch):
    import unspin.parallel as parallel

    monkeypatch.setattr(parallel, "CONNECT_TIMEOUT", "2s")
    feed = FIX / "articles" / "sport"
    db = tmp_path / "a.sqlite"
    base = ["archive", "add", "--no-config", "--no-progress"]
    res = cli_runner.invoke(cli, [*base, "--db", str(db), "--scheduler", "tcp://127.0.0.1:1", str(feed)])
    assert res.exit_code == 2 and res.stderr.strip().count("\n") == 0
    assert "needs a PostgreSQL archive" in res.stderr and not db.exists()  # SQLite: refused before anything
    res = cli_runner.invoke(cli, [*base, "--db", str(db), "-j", "2", "--scheduler", "tcp://x:1", str(feed)])
    assert res.exit_code == 2 and "cannot be combined" in res.stderr


def test_unreachable_scheduler_with_postgresql_is_one_line(postgres_url, cli_runner, monkeypatch):
    import unspin.parallel as parallel

    monkeypatch.setattr(parallel, "CONNECT_TIMEOUT", "2s")
    feed = FIX / "articles" / "sport"
    base = ["archive", "add", "--no-config", "--no-progress", "--db", postgres_url]
    res = cli_runner.invoke(cli, [*base, "--scheduler", "tcp://127.0.0.1:1", str(feed)])
    assert res.exit_code == 2 and res.stderr.strip().count("\n") == 0
    assert "cannot connect to the Dask scheduler" in res.stderr
    res = cli_runner.invoke(cli, [*base, "--scheduler", "nonsense", str(feed)])
    assert res.exit_code == 2 and "not a Dask scheduler address" in res.stderr


def test_jobs_reports_bad_inputs_and_adds_the_rest(tmp_path, cli_runner):
    feed = tmp_path / "feed"
    feed.mkdir()
    for p in sorted((FIX / "articles" / "sport").glob("*.md"))[:3]:
        shutil.copy(p, feed / p.name)
    (feed / "bad.md").write_bytes(b"\xff\xfe\x00")
    db = tmp_path / "a.sqlite"
    res = cli_runner.invoke(cli, ["archive", "add", "--no-config", "--no-progress", "--format", "json",
                                  "--db", str(db), "-j", "2", str(feed)])
    assert res.exit_code == 2
    out = json.loads(res.stdout)
    assert out["totals"]["original"] == 3 and [Path(e["path"]).name for e in out["errors"]] == ["bad.md"]
    assert "bad.md: error:" in res.stderr and "Traceback" not in res.stderr


def test_trusted_import_on_two_processes_equals_one_process(tmp_path, cli_runner):
    feed = _feed(tmp_path)
    urls = {}
    for name, extra in (("one", []), ("two", ["-j", "2"])):
        urls[name] = "sqlite:///" + str(tmp_path / f"{name}.sqlite")
        res = cli_runner.invoke(cli, ["archive", "add", "--no-config", "--no-progress", "--trusted", "--db", urls[name],
                                      *extra, str(feed)])
        assert res.exit_code == 0, res.stderr
    assert _content(urls["two"]) == _content(urls["one"])
