"""Settings from ``[tool.unspin]`` in pyproject.toml or from ``.unspin.toml``, overridden by the CLI."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .document import DEFAULT_MAX_BYTES
from .model import SEVERITIES


class ConfigError(Exception):
    """A configuration file or value is wrong; the message names the file and the key."""


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] = ()  # rule code prefixes to report; empty means all
    ignore: tuple[str, ...] = ()  # rule code prefixes to drop
    fail_level: str = "warning"  # findings at or above this severity make the exit code 1
    min_confidence: float = 0.0
    max_file_size: int = DEFAULT_MAX_BYTES
    suspect_threshold: float = 0.5
    spun_threshold: float = 0.8
    generic: bool = True  # run the list-free collocation detector
    lexicons: tuple[str, ...] = ()  # extra lexicon TSV files (learned or user lists)
    db: str | None = None
    languagetool_url: str | None = None
    report_min_articles: int = 5  # `unspin report`: a provider needs this many articles to be flagged
    report_flag_share: float = 0.25  # ... and at least this share of flagged articles
    report_flag_mean_score: float = 0.5  # ... or at least this mean score
    gate_hold: str = "suspect"  # `archive add`: hold articles with no source that score "suspect" or "spun"
    exclude: tuple[str, ...] = ()  # globs of files `check` and `fix` skip (see suppress.py)
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (glob, rule prefixes) pairs
    allow: tuple[str, ...] = ()  # words and phrases never reported
    source: str | None = field(default=None, compare=False)  # file the settings came from

    def wants(self, rule: str) -> bool:
        if self.select and not any(rule.startswith(p) for p in self.select):
            return False
        return not any(rule.startswith(p) for p in self.ignore)

    def wants_family(self, family: str) -> bool:
        """Whether some rule of a family ("US1") can be reported: ``--select US101`` selects part of
        the family, so its detector must run (the rules it was not asked for are dropped later)."""
        if self.select and not any(family.startswith(p) or p.startswith(family) for p in self.select):
            return False
        return not any(family.startswith(p) for p in self.ignore)

    @property
    def base(self) -> Path | None:
        """The folder the settings' globs are relative to: the config file's (None: the working folder)."""
        return Path(self.source).resolve().parent if self.source else None

    def with_overrides(self, **kwargs: Any) -> Config:
        return replace(self, **{k: v for k, v in kwargs.items() if v is not None})


_KEYS = {f.name.replace("_", "-"): f for f in fields(Config) if f.name != "source"}


def find_config_file(start: Path | None = None) -> Path | None:
    """The nearest .unspin.toml, or pyproject.toml with a [tool.unspin] table, from start upwards."""
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        dotfile = d / ".unspin.toml"
        if dotfile.is_file():
            return dotfile
        pyproject = d / "pyproject.toml"
        if pyproject.is_file():
            try:
                raw = pyproject.read_bytes()
            except OSError:
                continue
            if _may_have_unspin_table(raw):
                import tomllib  # only when there is a file that may hold settings (~3-5 ms of a cold start)

                try:
                    if "unspin" in tomllib.loads(raw.decode("utf-8")).get("tool", {}):
                        return pyproject
                except (UnicodeDecodeError, tomllib.TOMLDecodeError):
                    continue
    return None


def _may_have_unspin_table(raw: bytes) -> bool:
    """False when a pyproject.toml cannot hold a ``tool.unspin`` table: the word is nowhere in it,
    not even spelled with a TOML escape in a quoted key (``"\\u0075nspin"``). Most projects' files
    are then not parsed at all."""
    return b"unspin" in raw or b"\\u" in raw or b"\\U" in raw


def load_config(path: Path | None = None, *, search: bool = True) -> Config:
    """Read settings from ``path`` (or the nearest config file); defaults when there is none."""
    if path is None and search:
        path = find_config_file()
    cfg = Config()
    if path is not None:
        import tomllib

        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        tool_table = data.get("tool", {}).get("unspin")
        table = tool_table if tool_table is not None or path.name == "pyproject.toml" else data
        table = table or {}
        cfg = replace(_apply(cfg, table, str(path)), source=str(path))
    # (UNSPIN_DB is read by unspin.archive_url.resolve_archive_url, after --db and the config file)
    env = {k: os.environ.get(v) for k, v in (("languagetool_url", "UNSPIN_LANGUAGETOOL_URL"),)}
    return cfg.with_overrides(**{k: v for k, v in env.items() if v and getattr(cfg, k) is None})


def _apply(cfg: Config, table: dict[str, Any], where: str) -> Config:
    changes: dict[str, Any] = {}
    for key, value in table.items():
        f = _KEYS.get(key) or _KEYS.get(key.replace("_", "-"))
        if f is None:
            raise ConfigError(f"{where}: unknown setting {key!r} (known: {', '.join(sorted(_KEYS))})")
        changes[f.name] = _coerce(f.name, value, where, key)
    if "lexicons" in changes:  # relative to the config file, which may sit folders above the cwd
        base = Path(where).parent
        changes["lexicons"] = tuple(str(base / p) if not Path(p).is_absolute() else p for p in changes["lexicons"])
    return replace(cfg, **changes)


def _coerce(name: str, value: Any, where: str, key: str) -> Any:
    default = getattr(Config(), name)
    if name == "per_file_ignores":
        if not isinstance(value, dict) or not all(
                isinstance(v, (list, str)) and all(isinstance(c, str) for c in ([v] if isinstance(v, str) else v))
                for v in value.values()):
            raise ConfigError(f'{where}: {key} must be a table of glob = ["CODE", ...], e.g. {{"drafts/*.md" = '
                              '["US201"]}')
        return tuple((str(glob), tuple(c.strip().upper() for c in ([v] if isinstance(v, str) else v)))
                     for glob, v in value.items())
    if isinstance(default, tuple):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: {key} must be a list of strings")
        return tuple(value)
    if name == "gate_hold":
        if value not in ("spun", "suspect"):
            raise ConfigError(f"{where}: {key} must be \"spun\" or \"suspect\"")
        return value
    if name == "fail_level":
        if value not in SEVERITIES:
            raise ConfigError(f"{where}: fail-level must be one of {', '.join(SEVERITIES)}")
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: {key} must be true or false")
        return value
    if name == "report_min_articles":
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{where}: {key} must be a whole number of at least 1")
        return value
    if name in ("min_confidence", "suspect_threshold", "spun_threshold", "report_flag_share",
                "report_flag_mean_score"):
        if not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ConfigError(f"{where}: {key} must be a number from 0 to 1")
        return float(value)
    if name == "max_file_size":
        if not isinstance(value, int) or value <= 0:
            raise ConfigError(f"{where}: {key} must be a positive number of bytes")
        return value
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {key} must be a string")
    return value
