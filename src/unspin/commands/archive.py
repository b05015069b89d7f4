"""``unspin archive``: add articles to the archive of originals, list, remove, and show statistics."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

import click

from .common import (
    EXIT_USAGE,
    archive_url,
    config_options,
    db_option,
    fail,
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
@click.option("--encoding", help="Decode inputs with this encoding instead of UTF-8.")
@max_file_size_option
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=500, show_default=True,
              help="Articles per transaction.")
@click.option("--progress/--no-progress", default=None, help="Show a progress bar [default: on a terminal].")
@db_option
@config_options
def add(paths, encoding, max_file_size, batch_size, progress, db, config_path, no_config) -> None:
    """Add articles (files, folders recursively, JSONL feeds, '-') to the archive.

    Adding is idempotent: an article with the same id (JSONL 'id', else its URL, else its file path)
    or the same words is updated, not duplicated. A news-aggregator item (front matter with a title,
    an excerpt and `related` items, no body) adds one excerpt-only entry per item and related item,
    keyed by URL and grouped as one story; an excerpt never replaces a full text with the same URL.
    Unreadable inputs are reported and skipped; the exit status is then 2.
    """
    from ..document import discover, read_source_reporting
    from ..match.aggregator import expand_documents
    from ..match.archive import ArchiveError, display_url
    from ..model import InputError

    arc = _open(db, config_path, no_config, create=True)
    cfg = resolve_config(config_path, no_config)
    limit = max_file_size or cfg.max_file_size
    errors: list[InputError] = []
    sources = list(discover(list(paths), errors))
    show = sys.stderr.isatty() if progress is None else progress

    from ..match.corpus import record_originals  # issue #13: n-gram counts of the archived originals

    counted: list = []

    def documents(advance) -> Iterator:
        for src in sources:
            docs = read_source_reporting(src, errors, max_bytes=limit, encoding=encoding)
            # an aggregator item (front matter with an excerpt, no body) becomes its excerpt entries
            for doc in expand_documents(docs, errors):
                if not doc.segments:
                    errors.append(InputError(doc.path, "no prose to archive"))
                    continue
                yield doc
                counted.append(doc)  # counted between the archive's batches (bounded memory)
                if len(counted) >= 1000:
                    record_originals(arc, counted)
                    counted.clear()
            advance()

    try:
        if show:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            with Progress(TextColumn("archiving"), BarColumn(), MofNCompleteColumn(), TextColumn("files"),
                          TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
                task = bar.add_task("archiving", total=len(sources))
                result = arc.add_documents(documents(lambda: bar.advance(task)), batch_size=batch_size)
        else:
            result = arc.add_documents(documents(lambda: None), batch_size=batch_size)
        record_originals(arc, counted)
    except ArchiveError as exc:
        fail(f"{display_url(arc.url)}: {exc}")
    finally:
        arc.close()
    errors.extend(result.failed)
    for e in errors:
        click.echo(f"{e.path}: error: {e.error}", err=True)
    click.echo(f"archive {display_url(arc.url)}: {result.added} added, {result.updated} updated, "
               f"{result.unchanged} unchanged" + (f", {len(errors)} errors" if errors else ""))
    if errors:
        sys.exit(EXIT_USAGE)


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
        click.echo(f"{r['id']}\t{r['title'] or ''}\t{r['provider_name'] or ''}")
