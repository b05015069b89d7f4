"""Options and helpers shared by subcommands."""

from __future__ import annotations

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


def db_option(f):
    return click.option("--db", "db", metavar="URL", envvar="UNSPIN_DB", show_envvar=True,
                        help="Archive database URL (sqlite:///path or postgresql://...).")(f)
