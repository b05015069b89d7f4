"""The substitution-gain features: synonym table, LM scoring, shrinkage, reproducible table build."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from unspin.detect import context_lm

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not context_lm.available(), reason="pocketsphinx LM or synonym table missing")


def test_synonym_table_has_inflected_any_sense_synonyms():
    syn = context_lm.load_synonyms()
    uni, words = syn["acknowledgment"]
    assert "recognition" in words.split() and uni < 0
    assert "squeezed" in syn["pressed"][1].split() and "automobiles" in syn["cars"][1].split()  # same inflection
    assert "the" not in syn and "said" not in syn  # closed-class and reporting words are left alone
    assert "fiber" not in syn.get("fibre", (0, ""))[1].split()  # a spelling variant is no alternative


def test_wrong_sense_synonyms_have_a_large_gain():
    spun = context_lm.gains("The squeeze secretary said the facial acknowledgment trial would go on.")
    clean = context_lm.gains("The press secretary said the facial recognition trial would go on.")
    assert spun is not None and clean is not None
    assert max(spun[0]) > 5.0  # ln units: the synonym is e^5 times more probable in context
    assert sum(spun[0]) > sum(clean[0]) + 5.0


def test_unknown_neighbours_and_repeated_windows_are_skipped():
    g1, _ = context_lm.gains("Output rose to 15 mln tonnes from 12 mln.")
    g2, _ = context_lm.gains("Output rose to 15 tonnes. Output rose to 15 tonnes. Output rose to 15 tonnes.")
    assert len(g1) <= 2  # "rose" (next to known words) at most; "tonnes" sits next to numbers
    assert len(g2) == len(context_lm.gains("Output rose to 15 tonnes.")[0])


def test_features_shrink_short_texts_towards_clean_news():
    empty = context_lm.features("")
    assert empty == pytest.approx(context_lm.CLEAN_MEANS)
    spun = "The squeeze secretary said the facial acknowledgment trial would go on. " * 3
    short = context_lm.features(spun)
    assert set(short) == set(context_lm.FEATURES)
    assert short["ctx_gain_mean"] > context_lm.CLEAN_MEANS["ctx_gain_mean"]
    raw = context_lm.gains(spun)[0]
    assert short["ctx_gain_mean"] < sum(raw) / len(raw)  # but less than the raw mean


def test_check_path_stays_free_of_numpy():
    code = ("import sys\nfrom unspin.detect import context_lm\n"
            "context_lm.features('The press secretary said the trial would go on.')\n"
            "print('numpy' in sys.modules, 'sklearn' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


@pytest.mark.slow
def test_table_rebuild_is_byte_identical(tmp_path):
    dest = tmp_path / "synonyms.tsv.gz"
    subprocess.run([sys.executable, str(REPO / "scripts" / "build_context_tables.py"), "--out", str(dest)],
                   check=True, capture_output=True)
    assert dest.read_bytes() == (REPO / "models" / "context" / "synonyms.tsv.gz").read_bytes()
