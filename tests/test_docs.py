"""Docs generated from code stay in sync with it."""

from __future__ import annotations

from pathlib import Path

from unspin.cli import cli

REPO = Path(__file__).resolve().parent.parent


def test_rules_doc_matches_rules_yaml(cli_runner):
    result = cli_runner.invoke(cli, ["rules", "--format", "markdown"])
    doc = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    assert result.stdout.strip() in doc, "docs/rules.md is stale: regenerate with `unspin rules --format markdown`"


def test_every_rule_has_example_and_instead():
    from unspin.rules import all_rules

    for code, rule in all_rules().items():
        assert rule.example and rule.instead and rule.what and rule.why, code
        assert rule.severity in ("suggestion", "warning", "error"), code
