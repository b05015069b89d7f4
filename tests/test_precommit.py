"""The pre-commit hook for real: a temporary content repo whose config points at this repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")

SPUN = """---
title: "Cameras at the station"
excerpt: "A short item."
provider:
  name: "Quick Wire Daily"
  domain: "quickwiredaily.example"
---

The squeeze secretary said an aid vector machine now reads the faces of commuters.
"""

CLEAN = """---
title: "Council keeps library hours"
excerpt: "A short item."
provider:
  name: "Midland Courier"
  domain: "midlandcourier.example"
---

The council kept library hours unchanged and cut spending on road repairs by 12 percent.
"""


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> tuple[str, str]:
    """A commit of this repository's working tree, so the test sees uncommitted work too."""
    if not PRE_COMMIT.exists() or shutil.which("git") is None:
        pytest.skip("pre-commit or git is not installed")
    snap = tmp_path_factory.mktemp("hook-src")
    files = git(REPO, "ls-files", "--cached", "--others", "--exclude-standard").splitlines()
    for name in files:
        src = REPO / name
        if src.is_file():
            dst = snap / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    git(snap, "init", "-q")
    git(snap, "add", "-A")
    git(snap, "commit", "-qm", "snapshot")
    return str(snap), git(snap, "rev-parse", "HEAD").strip()


def test_hook_blocks_spun_article_and_passes_clean_one(tmp_path, hook_repo):
    src, rev = hook_repo
    content = tmp_path / "content"
    content.mkdir()
    git(content, "init", "-q")
    (content / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {src}\n    rev: {rev}\n    hooks:\n      - id: unspin\n        args: [--no-generic]\n")
    (content / "spun.md").write_text(SPUN)
    (content / "clean.md").write_text(CLEAN)
    git(content, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(Path.home() / ".cache" / "unspin-test-pre-commit")}
    env.pop("VIRTUAL_ENV", None)

    def pre_commit(*files: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(PRE_COMMIT), "run", "--files", *files], cwd=content, env=env,
                              capture_output=True, text=True, timeout=1500)

    ok = pre_commit("clean.md")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = pre_commit("spun.md")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "spun.md:9:5: US101 'squeeze secretary' is spun wording" in bad.stdout


def readme_hook_config() -> str:
    """The .pre-commit-config.yaml the README documents, exactly as written there."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### In a content repository (pre-commit)", 1)[1]
    return section.split("```yaml\n", 1)[1].split("```", 1)[0]


def test_readme_snippet_works_as_written(tmp_path):
    """The README's snippet, verbatim, in a fresh content repo with unspin installed (here: this venv)."""
    if not PRE_COMMIT.exists() or shutil.which("git") is None:
        pytest.skip("pre-commit or git is not installed")
    config = readme_hook_config()
    assert "repo: local" in config and "your.git.host" not in config
    content = tmp_path / "content"
    content.mkdir()
    git(content, "init", "-q")
    (content / ".pre-commit-config.yaml").write_text(config)
    (content / "spun.md").write_text(SPUN)
    (content / "clean.md").write_text(CLEAN)
    git(content, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("VIRTUAL_ENV", None)

    def pre_commit(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(PRE_COMMIT), *args], cwd=content, env=env, capture_output=True, text=True,
                              timeout=600)

    ok = pre_commit("run", "--files", "clean.md")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = pre_commit("run", "--files", "spun.md")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "spun.md:9:5: US101 'squeeze secretary' is spun wording" in bad.stdout
    # and as a real commit hook: `pre-commit install`, then a commit of the spun file is refused
    assert pre_commit("install").returncode == 0
    commit = subprocess.run(["git", "commit", "-qm", "add articles"], cwd=content, capture_output=True, text=True,
                            env={**env, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
                                 "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"})
    assert commit.returncode != 0 and "US101" in commit.stdout + commit.stderr
    assert subprocess.run(["git", "rev-parse", "HEAD"], cwd=content, capture_output=True).returncode != 0
