"""The public library API imported the way users import it."""

from __future__ import annotations

import subprocess
import sys


def test_public_api_in_a_fresh_interpreter():
    code = ("from unspin import analyze, analyze_text, load_documents, Finding, Config; "
            "import unspin.analysis; from unspin import analyze as again; "
            "assert callable(analyze) and again is analyze; "
            "r = analyze_text('The squeeze secretary spoke.'); "
            "print(' '.join(f.rule for f in r.findings))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    # the phrase is found (the article scorer may add US901 for so short a text: one phrase in four words)
    assert "US101" in out.split()


def test_python_dash_m_runs_the_cli():
    out = subprocess.run([sys.executable, "-m", "unspin", "--version"], capture_output=True, text=True, check=True)
    assert "unspin" in out.stdout
