"""Which archive a command uses: one rule for every command.

``--db URL`` on the command line, else ``db`` in the config file (.unspin.toml / [tool.unspin]), else
the ``UNSPIN_DB`` environment variable, else the per-user default archive
(``sqlite:///<user data dir>/archive.sqlite``). ``unspin archive info`` prints the URL and where it
came from. The commands that analyse articles (check, fix, serve, report) look sources up only in an
archive named by the first three; match, learn and archive also use the default one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV = "UNSPIN_DB"


@dataclass(frozen=True)
class ArchiveURL:
    url: str
    origin: str  # "--db", "config file <path>", "UNSPIN_DB" or "default"

    @property
    def named(self) -> bool:
        """Whether the user named this archive (flag, config or environment), not the default."""
        return self.origin != "default"


def default_db_url() -> str:
    """``sqlite:///<user data dir>/archive.sqlite`` (platformdirs)."""
    import platformdirs

    return "sqlite:///" + str(Path(platformdirs.user_data_dir("unspin", appauthor=False)) / "archive.sqlite")


def resolve_archive_url(flag: str | None = None, config: Any = None, *, default: bool = True) -> ArchiveURL | None:
    """The archive URL by the rule above. ``config`` is a :class:`unspin.config.Config` (its ``db`` is
    the config file's value, ``source`` the file). With ``default=False``, None when no archive is
    named (the default archive's location is then not even computed)."""
    if flag:
        return ArchiveURL(flag, "--db")
    db = getattr(config, "db", None)
    if db:
        source = getattr(config, "source", None)
        return ArchiveURL(db, f"config file {source}" if source else "config")
    env = os.environ.get(ENV)
    if env:
        return ArchiveURL(env, ENV)
    return ArchiveURL(default_db_url(), "default") if default else None
