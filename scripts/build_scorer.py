"""Build models/scorer.json: the article-level spun score (issue 5).

Training data (all shippable):
  * clean: Wikinews 2019-2020 (../shared/data/news-corpus/wikinews_2019_2020.jsonl, CC BY 2.5,
    "Wikinews contributors, en.wikinews.org");
  * spun: the same articles spun by TRAINING spinners that draw on headword half A of the open
    thesauri only (evaluation/open_thesaurus_spinner.py: WordNet synonyms, and MyThes + Moby) at rates
    from 5% to 45%, COPIES copies per article, each weighted 1/COPIES so the classes weigh the same.
Only the Wikinews TRAIN split (``sha1(id)[0] % 3 != 0``) is used: the DEV split, the project's fixture
articles, the hand-written thesaurus spinner, the half-B open-thesaurus spinner and Reuters are the
held-out evaluation (``unspin eval --suite score``, ``scripts/eval_article.py``).

Features are those of ``unspin.detect.scorer`` computed on the real pipeline's findings (lexicon and,
when it can run, the generic detector) plus the substitution gain of ``unspin.detect.context_lm`` and
the soft slot evidence summed over the article (``unspin.detect.article.slot_features``).
Model: standardise -> logistic regression (scikit-learn); calibration: Platt scaling fitted on
out-of-fold decisions (5 folds grouped by article), then shifted from the 50/50 training balance to
the documented prior ``PRIOR`` (share of spun articles among those checked). Output is JSON only (no
pickles), written with sorted keys and rounded floats, so a rebuild from the same inputs reproduces
the file byte for byte.

    .venv/bin/python scripts/build_scorer.py [--out models/scorer.json] [--quick] [--text-features] [--no-slots]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # the evaluation/ package

from evaluation import datasets as ds  # noqa: E402
from evaluation.detection import generic_status  # noqa: E402
from evaluation.open_thesaurus_spinner import OpenThesaurusSpinner  # noqa: E402
from unspin.analysis import Context, analyze  # noqa: E402
from unspin.config import Config  # noqa: E402
from unspin.detect.article import FEATURES as SLOT_FEATURES  # noqa: E402
from unspin.detect.context_lm import FEATURES as CONTEXT_FEATURES  # noqa: E402
from unspin.detect.context_lm import TABLE_FILES as CONTEXT_TABLES  # noqa: E402
from unspin.detect.scorer import finding_features, text_features  # noqa: E402

RATES = (0.05, 0.1, 0.15, 0.2, 0.3, 0.45)
COPIES = 3
SEED = 20260521
REFERENCE_WORDS = 60000
C = 1.0
PRIOR = 0.1  # share of spun articles among those checked that the calibrated score assumes

# ``repeated_odd_per100`` is computed and reported but not a model input: the WordNet training spinner
# draws a fresh synonym each time, so in training a repeated odd phrase is more often a clean-text
# false flag on a recurring domain word than a substitution, and the model learns a NEGATIVE weight
# for it -- the opposite of what a real spinner with a fixed thesaurus (same swap every time) shows.
FINDING_FEATURES = ("us1_per100", "us2_per100", "us2_weighted_per100", "us2_max_confidence")
STYLE_FEATURES = (
    "content_zipf_mean", "rare_word_frac", "very_rare_word_frac", "zipf_3_4_frac",
    "zipf_4_5_frac", "content_mattr", "word_length",
    "long_word_frac", "words_per_sentence", "flesch_reading_ease", "function_word_frac", "the_frac",
)
FEATURES = FINDING_FEATURES + tuple(CONTEXT_FEATURES)


def wikinews_train(article_id: str) -> bool:
    """The Wikinews TRAIN split of scripts/build_generic_data.py (DEV: sha1(id)[0] % 3 == 0)."""
    return hashlib.sha1(article_id.encode()).digest()[0] % 3 != 0


def reference_frequencies() -> tuple[list[str], list[int], float]:
    """Top English words with Zipf frequency x10 (wordfreq, build time only)."""
    import wordfreq

    words, zipf = [], []
    for w in wordfreq.top_n_list("en", REFERENCE_WORDS * 2):
        if not w.isalpha() or not w.islower() or not w.isascii():
            continue
        words.append(w)
        zipf.append(int(round(10 * wordfreq.zipf_frequency(w, "en"))))
        if len(words) >= REFERENCE_WORDS:
            break
    floor = max(0.0, min(zipf) / 10.0 - 0.5)
    return words, zipf, floor


def rnd(x: float, nd: int = 8) -> float:
    return float(f"{x:.{nd}g}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "models" / "scorer.json")
    ap.add_argument("--quick", action="store_true", help="60 articles only (development)")
    ap.add_argument("--text-features", action="store_true",
                    help="also use the text-style features (word rarity, readability; ablation)")
    ap.add_argument("--dump", type=Path, help="also write every sample's features here (JSON; development)")
    ap.add_argument("--no-slots", action="store_true", help="leave out the slot features (ablation)")
    ap.add_argument("--copies", type=int, default=COPIES, help=f"spun copies per article (default {COPIES})")
    args = ap.parse_args()
    features = FEATURES + (() if args.no_slots else tuple(SLOT_FEATURES)) + (
        STYLE_FEATURES if args.text_features else ())

    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import brier_score_loss, roc_auc_score
    from sklearn.model_selection import GroupKFold

    words, zipf, floor = reference_frequencies()
    ref = {"": floor} | {w: z / 10.0 for w, z in zip(words, zipf, strict=True)}
    status = generic_status()
    generic = status is None
    print(f"generic detector: {'on' if generic else 'off (' + status + ')'}", file=sys.stderr)
    ctx = Context(config=Config(generic=generic))

    articles = [a for a in ds.wikinews_articles() if wikinews_train(a.id)]
    if args.quick:
        articles = articles[:60]
    spinners = [OpenThesaurusSpinner("A", sources=("wordnet",)), OpenThesaurusSpinner("A")]
    copies = args.copies
    rng = random.Random(SEED)
    X, y, w, groups, dump = [], [], [], [], []
    slot_log: list = []
    if args.dump:
        from evaluation.slot_capture import capture

        recorder = capture()
        slot_log = recorder.__enter__()
    for g, art in enumerate(articles):
        samples = [(ds.clean_sample(art), 1.0)]
        for k, rate in enumerate(rng.sample(RATES, copies)):
            samples.append((ds.spin_article(art, spinners[(g + k) % len(spinners)], rate, SEED), 1.0 / copies))
        for s, weight in samples:
            n_seen = len(slot_log)
            rep = analyze(s.document(), ctx)
            prose = rep.document.prose()
            feats = finding_features(list(rep.findings), rep.words)
            # the substitution gain and slot features exactly as analyze() computed them
            feats.update({k: rep.features[k] for k in CONTEXT_FEATURES})
            feats.update({k: rep.features[k] for k in SLOT_FEATURES if k in rep.features})
            if args.text_features or args.dump:
                feats.update(text_features(prose, ref))
            X.append([feats[f] for f in features])
            if args.dump:
                fs = list(rep.findings)
                feats |= {"words": rep.words, "n_us1": sum(1 for x in fs if x.rule.startswith("US1")),
                          "n_us2": sum(1 for x in fs if x.rule.startswith("US2")),
                          "w_us2": sum(x.confidence for x in fs if x.rule.startswith("US2"))}
                dump.append({"f": feats, "y": int(s.spun), "w": weight, "g": g, "rate": s.rate, "text": prose,
                             "slots": slot_log[-1] if len(slot_log) > n_seen else [],
                             "subs": [[x.start, x.end] for x in s.substitutions]})
            y.append(1 if s.spun else 0)
            w.append(weight)
            groups.append(g)
        if (g + 1) % 50 == 0:
            print(f"  {g + 1}/{len(articles)} articles", file=sys.stderr)
    if args.dump:
        args.dump.write_text(json.dumps(dump), encoding="utf-8")
    X, y, w, groups = np.array(X), np.array(y), np.array(w), np.array(groups)

    # centred on the CLEAN training articles: a feature the analysis could not work out (the slot features
    # without the list-free detectors) takes this value at run time (scorer.ScorerModel.decision), i.e. reads
    # as "no evidence"; the logistic regression's (unpenalised) intercept absorbs the centre
    mean = X[y == 0].mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    Z = (X - mean) / scale

    def fit(Zt, yt, wt):
        return LogisticRegression(C=C, max_iter=5000).fit(Zt, yt, sample_weight=wt)

    oof = np.zeros(len(y))
    for tr, te in GroupKFold(n_splits=5).split(Z, y, groups):
        oof[te] = fit(Z[tr], y[tr], w[tr]).decision_function(Z[te])
    platt = LogisticRegression(C=1e6, max_iter=5000).fit(oof.reshape(-1, 1), y, sample_weight=w)
    a, b = float(platt.coef_[0][0]), float(platt.intercept_[0])
    p_oof = 1.0 / (1.0 + np.exp(-(a * oof + b)))
    final = fit(Z, y, w)
    # training classes weigh 50/50; move the calibrated odds to the documented prior
    shift = float(np.log(PRIOR / (1.0 - PRIOR)))

    data_hash = hashlib.sha256(json.dumps([a_.id for a_ in articles]).encode()).hexdigest()[:16]
    model = {
        "schema": 1,
        "features": list(features),
        "scaler": {"mean": [rnd(v) for v in mean], "scale": [rnd(v) for v in scale]},
        "logistic": {"coef": [rnd(v) for v in final.coef_[0]], "intercept": rnd(final.intercept_[0]), "C": C},
        "calibration": {"method": "platt (out-of-fold, 5 folds grouped by article)", "a": rnd(a), "b": rnd(b),
                        "prior": PRIOR, "prior_shift": rnd(shift)},
        "meta": {
            "built": "scripts/build_scorer.py" + (" --quick" if args.quick else "")
                     + (f" --copies {copies}" if copies != COPIES else ""),
            "training": f"{len(articles)} Wikinews TRAIN-split articles (CC BY 2.5, Wikinews contributors, "
                        f"en.wikinews.org) clean + {copies} spun copies each (rates {', '.join(map(str, RATES))}; "
                        f"spinners {', '.join(sp.name for sp in spinners)}: thesaurus headword half A only)",
            "generic_detector": "on" if generic else "off",
            "articles_sha256_16": data_hash,
            "seed": SEED,
            "context_synonyms_sha256_16": _sha_all(ROOT / "models" / "context" / f for f in CONTEXT_TABLES),
            "oof_auc": rnd(float(roc_auc_score(y, oof, sample_weight=w)), 4),
            "oof_brier": rnd(float(brier_score_loss(y, p_oof, sample_weight=w)), 4),
            "oof_brier_at_prior": rnd(float(brier_score_loss(y, 1.0 / (1.0 + np.exp(-(a * oof + b + shift))),
                                                              sample_weight=w * np.where(y == 1, 2 * PRIOR,
                                                                                         2 * (1 - PRIOR)))), 4),
            "n_clean": int((y == 0).sum()), "n_spun": int((y == 1).sum()),
        },
    }
    if args.text_features:
        model["reference"] = {"source": "wordfreq (Robyn Speer et al.) English Zipf frequencies, CC BY-SA 4.0 data",
                              "floor": rnd(floor), "words": " ".join(words), "zipf_x10": zipf}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(model, sort_keys=True, separators=(",", ":")) + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}: out-of-fold AUC {model['meta']['oof_auc']}, Brier {model['meta']['oof_brier']}; "
          f"weights {dict(zip(features, model['logistic']['coef'], strict=True))}", file=sys.stderr)


def _sha_all(paths) -> str:
    h = hashlib.sha256()
    for path in paths:
        if not path.exists():
            return "missing"
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


if __name__ == "__main__":
    main()
