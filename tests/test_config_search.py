"""Finding the settings file: a pyproject.toml is read only when it can hold a [tool.unspin] table."""

from __future__ import annotations

import sys

import pytest

from unspin import config
from unspin.config import find_config_file, load_config


@pytest.mark.parametrize("text", [
    '[tool.unspin]\nselect = ["US9"]\n',
    'tool.unspin.select = ["US9"]\n',
    '[tool]\nunspin = { select = ["US9"] }\n',
    '[tool."unspin"]\nselect = ["US9"]\n',
    '[tool."\\u0075nspin"]\nselect = ["US9"]\n',  # (a TOML escape spells the name without the word)
    '[tool."\\U00000075nspin"]\nselect = ["US9"]\n',
])
def test_every_spelling_of_the_tool_table_is_found(tmp_path, text):
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    assert find_config_file(tmp_path) == tmp_path / "pyproject.toml"
    assert load_config(find_config_file(tmp_path)).select == ("US9",)


def test_a_pyproject_without_the_word_is_not_parsed(tmp_path, monkeypatch):
    sub = tmp_path / "project"
    sub.mkdir()
    (sub / "pyproject.toml").write_text('[project]\nname = "other"\n[tool.ruff]\nline-length = 99\n', encoding="utf-8")
    (tmp_path / ".unspin.toml").write_text('select = ["US1"]\n', encoding="utf-8")
    monkeypatch.delitem(sys.modules, "tomllib", raising=False)
    monkeypatch.setattr("builtins.__import__", _no_tomllib(__import__))
    assert find_config_file(sub) == tmp_path / ".unspin.toml"  # the search goes on upwards
    assert not config._may_have_unspin_table((sub / "pyproject.toml").read_bytes())


def test_a_pyproject_that_mentions_unspin_elsewhere_is_parsed_and_passed_over(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "unspin-plugin"\n', encoding="utf-8")
    assert config._may_have_unspin_table((tmp_path / "pyproject.toml").read_bytes())
    assert find_config_file(tmp_path) != tmp_path / "pyproject.toml"


def test_a_broken_pyproject_is_passed_over(tmp_path):
    (tmp_path / "pyproject.toml").write_bytes(b"[tool.unspin\nselect = \xff\n")
    assert find_config_file(tmp_path) != tmp_path / "pyproject.toml"


def _no_tomllib(real_import):
    def guarded(name, *args, **kwargs):
        if name == "tomllib":
            raise AssertionError("tomllib imported for a pyproject.toml that cannot configure unspin")
        return real_import(name, *args, **kwargs)
    return guarded
