"""``unspin archive``: add articles to the archive of originals, list, remove, and show statistics."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

import click

from .common import (
    EXIT_FINDINGS,
    EXIT_USAGE,
    archive_url,
    config_options,
    db_option,
    detector_options,
    fail,
    load_lexicon_or_fail,
    max_file_size_option,
    open_archive_or_exit,
    resolve_config,
)


def _open(db: str | None, config_path, no_config: bool, create: bool):
    cfg = resolve_config(config_path, no_config, db=db)
    return open_archive_or_exit(archive_url(db, cfg), create=create)


@click.group()
def archive() -> None:
    """The archive of original articles that 'unspin match' and 'check --db' compare against.

    The archive is a SQLite file (default: in the user data folder; --db or UNSPIN_DB to choose) or a
    shared PostgreSQL database (--db postgresql://user@host/dbname).
    """


@archive.command("add")
@click.argument("paths", nargs=-1, required=True)
@click.option("--trusted", is_flag=True,
              help="A bulk import of known originals: store every article as an original, without the gate.")
@click.option("--fix", "fix", is_flag=True,
              help="Store the rewrite of an article the gate would hold when every finding has a suggestion "
                   "(status fixed; the submitted text is kept beside it).")
@click.option("--hold", type=click.Choice(["spun", "suspect"]),
              help="Hold articles with no source whose score reaches suspect-threshold (suspect) or only "
                   "spun-threshold (spun) [config gate-hold; default suspect].")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Summary format.")
@detector_options
@click.option("--encoding", help="Decode inputs with this encoding instead of UTF-8.")
@max_file_size_option
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=500, show_default=True,
              help="Articles per transaction.")
@click.option("--jobs", "-j", type=click.IntRange(1), default=1, show_default=True,
              help="Gate on this many local processes (each writes its own transactions).")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Gate on this Dask distributed scheduler's workers, which write to the (PostgreSQL) "
                   "archive themselves.")
@click.option("--progress/--no-progress", default=None, help="Show a progress bar [default: on a terminal].")
@db_option
@config_options
def add(paths, trusted, fix, hold, fmt, no_generic, lexicons, encoding, max_file_size, batch_size, jobs, scheduler,
        progress, db, config_path, no_config) -> None:
    """Add articles (files, folders recursively, JSONL feeds, '-') to the archive, through the gate.

    The gate runs the same analysis as 'unspin check --db' on every article and sorts it: a copy of
    an archived original is stored as a copy linked to its source (never a source itself); an article
    with no source whose score reaches the suspect (or spun) threshold (setting gate-hold) is held for
    review ('unspin archive review'); the rest are stored as originals. --trusted skips the gate.

    Adding is idempotent: an article with the same id (JSONL 'id', else its URL, else its file path)
    or the same words is updated, not duplicated. A news-aggregator item (front matter with a title,
    an excerpt and 'related' items, no body) adds one excerpt-only entry per item and related item,
    keyed by URL and grouped as one story; an excerpt never replaces a full text with the same URL.
    With --jobs N or --scheduler, workers analyse and store in parallel; documents that could affect
    each other (same id, same words, or a shared index key) are gated by one worker in input order,
    so the statuses and links are those of a run on one process (docs/cluster.md). --scheduler
    needs a PostgreSQL archive.

    Exit status: 0 nothing held, 1 some article held, 2 unreadable inputs (reported and skipped; the
    others are still added).
    """
    from ..document import discover, read_source_reporting
    from ..match.aggregator import expand_documents
    from ..match.archive import ArchiveError, display_url, normalise_url
    from ..model import InputError

    if trusted and (fix or hold):
        fail("--trusted stores every article as an original; it cannot be combined with --fix or --hold")
    if scheduler is not None and jobs != 1:
        fail("--jobs and --scheduler cannot be combined (the Dask cluster decides its own workers)")
    cfg = resolve_config(config_path, no_config, lexicons=tuple(lexicons) or None,
                         generic=False if no_generic else None, gate_hold=hold)
    where = archive_url(db, cfg)
    if scheduler is not None and normalise_url(where.url).startswith("sqlite"):
        fail(f"{display_url(where.url)}: --scheduler needs a PostgreSQL archive (--db postgresql://...); "
             "workers on other machines cannot share a SQLite file (use --jobs N on one machine)")
    arc = open_archive_or_exit(where, create=True)
    limit = max_file_size or cfg.max_file_size
    if scheduler is not None or jobs > 1:
        arc.close()
        _add_parallel(list(paths), arc.url, cfg, trusted, fix, encoding, limit, batch_size, jobs, scheduler,
                      fmt, progress)
        return
    errors: list[InputError] = []
    sources = list(discover(list(paths), errors))
    show = sys.stderr.isatty() if progress is None else progress
    ctx = None
    if not trusted:
        from ..analysis import Context

        ctx = Context(config=cfg)
        if cfg.wants_family("US1"):
            load_lexicon_or_fail(ctx)

    def documents(advance) -> Iterator:
        for src in sources:
            docs = read_source_reporting(src, errors, max_bytes=limit, encoding=encoding)
            # an aggregator item (front matter with an excerpt, no body) becomes its excerpt entries
            for doc in expand_documents(docs, errors):
                if not doc.segments:
                    errors.append(InputError(doc.path, "no prose to archive"))
                    continue
                yield doc
            advance()

    def run(docs):
        from ..match.gate import gate_documents, trusted_import

        if trusted:
            return trusted_import(arc, docs, batch_size=batch_size)
        return gate_documents(arc, docs, ctx, hold=cfg.gate_hold, fix=fix, batch_size=batch_size)

    try:
        if show:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            with Progress(TextColumn("archiving"), BarColumn(), MofNCompleteColumn(), TextColumn("files"),
                          TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
                task = bar.add_task("archiving", total=len(sources))
                summary = run(documents(lambda: bar.advance(task)))
        else:
            summary = run(documents(lambda: None))
    except ArchiveError as exc:
        fail(f"{display_url(arc.url)}: {exc}")
    finally:
        arc.close()
    _finish(summary, errors, arc.url, fmt)


def _finish(summary, errors, url: str, fmt: str) -> None:
    """Print the gate's summary and the errors; exit 2 on errors, 1 when something was held."""
    from ..match.archive import display_url

    errors.extend(summary.failed)
    for e in errors:
        click.echo(f"{e.path}: error: {e.error}", err=True)
    if fmt == "json":
        click.echo(json.dumps(summary.to_json(display_url(url), errors), indent=2))
    else:
        click.echo(summary.text(display_url(url), errors))
    if errors:
        sys.exit(EXIT_USAGE)
    if summary.held:
        sys.exit(EXIT_FINDINGS)


def _add_parallel(paths, url, cfg, trusted, fix, encoding, limit, batch_size, jobs, scheduler, fmt, progress):
    """``archive add`` on local processes or a Dask cluster (``unspin.match.cluster``)."""
    from dataclasses import replace

    from ..match.archive import ArchiveError, display_url
    from ..match.cluster import ClusterError, gate_feed
    from ..parallel import SchedulerError

    if not trusted and cfg.wants_family("US1"):
        from ..analysis import Context

        load_lexicon_or_fail(Context(config=cfg))
    run = dict(trusted=trusted, hold=cfg.gate_hold, fix=fix, batch_size=batch_size, jobs=jobs,
               scheduler=scheduler, encoding=encoding)
    cfg = replace(cfg, max_file_size=limit)
    show = sys.stderr.isatty() if progress is None else progress
    try:
        if show:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            where = f"on {scheduler}" if scheduler else f"with {jobs} jobs"
            with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                          MofNCompleteColumn(), TimeElapsedColumn(), console=Console(stderr=True),
                          transient=True) as bar:
                task = bar.add_task(f"planning {where}", total=None)
                summary, errors = gate_feed(
                    paths, url, cfg, **run,
                    on_planned=lambda n: bar.update(task, total=n, description=f"archiving {where}"),
                    on_progress=lambda n: bar.advance(task, n))
        else:
            summary, errors = gate_feed(paths, url, cfg, **run)
    except (SchedulerError, ClusterError) as exc:
        fail(str(exc))
    except ArchiveError as exc:
        fail(f"{display_url(url)}: {exc}")
    _finish(summary, errors, url, fmt)


@archive.command("review")
@click.option("--status", "statuses", multiple=True, type=click.Choice(["held", "copy", "fixed", "rejected"]),
              help="Statuses to list (repeatable) [default: held and copy].")
@click.option("--limit", type=click.IntRange(1), default=100, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@db_option
@config_options
def review(statuses, limit, offset, fmt, db, config_path, no_config) -> None:
    """List articles the gate held (and copies), oldest first: id, status, score, provider, findings.

    Move one with 'unspin archive accept ID' (it becomes an original) or 'unspin archive reject ID'.
    """
    from ..match.archive import ArchiveError, display_url

    arc = _open(db, config_path, no_config, create=False)
    try:
        items = arc.review_items(tuple(statuses) or ("held", "copy"), limit, offset)
    except ArchiveError as exc:
        fail(f"{display_url(arc.url)}: {exc}")
    finally:
        arc.close()
    if fmt == "json":
        click.echo(json.dumps({"schema_version": 1, "articles": items}, indent=2))
        return
    if not items:
        click.echo("nothing to review")
    for it in items:
        score = "-" if it["score"] is None else f"{it['score']:.2f}"
        click.echo(f"{it['status']:<8} {score:>5}  {it['id']}  {it['provider'] or ''}"
                   + ("  (fixed)" if it["fixed"] else ""))
        if it["title"]:
            click.echo(f"         {it['title']}")
        for src in it["sources"]:
            click.echo(f"         source: {src['id']} (coverage {src['coverage']:.0%}, "
                       f"{src['substitutions']} substitutions)")
        for f in it["findings"][:5]:
            sugg = f" -> {f['suggestion']!r}" if f.get("suggestion") else ""
            click.echo(f"         {f['rule']} {f['line']}:{f['column']} {f['text']!r}{sugg}")


def _move(ids, db, config_path, no_config, action: str) -> None:
    from ..match import gate
    from ..match.archive import ArchiveError, display_url

    arc = _open(db, config_path, no_config, create=False)
    try:
        moved = (gate.accept if action == "accept" else gate.reject)(arc, ids)
    except ArchiveError as exc:
        fail(f"{display_url(arc.url)}: {exc}")
    finally:
        arc.close()
    status = "original" if action == "accept" else "rejected"
    done = {a.id for a in moved}
    for i in ids:
        if i not in done:
            click.echo(f"{i}: not moved (no such article, or already {status})", err=True)
    click.echo(f"{action}ed {len(done)} of {len(set(ids))} articles")
    if len(done) < len(set(ids)):
        sys.exit(1)


@archive.command("accept")
@click.argument("ids", nargs=-1, required=True)
@db_option
@config_options
def accept(ids, db, config_path, no_config) -> None:
    """Accept held articles or copies (by id) as originals: they become sources."""
    _move(ids, db, config_path, no_config, "accept")


@archive.command("reject")
@click.argument("ids", nargs=-1, required=True)
@db_option
@config_options
def reject(ids, db, config_path, no_config) -> None:
    """Reject articles (by id): kept with the status rejected, never a source ('archive remove' deletes)."""
    _move(ids, db, config_path, no_config, "reject")


@archive.command("info")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@db_option
@config_options
def info(fmt, db, config_path, no_config) -> None:
    """Show which archive the commands use and where that came from (--db, config file, UNSPIN_DB or
    the default), without opening it."""
    from ..match.archive import display_url

    where = archive_url(db, resolve_config(config_path, no_config, db=db))
    url = display_url(where.url)
    if fmt == "json":
        click.echo(json.dumps({"url": url, "origin": where.origin}, indent=2))
    else:
        click.echo(f"archive: {url}")
        click.echo(f"from:    {where.origin}")


@archive.command("stats")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--check", "check_integrity", is_flag=True, help="Also verify storage and index consistency.")
@db_option
@config_options
def stats(fmt, check_integrity, db, config_path, no_config) -> None:
    """Show how many articles the archive holds, its size and (with --check) whether it is consistent."""
    from ..match.archive import ArchiveError, display_url

    arc = _open(db, config_path, no_config, create=False)
    try:
        info = arc.stats()
        problems = arc.check_integrity() if check_integrity else None
    except ArchiveError as exc:
        fail(f"{display_url(arc.url)}: {exc}")
    finally:
        arc.close()
    if problems is not None:
        info["problems"] = problems
    if fmt == "json":
        click.echo(json.dumps(info, indent=2))
    else:
        per = info["bytes"] / info["articles"] if info["articles"] else 0
        click.echo(f"archive:        {info['url']}")
        click.echo(f"articles:       {info['articles']}")
        st = info["statuses"]
        click.echo(f"  by status:    {st['original']} original, {st['copy']} copy, {st['held']} held, "
                   f"{st['fixed']} fixed, {st['rejected']} rejected")
        click.echo(f"providers:      {info['providers']}")
        click.echo(f"index rows:     {info['index_rows']}")
        click.echo(f"size:           {info['bytes'] / 1e6:.1f} MB ({per / 1024:.1f} KiB per article)")
        if problems is not None:
            click.echo("integrity:      " + ("ok" if not problems else f"{len(problems)} problems"))
            for p in problems:
                click.echo(f"  {p}")
    if problems:
        sys.exit(1)


@archive.command("remove")
@click.argument("ids", nargs=-1, required=True)
@db_option
@config_options
def remove(ids, db, config_path, no_config) -> None:
    """Remove articles by archive id (as shown by 'unspin archive list')."""
    from ..match.archive import ArchiveError, display_url

    arc = _open(db, config_path, no_config, create=False)
    try:
        n = arc.remove(ids)
    except ArchiveError as exc:
        fail(f"{display_url(arc.url)}: {exc}")
    finally:
        arc.close()
    click.echo(f"removed {n} of {len(set(ids))} articles")
    if n < len(set(ids)):
        sys.exit(1)


@archive.command("list")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@db_option
@config_options
def list_command(limit, offset, fmt, db, config_path, no_config) -> None:
    """List archived articles, most recently added first."""
    from ..match.archive import ArchiveError, display_url

    arc = _open(db, config_path, no_config, create=False)
    try:
        rows = arc.list_articles(limit, offset)
    except ArchiveError as exc:
        fail(f"{display_url(arc.url)}: {exc}")
    finally:
        arc.close()
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        click.echo(f"{r['id']}\t{r['title'] or ''}\t{r['provider_name'] or ''}\t{r['status']}")
