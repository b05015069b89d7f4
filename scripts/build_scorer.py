"""Build models/scorer.json: the article-level spun score (issue 5).

Training data (all shippable):
  * clean: Wikinews 2019-2020 (../shared/data/news-corpus/wikinews_2019_2020.jsonl, CC BY 2.5,
    "Wikinews contributors, en.wikinews.org");
  * spun: the same articles spun by a MIXTURE of training spinners that draw on headword half A of the
    thesauri only (``training_spinners``: WordNet synonyms and MyThes + Moby via
    evaluation/open_thesaurus_spinner.py, and the project's slot spinner evaluation/slot_spinner.py), each
    at COPIES rates drawn from RATES (3-30% of content words), the copies of an article sharing the weight
    of one article so the classes weigh the same.
Only the Wikinews TRAIN split (``sha1(id)[0] % 3 != 0``) is used: the DEV split, the project's fixture
articles, the hand-written thesaurus spinner, the half-B open-thesaurus spinner and Reuters are the
held-out evaluation (``unspin eval --suite score``, ``scripts/eval_article.py``).

Features are those of ``unspin.detect.scorer`` computed on the real pipeline's findings (lexicon and,
when it can run, the generic detector) plus the substitution gain of ``unspin.detect.context_lm`` and
the soft slot evidence summed over the article (``unspin.detect.article.slot_features``).
US203's slot judge is trained on the same Wikinews TRAIN articles (scripts/build_slots.py), so its
evidence is CROSS-FITTED here (``crossfit_slot_weights``): each article is analysed with a US203 combiner
refitted without it (``--crossfit 5``), so the scorer learns how much to trust US203 on text it has not seen.
Model: standardise -> logistic regression (scikit-learn, C=1); calibration: Platt scaling fitted on
out-of-fold decisions (5 folds grouped by article) of the clean articles and the copies of
``CALIB_SPINNERS`` (not the slot spinner: its swaps are pairs of US203's own table), then shifted from
the 50/50 training balance to the documented prior ``PRIOR`` (share of spun articles among those checked).
Output is JSON only (no pickles), written with sorted keys and rounded floats, so a rebuild from the same
inputs reproduces the file byte for byte.

    .venv/bin/python scripts/build_scorer.py [--out models/scorer.json] [--quick] [--text-features] [--no-slots]
        [--crossfit 5] [--slot-rows CACHE.npz] [--dump TRAIN.json]
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

RATES = (0.03, 0.05, 0.1, 0.15, 0.2, 0.3)
COPIES = 2  # copies per article and training spinner
CROSSFIT = 5
SEED = 20260521
REFERENCE_WORDS = 60000
C = 1.0
CALIB_MIN_RATE = 0.0  # Platt is fitted on the clean articles and the copies at >= this rate ...
CALIB_SPINNERS = ("wordnet-a", "open-thesaurus-a")  # ... of these training spinners (see fit_scorer)
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


def training_spinners() -> list:
    """The training spinners, each of headword half A only (half B, the hand-written thesaurus spinner and
    the lexicon-reverse spinner are the evaluation's): WordNet synonyms, the open thesauri (MyThes +
    Moby) and the project's own slot spinner (the reverse-thesaurus table of US203, read forwards)."""
    from evaluation.slot_spinner import SlotSpinner

    return [OpenThesaurusSpinner("A", sources=("wordnet",)), OpenThesaurusSpinner("A"), SlotSpinner("A")]


def crossfit_slot_weights(articles: list, folds: int, rows_cache: Path | None) -> dict[str, dict]:
    """{article id: US203 combiner weights fitted WITHOUT that article}, for the training features.

    US203 (``scripts/build_slots.py``) is trained on this same Wikinews TRAIN split (clean, and spun by
    half-A spinners): on these articles its ``p_spun`` is in-sample, quieter on the clean text than on
    any unseen article (clean slots at p >= 0.9 per 100 words: 0.007 here, 0.022 on Wikinews DEV), so a
    scorer trained on them learns to trust US203 too much and overstates the score of unseen clean text.
    Cross-fitting removes that: the training articles are split in ``folds``; each fold's articles are
    analysed with a combiner refitted (as build_slots.py fits the shipped one: the same samples, trees
    and settings) on the slot rows of every OTHER article; the shipped combiner's threshold and settings
    are kept. At check time the shipped combiner meets unseen text, as these folds did."""
    import numpy as np
    from build_slots import _collect_cached
    from build_spinmap import export_trees
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import KFold

    from evaluation.datasets import fixture_articles
    from evaluation.slot_spinner import SlotSpinner
    from evaluation.slots import phrase_samples, wikinews_part_articles
    from unspin.detect import slots as sl

    sm = sl.load_slot_model()
    shipped = sm.weights
    # build_slots.py's defaults (the shipped combiner: --seeds 3 --open-spinner --trees 150 --depth 5 --lr 0.1)
    arts = wikinews_part_articles("train", 500) + fixture_articles()
    seeds, slot_a, open_a = 3, SlotSpinner("A"), OpenThesaurusSpinner("A")
    copies = [(slot_a, rate, seed + 2 * k) for k in range(seeds) for rate, seed in ((0.1, 1), (0.2, 2))]
    copies += [(open_a, rate, seed) for rate, seed in ((0.1, 1), (0.2, 2))]
    samples = [ds.clean_sample(a) for a in arts]
    weight = [1.0] * len(samples)
    for sp, rate, seed in copies:
        samples += [ds.spin_article(a, sp, rate, seed) for a in arts]
        weight += [1.0 / (seeds + 1)] * len(arts)
    p_spun, p_clean = phrase_samples("train")
    samples += p_spun + p_clean
    weight += [1.0] * (len(p_spun) + len(p_clean))
    sm.weights = {"prune_own": shipped["prune_own"], "max_cand": shipped["max_cand"]}  # features only
    sm._trees = None
    try:
        rows = _collect_cached(samples, rows_cache)
    finally:
        sm.weights = shipped
        sm._trees = None
    names = list(shipped["features"])
    ex = rows.cols["expanded"] > 0
    X = np.stack([rows.cols[n] for n in names], axis=1)
    sw = np.asarray(weight)[rows.sample]
    owner = np.array([s.id if s.corpus == "wikinews" else "" for s in samples])[rows.sample]
    ids = [a.id for a in articles]
    out: dict[str, dict] = {}
    for k, (_tr, te) in enumerate(KFold(n_splits=folds).split(ids)):
        held = [ids[i] for i in te]
        keep = ex & ~np.isin(owner, held)
        clf = HistGradientBoostingClassifier(max_depth=5, max_iter=150, learning_rate=0.1, random_state=0)
        clf.fit(X[keep], rows.y[keep], sample_weight=sw[keep])
        w = export_trees(clf, names) | {key: shipped[key] for key in ("prune_own", "max_cand", "p_unexpanded",
                                                                        "threshold") if key in shipped}
        out |= dict.fromkeys(held, w)
        print(f"  US203 fold {k + 1}/{folds}: {int(keep.sum())} slot rows", file=sys.stderr)
    return out


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


def fit_scorer(X, y, w, groups, fam, rate, c: float = C, folds: int = 5, calib_min_rate: float | None = None,
               calib_spinners: tuple[str, ...] | None = None) -> dict:
    """Standardise (centred on the clean articles) -> logistic regression (``c``) -> Platt scaling on
    out-of-fold decisions (``folds`` folds grouped by article) of the clean articles and of the copies
    of ``CALIB_SPINNERS`` at >= ``CALIB_MIN_RATE`` of content words. The project's own slot spinner
    (``thesaurus-A``) trains the ranking but not the calibration: every swap it makes is a pair of US203's
    own candidate table, so its copies are easier to tell than any other spinner's (even with US203
    cross-fitted) and would make the score understate the evidence of other spinners."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    mean = X[y == 0].mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    Z = (X - mean) / scale

    def fit(m):
        return LogisticRegression(C=c, max_iter=5000).fit(Z[m], y[m], sample_weight=w[m])

    oof = np.zeros(len(y))
    for tr, te in GroupKFold(n_splits=folds).split(Z, y, groups):
        mtr = np.zeros(len(y), dtype=bool)
        mtr[tr] = True
        oof[te] = fit(mtr).decision_function(Z[te])
    calib_min_rate = CALIB_MIN_RATE if calib_min_rate is None else calib_min_rate
    calib_spinners = CALIB_SPINNERS if calib_spinners is None else calib_spinners
    cal = (y == 0) | ((rate >= calib_min_rate) & np.isin(fam, list(calib_spinners)))
    platt = LogisticRegression(C=1e6, max_iter=5000).fit(oof[cal].reshape(-1, 1), y[cal], sample_weight=w[cal])
    final = fit(np.ones(len(y), dtype=bool))
    return {"mean": mean, "scale": scale, "coef": final.coef_[0], "intercept": float(final.intercept_[0]),
            "a": float(platt.coef_[0][0]), "b": float(platt.intercept_[0]), "C": c, "oof": oof, "calibrated": cal}


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
    ap.add_argument("--C", type=float, default=C, help=f"logistic regression's regularisation (default {C:g})")
    ap.add_argument("--copies", type=int, default=COPIES,
                    help=f"spun copies per article and training spinner (default {COPIES})")
    ap.add_argument("--crossfit", type=int, default=None,
                    help=f"US203 refitted without each fold of the training articles (default {CROSSFIT}, "
                         "with --quick 0; 0: off, the shipped US203 on every article)")
    ap.add_argument("--slot-rows", type=Path, help="cache of US203's training slot rows (npz; development)")
    args = ap.parse_args()
    features = FEATURES + (() if args.no_slots else tuple(SLOT_FEATURES)) + (
        STYLE_FEATURES if args.text_features else ())

    import numpy as np
    from sklearn.metrics import brier_score_loss, roc_auc_score

    words, zipf, floor = reference_frequencies()
    ref = {"": floor} | {w: z / 10.0 for w, z in zip(words, zipf, strict=True)}
    status = generic_status()
    generic = status is None
    print(f"generic detector: {'on' if generic else 'off (' + status + ')'}", file=sys.stderr)
    ctx = Context(config=Config(generic=generic))

    articles = [a for a in ds.wikinews_articles() if wikinews_train(a.id)]
    if args.quick:
        articles = articles[:60]
    spinners = training_spinners()
    copies = args.copies
    crossfit = args.crossfit if args.crossfit is not None else (0 if args.quick else CROSSFIT)
    fold_weights = crossfit_slot_weights(articles, crossfit, args.slot_rows) if crossfit else {}
    from unspin.detect.slots import load_slot_model

    slot_model = load_slot_model()
    shipped_slots = slot_model.weights
    rng = random.Random(SEED)
    X, y, w, groups, dump = [], [], [], [], []
    meta_: list[tuple[str, float]] = []
    slot_log: list = []
    if args.dump:
        from evaluation.slot_capture import capture

        recorder = capture()
        slot_log = recorder.__enter__()
    for g, art in enumerate(articles):
        if fold_weights:  # this article's features from a US203 that never saw it
            slot_model.weights = fold_weights[art.id]
            slot_model._trees = None
        samples = [(ds.clean_sample(art), 1.0)]
        # every training spinner spins the article at ``copies`` of the RATES (drawn per spinner); the
        # copies share the weight of one article, so the classes weigh the same
        for sp in spinners:
            for rate in sorted(rng.sample(RATES, copies)):
                samples.append((ds.spin_article(art, sp, rate, SEED), 1.0 / (copies * len(spinners))))
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
                dump.append({"f": feats, "y": int(s.spun), "w": weight, "g": g, "rate": s.rate, "sp": s.spinner,
                             "text": prose,
                             "slots": slot_log[-1] if len(slot_log) > n_seen else [],
                             "subs": [[x.start, x.end] for x in s.substitutions]})
            y.append(1 if s.spun else 0)
            meta_.append((s.spinner, s.rate))
            w.append(weight)
            groups.append(g)
        if (g + 1) % 50 == 0:
            print(f"  {g + 1}/{len(articles)} articles", file=sys.stderr)
    slot_model.weights = shipped_slots
    slot_model._trees = None
    if args.dump:
        args.dump.write_text(json.dumps(dump), encoding="utf-8")
    X, y, w, groups = np.array(X), np.array(y), np.array(w), np.array(groups)
    fams, rates_ = [sp_ for sp_, _r in meta_], [r_ for _s, r_ in meta_]

    # centred on the CLEAN training articles: a feature the analysis could not work out (the slot features
    # without the list-free detectors) takes this value at run time (scorer.ScorerModel.decision), i.e. reads
    # as "no evidence"; the logistic regression's (unpenalised) intercept absorbs the centre
    fam = np.array(fams)
    rates = np.array(rates_)
    fitted = fit_scorer(X, y, w, groups, fam, rates, c=args.C)
    mean, scale, final_coef, final_intercept = fitted["mean"], fitted["scale"], fitted["coef"], fitted["intercept"]
    a, b, c_used = fitted["a"], fitted["b"], fitted["C"]
    oof, cal = fitted["oof"], fitted["calibrated"]
    p_oof = 1.0 / (1.0 + np.exp(-(a * oof + b)))
    # training classes weigh 50/50; move the calibrated odds to the documented prior
    shift = float(np.log(PRIOR / (1.0 - PRIOR)))

    data_hash = hashlib.sha256(json.dumps([a_.id for a_ in articles]).encode()).hexdigest()[:16]
    model = {
        "schema": 1,
        "features": list(features),
        "scaler": {"mean": [rnd(v) for v in mean], "scale": [rnd(v) for v in scale]},
        "logistic": {"coef": [rnd(v) for v in final_coef], "intercept": rnd(final_intercept), "C": c_used},
        "calibration": {"method": "platt (out-of-fold, 5 folds grouped by article; the clean articles and the "
                                  f"copies of {', '.join(CALIB_SPINNERS)})", "a": rnd(a), "b": rnd(b),
                        "prior": PRIOR, "prior_shift": rnd(shift)},
        "meta": {
            "built": "scripts/build_scorer.py" + (" --quick" if args.quick else "")
                     + (f" --copies {copies}" if copies != COPIES else "")
                     + (f" --crossfit {crossfit}" if args.crossfit is not None else "")
                     + (f" --C {args.C:g}" if args.C != C else ""),
            "training": f"{len(articles)} Wikinews TRAIN-split articles (CC BY 2.5, Wikinews contributors, "
                        f"en.wikinews.org) clean + {copies} spun copies per training spinner each (rates drawn "
                        f"from {', '.join(map(str, RATES))}; spinners {', '.join(sp.name for sp in spinners)}: "
                        f"thesaurus headword half A only)",
            "us203_crossfit": (f"{crossfit} folds: each training article's slot features from a US203 combiner "
                               "refitted without it (build_slots.py's samples and settings)") if crossfit else "off",
            "generic_detector": "on" if generic else "off",
            "articles_sha256_16": data_hash,
            "seed": SEED,
            "context_synonyms_sha256_16": _sha_all(ROOT / "models" / "context" / f for f in CONTEXT_TABLES),
            "oof_auc": rnd(float(roc_auc_score(y, oof, sample_weight=w)), 4),
            "oof_auc_calibrated_rates": rnd(float(roc_auc_score(y[cal], oof[cal], sample_weight=w[cal])), 4),
            "oof_brier": rnd(float(brier_score_loss(y[cal], p_oof[cal], sample_weight=w[cal])), 4),
            "oof_brier_at_prior": rnd(float(brier_score_loss(
                y[cal], 1.0 / (1.0 + np.exp(-(a * oof[cal] + b + shift))),
                sample_weight=w[cal] * np.where(y[cal] == 1, PRIOR / w[cal & (y == 1)].sum(),
                                                (1 - PRIOR) / w[cal & (y == 0)].sum()))), 4),
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
