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


# ---------------------------------------------------------------------------------------------------
# Linter conventions: inline suppression, per-file ignores, exclude, allow, output switches

LEX_ARTICLE = (
    "The squeeze secretary spoke first.\n\n"
    "<!-- unspin: ignore US101 -->\n"
    "The squeeze secretary spoke again,\nstill the squeeze secretary.\n\n"
    "The squeeze secretary spoke a third time.\n\n"
    "<!-- unspin: off -->\n\n"
    "An aid vector machine and the squeeze secretary.\n\n"
    "<!-- unspin: on -->\n\n"
    "<!-- unspin: ignore US2 -->\n"
    "A last aid vector machine.\n"
)


def _lines_with(text: str, phrase: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), 1) if phrase in line]


def test_inline_comments_hide_findings_by_paragraph_and_region(cli_runner, tmp_path):
    p = tmp_path / "a.md"
    p.write_text(LEX_ARTICLE)
    _, out, _ = run(cli_runner, "check", "--no-config", "--no-generic", "--format", "json", str(p))
    found = {(f["line"], f["rule"]) for f in json.loads(out)["documents"][0]["findings"] if f["rule"] != "US901"}
    squeeze = _lines_with(LEX_ARTICLE, "squeeze secretary")
    # line 1 and the third paragraph are reported; the ignored paragraph (two lines) and the off region are not
    assert {line for line, rule in found if rule == "US101"} == {squeeze[0], squeeze[3]}
    # "ignore US2" does not hide US102 in its paragraph; the off region hides every rule
    assert {line for line, rule in found if rule == "US102"} == {_lines_with(LEX_ARTICLE, "last aid vector")[0]}


def test_inline_regions_unit():
    from unspin.suppress import inline_regions

    text = "a\n<!-- unspin: off US101 -->\nb\n<!--unspin:on-->\nc\n<!-- unspin: off -->\nd\n"
    (s1, e1, c1), (s2, e2, c2) = inline_regions(text)
    assert text[s1:e1].endswith("<!--unspin:on-->") and c1 == ("US101",)
    assert e2 == len(text) and c2 == ()  # off without on: to the end
    assert inline_regions("no comments here") == []


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "drafts").mkdir()
    (tmp_path / "posts").mkdir()
    (tmp_path / "drafts" / "d.md").write_text(SPUN)
    (tmp_path / "posts" / "p.md").write_text(SPUN)
    (tmp_path / "posts" / "old.txt").write_text(SPUN)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _rules_by_file(out: str) -> dict[str, set[str]]:
    return {Path(d["path"]).name: {f["rule"] for f in d["findings"]} for d in json.loads(out)["documents"]}


def test_exclude_per_file_ignores_and_allow_from_settings(cli_runner, project):
    _, out, _ = run(cli_runner, "check", "--no-generic", "--format", "json", ".")
    assert _rules_by_file(out) == {"d.md": {"US101", "US102", "US901"}, "p.md": {"US101", "US102", "US901"},
                                   "old.txt": {"US101", "US102", "US901"}}
    (project / ".unspin.toml").write_text(
        'exclude = ["drafts", "*.txt"]\n'
        'per-file-ignores = {"posts/**" = ["US102"]}\n'
        'allow = ["Squeeze  Secretary"]\n')
    _, out, _ = run(cli_runner, "check", "--no-generic", "--format", "json", ".")
    rules = _rules_by_file(out)
    assert set(rules) == {"p.md"}  # excluded: the drafts folder and every .txt
    assert "US101" not in rules["p.md"] and "US102" not in rules["p.md"]  # allowed phrase; ignored rule


def test_settings_reject_a_bad_per_file_ignores(cli_runner, project):
    (project / ".unspin.toml").write_text('per-file-ignores = ["US102"]\n')
    code, _, err = run(cli_runner, "check", ".")
    assert code == 2 and "per-file-ignores must be a table" in err


def test_path_globs():
    from unspin.suppress import path_matches

    base = Path("/r")
    assert path_matches("/r/drafts/a/b.md", "drafts", base)
    assert path_matches("/r/drafts/a/b.md", "drafts/**", base)
    assert path_matches("/r/x/drafts/b.md", "**/drafts/*.md", base)
    assert not path_matches("/r/posts/b.md", "drafts/**", base)
    assert path_matches("/r/posts/b.txt", "*.txt", base)
    assert not path_matches("/r/posts/sub/b.md", "posts/*.md", base)


def test_quiet_exit_zero_statistics(cli_runner, tmp_path):
    (tmp_path / "spun.txt").write_text(SPUN)
    (tmp_path / "clean.txt").write_text(CLEAN)
    code, out, _ = run(cli_runner, "check", "--no-config", "--no-generic", str(tmp_path))
    assert code == 1 and "Checked 2 documents" in out and "1 finding" not in out
    code, out, _ = run(cli_runner, "check", "--no-config", "--no-generic", "-q", "--exit-zero", str(tmp_path))
    assert code == 0
    assert out.strip() and all(": US" in line for line in out.strip().splitlines())  # findings and nothing else
    code, out, _ = run(cli_runner, "check", "--no-config", "--no-generic", "--statistics", str(tmp_path))
    assert code == 1
    lines = out.strip().splitlines()
    assert [line.split()[:2] for line in lines[:-1]] == [["1", "US101"], ["1", "US102"], ["1", "US901"]]
    assert lines[-1].startswith("Checked 2 documents")
    assert run(cli_runner, "check", "--statistics", "--format", "json", str(tmp_path))[0] == 2


def test_color_always_never_and_no_color(cli_runner, tmp_path):
    (tmp_path / "spun.txt").write_text(SPUN)
    args = ["check", "--no-config", "--no-generic", str(tmp_path)]
    assert "\x1b[" in run(cli_runner, *args, "--color", "always")[1]
    assert "\x1b[" not in run(cli_runner, *args, "--color", "never")[1]
    assert "\x1b[" not in run(cli_runner, *args, env={"NO_COLOR": "1"})[1]  # auto, and not a terminal anyway
    from unspin.commands.check import _use_color

    class Tty:
        def isatty(self):
            return True

    assert _use_color("auto", Tty())
    import os

    os.environ["NO_COLOR"] = "1"
    try:
        assert not _use_color("auto", Tty())
        assert _use_color("always", Tty())
    finally:
        del os.environ["NO_COLOR"]


def test_no_files_matched_warns(cli_runner, tmp_path):
    (tmp_path / "notes.csv").write_text("a,b\n")
    code, out, err = run(cli_runner, "check", "--no-config", str(tmp_path))
    assert code == 0
    assert "warning: no files to check in" in err and ".md" in err
    assert "Checked 0 documents" in out
    code, out, err = run(cli_runner, "check", "--no-config", "-q", str(tmp_path))
    assert err == "" and out == ""


def test_progress_bar_only_when_asked_or_on_a_terminal(cli_runner, tmp_path):
    for i in range(3):
        (tmp_path / f"{i}.txt").write_text(CLEAN)
    code, out, err = run(cli_runner, "check", "--no-config", "--no-generic", "--progress", str(tmp_path))
    assert code == 0 and "Checked 3 documents" in out and "checking" not in out  # the bar is on stderr only
    code, out, err = run(cli_runner, "check", "--no-config", "--no-generic", str(tmp_path))
    assert err == ""  # not a terminal: no bar


def test_version_short_flag(cli_runner):
    from unspin import __version__

    code, out, _ = run(cli_runner, "-V")
    assert code == 0 and __version__ in out


def test_shell_completion_is_clicks(tmp_path):
    import os
    import shutil
    import subprocess
    import sys

    exe = shutil.which("unspin", path=str(Path(sys.executable).parent)) or "unspin"
    env = {**os.environ, "_UNSPIN_COMPLETE": "bash_source"}
    script = subprocess.run([exe], env=env, capture_output=True, text=True, timeout=60).stdout
    assert "complete" in script and "_UNSPIN_COMPLETE" in script
    env = {**os.environ, "_UNSPIN_COMPLETE": "bash_complete", "COMP_WORDS": "unspin ch", "COMP_CWORD": "1"}
    got = subprocess.run([exe], env=env, capture_output=True, text=True, timeout=60).stdout
    assert "plain,check" in got.split()


# ---------------------------------------------------------------------------------------------------
# One finding per place; score, verdict and exit code agree

EXAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "examples"


@pytest.fixture
def archive_url(tmp_path, cli_runner):
    url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    code, _, err = run(cli_runner, "archive", "add", "--no-config", "--db", url, str(EXAMPLES / "originals"))
    assert code == 0, err
    return url


def test_one_finding_per_place_with_each_rules_evidence_and_the_sources_words_first(cli_runner, archive_url):
    spun = EXAMPLES / "spun-press-briefing.md"
    code, out, _ = run(cli_runner, "check", "--no-config", "--db", archive_url, "--format", "json", str(spun))
    assert code == 1
    doc = json.loads(out)["documents"][0]
    spans = [(f["start"], f["end"]) for f in doc["findings"] if f["rule"] != "US901"]
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))  # no two findings overlap
    press = [f for f in doc["findings"] if f["text"].lower() == "squeeze secretary"]
    assert len(press) == 3  # title, excerpt, body: each place once
    for f in press:
        assert f["rule"] == "US301" and f["rules"] == ["US301", "US101"]
        assert f["suggestions"][0]["source"] == "source" and f["suggestions"][0]["text"].lower() == "press secretary"
        merged = {m["rule"]: m for m in f["evidence"]["merged"]}
        assert merged["US301"]["text"].lower() == "squeeze" and merged["US101"]["text"].lower() == "squeeze secretary"
        assert merged["US101"]["evidence"]["lexicon"]
    # a place only the source knows is still reported, alone
    assert any(f["rules"] == ["US301"] and f["text"] == "police find" for f in doc["findings"])
    # every finding carries "rules" (additive JSON field); a single-rule place lists its own rule
    assert all(f["rules"][0] == f["rule"] for f in doc["findings"])


def test_source_substitutions_count_in_the_score(cli_runner, archive_url, tmp_path):
    # only words no lexicon knows were swapped: the model alone sees little; the source sees them all
    original = (EXAMPLES / "originals" / "press-briefing.md").read_text()
    copy = tmp_path / "copy.md"
    copy.write_text(original.replace("helped officers locate", "aided cops find").replace("images", "pictures")
                    .replace("cost\n$4.2 million", "price\n$4.2 million").replace("reviewed", "checked"))
    args = ["check", "--no-config", "--no-generic", "--format", "json", str(copy)]
    alone = json.loads(run(cli_runner, *args)[1])["documents"][0]
    code, out, _ = run(cli_runner, *args, "--db", archive_url)
    sourced = json.loads(out)["documents"][0]
    assert sum(f["rule"] == "US301" for f in sourced["findings"]) >= 4
    assert sourced["score"] > alone["score"]
    assert sourced["verdict"] != "clean" and code == 1


def test_verdict_is_never_clean_under_a_reported_spin_warning():
    from unspin.model import Finding
    from unspin.outcome import combined_score, verdict_for

    def f(rule, severity="warning", conf=0.6):
        return Finding(rule=rule, start=0, end=3, line=1, column=1, text="abc", message="m", confidence=conf,
                       severity=severity)

    assert verdict_for(0.27, [], 0.5, 0.8) == "clean"
    assert verdict_for(0.27, [f("US301")], 0.5, 0.8) == "suspect"
    assert verdict_for(0.27, [f("US404", "suggestion")], 0.5, 0.8) == "clean"  # text quality is not spin
    assert verdict_for(0.9, [], 0.5, 0.8) == "spun"
    score, part = combined_score(0.27, [f("US301", conf=0.9)] * 10, 200)
    assert part > 0.9 and score >= part and score > 0.27
    assert combined_score(0.27, [f("US101")], 200) == (0.27, 0.0)  # no source: the model's score


def test_select_and_fail_level_follow_the_same_rule(cli_runner, tmp_path):
    p = tmp_path / "spun.txt"
    p.write_text(SPUN)
    code, out, _ = run(cli_runner, "check", "--no-config", "--no-generic", "--format", "json", "--select", "US102",
                       str(p))
    doc = json.loads(out)["documents"][0]
    assert code == 1 and {f["rule"] for f in doc["findings"]} == {"US102"} and doc["verdict"] != "clean"
    code, out, _ = run(cli_runner, "check", "--no-config", "--no-generic", "--format", "json", "--select", "US4",
                       str(p))
    doc = json.loads(out)["documents"][0]
    assert code == 0 and doc["findings"] == [] and doc["verdict"] in ("clean", "suspect", "spun")
