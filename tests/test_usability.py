"""What a newcomer meets first (issue #14): help texts, SARIF metadata, plurals, linter conventions."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from unspin.cli import COMMANDS, cli

SPUN = "The White House squeeze secretary said an aid vector machine was trained.\n"
CLEAN = "The council approved the budget on Tuesday after a long debate.\n"


def run(cli_runner, *args, input=None, env=None):
    result = cli_runner.invoke(cli, list(args), input=input, env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _all_commands():
    import click

    out = [[]]
    for name in COMMANDS:
        cmd = cli.get_command(None, name)
        if cmd is None:
            continue
        out.append([name])
        if isinstance(cmd, click.Group):
            out += [[name, sub] for sub in cmd.commands]
    return out


def test_help_texts_have_no_rst_markup(cli_runner):
    for args in _all_commands():
        code, out, _ = run(cli_runner, *args, "--help")
        assert code == 0, args
        assert "``" not in out and ":func:" not in out, (args, out)


def test_sarif_information_uri_is_the_rules_reference(cli_runner, tmp_path):
    (tmp_path / "spun.txt").write_text(SPUN)
    _, out, _ = run(cli_runner, "check", "--no-generic", "--format", "sarif", str(tmp_path / "spun.txt"))
    driver = json.loads(out)["runs"][0]["tool"]["driver"]
    uri = driver["informationUri"]
    assert "example.invalid" not in uri
    if uri.startswith("file:"):
        doc = Path(unquote(urlparse(uri).path))
        text = doc.read_text(encoding="utf-8")
        for rule in driver["rules"]:
            code, _, anchor = rule["helpUri"].partition("#")
            assert anchor == f"{rule['id'].lower()}-{rule['name']}"
            assert f"## {rule['id']} `{rule['name']}`" in text
    else:
        assert uri.startswith("https://")
