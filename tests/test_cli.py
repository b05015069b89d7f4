"""`unspin check` and `unspin rules` end to end: exit codes, formats, errors, config."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from unspin.cli import cli

SPUN = "The White House squeeze secretary said an aid vector machine was trained.\n"
CLEAN = "The council approved the budget on Tuesday after a long debate.\n"


def run(cli_runner, *args, input=None):
    result = cli_runner.invoke(cli, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def files(tmp_path):
    (tmp_path / "spun.txt").write_text(SPUN)
    (tmp_path / "clean.txt").write_text(CLEAN)
    return tmp_path


def test_exit_codes_clean_findings_and_bad_input(cli_runner, files):
    assert run(cli_runner, "check", "--no-generic", str(files / "clean.txt"))[0] == 0
    code, out, _ = run(cli_runner, "check", "--no-generic", str(files / "spun.txt"))
    assert code == 1
    assert "spun.txt:1:" in out and "US102" in out
    (files / "bin.md").write_bytes(b"\x00\x01\x02" * 100)
    code, out, err = run(cli_runner, "check", "--no-generic", str(files))
    assert code == 2
    assert f"{files / 'bin.md'}: error: binary file" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "spun.txt:1:" in out  # the other files were still checked


def test_json_contract(cli_runner, files):
    code, out, _ = run(cli_runner, "check", "--no-generic", "--format", "json", str(files / "spun.txt"),
                       str(files / "missing.md"))
    assert code == 2
    data = json.loads(out)
    assert data["schema_version"] == 1
    assert data["errors"] == [{"path": str(files / "missing.md"), "error": "no such file or folder"}]
    doc = data["documents"][0]
    assert {"path", "score", "verdict", "findings"} <= doc.keys()
    assert 0 <= doc["score"] <= 1 and doc["verdict"] in ("clean", "suspect", "spun")
    f = next(f for f in doc["findings"] if f["rule"] == "US102")
    assert set(f) >= {"rule", "start", "end", "line", "column", "text", "message", "suggestions", "confidence",
                      "severity", "evidence"}
    assert SPUN[f["start"]:f["end"]] == f["text"] == "aid vector machine"
    assert f["suggestions"][0]["text"] == "support vector machine"
    assert f["suggestions"][0]["source"] == "lexicon"
    assert (f["line"], f["column"]) == (1, SPUN.index("aid vector") + 1)


def test_sarif_and_github_formats(cli_runner, files):
    code, out, _ = run(cli_runner, "check", "--no-generic", "--format", "sarif", str(files / "spun.txt"))
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    run0 = sarif["runs"][0]
    rule_ids = [r["id"] for r in run0["tool"]["driver"]["rules"]]
    res = next(r for r in run0["results"] if r["ruleId"] == "US102")
    assert rule_ids[res["ruleIndex"]] == res["ruleId"]
    region = res["locations"][0]["physicalLocation"]["region"]
    assert SPUN[region["charOffset"]:region["charOffset"] + region["charLength"]] == region["snippet"]["text"]
    assert res["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"]
    code, out, _ = run(cli_runner, "check", "--no-generic", "--format", "github", str(files / "spun.txt"))
    assert code == 1
    line = next(ln for ln in out.splitlines() if "US102" in ln)
    assert line.startswith("::warning file=") and ",line=1,col=" in line and "::US102 " in line


def test_select_ignore_and_fail_level(cli_runner, files):
    p = str(files / "spun.txt")
    assert run(cli_runner, "check", "--no-generic", "--ignore", "US1", p)[0] == 0
    code, out, _ = run(cli_runner, "check", "--no-generic", "--select", "US101", "--format", "json", p)
    assert all(f["rule"] == "US101" for d in json.loads(out)["documents"] for f in d["findings"])
    assert run(cli_runner, "check", "--no-generic", "--fail-level", "error", "--ignore", "US9", p)[0] == 0


def test_stdin_and_stdin_filename(cli_runner):
    code, out, _ = run(cli_runner, "check", "--no-generic", "--stdin-filename", "pasted.txt", "-", input=SPUN)
    assert code == 1 and out.startswith("pasted.txt:1:")


def test_config_file_is_read_and_validated(cli_runner, files, monkeypatch):
    monkeypatch.chdir(files)
    (files / ".unspin.toml").write_text('ignore = ["US1"]\ngeneric = false\n')
    assert run(cli_runner, "check", "spun.txt")[0] == 0
    assert run(cli_runner, "check", "--no-config", "--no-generic", "spun.txt")[0] == 1
    (files / ".unspin.toml").write_text('fail-level = "loud"\n')
    code, _, err = run(cli_runner, "check", "spun.txt")
    assert code == 2 and "fail-level must be one of" in err and ".unspin.toml" in err
    (files / ".unspin.toml").unlink()
    (files / "pyproject.toml").write_text('[tool.unspin]\nselect = ["US9"]\ngeneric = false\n')
    code, out, _ = run(cli_runner, "check", "--format", "json", "spun.txt")
    assert all(f["rule"].startswith("US9") for d in json.loads(out)["documents"] for f in d["findings"])


def test_rules_list_and_explain(cli_runner):
    code, out, _ = run(cli_runner, "rules")
    assert code == 0 and "US101" in out and "US201" in out
    code, out, _ = run(cli_runner, "rules", "US201")
    assert "Why:" in out and "Example:" in out and "Use instead:" in out
    code, _, err = run(cli_runner, "rules", "US999")
    assert code == 2 and "no rule" in err


def test_console_script_has_no_traceback_on_bad_usage(tmp_path):
    exe = Path(sys.executable).with_name("unspin")
    proc = subprocess.run([str(exe), "check", "--format", "nope", "x"], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_relative_lexicon_in_config_resolves_against_the_config_file(cli_runner, tmp_path, monkeypatch):
    (tmp_path / "lex.tsv").write_text("id\tspun\tcanonical\tcondition\tsource\texample_bad\texample_good\n"
                                      "U1\tblorp phrase\tright phrase\t\tuser\t\t\n")
    (tmp_path / ".unspin.toml").write_text('lexicons = ["lex.tsv"]\ngeneric = false\n')
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "t.txt").write_text("A blorp phrase here.\n")
    monkeypatch.chdir(sub)
    code, out, err = run(cli_runner, "check", "--select", "US1", "t.txt")
    assert code == 1 and "blorp phrase" in out, err


def test_broken_lexicon_file_is_one_plain_line(cli_runner, files):
    bad = files / "bad.tsv"
    bad.write_bytes(b"id\tspun\n\xff\xfe broken\n")
    code, _, err = run(cli_runner, "check", "--no-generic", "--lexicon", str(bad), str(files / "clean.txt"))
    assert code == 2 and err.startswith("unspin: cannot load lexicon") and len(err.strip().splitlines()) == 1


def test_output_into_a_missing_folder_is_one_plain_line(cli_runner, files):
    code, _, err = run(cli_runner, "check", "--no-generic", "-o", str(files / "nodir" / "out.txt"),
                       str(files / "clean.txt"))
    assert code == 2 and "cannot write the report" in err and "Traceback" not in err


def test_check_db_must_name_an_existing_archive(cli_runner, files):
    missing = files / "nowhere" / "x.sqlite"
    code, _, err = run(cli_runner, "check", "--no-generic", "--db", f"sqlite:///{missing}", str(files / "clean.txt"))
    assert code == 2 and not missing.exists()
    assert len(err.strip().splitlines()) == 1


def test_tool_table_accepted_in_dot_unspin_toml(cli_runner, files, monkeypatch):
    monkeypatch.chdir(files)
    (files / ".unspin.toml").write_text('[tool.unspin]\nignore = ["US1"]\ngeneric = false\n')
    assert run(cli_runner, "check", "spun.txt")[0] == 0


def test_jsonl_findings_point_at_the_record_line_in_sarif_and_github(cli_runner, tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text('{"id": "a", "text": "Fine words."}\n{"id": "b", "title": "T", "text": "' + SPUN.strip() + '"}\n')
    _, out, _ = run(cli_runner, "check", "--no-generic", "--format", "sarif", str(feed))
    res = next(r for r in json.loads(out)["runs"][0]["results"] if r["ruleId"] == "US102")
    loc = res["locations"][0]
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == feed.as_posix()
    assert loc["physicalLocation"]["region"]["startLine"] == 2 and "charOffset" not in loc["physicalLocation"]["region"]
    assert loc["logicalLocations"][0]["name"] == f"{feed}#2" and "fixes" not in res
    _, out, _ = run(cli_runner, "check", "--no-generic", "--format", "github", str(feed))
    line = next(ln for ln in out.splitlines() if "US102" in ln)
    assert f"file={feed},line=2,title=US102" in line.replace("%3A", ":").replace("%2C", ",")
