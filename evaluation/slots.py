"""Evaluation of the slot detector (US203, ``detect/slots.py``): each feature alone and the combiner.

    python -m evaluation.slots [--docs 150] [--reuters 150] [--json PATH]

Data (nothing here feeds the shipped model, except that ``scripts/build_slots.py`` imports the
helpers below for its own TRAINING split):

* clean, held out: the Wikinews "dev" third (sha1(id)[0] % 3 == 0, as in build_generic_data.py)
  whose sha1(id)[1] is odd (the even half calibrates the shipped threshold), and a seeded sample of
  Reuters-21578 (research use: evaluation only);
* spun: the same clean texts spun at 10% of content words by our spinner's half "B" (headwords the
  training spinner, half "A", never used; ``slot_spinner.py``) and by the hand-written thesaurus
  spinner (``thesaurus_spinner.py``, independent of the tables);
* unseen screener phrases: the TEST split of the screener half in template sentences, with their
  canonical twins (``datasets.unseen_phrase_set``).

For each score (a feature alone, oriented the way it separates better, or the combiner's p_spun) the
threshold is set where the held-out clean news gets a given number of false flags per 1,000 words;
a spun span is found when a flagged slot overlaps it, and its suggestion is right when that slot's
best candidate is the original word (screener: one of the canonical phrase's words).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from dataclasses import dataclass
from typing import Any

from .datasets import Article, Sample, clean_sample, spin_article, wikinews_articles

BUDGETS = (0.5, 1.0, 2.0, 5.0, 10.0)


def wikinews_part(article_id: str) -> str:
    """"train" (2/3, may feed the shipped model), "cal" (threshold) or "test" (held out)."""
    d = hashlib.sha1(article_id.encode()).digest()
    if d[0] % 3:
        return "train"
    return "cal" if d[1] % 2 == 0 else "test"


def wikinews_part_articles(part: str, limit: int | None = None, seed: int = 0) -> list[Article]:
    arts = [a for a in wikinews_articles() if wikinews_part(a.id) == part]
    if limit is not None and limit < len(arts):
        arts = sorted(random.Random(seed).sample(arts, limit), key=lambda a: a.id)
    return arts


def phrase_samples(split: str, per_doc: int = 12, limit: int | None = None, seed: int = 0
                   ) -> tuple[list[Sample], list[Sample]]:
    """Screener rows of one split in template sentences (spun, clean twins); "test" is
    ``datasets.unseen_phrase_set``; "train" is built the same way from the TRAIN split."""
    from .datasets import unseen_phrase_set

    if split == "test":
        ps = unseen_phrase_set(limit=limit, seed=seed, per_doc=per_doc)
        return ps.spun, ps.clean
    from .datasets import pps_split, read_pps_half, template_samples

    rows = [r for r in read_pps_half() if pps_split(r["canonical_phrase"]) == "train"
            and not (r.get("pps_query") or "").strip()]
    rows.sort(key=lambda r: (r["canonical_phrase"].lower(), r["tortured_phrase"].lower()))
    if limit is not None and limit < len(rows):
        rows = random.Random(seed).sample(rows, limit)
    return template_samples(rows, "train", per_doc)


@dataclass
class Rows:
    """The slots of a set of samples as feature columns, with labels."""

    cols: dict[str, Any]
    y: Any  # slot overlaps a substitution (and, for phrases, is not a canonical word)
    right: Any  # the slot's best candidate restores the original
    sample: Any  # index of the sample
    span: Any  # index of the substitution in the sample (-1: none)
    words: int  # words of the samples (MatchStream.word_count)
    spans: int  # substitutions in the samples


def collect(samples: list[Sample]) -> Rows:
    """Slot columns of every sample (``detect.slots.slot_columns``), labelled by the substitutions."""
    import numpy as np

    from unspin.detect.slots import slot_columns
    from unspin.text import MatchStream

    parts: list[dict[str, Any]] = []
    ys, rights, sidx, spidx = [], [], [], []
    words = spans = 0
    for i, s in enumerate(samples):
        doc = s.document()
        stream = MatchStream(doc.text, doc.segments)
        words += stream.word_count
        spans += len(s.substitutions)
        res = slot_columns(doc, stream)
        if res is None:
            continue
        parts.append(res["cols"])
        subs = sorted(s.substitutions, key=lambda x: x.start)
        starts = [x.start for x in subs]
        from bisect import bisect_right

        words_, bests = res.words, res.best
        for k, (a, b) in enumerate(zip(res.start, res.end, strict=True)):
            j = bisect_right(starts, a) - 1
            hit = j >= 0 and a < subs[j].end and b > subs[j].start
            if not hit and j + 1 < len(subs) and b > subs[j + 1].start:
                j, hit = j + 1, True
            y = right = False
            if hit:
                sub = subs[j]
                orig = sub.original.lower().split()
                word = words_[k]
                best = bests[k]
                y = word not in orig
                right = best is not None and (best in orig)
            ys.append(y)
            rights.append(right and y)
            sidx.append(i)
            spidx.append(j if hit else -1)
    names = list(parts[0]) if parts else []
    cols = {n: np.concatenate([p[n] for p in parts]) if parts else np.zeros(0) for n in names}
    return Rows(cols, np.array(ys, dtype=bool), np.array(rights, dtype=bool), np.array(sidx),
                np.array(spidx), words, spans)


def threshold_at(clean_scores, words: int, per_1k: float) -> float:
    """The lowest threshold (flag: score > t) that keeps clean flags at most per_1k per 1,000 words."""
    import numpy as np

    allowed = int(per_1k * words / 1000.0)
    s = np.sort(np.asarray(clean_scores, dtype=np.float64))[::-1]
    if allowed >= len(s):
        return -np.inf
    return float(s[allowed])


def span_metrics(rows: Rows, scores, thr: float) -> dict[str, float]:
    """Span recall and first-suggestion-right rate of the slots scoring above thr."""
    import numpy as np

    flag = (np.asarray(scores) > thr) & (rows.span >= 0)
    found = set(zip(rows.sample[flag].tolist(), rows.span[flag].tolist(), strict=True))
    right_rows = flag & rows.right
    right = set(zip(rows.sample[right_rows].tolist(), rows.span[right_rows].tolist(), strict=True))
    n = max(rows.spans, 1)
    return {"recall": len(found) / n, "right": len(right) / n}


def auc(pos, neg) -> float:
    import numpy as np

    pos, neg = np.asarray(pos, dtype=np.float64), np.asarray(neg, dtype=np.float64)
    if not len(pos) or not len(neg):
        return float("nan")
    allv = np.concatenate((pos, neg))
    order = allv.argsort(kind="mergesort")
    ranks = np.empty(len(allv))
    ranks[order] = np.arange(1, len(allv) + 1)
    # average ranks of ties
    _, inv, cnt = np.unique(allv, return_inverse=True, return_counts=True)
    sums = np.bincount(inv, weights=ranks)
    ranks = (sums / cnt)[inv]
    return float((ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def scores_of(rows: Rows, model) -> dict[str, Any]:
    """The combiner's p_spun and every feature alone, by name."""
    import numpy as np

    out = {}
    if model.trained:
        p = np.full(len(rows.y), float(model.weights.get("p_unexpanded", 0.0)))
        ex = rows.cols["expanded"] > 0
        p[ex] = 1.0 / (1.0 + np.exp(-model.log_odds({k: v[ex] for k, v in rows.cols.items()})))
        out["combined (p_spun)"] = p
    out.update(rows.cols)
    return out


def pipeline_metrics(samples: list[Sample], clean: list[Sample], select: tuple[str, ...]) -> dict[str, float]:
    """Span recall, first suggestion right and clean false flags per 1k words of the shipped rules
    ``select`` run through ``analyze_many`` (the baseline and the union with US203)."""
    from unspin.analysis import Context, analyze_many
    from unspin.config import Config

    ctx = Context(config=Config(generic=True, select=select))
    found = right = spans = 0
    for s, rep in zip(samples, analyze_many([x.document() for x in samples], ctx), strict=True):
        fs = [f for f in rep.findings if f.rule.startswith(select)]
        for sub in s.substitutions:
            spans += 1
            hit = [f for f in fs if f.start < sub.end and f.end > sub.start]
            if hit:
                found += 1
                orig = sub.original.lower().split()
                sug = hit[0].suggestions[0].text.lower() if hit[0].suggestions else ""
                right += bool(sug) and (sug in orig or sug == sub.original.lower())
    flags = words = 0
    for rep in analyze_many([x.document() for x in clean], ctx):
        flags += sum(1 for f in rep.findings if f.rule.startswith(select))
        words += rep.words
    return {"recall": found / max(spans, 1), "right": right / max(spans, 1),
            "clean_per_1k": 1000.0 * flags / max(words, 1)}


def evaluate(n_docs: int = 150, n_reuters: int = 150, rate: float = 0.1, seed: int = 0, pipeline: bool = True,
             log=lambda s: print(s, file=sys.stderr), phrases: int | None = None) -> dict[str, Any]:
    import numpy as np

    from unspin.detect.slots import load_slot_model

    from .datasets import reuters_articles, spinners
    from .slot_spinner import SlotSpinner

    model = load_slot_model()
    arts = wikinews_part_articles("test", n_docs, seed) + reuters_articles(n_reuters, seed)
    log(f"{len(arts)} held-out clean articles")
    clean = collect([clean_sample(a) for a in arts])
    clean_samples = [clean_sample(a) for a in arts]
    spun = {
        "thesaurus-B 10% (our spinner, unseen half)": [spin_article(a, SlotSpinner("B"), rate, seed) for a in arts],
        "thesaurus (hand-written, held out) 10%": [
            spin_article(a, spinners(("thesaurus",))["thesaurus"], rate, seed) for a in arts],
    }
    p_spun, p_clean = phrase_samples("test", limit=phrases, seed=seed)
    spun["unseen screener phrases (TEST split)"] = p_spun
    sets = {name: collect(samples) for name, samples in spun.items()}
    twins = collect(p_clean)
    log("slots collected")
    result: dict[str, Any] = {"clean_words": clean.words, "clean_docs": len(arts), "sets": {}, "pipeline": {}}
    if pipeline:
        for name, samples in spun.items():
            cl = p_clean if name.startswith("unseen") else clean_samples
            result["pipeline"][name] = {
                label: pipeline_metrics(samples, cl, sel) for label, sel in (
                    ("US201+US202", ("US201", "US202")), ("US203 alone", ("US203",)),
                    ("US201+US202+US203", ("US201", "US202", "US203")))}
        log("pipeline measured")
    shipped_thr = model.weights.get("threshold")
    for name, rows in sets.items():
        table = {}
        s_all = scores_of(rows, model)
        c_all = scores_of(clean, model)
        for feat, s in s_all.items():
            c = c_all[feat]
            a = auc(np.asarray(s)[rows.y], np.asarray(s)[~rows.y])
            sign = 1.0 if (np.isnan(a) or a >= 0.5) else -1.0
            entry = {"auc_slot": max(a, 1 - a) if not np.isnan(a) else a, "sign": sign, "curve": {}}
            for b in BUDGETS:
                t = threshold_at(sign * np.asarray(c), clean.words, b)
                entry["curve"][str(b)] = span_metrics(rows, sign * np.asarray(s), t)
            table[feat] = entry
        shipped = None
        if shipped_thr is not None and model.trained:
            ps = s_all["combined (p_spun)"]
            pc = c_all["combined (p_spun)"]
            shipped = dict(span_metrics(rows, ps, shipped_thr - 1e-12),
                           clean_per_1k=1000.0 * float((pc >= shipped_thr).sum()) / max(clean.words, 1))
            if name.startswith("unseen"):
                pt = scores_of(twins, model)["combined (p_spun)"]
                shipped["twins_per_1k"] = 1000.0 * float((pt >= shipped_thr).sum()) / max(twins.words, 1)
        result["sets"][name] = {"spans": rows.spans, "slots": int(len(rows.y)), "positives": int(rows.y.sum()),
                                "features": table, "shipped_threshold": shipped}
    return result


def render(res: dict[str, Any]) -> str:
    lines = [f"held-out clean: {res['clean_docs']} articles, {res['clean_words']} words", ""]
    if res.get("pipeline"):
        lines += ["## Hard flags of the shipped rules (analyze_many, each rule at its own threshold)", "",
                  "| data | rules | span recall | first suggestion right | clean flags per 1k words |",
                  "| --- | --- | ---: | ---: | ---: |"]
        for name, by in res["pipeline"].items():
            for label, r in by.items():
                lines.append(f"| {name} | {label} | {r['recall']:.3f} | {r['right']:.3f} | {r['clean_per_1k']:.2f} |")
        lines.append("")
    for name, s in res["sets"].items():
        lines.append(f"## {name}: {s['spans']} spans, {s['slots']} slots ({s['positives']} spun)")
        if s["shipped_threshold"]:
            st = s["shipped_threshold"]
            extra = f", twins {st['twins_per_1k']:.2f}/1k" if "twins_per_1k" in st else ""
            lines.append(f"shipped US203 threshold: recall {st['recall']:.3f}, suggestion right "
                         f"{st['right']:.3f}, clean {st['clean_per_1k']:.2f}/1k{extra}")
        head = "| score | slot AUC | " + " | ".join(f"recall@{b}/1k" for b in BUDGETS) + " | right@0.5/1k |"
        lines += ["", head, "|" + " --- |" * (len(BUDGETS) + 3)]
        for feat, e in s["features"].items():
            cur = e["curve"]
            lines.append(f"| {feat}{' (-)' if e['sign'] < 0 else ''} | {e['auc_slot']:.3f} | "
                         + " | ".join(f"{cur[str(b)]['recall']:.3f}" for b in BUDGETS)
                         + f" | {cur['0.5']['right']:.3f} |")
        lines.append("")
    return "\n".join(lines)


def run(work, quick: bool) -> str:
    """The ``slots`` suite of ``unspin eval`` (``evaluation.harness``): the tables above as Markdown."""
    docs, reuters, phrases = (20, 20, 96) if quick else (150, 150, None)
    res = evaluate(docs, reuters, phrases=phrases, log=lambda s: None)
    cmd = f"python -m evaluation.slots --docs {docs} --reuters {reuters}" + (" --phrases 96" if quick else "")
    return (f"Slot detection (US201+US202+US203 hard flags and the US203 features; docs/slot-detection.md). "
            f"Same tables as `{cmd}`.\n\n" + render(res).replace("\n## ", "\n### "))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Evaluate the slot detector (US203) feature by feature.")
    ap.add_argument("--docs", type=int, default=150, help="held-out Wikinews articles")
    ap.add_argument("--reuters", type=int, default=150, help="Reuters stories (evaluation only)")
    ap.add_argument("--rate", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--phrases", type=int, default=None, help="screener TEST rows (default: all)")
    ap.add_argument("--json", default=None)
    ap.add_argument("--no-pipeline", action="store_true", help="skip the shipped-rules comparison")
    args = ap.parse_args(argv)
    res = evaluate(args.docs, args.reuters, args.rate, args.seed, pipeline=not args.no_pipeline, phrases=args.phrases)
    print(render(res))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(res, fh, indent=1)


if __name__ == "__main__":
    main()
