"""``unspin report``: aggregation, the flag rule, outputs (HTML/CSV/JSON), bad inputs, local vs Dask runs."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from unspin.cli import cli
from unspin.config import Config
from unspin.model import Document, DocumentReport, Finding, InputError
from unspin.report.export import ARTICLE_COLUMNS, PROVIDER_COLUMNS, articles_csv, providers_csv, providers_json
from unspin.report.html import ReportSettings, render_html, safe_href
from unspin.report.providers import (
    ArticleRow,
    FlagRule,
    aggregate_providers,
    article_row,
    provider_key,
    totals,
)

REPO = Path(__file__).resolve().parent.parent
ARTICLES = REPO / "fixtures" / "articles"


def row(path, provider="Alpha News", domain="alpha.example", score=0.0, verdict=None, phrases=(), **kw):
    verdict = verdict or ("spun" if score >= 0.8 else "suspect" if score >= 0.5 else "clean")
    return ArticleRow(path=path, provider=provider, domain=domain, score=score, verdict=verdict, words=100,
                      findings=len(phrases), phrases=tuple(phrases), **kw)


# ---------------------------------------------------------------------------------------------------
# Aggregation from known inputs


def test_aggregation_numbers_from_known_rows():
    rows = [
        row("a1.md", score=0.1, phrases=("squeeze secretary",), readability=50.0, quality=0.9, heat=10),
        row("a2.md", score=0.9, phrases=("squeeze secretary", "facial acknowledgment"), readability=40.0,
            quality=0.5, heat=30),
        row("a3.md", score=0.6, phrases=("facial acknowledgment", "squeeze secretary"), quality=0.4),
        row("a4.md", provider="ALPHA news", domain="Alpha.Example", score=0.0),  # same provider, other casing
        row("b1.md", provider="Beta Wire", domain="beta.example", score=0.2),
        row("b2.md", provider="Beta Wire", domain="beta.example", score=0.2),
    ]
    rule = FlagRule(min_articles=3, flagged_share=0.5, mean_score=0.9)
    providers = aggregate_providers(rows, rule, top_phrases=1, examples=2)
    assert [p.key for p in providers] == ["alpha.example", "beta.example"]
    alpha, beta = providers
    assert alpha.articles == 4 and alpha.flagged == 2 and alpha.spun == 1 and alpha.suspect == 1
    assert alpha.flagged_share == 0.5
    assert math.isclose(alpha.mean_score, (0.1 + 0.9 + 0.6 + 0.0) / 4)
    assert alpha.worst_score == 0.9 and alpha.worst_article == "a2.md"
    assert math.isclose(alpha.mean_readability, 45.0)  # only rows that have a value
    assert math.isclose(alpha.mean_quality, (0.9 + 0.5 + 0.4) / 3)
    assert math.isclose(alpha.mean_heat, 20.0)
    assert alpha.top_phrases == (("squeeze secretary", 3),)
    assert [a.path for a in alpha.examples] == ["a2.md", "a3.md"]
    assert alpha.histogram == (1, 1, 0, 0, 0, 0, 1, 0, 0, 1)
    assert alpha.name == "ALPHA news" or alpha.name == "Alpha News"
    assert alpha.low_quality and len(alpha.reasons) == 1 and "50%" in alpha.reasons[0]
    assert beta.articles == 2 and beta.flagged == 0 and not beta.low_quality  # under min_articles anyway
    assert math.isclose(beta.mean_score, 0.2) and beta.top_phrases == ()
    t = totals(rows, providers, errors=1)
    assert (t.articles, t.providers, t.flagged, t.low_quality_providers, t.errors) == (6, 2, 2, 1, 1)


def test_ties_are_broken_deterministically():
    rows = [row("z.md", score=0.5, phrases=("b", "a")), row("m.md", score=0.5, phrases=("a", "b"))]
    (p,) = aggregate_providers(rows, FlagRule())
    assert p.worst_article == "m.md"
    assert p.top_phrases == (("a", 2), ("b", 2))
    assert aggregate_providers(list(reversed(rows)), FlagRule()) == [p]


def test_histogram_puts_score_one_in_the_last_bin():
    (p,) = aggregate_providers([row("x", score=1.0), row("y", score=0.0), row("z", score=0.95)], FlagRule())
    assert p.histogram[-1] == 2 and p.histogram[0] == 1


def test_provider_key_prefers_domain_and_ignores_case():
    assert provider_key("Alpha", "Alpha.Example ") == "alpha.example"
    assert provider_key("  Alpha   News ", None) == "alpha news"
    assert provider_key(None, None) == ""


def test_article_row_from_a_document_report():
    doc = Document(path="x.md", text="Title\n\nThe squeeze secretary said.", segments=(), title="Title",
                   url="https://a.example/x", provider_name="Alpha", provider_domain="a.example",
                   meta={"quality": "0.75", "heat": 12, "related": ["i1", "i2"]})
    finding = Finding(rule="US101", start=11, end=28, line=3, column=5, text="squeeze\nsecretary",
                      message="m")
    doc_level = Finding(rule="US901", start=0, end=1, line=1, column=1, text="T", message="m")
    rep = DocumentReport(path="x.md", score=0.7, verdict="suspect", findings=(finding, doc_level), words=6,
                         document=doc)
    r = article_row(rep, readability=55.5)
    assert r.provider == "Alpha" and r.domain == "a.example" and r.title == "Title"
    assert r.phrases == ("squeeze secretary",)  # document-level US9xx findings are not phrases
    assert (r.quality, r.heat, r.related, r.readability, r.findings) == (0.75, 12.0, 2, 55.5, 2)
    assert r.flagged


def test_article_without_provider_is_grouped_as_unknown():
    doc = Document(path="x.txt", text="hello", segments=())
    r = article_row(DocumentReport(path="x.txt", score=0.0, verdict="clean", findings=(), document=doc))
    assert r.provider == "(no provider)" and r.provider_key == ""


# ---------------------------------------------------------------------------------------------------
# The flag rule


@pytest.mark.parametrize(("articles", "share", "mean", "flagged"), [
    (5, 0.25, 0.0, True),  # share exactly at the threshold
    (5, 0.24, 0.0, False),
    (4, 1.0, 1.0, False),  # too few articles, whatever the numbers
    (5, 0.0, 0.5, True),  # mean score exactly at the threshold
    (5, 0.0, 0.49, False),
])
def test_flag_rule_boundaries(articles, share, mean, flagged):
    assert bool(FlagRule(min_articles=5, flagged_share=0.25, mean_score=0.5).reasons(articles, share, mean)) \
        is flagged


def test_flag_rule_validates_and_describes_itself():
    with pytest.raises(ValueError, match="flagged_share"):
        FlagRule(flagged_share=1.5)
    with pytest.raises(ValueError, match="min_articles"):
        FlagRule(min_articles=0)
    text = FlagRule(min_articles=7, flagged_share=0.4, mean_score=0.65).describe(0.5)
    assert "at least 7 articles" in text and "40%" in text and "0.65" in text and "0.50" in text


def test_flag_rule_settings_prefer_command_line_then_config_then_defaults():
    from unspin.commands.report import DEFAULT_RULE, flag_rule_settings

    cfg = SimpleNamespace(report_min_articles=9, report_flag_share=None, report_flag_mean_score=0.7)
    rule = flag_rule_settings(cfg, min_articles=None, flagged_share=None, mean_score=0.2)
    assert rule == FlagRule(min_articles=9, flagged_share=DEFAULT_RULE["flagged_share"], mean_score=0.2)
    assert flag_rule_settings(Config(), min_articles=None, flagged_share=None, mean_score=None) == \
        FlagRule(**DEFAULT_RULE) == FlagRule()


@pytest.mark.skipif(not hasattr(Config(), "report_min_articles"),
                    reason="Config has no report-* keys yet (edit requested in config.py)")
def test_flag_rule_from_config_file(tmp_path, cli_runner):
    cfg = tmp_path / "unspin.toml"
    cfg.write_text("report-min-articles = 1\nreport-flag-share = 0.0\nreport-flag-mean-score = 1.0\n")
    out = tmp_path / "out"
    res = cli_runner.invoke(cli, ["report", "--config", str(cfg), "--no-progress", "--no-generic",
                                  str(ARTICLES / "sport"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads((out / "providers.json").read_text())
    assert data["rule"]["min_articles"] == 1 and data["rule"]["flagged_share"] == 0.0
    assert all(p["low_quality"] for p in data["providers"])  # share >= 0 holds for every provider


# ---------------------------------------------------------------------------------------------------
# Outputs


HOSTILE = '<script>alert("x")</script>'


def _settings(rule: FlagRule | None = None):
    rule = rule or FlagRule()
    return ReportSettings(title="T <b>", rule=rule, rule_text=rule.describe(0.5), suspect_threshold=0.5,
                          spun_threshold=0.8, inputs=("feed </footer><script>",), version="0")


def test_html_escapes_hostile_titles_provider_names_and_urls():
    rows = [row("a.md", provider=HOSTILE, domain='"><img src=x onerror=alert(1)>', score=0.9,
                title='</td><script>alert(2)</script>', url="javascript:alert(3)",
                phrases=("<iframe src=//evil>",)),
            row("b.md", provider="Fine", domain="fine.example", title="Fine & dandy", url="https://fine.example/b")]
    providers = aggregate_providers(rows, FlagRule(min_articles=1))
    html = render_html(providers, totals(rows, providers, 1), [InputError("<bad>.md", "not <valid>")],
                       _settings())
    assert _without_sort_script(html).lower().count("<script") == 0  # only the report's own script
    assert "<iframe" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "javascript:" not in html.replace("&lt;", "")  # the URL is not linked
    assert 'href="https://fine.example/b"' in html and "Fine &amp; dandy" in html
    assert "&lt;bad&gt;.md: not &lt;valid&gt;" in html
    assert html.count("<svg") == 2  # the two charts, inline


def test_html_is_self_contained():
    rows = [row(f"{i}.md", score=i / 10, url="https://alpha.example/x") for i in range(10)]
    providers = aggregate_providers(rows, FlagRule())
    html = render_html(providers, totals(rows, providers, 0), [], _settings())
    assert not re.search(r"<(script|link|img|iframe)\b", _without_sort_script(html), re.I)
    assert not re.search(r'\ssrc=', html)  # nothing is fetched; links are only clickable anchors
    assert "Flag rule." in html and FlagRule().describe(0.5) in html


def _without_sort_script(html: str) -> str:
    from unspin.report.html import SORT_SCRIPT

    ours = f"<script>{SORT_SCRIPT}</script>"
    assert html.count(ours) == 1
    return html.replace(ours, "")


def test_html_sortable_tables_allowed_by_hash_counts_visible_and_data_links():
    import base64
    import hashlib

    from unspin.report.html import SORT_SCRIPT

    rows = [row(f"{i}.md", provider="Alpha" if i % 2 else "Beta", score=i / 10) for i in range(10)]
    providers = aggregate_providers(rows, FlagRule(min_articles=1))
    html = render_html(providers, totals(rows, providers, 0), [], _settings())
    # the one inline script runs under the page's CSP only because its hash is listed there
    digest = base64.b64encode(hashlib.sha256(SORT_SCRIPT.encode()).digest()).decode()
    csp = re.search(r'Content-Security-Policy content="([^"]*)"', html).group(1)
    assert f"script-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp and "unsafe-inline'; img" in csp
    assert "script-src 'unsafe-inline'" not in csp
    # every table with a header sorts; numeric columns carry sortable values
    assert html.count("<table class=sortable>") == 1 + len(providers)
    assert html.count("<thead>") == html.count("<tbody>") == html.count("<table")
    # histogram counts are drawn as text, not only in tooltips: each provider's five articles
    hist = html.split("Article score distribution per provider")[1].split("</svg>")[0]
    counts = [int(c) for c in re.findall(r'font-size="10" fill="[^"]+">(\d+)</text>', hist)]
    assert sum(counts) == 10 and all(c >= 1 for c in counts)
    # the data files next to the report are linked
    for name in ("providers.csv", "articles.csv", "providers.json"):
        assert f'<a href="{name}">' in html


def test_safe_href_only_allows_web_links():
    assert safe_href("https://a.example") == "https://a.example"
    assert safe_href(" JavaScript:alert(1)") is None and safe_href("data:text/html,x") is None


def test_csv_and_json_shapes():
    rows = [row("a.md", score=0.9, phrases=("x y",), title="=HYPERLINK(\"http://evil\")", quality=0.5),
            row("b.md", provider="Beta", domain=None, score=0.1, readability=61.234)]
    providers = aggregate_providers(rows, FlagRule(min_articles=1))
    prov = list(csv.reader(io.StringIO(providers_csv(providers))))
    assert tuple(prov[0]) == PROVIDER_COLUMNS and len(prov) == 3
    first = dict(zip(PROVIDER_COLUMNS, prov[1], strict=True))
    assert first["provider"] == "Alpha News" and first["flagged_share"] == "1.0000" and first["low_quality"] == "yes"
    assert first["top_phrases"] == "x y (1)"
    arts = list(csv.DictReader(io.StringIO(articles_csv(rows))))
    assert tuple(arts[0]) == ARTICLE_COLUMNS and len(arts) == 2
    assert arts[0]["title"].startswith("'=")  # spreadsheet formula neutralised
    assert arts[1]["readability"] == "61.23" and arts[1]["quality"] == "" and arts[1]["domain"] == ""
    data = json.loads(providers_json(providers, FlagRule(min_articles=1), "rule text", totals(rows, providers, 0),
                                     [InputError("c.md", "bad")]))
    assert set(data) == {"schema_version", "rule", "totals", "providers", "errors"}
    assert data["rule"] == {"min_articles": 1, "flagged_share": 0.25, "mean_score": 0.5, "text": "rule text"}
    assert data["errors"] == [{"path": "c.md", "error": "bad"}]
    p = data["providers"][0]
    assert set(p) >= {"provider", "domain", "articles", "flagged", "flagged_share", "mean_score", "worst_score",
                      "mean_readability", "low_quality", "reasons", "top_phrases", "score_histogram", "examples"}
    assert p["top_phrases"] == [{"phrase": "x y", "count": 1}] and len(p["score_histogram"]) == 10


# ---------------------------------------------------------------------------------------------------
# The command


def _feed(tmp_path: Path) -> Path:
    """A small feed: fixture articles under two providers, plus a JSONL feed."""
    feed = tmp_path / "feed"
    for topic in ("sport", "health"):
        shutil.copytree(ARTICLES / topic, feed / topic)
    records = [{"id": f"r{i}", "title": f"Record {i}", "text": "The squeeze secretary said the facial "
                "acknowledgment system was wrong. " * (i + 1), "provider": {"name": "Spin Farm",
                                                                          "domain": "spin.example"}}
               for i in range(7)]
    (feed / "farm.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return feed


# The report's tests run the lexicon detector only (--no-generic): they test aggregation and execution,
# and stay independent of the generic model, which is tested (and retrained) on its own.
NO_GENERIC = Config(generic=False)


def _run(cli_runner, *args):
    return cli_runner.invoke(cli, ["report", "--no-config", "--no-progress", "--no-generic", *map(str, args)])


def test_report_command_writes_all_outputs_matching_analyze(tmp_path, cli_runner):
    from unspin.analysis import Context, analyze
    from unspin.document import load_documents

    feed = _feed(tmp_path)
    out = tmp_path / "out"
    res = _run(cli_runner, feed, "--out", out, "--jobs", "1")
    assert res.exit_code == 0, res.output + res.stderr
    assert sorted(p.name for p in out.iterdir()) == ["articles.csv", "providers.csv", "providers.json",
                                                       "report.html"]
    docs, errors = load_documents([str(feed)])
    assert not errors
    ctx = Context(config=NO_GENERIC)
    expected = {d.path: analyze(d, ctx) for d in docs}
    arts = list(csv.DictReader(io.StringIO((out / "articles.csv").read_text())))
    assert [a["path"] for a in arts] == [d.path for d in docs]  # input order
    for a in arts:
        assert a["score"] == f"{expected[a['path']].score:.4f}" and a["verdict"] == expected[a["path"]].verdict
    data = json.loads((out / "providers.json").read_text())
    by_domain = {p["domain"]: p for p in data["providers"]}
    farm = by_domain["spin.example"]
    assert farm["articles"] == 7
    farm_scores = [expected[f"{feed / 'farm.jsonl'}#{i}"].score for i in range(1, 8)]
    assert farm["mean_score"] == round(sum(farm_scores) / 7, 4)
    assert farm["flagged"] == sum(1 for i in range(1, 8) if expected[f"{feed / 'farm.jsonl'}#{i}"].verdict
                                  != "clean")
    assert data["totals"]["articles"] == len(docs) == sum(p["articles"] for p in data["providers"])
    html = (out / "report.html").read_text()
    assert "Spin Farm" in html and data["rule"]["text"] in html.replace("&#x27;", "'")


def test_flag_rule_options_change_the_verdict(tmp_path, cli_runner):
    feed = tmp_path / "feed"
    shutil.copytree(ARTICLES / "sport", feed)
    strict, lenient = tmp_path / "strict", tmp_path / "lenient"
    assert _run(cli_runner, feed, "--out", strict, "-j", "1", "--min-articles", "1", "--flag-share", "0",
                ).exit_code == 0
    assert _run(cli_runner, feed, "--out", lenient, "-j", "1", "--min-articles", "1000").exit_code == 0
    s = json.loads((strict / "providers.json").read_text())
    ln = json.loads((lenient / "providers.json").read_text())
    assert s["providers"] and all(p["low_quality"] for p in s["providers"])
    assert not any(p["low_quality"] for p in ln["providers"])
    assert "at least 1000 articles" in ln["rule"]["text"] and "0%" in s["rule"]["text"]


def test_bad_inputs_are_reported_and_the_rest_still_counted(tmp_path, cli_runner):
    feed = tmp_path / "feed"
    shutil.copytree(ARTICLES / "sport", feed / "sport")
    (feed / "latin1.md").write_bytes("---\ntitle: caf\xe9\n---\nbody\n".encode("latin-1"))
    (feed / "broken.md").write_text("---\ntitle: [unclosed\n---\nbody\n")
    (feed / "empty.md").write_text("")
    (feed / "mixed.jsonl").write_text('{"id": 1, "title": "ok", "text": "A fine sentence here."}\n'
                                      "{not json\n"
                                      '{"id": 3, "title": "no text"}\n')
    out = tmp_path / "out"
    res = _run(cli_runner, feed, tmp_path / "missing", "--out", out, "-j", "2")
    assert res.exit_code == 2
    data = json.loads((out / "providers.json").read_text())
    errors = {e["path"]: e["error"] for e in data["errors"]}
    assert len(data["errors"]) == len(errors) == 6
    assert "not valid UTF-8" in errors[str(feed / "latin1.md")]
    assert "malformed front matter" in errors[str(feed / "broken.md")]
    assert errors[f"{feed / 'mixed.jsonl'}#2"].startswith("not valid JSON")
    assert "no 'text'" in errors[f"{feed / 'mixed.jsonl'}#3"]
    assert errors[str(tmp_path / "missing")] == "no such file or folder"
    n_sport = len(list((ARTICLES / "sport").glob("*.md")))
    assert data["totals"]["articles"] == n_sport + 1  # the good JSONL record is still in
    for path, err in errors.items():  # one plain line each on stderr, no traceback
        assert f"{path}: error: {err}" in res.stderr
    assert "Traceback" not in res.stderr
    html = (out / "report.html").read_text()
    assert "could not be read (6)" in html and "malformed front matter" in html


def test_usage_errors_exit_2_with_one_line(tmp_path, cli_runner):
    afile = tmp_path / "f"
    afile.write_text("x")
    res = _run(cli_runner, ARTICLES / "sport", "--out", afile)
    assert res.exit_code == 2
    res = _run(cli_runner, ARTICLES / "sport", "--out", tmp_path / "o", "--jobs", "2", "--scheduler", "tcp://x:1")
    assert res.exit_code == 2 and "cannot be combined" in res.stderr


def test_unreachable_scheduler_is_one_line(tmp_path, cli_runner, monkeypatch):
    import unspin.parallel as run

    monkeypatch.setattr(run, "CONNECT_TIMEOUT", "2s")
    res = _run(cli_runner, ARTICLES / "sport", "--out", tmp_path / "o", "--scheduler", "tcp://127.0.0.1:1")
    assert res.exit_code == 2
    assert res.stderr.strip().count("\n") == 0 and "cannot connect to the Dask scheduler" in res.stderr
    res = _run(cli_runner, ARTICLES / "sport", "--out", tmp_path / "o", "--scheduler", "nonsense")
    assert res.exit_code == 2 and "not a Dask scheduler address" in res.stderr


def test_progress_bar_goes_to_stderr(tmp_path, cli_runner):
    res = cli_runner.invoke(cli, ["report", "--no-config", "--no-generic", "--progress", str(ARTICLES / "sport"),
                                  "--out", str(tmp_path / "o"), "-j", "1"])
    assert res.exit_code == 0
    assert "analysing" in res.stderr and "analysing" not in res.stdout


# ---------------------------------------------------------------------------------------------------
# Same results however it runs


def _outputs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_task_size_and_jobs_do_not_change_rows(tmp_path):
    from unspin.report.run import analyze_feed

    feed = _feed(tmp_path)
    (feed / "sport" / "bad.md").write_bytes(b"\xff\xfe\x00")
    with open(feed / "farm.jsonl", "a") as fh:
        fh.write("[1]\n")
    base = analyze_feed([str(feed)], NO_GENERIC, jobs=1)
    assert len(base.rows) >= 15
    assert [Path(e.path).name for e in base.errors] == ["farm.jsonl#8", "bad.md"]  # input order
    assert base.errors[0].error == "expected a JSON object"
    for jobs, size in ((1, 1), (1, 3), (2, 4), (2, 50), (2, None)):
        again = analyze_feed([str(feed)], NO_GENERIC, jobs=jobs, task_size=size)
        assert again.rows == base.rows and again.errors == base.errors


@pytest.mark.slow
@pytest.mark.parametrize("processes", [False, True])
def test_dask_cluster_run_equals_local_runs(tmp_path, cli_runner, processes):
    distributed = pytest.importorskip("distributed")
    feed = _feed(tmp_path)
    (feed / "bad.md").write_bytes(b"\xff\xfe\x00")  # an error must come out the same way too
    results = {}
    for name, extra in (("inline", ["-j", "1"]), ("pool", ["-j", "2"])):
        res = _run(cli_runner, feed, "--out", tmp_path / name, *extra)
        assert res.exit_code == 2, res.stderr
        results[name] = _outputs(tmp_path / name)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=processes,
                                  dashboard_address=":0") as cluster:
        res = _run(cli_runner, feed, "--out", tmp_path / "dask", "--scheduler", cluster.scheduler_address)
        assert res.exit_code == 2, res.stderr
    results["dask"] = _outputs(tmp_path / "dask")
    assert results["inline"] == results["pool"] == results["dask"]
    data = json.loads(results["dask"]["providers.json"])
    assert data["totals"]["articles"] >= 15 and len(data["errors"]) == 1


# ---------------------------------------------------------------------------------------------------
# The feed generator


def _make_feed_module():
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import make_feed
    finally:
        sys.path.pop(0)
    return make_feed


def test_make_feed_builds_a_deterministic_feed_the_report_reads(tmp_path):
    from unspin.document import load_documents

    make_feed = _make_feed_module()
    fixtures = make_feed.load_fixtures(ARTICLES)
    a = make_feed.build_items(60, 3, fixtures)
    assert a == make_feed.build_items(60, 3, fixtures)
    spun = [i for i in a if i["_truth"]["spun"]]
    assert spun and len(spun) < len(a)
    clean_names = {p.name for p in make_feed.PROVIDERS if not p.spinners}
    assert not any(i["_truth"]["spun"] for i in a if i["provider"]["name"] in clean_names)
    for i in spun:  # spun items really differ from the fixture they came from
        fx = next(f for f in fixtures if f"{f.topic}/{f.slug}" == i["_truth"]["fixture"])
        assert i["_body"] != fx.body
    make_feed.write_markdown(a, tmp_path / "md")
    make_feed.write_jsonl(a, tmp_path / "feed.jsonl")
    md_docs, md_err = load_documents([str(tmp_path / "md")])
    js_docs, js_err = load_documents([str(tmp_path / "feed.jsonl")])
    assert not md_err and not js_err and len(md_docs) == len(js_docs) == 60
    d = next(d for d in md_docs if d.id == "item-00000")
    assert d.provider_name == a[0]["provider"]["name"] and d.meta["quality"] == a[0]["quality"]
    assert isinstance(d.meta["related"], list) and "heat" in d.meta
    j = next(d for d in js_docs if d.id == "item-00000")
    assert j.provider_domain == d.provider_domain and j.meta["heat"] == d.meta["heat"]


def test_charts_are_capped_but_the_table_lists_every_provider():
    from unspin.report.html import CHART_LIMIT

    rows = [row(f"{i}.md", provider=f"P{i:02d}", domain=f"p{i:02d}.example", score=i / 100)
            for i in range(CHART_LIMIT + 5)]
    providers = aggregate_providers(rows, FlagRule())
    html = render_html(providers, totals(rows, providers, 0), [], _settings())
    assert f"The {CHART_LIMIT} highest of {CHART_LIMIT + 5} providers" in html
    svg_part = html[html.index("<svg"):html.rindex("</svg>")]
    assert "P44" in svg_part and "P00" not in svg_part  # the highest are drawn, the lowest are not
    assert html.count('<a href="#p-') == CHART_LIMIT + 5
