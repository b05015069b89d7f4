"""``unspin report``: a per-provider report (HTML with charts, CSV, JSON) over feeds of articles."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .common import (
    EXIT_CLEAN,
    EXIT_USAGE,
    config_options,
    detector_options,
    fail,
    load_lexicon_or_fail,
    max_file_size_option,
    resolve_config,
)

DEFAULT_RULE = {"min_articles": 5, "flagged_share": 0.25, "mean_score": 0.5}
# FlagRule field -> Config attribute (config file keys use dashes: report-min-articles, ...)
CONFIG_KEYS = {"min_articles": "report_min_articles", "flagged_share": "report_flag_share",
               "mean_score": "report_flag_mean_score"}


def flag_rule_settings(cfg, **given):
    """The flag rule: command-line values, else the config keys (report-min-articles, report-flag-share,
    report-flag-mean-score), else the defaults."""
    from ..report.providers import FlagRule

    values = {}
    for name, attr in CONFIG_KEYS.items():
        value = given.get(name)
        if value is None:
            value = getattr(cfg, attr, None)
        values[name] = DEFAULT_RULE[name] if value is None else value
    return FlagRule(**values)


@click.command()
@click.argument("feeds", nargs=-1, required=True)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for report.html, providers.csv, providers.json and articles.csv "
                   "(created if needed).")
@click.option("--jobs", "-j", type=click.IntRange(1), help="Worker processes [default: all cores].")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Run the analysis on this Dask distributed scheduler instead of local processes.")
@click.option("--min-articles", type=click.IntRange(1),
              help="Flag rule: only providers with at least this many articles [config report-min-articles; "
                   f"default {DEFAULT_RULE['min_articles']}].")
@click.option("--flag-share", type=click.FloatRange(0, 1),
              help="Flag rule: low quality when at least this share of articles is flagged "
                   f"[config report-flag-share; default {DEFAULT_RULE['flagged_share']}].")
@click.option("--flag-mean-score", type=click.FloatRange(0, 1),
              help="Flag rule: low quality when the mean article score is at least this "
                   f"[config report-flag-mean-score; default {DEFAULT_RULE['mean_score']}].")
@click.option("--title", default="unspin provider report", show_default=True,
              help="Title of the HTML report.")
@click.option("--top-phrases", type=click.IntRange(0), default=5, show_default=True,
              help="Spun phrases listed per provider.")
@click.option("--examples", type=click.IntRange(0), default=3, show_default=True,
              help="Example (highest-scoring) articles listed per provider.")
@detector_options
@click.option("--encoding", help="Decode inputs with this encoding instead of UTF-8.")
@click.option("--stdin-filename", default="-", help="Name to report for a feed read from '-'.")
@max_file_size_option
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on stderr [default: when stderr is a terminal].")
@click.option("--db", "db", metavar="URL",
              help="Also give each provider's counts in this archive by the gate's status (originals, copies, "
                   "held, fixed, rejected).")
@config_options
def report(feeds, out_dir, jobs, scheduler, min_articles, flag_share, flag_mean_score, title, top_phrases,
           examples, no_generic, lexicons, encoding, stdin_filename, max_file_size, progress, db, config_path,
           no_config) -> None:
    """Report on the providers of article feeds (folders of Markdown items, JSONL feeds).

    Per provider: articles, share flagged, mean and worst scores, readability, top spun phrases and
    example articles; providers are flagged as low quality by the rule given in the report.

    Exit status: 0 report written; 2 usage error, or some inputs could not be read (the report is
    still written for the others and lists them).
    """
    cfg = resolve_config(config_path, no_config, max_file_size=max_file_size,
                         lexicons=tuple(lexicons) or None, generic=False if no_generic else None)
    try:
        rule = flag_rule_settings(cfg, min_articles=min_articles, flagged_share=flag_share,
                                  mean_score=flag_mean_score)
    except ValueError as exc:
        fail(f"{cfg.source or 'settings'}: report flag rule: {exc}")
    from ..rules import family

    if cfg.wants_family(family("lexicon")):
        from ..analysis import Context

        load_lexicon_or_fail(Context(config=cfg))
    if scheduler is not None and jobs is not None:
        fail("--jobs and --scheduler cannot be combined (the Dask cluster decides its own workers)")
    if out_dir.exists() and not out_dir.is_dir():
        fail(f"{out_dir}: --out must be a folder, and this is a file")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"{out_dir}: cannot create the output folder: {exc.strerror or exc}")

    from .. import __version__
    from ..report.export import articles_csv, providers_csv, providers_json
    from ..report.html import ReportSettings, render_html
    from ..report.providers import aggregate_providers, totals
    from ..report.run import SchedulerError

    show = sys.stderr.isatty() if progress is None else progress
    try:
        analysis = _analyze_with_progress(list(feeds), cfg, jobs or _usable_cores(), scheduler, encoding,
                                          stdin_filename, show)
    except SchedulerError as exc:
        fail(str(exc))
    providers = aggregate_providers(analysis.rows, rule, top_phrases=top_phrases, examples=examples)
    if db:
        from ..match.archive import ArchiveError, display_url, open_archive
        from ..report.gate import archive_counts, with_archive_counts

        try:
            arc = open_archive(db, create=False)
            try:
                providers = with_archive_counts(providers, archive_counts(arc))
            finally:
                arc.close()
        except ArchiveError as exc:
            fail(f"{display_url(db)}: {exc}")
    total = totals(analysis.rows, providers, len(analysis.errors))
    rule_text = rule.describe(cfg.suspect_threshold)
    settings = ReportSettings(title=title, rule=rule, rule_text=rule_text,
                              suspect_threshold=cfg.suspect_threshold, spun_threshold=cfg.spun_threshold,
                              inputs=tuple(feeds), version=__version__)
    from ..fileio import atomic_write_text

    outputs = {
        "articles.csv": articles_csv(analysis.rows),
        "providers.csv": providers_csv(providers),
        "providers.json": providers_json(providers, rule, rule_text, total, analysis.errors),
        "report.html": render_html(providers, total, analysis.errors, settings),
    }
    for name, text in outputs.items():
        try:
            atomic_write_text(out_dir / name, text)
        except OSError as exc:
            fail(f"{out_dir / name}: cannot write: {exc.strerror or exc}")
    for e in analysis.errors:
        click.echo(f"{e.path}: error: {e.error}", err=True)
    click.echo(f"unspin: {total.articles} articles from {total.providers} providers, "
               f"{total.low_quality_providers} flagged as low quality; report in {out_dir / 'report.html'}",
               err=True)
    sys.exit(EXIT_USAGE if analysis.errors else EXIT_CLEAN)


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _analyze_with_progress(feeds, cfg, jobs, scheduler, encoding, stdin_name, show):
    from ..report.run import analyze_feed

    run = dict(jobs=jobs, scheduler=scheduler, encoding=encoding, stdin_name=stdin_name)
    if not show:
        return analyze_feed(feeds, cfg, **run)
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TimeRemainingColumn())
    where = f"on {scheduler}" if scheduler else f"with {jobs} job{'s' if jobs != 1 else ''}"
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task("reading feeds", total=None)

        def planned(total: int) -> None:
            bar.update(task, total=total, description=f"analysing {where}")

        return analyze_feed(feeds, cfg, **run, on_planned=planned, on_progress=lambda n: bar.advance(task, n))
