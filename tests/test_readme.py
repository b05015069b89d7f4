"""The README's "Using it" walk, run as written in a temporary folder on the bundled examples.

Every command line of the block runs in one shell (so its ``cd`` and ``export`` hold), with
``unspin`` on PATH, a private HOME (where a default archive would go) and no UNSPIN_ variables;
each step's exit status and output are then checked. A step the README gains without a check here fails the test.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def readme_steps() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Using it\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    steps = []
    for line in block.splitlines():
        command = re.split(r"\s+#\s", line, maxsplit=1)[0].strip()  # a comment starts with " # "
        if command:
            steps.append(command)
    return steps


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def walk(tmp_path_factory):
    """Run the walk (all but `unspin serve`, which blocks: the test runs it itself). Returns the
    folder, each step's (returncode, stdout, stderr) by command, and the environment used."""
    unspin = Path(sys.executable).with_name("unspin")
    if not unspin.exists():
        pytest.skip("the unspin command is not installed next to this Python")
    root = tmp_path_factory.mktemp("readme")
    shutil.copytree(REPO / "fixtures" / "examples", root / "fixtures" / "examples")
    home = root / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UNSPIN_", "XDG_"))}
    env.update(HOME=str(home), PATH=f"{unspin.parent}{os.pathsep}{env.get('PATH', '')}", NO_COLOR="1")
    steps = readme_steps()
    script = ["set -u"]
    for i, step in enumerate(steps):
        if step.startswith("unspin serve"):
            continue
        # in this shell, not a subshell: a step's cd and export hold for the later steps, as when typed
        script.append(f"{{ {step} ; }} > {root}/step{i}.out 2> {root}/step{i}.err; echo $? > {root}/step{i}.rc")
    subprocess.run(["bash", "-c", "\n".join(script)], cwd=root, env=env, timeout=1200, check=True)
    results = {}
    for i, step in enumerate(steps):
        if step.startswith("unspin serve"):
            results[step] = None
            continue
        results[step] = (int((root / f"step{i}.rc").read_text()), (root / f"step{i}.out").read_text(),
                         (root / f"step{i}.err").read_text())
    return root, results, env


def test_every_step_of_the_walk_does_what_the_readme_says(walk):
    root, results, env = walk
    work = root / "try"
    checked = set()

    def step(prefix: str):
        matches = [s for s in results if s.startswith(prefix)]
        assert len(matches) == 1, f"no single README step starts with {prefix!r}: {list(results)}"
        checked.add(matches[0])
        return results[matches[0]]

    code, _, err = step("cp -r fixtures/examples try")
    assert code == 0 and (work / "spun-press-briefing.md").is_file(), err

    code, out, _ = step("unspin check .")
    assert code == 1
    assert "spun-press-briefing.md:2:9: US101 'Squeeze secretary' is spun wording" in out
    assert re.search(r"Checked 6 documents: \d spun", out)

    code, out, _ = step("unspin check --format json spun-press-briefing.md")
    assert code == 1
    doc = json.loads(out)["documents"][0]
    assert json.loads(out)["schema_version"] == 1 and doc["verdict"] == "spun"
    assert {"rule", "rules", "start", "end", "suggestions"} <= set(doc["findings"][0])

    code, out, _ = step("unspin check --explain spun-press-briefing.md")
    assert code == 1 and "most suspicious words" in out
    assert re.search(r"^\s+1\. spun-press-briefing\.md:\d+:\d+: '\w[^']*' -> '[^']+' \([01]\.\d\d\)$", out, re.M)

    code, out, _ = step("unspin check --format sarif . > unspin.sarif")
    sarif = json.loads((work / "unspin.sarif").read_text())
    assert code == 1 and out == "" and sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]

    code, out, _ = step("unspin check --format github .")
    assert code == 1 and "::warning file=./spun-press-briefing.md,line=2,col=9" in out

    code, out, _ = step("unspin check --statistics .")
    assert code == 1 and re.search(r"^\s+\d+\s+US101\s+news-spinner-phrase$", out, re.M)

    code, out, _ = step("unspin rules")
    assert code == 0 and "US301" in out and "US901" in out

    code, out, err = step("export UNSPIN_DB=")
    assert code == 0 and out == err == ""

    code, out, err = step("unspin archive add originals/")
    assert code == 0 and "1 added" in out + err, out + err
    assert (work / "archive.sqlite").is_file()  # the archive named once, not one in the user's folder
    assert not list((root / "home").rglob("archive.sqlite"))

    code, out, err = step("unspin archive review")  # the gate stored the example original as an original
    assert code == 0 and "nothing to review" in out, out + err

    code, out, err = step("unspin archive info")
    assert code == 0, err
    assert f"sqlite:///{work}/archive.sqlite" in out and "UNSPIN_DB" in out  # which archive, and why

    code, out, err = step("unspin match spun-press-briefing.md")
    assert code == 1, err  # a likely source was found
    assert "Press secretary defends facial recognition cameras at transit hubs" in out
    assert "'squeeze' -> 'press' (x3)" in out and "1 sentence," in out

    code, out, err = step("unspin check spun-press-briefing.md")
    assert code == 1, err
    assert "US301 'squeeze' differs from the source" not in out  # one finding per place, not two
    assert re.search(r"US301 'squeeze secretary': 'squeeze' differs from the source .* \(also US101\)", out)
    assert "US301 'police find' differs from the source" in out  # a swap only the source reveals
    assert "(spun)" in out

    code, out, err = step("unspin fix --diff spun-press-briefing.md")
    assert code == 1, err  # something would change
    assert "-The White House squeeze secretary" in out and "+The White House press secretary" in out
    assert "+three transit hubs, saying the system had helped officers locate" in out  # the source's words

    code, out, err = step("unspin learn -o learned.tsv --review review.tsv spun-press-briefing.md")
    assert code == 0, err
    assert "0 trusted entries" in err  # one copy of one original is not enough evidence
    review = (work / "review.tsv").read_text().splitlines()
    assert review[0].split("\t")[-4:] == ["count", "docs", "sources", "why"]
    assert any(line.startswith("LRN-") and "in 1 copy" in line for line in review)

    code, out, err = step("unspin report . --out report/")
    assert code == 0, err
    assert {p.name for p in (work / "report").iterdir()} >= {"report.html", "providers.csv", "articles.csv",
                                                             "providers.json"}

    serve = [s for s in results if s.startswith("unspin serve")]
    assert serve == ["unspin serve"]
    checked.add("unspin serve")
    assert set(results) == checked, f"README steps without a check: {set(results) - checked}"


def test_serve_step_answers_on_the_documented_address(walk):
    root, _, env = walk
    env = {**env, "UNSPIN_DB": f"sqlite:///{root / 'try' / 'archive.sqlite'}"}  # as exported in the walk
    if not _port_free(8765):
        pytest.skip("port 8765 is taken on this machine; the step needs it free")
    proc = subprocess.Popen(shlex.split("unspin serve"), cwd=root / "try", env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen("http://127.0.0.1:8765/api/info", timeout=5) as r:
                    info = json.loads(r.read())
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    said = proc.stdout.read() if proc.stdout else ""
                    raise AssertionError(f"unspin serve did not answer: {said}") from None
                time.sleep(0.5)
        assert "version" in info and info["archive"] is True  # it sees the archive the walk named
    finally:
        proc.terminate()
        proc.wait(30)
