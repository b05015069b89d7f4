"""The substitution-gain features: synonym table, LM scoring, shrinkage, reproducible table build."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from unspin.detect import context_lm

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not context_lm.available(), reason="LM tables or synonym table missing")


def test_synonym_table_has_inflected_any_sense_synonyms():
    syn = context_lm.synonyms
    assert "recognition" in syn("acknowledgment")
    assert "squeezed" in syn("pressed") and "automobiles" in syn("cars")  # same inflection
    assert syn("the") == [] and syn("said") == []  # closed-class and reporting words are left alone
    assert "fiber" not in syn("fibre")  # a spelling variant is no alternative


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


def test_stream_and_prose_give_the_same_features():
    from unspin.document import parse_text

    text = "# Council keeps library hours\n\nThe squeeze secretary said so. The facial acknowledgment trial went on.\n"
    doc = parse_text(text, "a.md", "markdown")[0]
    from unspin.text import MatchStream

    assert context_lm.features(MatchStream(doc.text, doc.segments)) == context_lm.features(doc.prose())


def test_sentence_start_capitals_count_and_names_do_not():
    g_start, _ = context_lm.gains("Squeeze secretary said so.")
    g_mid, _ = context_lm.gains("The Squeeze secretary said so.")
    assert len(g_start) == len(context_lm.gains("squeeze secretary said so.")[0])
    assert len(g_mid) == len(g_start) - 1  # "Squeeze" inside a sentence is taken for a name


def test_check_path_needs_no_pocketsphinx():
    """The scorer reads the LM from US201's numpy tables: no pocketsphinx LM, no scikit-learn."""
    code = ("import sys\nfrom unspin.detect import context_lm\n"
            "context_lm.features('The press secretary said the trial would go on.')\n"
            "print('pocketsphinx' in sys.modules, 'sklearn' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


@pytest.mark.slow
def test_table_rebuild_is_byte_identical(tmp_path):
    subprocess.run([sys.executable, str(REPO / "scripts" / "build_context_tables.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True)
    for name in context_lm.TABLE_FILES:
        assert (tmp_path / name).read_bytes() == (REPO / "models" / "context" / name).read_bytes(), name


def test_lm_look_ups_match_us201s_trigram():
    """context_lm reads US201's LM arrays itself (unfloored); above US201's floor both agree."""
    import numpy as np

    t = context_lm.load_tables()
    gm = t.generic
    words = ("<s> the press secretary said facial recognition acknowledgment of a new trial would go on "
             "</s> zebra quantum").split()
    ids = gm.lm_ids(words)
    rng = np.random.default_rng(0)
    w, h1, h2 = (ids[rng.integers(0, len(ids), 400)] for _ in range(3))
    h2[:20] = -1  # no second history
    lm = t.lm
    e, eh = lm.bigrams(w, h1)
    f, fh = lm.bigrams(h1, h2)
    tt, th = lm.trigrams(e, eh, h2)
    mine = lm.score(w, h1, e, eh, f, fh, tt, th) * np.log10(1.0001)
    ref = gm.trigram(w, h1, h2)
    above = ref > -6.99
    assert above.sum() > 300
    assert np.abs(mine[above] - ref[above]).max() < 2e-4  # pocketsphinx's integer rounding

