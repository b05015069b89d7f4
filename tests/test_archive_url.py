"""One archive rule for every command: --db, else the config file's db, else UNSPIN_DB, else the default."""

from __future__ import annotations

import json

from unspin.archive_url import resolve_archive_url
from unspin.cli import cli
from unspin.config import Config


def test_flag_beats_config_beats_environment_beats_default(monkeypatch):
    cfg = Config(db="sqlite:///from-config.sqlite", source="/x/.unspin.toml")
    monkeypatch.setenv("UNSPIN_DB", "sqlite:///from-env.sqlite")
    assert resolve_archive_url("sqlite:///flag.sqlite", cfg).origin == "--db"
    got = resolve_archive_url(None, cfg)
    assert (got.url, got.origin) == ("sqlite:///from-config.sqlite", "config file /x/.unspin.toml")
    assert resolve_archive_url(None, Config()).origin == "UNSPIN_DB"
    monkeypatch.delenv("UNSPIN_DB")
    default = resolve_archive_url(None, Config())
    assert default.origin == "default" and default.url.endswith("archive.sqlite") and not default.named
    assert resolve_archive_url(None, Config(), default=False) is None


def test_archive_info_names_the_archive_and_its_origin(cli_runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("UNSPIN_DB", "sqlite:///env.sqlite")
    (tmp_path / ".unspin.toml").write_text('db = "sqlite:///cfg.sqlite"\n', encoding="utf-8")
    res = cli_runner.invoke(cli, ["archive", "info", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output) == {"url": "sqlite:///cfg.sqlite",
                                      "origin": f"config file {tmp_path / '.unspin.toml'}"}
    res = cli_runner.invoke(cli, ["archive", "info", "--no-config"])
    assert res.exit_code == 0 and "sqlite:///env.sqlite" in res.output and "UNSPIN_DB" in res.output
    res = cli_runner.invoke(cli, ["archive", "info", "--db", "sqlite:///flag.sqlite"])
    assert "from:    --db" in res.output


def test_check_with_a_broken_archive_url_is_one_line_and_exit_2(cli_runner, tmp_path):
    art = tmp_path / "a.md"
    art.write_text("The council kept library hours unchanged on Wednesday.\n", encoding="utf-8")
    res = cli_runner.invoke(cli, ["check", "--no-config", "--db", "nosuch://x", str(art)])
    assert res.exit_code == 2
    assert res.stderr.strip().startswith("unspin: nosuch://x:") and len(res.stderr.strip().splitlines()) == 1
