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
@click.option("--quiet", "-q", is_flag=True, help="Print the findings and nothing else (no summary, no warnings).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings are at or above the fail level.")
@click.option("--statistics", is_flag=True, help="Print how often each rule fired instead of each finding.")
@click.option("--color", "color_mode", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="Colour the text output (auto: on a terminal, unless NO_COLOR is set).")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on stderr [default: on a terminal, for 50 files or more].")
@click.option("--explain", is_flag=True,
              help="Text output: also list each document's most suspicious words with their best restoration.")
@db_option
@config_options
def check(paths, fmt, select, ignore, fail_level, min_confidence, no_generic, lexicons, encoding, stdin_filename,
          max_file_size, output, languagetool_url, quiet, exit_zero, statistics, color_mode, progress, explain,
          db, config_path, no_config) -> None:
    """Check articles (files, folders, '-' for stdin) for spun phrasing.

    Hide findings with <!-- unspin: ignore US101 --> (the next paragraph) or <!-- unspin: off -->
    ... <!-- unspin: on -->, and with exclude, per-file-ignores and allow in the settings.

    Exit status: 0 clean, 1 findings at or above the fail level, 2 usage error or unreadable input
    (after every other input has been checked).
    """
    if statistics and fmt != "text":
        fail("--statistics prints a table of rule counts; use it with --format text")
    cfg = resolve_config(
        config_path, no_config,
        select=split_codes(select) or None, ignore=split_codes(ignore) or None, fail_level=fail_level,
        min_confidence=min_confidence, max_file_size=max_file_size, db=db, languagetool_url=languagetool_url,
        lexicons=tuple(lexicons) or None, generic=False if no_generic else None,
    )
    from ..analysis import Context
    from ..document import discover, read_source_reporting
    from ..formats import get_emitter
    from ..guard import analyze_each, render_each
    from ..rules import family
    from ..suppress import excluded

    ctx = Context(config=cfg)
    errors: list = []
    reports = []
    with StartupGC() as startup:
        if cfg.wants_family(family("lexicon")):
            load_lexicon_or_fail(ctx)
        where = archive_url(db, cfg, default=False)  # only an archive the user named
        if where is not None:
            ctx.archive = open_archive_or_exit(where)

        sources = [s for s in discover(list(paths), errors) if not excluded(s.path, cfg.exclude, cfg.base)]
        bar = _progress_bar(len(sources), progress, quiet)

        def documents():
            for src in sources:
                for doc in read_source_reporting(src, errors, max_bytes=cfg.max_file_size, encoding=encoding,
                                                 stdin_name=stdin_filename):
                    if len(doc.text) > LARGE_DOCUMENT:
                        startup.resume()  # a long text makes garbage of its own: collect it as usual
                    yield doc
                if bar is not None:
                    bar.advance()

        try:
            for report in analyze_each(documents(), ctx, errors):  # a folder or a feed: several per pass
                reports.append(report)
                startup.resume()  # the first batch has loaded every model it needs
        finally:
            if bar is not None:
                bar.stop()
    if not sources and not errors and not quiet:
        shown = ", ".join(paths)
        click.echo(f"unspin: warning: no files to check in {shown} (looked for {_EXTENSIONS}"
                   + (f"; {len(cfg.exclude)} exclude pattern(s) from {cfg.source}" if cfg.exclude else "")
                   + ")", err=True)
    stream_out = sys.stdout
    color = fmt == "text" and output is None and _use_color(color_mode, stream_out)
    if statistics:
        rendered = _statistics(reports, errors, color=color, summary=not quiet)
    else:
        rendered = render_each(get_emitter(fmt, color=color, summary=not quiet, explain=explain), reports, errors)
    if output:
        from ..fileio import atomic_write_text

        try:
            atomic_write_text(output, rendered)
        except OSError as exc:
            fail(f"{output}: cannot write the report: {exc.strerror or exc}")
    else:
        stream_out.write(rendered)
    for r in reports:
        total = r.extra.get("findings_total")
        if total:
            click.echo(f"{r.path}: note: {total:,} findings, only the first {len(r.findings):,} are listed",
                       err=True)
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
    sys.exit(EXIT_FINDINGS if failing and not exit_zero else EXIT_CLEAN)


_EXTENSIONS = ".md, .markdown, .mdx, .txt, .text, .html, .htm, .xhtml, .jsonl, .ndjson"
PROGRESS_MIN_FILES = 50


def _use_color(mode: str, stream) -> bool:
    """--color always/never, or auto: a terminal, unless NO_COLOR is set (https://no-color.org)."""
    import os

    if mode != "auto":
        return mode == "always"
    return not os.environ.get("NO_COLOR") and stream.isatty()


class _Bar:
    """A rich progress bar on stderr, one step per file."""

    def __init__(self, total: int):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._progress = Progress(TextColumn("checking"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                                  console=Console(stderr=True), transient=True)
        self._task = self._progress.add_task("check", total=total)
        self._progress.start()

    def advance(self) -> None:
        self._progress.advance(self._task)

    def stop(self) -> None:
        self._progress.stop()


def _progress_bar(files: int, wanted: bool | None, quiet: bool) -> _Bar | None:
    if quiet or wanted is False:
        return None
    if wanted is None and (files < PROGRESS_MIN_FILES or not sys.stderr.isatty()):
        return None
    return _Bar(files)


def _statistics(reports, errors, *, color: bool, summary: bool) -> str:
    """ruff-style: one line per rule with how many findings it made, most first."""
    from collections import Counter

    from ..rules import all_rules

    rules = all_rules()
    counts = Counter(f.rule for r in reports for f in r.findings)
    lines = []
    for rule, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        code = click.style(rule, fg="yellow", bold=True) if color else rule
        name = rules[rule].name if rule in rules else ""
        lines.append(f"{n:>6}  {code}  {name}")
    if summary:
        from ..formats.text import emit

        lines.append(emit(reports, errors, summary=True, findings=False).rstrip("\n").splitlines()[-1])
    return "\n".join(lines) + ("\n" if lines else "")
