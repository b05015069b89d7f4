"""The slot detector (US203): reverse-thesaurus tables, the public score_slots API and the rule."""

from __future__ import annotations

import dataclasses
import json
import random

import numpy as np
import pytest

from evaluation.datasets import make_document
from unspin.analysis import Context, analyze, analyze_many
from unspin.config import Config
from unspin.detect.generic import load_model
from unspin.detect.slots import RULE, Slot, load_slot_model, score_slots, score_slots_many, slot_findings
from unspin.findings import FindingBuilder
from unspin.resources import model_path
from unspin.text import MatchStream

SPUN = ("The squeeze secretary declined to comment on the report. Officials launched a colossal probe "
        "into the losses, and the facial acknowledgment software was withdrawn.")


def _doc(text: str, path: str = "x"):
    d = make_document(text, path)
    return d, MatchStream(d.text, d.segments)


def _cands(word: str) -> list[str]:
    m, sm = load_model(), load_slot_model()
    return [m.word(j) for j in sm.candidates(int(m.ids([word])[0]))]


def test_reverse_table_lists_what_a_spinner_replaced():
    # a spinner put "acknowledgment" for "recognition", "colossal" for "huge": read backwards
    assert "recognition" in _cands("acknowledgment")
    assert "huge" in _cands("colossal") or "big" in _cands("colossal")
    # inflected to the observed form
    assert "scraped" in _cands("scratched")
    assert "investigations" in _cands("probes") and "investigated" in _cands("probed")
    assert _cands("xqzzyv") == []  # unknown word: no candidates


def test_tables_are_plain_arrays_and_json():
    root = model_path("thesaurus")
    for name in ("cand_off", "cand_ids", "cand_src", "glove"):
        np.load(root / f"{name}.npy", allow_pickle=False)  # never a pickle
    w = json.loads((root / "weights.json").read_text(encoding="utf-8"))
    assert w["kind"] in ("boosted-trees", "logistic") and 0.5 <= w["threshold"] < 1.0
    off = np.load(root / "cand_off.npy")
    assert off[0] == 0 and np.all(np.diff(off) >= 0) and np.all(np.diff(off) <= json.loads(
        (root / "meta.json").read_text())["cap"])


def test_score_slots_api():
    doc, stream = _doc(SPUN)
    slots = score_slots(doc, stream)
    assert slots and all(isinstance(s, Slot) for s in slots)
    assert dataclasses.is_dataclass(Slot) and Slot.__dataclass_params__.frozen
    for s in slots:
        assert doc.text[s.start:s.end] == s.text
        assert 0.0 <= s.p_spun <= 1.0 and isinstance(s.margin, float)
        assert set(s.features) >= {"gain", "zipf_w", "fit_w", "own"}
    assert [s.start for s in slots] == sorted(s.start for s in slots)
    by = {s.text: s for s in slots}
    assert by["squeeze"].best == "press"
    # the spun words are more suspicious than ordinary ones
    assert by["squeeze"].p_spun > by["comment"].p_spun
    assert by["acknowledgment"].p_spun > by["report"].p_spun


def test_batch_equals_one_by_one():
    texts = [SPUN, "The minister said the government would not change its policy on immigration this year.",
             "Heavy rain flooded the streets of the capital on Monday, officials said."]
    docs = [_doc(t, f"d{i}") for i, t in enumerate(texts)]
    many = score_slots_many([d for d, _ in docs], [s for _, s in docs])
    for (d, _), got in zip(docs, many, strict=True):
        alone = score_slots(d, MatchStream(d.text, d.segments))
        assert [(s.start, s.best, round(s.p_spun, 12)) for s in got] == \
            [(s.start, s.best, round(s.p_spun, 12)) for s in alone]


def test_rule_findings_in_analysis_and_batch():
    sm = load_slot_model()
    thr = sm.weights["threshold"]
    doc, stream = _doc(SPUN)
    expected = [s for s in score_slots(doc, stream) if s.p_spun >= thr and s.best]
    found = slot_findings(doc, stream, FindingBuilder(doc))
    assert [(f.start, f.end) for f in found] == [(s.start, s.end) for s in expected]
    for f in found:
        assert f.rule == RULE and f.suggestions and f.suggestions[0].text
    # in the pipeline: the same US203 findings alone and in a batch of documents
    ctx = Context(config=Config(select=("US203",)))
    alone = analyze(doc, ctx)
    other = make_document("Prices rose sharply in the third quarter, the bank said on Tuesday.", "y")
    batch = list(analyze_many([other, doc], ctx))
    assert [(f.start, f.end, f.rule) for f in batch[1].findings] == [(f.start, f.end, f.rule) for f in alone.findings]


def test_spinner_halves_are_disjoint():
    from evaluation.slot_spinner import SlotSpinner, half_of

    text = ("The company announced a large investment in new factories. Officials said the plan would create "
            "many jobs and improve the local economy over the next decade.")
    for half in ("A", "B"):
        sp = SlotSpinner(half).spin(text, 0.5, random.Random(3))
        assert sp.substitutions
        for sub in sp.substitutions:
            assert half_of(sub.original.lower()) == half
            assert sp.text[sub.start:sub.end] == sub.replacement


def test_rule_documented():
    from unspin.rules import get_rule

    r = get_rule(RULE)
    assert r.name == "thesaurus-neighbour"


@pytest.mark.parametrize("text", ["", "   ", "123 456", "!!!"])
def test_no_words_no_slots(text):
    doc, stream = _doc(text)
    assert score_slots(doc, stream) == []


def test_joined_batch_gives_the_same_p_spun():
    from unspin.analysis import _joined
    from unspin.detect.slots import slot_columns

    texts = [SPUN, "Heavy rain flooded the streets of the capital on Monday, officials said.", SPUN[::-1], SPUN]
    docs = [make_document(t, f"d{i}") for i, t in enumerate(texts)]
    streams = [MatchStream(d.text, d.segments) for d in docs]
    joined, js, _ = _joined(docs, streams)
    res = slot_columns(joined, js)
    alone = []
    for d in docs:
        r = slot_columns(d, MatchStream(d.text, d.segments))
        alone += r.p.tolist() if r is not None else []
    assert res.p.tolist() == alone  # exactly: the GloVe window and the LM never cross documents
    for name in ("fit_w", "gain", "own"):
        assert len(res.cols[name]) == len(alone)


def test_repeated_contexts_probed_once_give_the_same_slots(monkeypatch):
    # a long document repeating its sentences: each distinct 5-word context is probed once and its
    # result copied (DEDUP_MIN); every slot must get what probing it alone gives
    import unspin.detect.slots as slots_mod

    text = " ".join([SPUN, "The squeeze secretary gave a long comment on the facial acknowledgment report."] * 60)
    doc, _ = _doc(text)
    monkeypatch.setattr(slots_mod, "DEDUP_MIN", 16)
    deduped = score_slots(doc, MatchStream(doc.text, doc.segments))
    monkeypatch.setattr(slots_mod, "DEDUP_MIN", 10**12)
    plain = score_slots(doc, MatchStream(doc.text, doc.segments))
    assert len(deduped) == len(plain) > 300
    assert [(s.start, s.best, s.p_spun, s.margin) for s in deduped] == \
        [(s.start, s.best, s.p_spun, s.margin) for s in plain]


def test_distinct_rows_is_numpy_unique():
    """US203 probes each distinct context once: the packed-key grouping gives np.unique's first
    indices and inverse exactly (also with the -2 and -1 marks, and when ids do not fit)."""
    import numpy as np

    from unspin.detect.slots import _distinct_rows

    rng = np.random.default_rng(1)
    for hi in (3, 50, 70_000, 1 << 20):
        for _ in range(30):
            n = int(rng.integers(1, 300))
            cols = tuple(rng.integers(-2, hi, n) for _ in range(6))
            first_k, inv = _distinct_rows(np, cols)
            _, fk, iv = np.unique(np.stack(cols, axis=1), axis=0, return_index=True, return_inverse=True)
            assert np.array_equal(first_k, fk)
            assert np.array_equal(inv, np.asarray(iv).ravel())


def test_columns_for_the_scored_slots_only_give_the_same_scores():
    # every=False (US203's findings, the article's slots) makes the symspell and GloVe columns only
    # for the expanded slots: p_spun, gains, best candidates and those slots' features are unchanged
    import numpy as np

    from unspin.detect.slots import slot_columns

    text = " ".join([SPUN, "Heavy rain flooded the streets of the capital on Monday, officials said."] * 3)
    doc, _ = _doc(text)
    full = slot_columns(doc, MatchStream(doc.text, doc.segments))
    part = slot_columns(doc, MatchStream(doc.text, doc.segments), every=False)
    assert part.p.tolist() == full.p.tolist()
    assert part.best == full.best and part.start == full.start
    scored = np.flatnonzero(full.cols["expanded"] > 0)
    assert 0 < len(scored) < len(full.p)
    for name, col in full.cols.items():
        assert part.cols[name][scored].tolist() == col[scored].tolist(), name
    assert (part.cols["fit_w"] == 0).sum() > (full.cols["fit_w"] == 0).sum()
