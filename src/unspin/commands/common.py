"""Options and helpers shared by subcommands."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import click

from ..config import Config, ConfigError, load_config

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def fail(message: str) -> None:
    """Print one plain line and exit with the usage/input error code."""
    click.echo(f"unspin: {message}", err=True)
    sys.exit(EXIT_USAGE)


def split_codes(values: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for v in values:
        out.extend(c.strip().upper() for c in v.split(",") if c.strip())
    return tuple(out)


def config_options(f):
    """--config / --no-config, shared by every command that reads settings."""
    f = click.option("--no-config", is_flag=True, help="Ignore .unspin.toml and [tool.unspin].")(f)
    f = click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                     help="Read settings from this file (.unspin.toml or pyproject.toml).")(f)
    return f


def resolve_config(config_path: Path | None, no_config: bool, **overrides) -> Config:
    try:
        if config_path is not None and not config_path.is_file():
            fail(f"{config_path}: no such config file")
        cfg = load_config(config_path, search=not no_config)
    except ConfigError as exc:
        fail(str(exc))
    return cfg.with_overrides(**overrides)


def load_lexicon_or_fail(ctx) -> None:
    """Compile the lexicons now, so that a broken --lexicon file is one plain line, not a traceback."""
    try:
        ctx.get_lexicon()
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        fail(f"cannot load lexicon: {exc}")


def detector_options(f):
    """--no-generic and --lexicon, for every command that analyses articles."""
    f = click.option("--lexicon", "lexicons", multiple=True, type=click.Path(exists=True, dir_okay=False),
                     help="Extra lexicon TSV (for example a learned lexicon).")(f)
    f = click.option("--no-generic", is_flag=True, help="Skip the list-free detectors (US201, US202).")(f)
    return f


def max_file_size_option(f):
    return click.option("--max-file-size", type=click.IntRange(1),
                        help="Largest input in bytes [default: 10 MiB].")(f)


def db_option(f):
    return click.option("--db", "db", metavar="URL",
                        help="Archive database URL (sqlite:///path or postgresql://...) [default: 'db' in the "
                             "config file, else $UNSPIN_DB, else the user archive].")(f)


def archive_url(db: str | None, cfg: Config, *, default: bool = True):
    """The archive a command uses (``unspin.archive_url``): --db, config, UNSPIN_DB, default."""
    from ..archive_url import resolve_archive_url

    return resolve_archive_url(db, cfg, default=default)


def open_archive_or_exit(where, *, create: bool = False):
    """Open the archive ``where`` (an ArchiveURL or a URL), or print ``unspin: <url>: <problem>`` and exit 2."""
    from ..match.archive import ArchiveError, display_url, open_archive

    url = getattr(where, "url", where)
    try:
        return open_archive(url, create=create)
    except ArchiveError as exc:
        fail(f"{display_url(url)}: {exc}")


class StartupGC:
    """Pause the cyclic garbage collector while a command loads its tables, then freeze them.

    The lexicon, the models and the modules they need are hundreds of thousands of long-lived objects;
    with the collector running, every pass over the older generations walks them again while they
    load (about 50 ms of a 0.3 s cold ``unspin check``). Use as a context manager and call
    ``resume()`` once everything is loaded (after the first document): ``gc.freeze()`` then moves the
    loaded objects out of the collector's way for the rest of the run, and collection resumes.
    """

    def __enter__(self) -> StartupGC:
        self._was_enabled = gc.isenabled()
        self._paused = True
        gc.disable()
        return self

    def resume(self) -> None:
        if self._paused:
            self._paused = False
            gc.freeze()
            if self._was_enabled:
                gc.enable()

    def __exit__(self, *exc: object) -> None:
        if self._paused:  # nothing was loaded (or it failed): just restore the collector
            self._paused = False
            if self._was_enabled:
                gc.enable()
