"""The ``unspin`` command line: a click group whose subcommands are imported only when used."""

from __future__ import annotations

import importlib
import os
import sys

import click

from . import __version__

# name -> "module:attribute"; modules are imported on first use to keep start-up fast.
COMMANDS = {
    "check": "unspin.commands.check:check",
    "rules": "unspin.commands.rules:rules",
    "eval": "unspin.commands.eval:eval_command",
    "archive": "unspin.commands.archive:archive",
    "match": "unspin.commands.match:match",
    "fix": "unspin.commands.fix:fix",
    "learn": "unspin.commands.learn:learn",
    "report": "unspin.commands.report:report",
    "serve": "unspin.commands.serve:serve",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        import importlib.util

        return sorted(n for n in COMMANDS if importlib.util.find_spec(COMMANDS[n].split(":")[0]) is not None)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except ModuleNotFoundError as exc:
            if exc.name == module:  # a command this installation does not have (yet)
                return None
            raise


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="unspin")
def cli() -> None:
    """Find synonym-spun copies of articles, their sources, and the original wording."""


def limit_blas_threads() -> None:
    """One OpenBLAS thread, unless the environment says otherwise; call before numpy is imported.

    numpy's OpenBLAS starts a worker thread per core when it loads (US201 imports numpy); on 2 cores
    that costs ~40 ms of a cold ``unspin check`` and more CPU, and unspin's arrays are too small to
    gain anything from threads.
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def main() -> None:
    limit_blas_threads()
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("unspin: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # a bug: one plain line for the user, the traceback only on request
        if os.environ.get("UNSPIN_DEBUG"):
            raise
        click.echo(f"unspin: internal error: {type(exc).__name__}: {exc} (set UNSPIN_DEBUG=1 for details)",
                   err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
