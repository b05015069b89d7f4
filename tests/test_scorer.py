"""The article scorer: features from data, the JSON model, a lean check path, reproducible builds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from evaluation import datasets as ds
from unspin.analysis import Context, analyze
from unspin.config import Config
from unspin.detect import scorer
from unspin.model import Finding

REPO = Path(__file__).resolve().parent.parent


def _finding(rule: str, text: str, conf: float = 0.8) -> Finding:
    return Finding(rule, 0, len(text), 1, 1, text, "m", confidence=conf)


def test_finding_features_are_densities_by_rule_family():
    fs = [_finding("US101", "squeeze secretary"), _finding("US201", "facial acknowledgment", 0.6),
          _finding("US201", "Facial  acknowledgment", 0.7), _finding("US901", "x")]
    words = 400 - scorer.PSEUDO_WORDS  # densities are over words + PSEUDO_WORDS
    feats = scorer.finding_features(fs, words)
    assert feats["us1_per100"] == pytest.approx(0.25)
    # the list-free rules count from their second finding on: the first is us2_max_confidence
    assert feats["us2_per100"] == pytest.approx(0.25)
    assert feats["us2_weighted_per100"] == pytest.approx(0.15)
    assert feats["us2_max_confidence"] == pytest.approx(0.7)
    one = scorer.finding_features(fs[1:2], words)
    assert one["us2_per100"] == one["us2_weighted_per100"] == 0.0 and one["us2_max_confidence"] == 0.6
    assert feats["repeated_odd_per100"] == pytest.approx(0.5)  # the same odd phrase twice
    assert scorer.finding_features([], 10)["us2_per100"] == 0.0
    # shrinkage: one finding in a short text weighs less than the same density in a long one
    short = scorer.finding_features(fs[:1], 50)["us1_per100"]
    long = scorer.finding_features(fs[:1] * 20, 1000)["us1_per100"]
    assert short < long


def test_text_features_see_rare_words_and_readability():
    ref = {"": 1.0, "police": 5.0, "said": 6.0, "station": 4.8, "cameras": 4.3}
    plain = scorer.text_features("The police said the station cameras worked. The police said so.", ref)
    odd = scorer.text_features("The constabulary said the station recorders worked. The constabulary said so.", ref)
    assert odd["rare_word_frac"] > plain["rare_word_frac"]
    assert odd["content_zipf_mean"] < plain["content_zipf_mean"]
    assert odd["word_length"] > plain["word_length"]
    assert plain["words_per_sentence"] == pytest.approx(5.5)
    assert scorer.syllables("constabulary") >= 4 and scorer.syllables("the") == 1


def test_model_json_round_trip_and_consistency_check():
    no_ref = {"features": ["a"], "scaler": {"mean": [0], "scale": [1]}, "logistic": {"coef": [1.0], "intercept": 0.0},
              "calibration": {"a": 1.0, "b": 0.0, "prior_shift": -1.0}}
    assert scorer.ScorerModel(no_ref).probability({"a": 1.0}) == pytest.approx(0.5)  # prior shift applied
    data = {"features": ["a", "b"], "scaler": {"mean": [0, 1], "scale": [1, 2]},
            "logistic": {"coef": [2.0, -1.0], "intercept": 0.5}, "calibration": {"a": 1.0, "b": 0.0},
            "reference": {"floor": 1.0, "words": "the police", "zipf_x10": [78, 50]}}
    m = scorer.ScorerModel(data)
    assert m.reference["police"] == 5.0 and m.reference[""] == 1.0
    assert m.decision({"a": 1.0, "b": 3.0}) == pytest.approx(0.5 + 2.0 - 1.0)
    assert 0 < m.probability({"a": -100.0}) < 0.5 < m.probability({"a": 100.0}) <= 1.0
    # a feature that was not worked out takes its training mean: it moves nothing
    assert m.decision({"a": 1.0}) == pytest.approx(0.5 + 2.0)
    bad = json.loads(json.dumps(data))
    bad["logistic"]["coef"] = [1.0]
    with pytest.raises(ValueError):
        scorer.ScorerModel(bad)


def test_shipped_model_is_json_with_a_card():
    path = REPO / "models" / "scorer.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    m = scorer.ScorerModel(data)
    from unspin.detect import article, context_lm

    known = (set(scorer.finding_features([], 100)) | set(scorer.text_features("a b c", {})) | set(context_lm.FEATURES)
             | set(article.FEATURES))
    assert set(m.features) <= known
    assert set(context_lm.FEATURES) <= set(m.features)  # the substitution gain is in the shipped model
    assert 0.0 < data["calibration"]["prior"] < 1.0
    assert "Article scorer" in (REPO / "models" / "MODEL_CARD.md").read_text(encoding="utf-8")


def test_score_is_a_probability_and_spun_copies_score_higher():
    from evaluation.wordnet_spinner import WordNetSpinner

    ctx = Context(config=Config(generic=False))
    arts = ds.fixture_articles()[:6]
    sp = WordNetSpinner()
    clean = [analyze(a.document(), ctx).score for a in arts]
    spun = [analyze(ds.spin_article(a, sp, 0.6, 1).document(), ctx).score for a in arts]
    assert all(0.0 <= s <= 1.0 for s in clean + spun)
    assert sum(spun) / len(spun) > sum(clean) / len(clean)
    rep = analyze(arts[0].document(), ctx)
    assert "ctx_gain_mean" in rep.features and "us1_per100" in rep.features


def test_check_path_does_not_import_scikit_learn_or_pocketsphinx():
    code = (
        "import sys\n"
        "from unspin.analysis import analyze_text, Context\n"
        "from unspin.config import Config\n"
        "r = analyze_text('The squeeze secretary said so. ' * 20, context=Context(config=Config(generic=False)))\n"
        "assert 0 <= r.score <= 1\n"
        "print(sorted(m for m in ('sklearn', 'textstat', 'scipy', 'pocketsphinx') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_quick_rebuild_is_deterministic(tmp_path):
    outs = []
    for k in range(2):
        dest = tmp_path / f"scorer{k}.json"
        subprocess.run([sys.executable, str(REPO / "scripts" / "build_scorer.py"), "--quick", "--out", str(dest)],
                       check=True, capture_output=True)
        outs.append(dest.read_bytes())
    assert outs[0] == outs[1]


@pytest.mark.slow
def test_full_rebuild_reproduces_the_shipped_model(tmp_path):
    """scripts/build_scorer.py gives models/scorer.json byte for byte. This fails when the lexicons,
    the generic detector or models/context/ changed without a scorer rebuild -- rebuild it then."""
    dest = tmp_path / "scorer.json"
    subprocess.run([sys.executable, str(REPO / "scripts" / "build_scorer.py"), "--out", str(dest)],
                   check=True, capture_output=True)
    assert dest.read_bytes() == (REPO / "models" / "scorer.json").read_bytes()


def test_substitution_gain_tables_load_when_the_models_are_there():
    """Without them the scorer silently falls back to clean-news means: a changed LM layout in
    models/generic/ must fail here, not degrade the score."""
    from unspin.detect import context_lm
    from unspin.resources import model_path

    if (model_path("generic") / "lm_bi_key.npy").exists():
        assert context_lm.available()


def _build_scorer_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_scorer", REPO / "scripts" / "build_scorer.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_platt_scaling_reads_only_the_calibration_spinners_copies():
    """The slot spinner's copies (every swap a pair of US203's own table) train the regression but not the
    calibration: making them trivially easy leaves Platt's a/b unchanged only if they are left out of it."""
    pytest.importorskip("sklearn")
    import numpy as np

    bs = _build_scorer_module()
    rng = np.random.default_rng(0)
    n = 60
    rows, y, fam, g, rate = [], [], [], [], []
    for k in range(n):
        rows.append(rng.normal(0.0, 1.0, 2)), y.append(0), fam.append(""), g.append(k), rate.append(0.0)
        for sp, shift in (("wordnet-a", 1.0), ("open-thesaurus-a", 1.2), ("thesaurus-A", 2.0)):
            rows.append(rng.normal(shift, 1.0, 2)), y.append(1), fam.append(sp), g.append(k), rate.append(0.1)
    X, y, fam, g, rate = np.array(rows), np.array(y), np.array(fam), np.array(g), np.array(rate)
    w = np.where(y == 1, 1 / 3, 1.0)
    base = bs.fit_scorer(X, y, w, g, fam, rate)
    assert set(fam[base["calibrated"] & (y == 1)]) == set(bs.CALIB_SPINNERS)
    every = bs.fit_scorer(X, y, w, g, fam, rate, calib_spinners=("wordnet-a", "open-thesaurus-a", "thesaurus-A"))
    assert every["calibrated"].sum() > base["calibrated"].sum()
    assert (base["a"], base["b"]) != (every["a"], every["b"])
    again = bs.fit_scorer(X, y, w, g, fam, rate)
    assert (again["a"], again["b"]) == (base["a"], base["b"])  # deterministic
