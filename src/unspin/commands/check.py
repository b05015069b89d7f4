"""``unspin check``: mark spun phrases and score each article."""

from __future__ import annotations

import sys

import click

from ..formats import FORMATS
from ..model import severity_rank
from .common import (
    EXIT_CLEAN,
    EXIT_FINDINGS,
    EXIT_USAGE,
    StartupGC,
    archive_url,
    config_options,
    db_option,
    detector_options,
    fail,
    load_lexicon_or_fail,
    max_file_size_option,
    open_archive_or_exit,
    resolve_config,
    split_codes,
)

LARGE_DOCUMENT = 200_000  # characters: above this, collection resumes before the first document


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Output format.")
@click.option("--select", multiple=True, metavar="CODES", help="Only these rule codes or prefixes (US1,US201).")
@click.option("--ignore", multiple=True, metavar="CODES", help="Drop these rule codes or prefixes.")
@click.option("--fail-level", type=click.Choice(["suggestion", "warning", "error"]),
              help="Exit 1 when a finding is at or above this severity [default: warning].")
@click.option("--min-confidence", type=click.FloatRange(0, 1), help="Drop findings below this confidence.")
@detector_options
@click.option("--encoding", help="Decode inputs with this encoding instead of UTF-8.")
@click.option("--stdin-filename", default="-", help="Name to report for input read from '-'.")
@max_file_size_option
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write the report here.")
@click.option("--languagetool-url", envvar="UNSPIN_LANGUAGETOOL_URL", help="LanguageTool server for US5xx.")
@db_option
@config_options
def check(paths, fmt, select, ignore, fail_level, min_confidence, no_generic, lexicons, encoding, stdin_filename,
          max_file_size, output, languagetool_url, db, config_path, no_config) -> None:
    """Check articles (files, folders, '-' for stdin) for spun phrasing.

    Exit status: 0 clean, 1 findings at or above the fail level, 2 usage error or unreadable input
    (after every other input has been checked).
    """
    cfg = resolve_config(
        config_path, no_config,
        select=split_codes(select) or None, ignore=split_codes(ignore) or None, fail_level=fail_level,
        min_confidence=min_confidence, max_file_size=max_file_size, db=db, languagetool_url=languagetool_url,
        lexicons=tuple(lexicons) or None, generic=False if no_generic else None,
    )
    from ..analysis import Context, analyze_many
    from ..document import iter_documents
    from ..formats import get_emitter
    from ..rules import family

    ctx = Context(config=cfg)
    errors: list = []
    reports = []
    with StartupGC() as startup:
        if cfg.wants_family(family("lexicon")):
            load_lexicon_or_fail(ctx)
        where = archive_url(db, cfg, default=False)  # only an archive the user named
        if where is not None:
            ctx.archive = open_archive_or_exit(where)

        def documents():
            for doc in iter_documents(list(paths), errors, max_bytes=cfg.max_file_size, encoding=encoding,
                                      stdin_name=stdin_filename):
                if len(doc.text) > LARGE_DOCUMENT:
                    startup.resume()  # a long text makes garbage of its own: collect it as usual
                yield doc

        for report in analyze_many(documents(), ctx):  # a folder or a feed: several documents per pass
            reports.append(report)
            startup.resume()  # the first batch has loaded every model it needs
    stream_out = sys.stdout
    color = fmt == "text" and output is None and stream_out.isatty()
    rendered = get_emitter(fmt, color=color)(reports, errors)
    if output:
        from ..fileio import atomic_write_text

        try:
            atomic_write_text(output, rendered)
        except OSError as exc:
            fail(f"{output}: cannot write the report: {exc.strerror or exc}")
    else:
        stream_out.write(rendered)
    if fmt != "text" or output:
        for e in errors:
            click.echo(f"{e.path}: {e.error}", err=True)
    else:
        for e in errors:
            click.echo(f"{e.path}: error: {e.error}", err=True)
    if errors:
        sys.exit(EXIT_USAGE)
    threshold = severity_rank(cfg.fail_level)
    failing = any(severity_rank(f.severity) >= threshold for r in reports for f in r.findings)
    sys.exit(EXIT_FINDINGS if failing else EXIT_CLEAN)
