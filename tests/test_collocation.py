"""Collocation evidence for US202 (detect/collocation.py): the table look-ups and their use in spinmap."""

from __future__ import annotations

import math

import numpy as np
import pytest

from evaluation import datasets as ds
from unspin.detect import spinmap
from unspin.detect.collocation import Collocations
from unspin.detect.generic import load_model
from unspin.text import MatchStream

WORDS = ["ant", "colony", "insect", "public", "libraries", "branch"]


def tiny_table(path, ss=(("ant", "colony", 1e8), ("public", "libraries", 4e7)), wn=(("branch", "libraries", 3),)):
    """A hand-made table in the build script's format (scripts/build_collocations.py)."""
    vocab = sorted(WORDS)
    idx = {w: i for i, w in enumerate(vocab)}
    W = len(vocab)

    def keys(pairs):
        order = sorted((idx[a] * W + idx[b], c) for a, b, c in pairs)
        return np.array([k for k, _ in order], dtype=np.int64), [c for _, c in order]

    sk, sv = keys(ss)
    wk, wv = keys(wn)
    np.savez_compressed(
        path, words=np.array([w.encode() for w in vocab], dtype="S24"),
        ss_uni=np.full(W, 9.0, dtype=np.float32), ss_keys=sk, ss_val=np.log10(sv).astype(np.float16),
        wn_uni=np.full(W, 10, dtype=np.uint16), wn_keys=wk, wn_val=np.array(wv, dtype=np.uint16),
        totals=np.array([1e12, 1e5]))
    return Collocations(path)


def test_pairs_give_pmi_where_a_source_knows_the_bigram_and_zero_elsewhere(tmp_path):
    m = load_model()
    c = tiny_table(tmp_path / "c.npz")
    a = m.lm_ids(["ant", "insect", "public", "branch", "zzzqx"])
    b = m.lm_ids(["colony", "colony", "libraries", "libraries", "colony"])
    got = c.pairs(m, a, b)
    # symspell: log10 count - log10 c(a) - log10 c(b) + log10 N (unigrams 1e9 each, N 1e12)
    assert got["ss"][0] == pytest.approx(math.log10(1e8) - 18 + 12, abs=0.01)
    assert got["ss"][2] == pytest.approx(math.log10(4e7) - 18 + 12, abs=0.01)
    assert got["ss"][[1, 3, 4]].tolist() == [0.0, 0.0, 0.0]
    assert got["wn"][3] == pytest.approx(math.log10(3) - 2 + 5)
    assert got["wn"][[0, 1, 2, 4]].tolist() == [0.0] * 4
    # the LM: an entry of the en-us LM ("ant colony") has a positive PMI, a backed-off bigram none
    assert got["lm"][0] > 1.0
    assert got["lm"][1] == 0.0 and got["lm"][4] == 0.0


def test_the_shipped_model_does_not_read_collocations():
    assert not spinmap.load_spinmap().weights.get("colloc")
    assert spinmap.load_spinmap().collocations() is None


def _run(smap, text):
    doc = ds.make_document(text, "t.txt")
    return spinmap.occurrences(doc, MatchStream(doc.text, doc.segments), smap)


def test_collocations_add_columns_and_rerank_only_the_suggestion(tmp_path):
    shipped = spinmap.load_spinmap()
    smap = spinmap.SpinMap({"pairs": {"settlement": [["village", 3], ["colony", 1]]}, "weights": {}})
    text = "The insect settlement grew quickly last summer."
    plain = _run(smap, text)
    assert plain.row(0)["sub"] == "village"  # the LM's choice (neither bigram is an entry of the LM)
    smap.weights = {"colloc": 1, "colloc_rank": {"ss": 1.0}}
    smap._colloc = tiny_table(tmp_path / "c.npz", ss=(("insect", "colony", 1e8),))
    ranked = _run(smap, text)
    assert ranked.row(0)["sub"] == "colony"  # "insect colony" is an established bigram of this table
    for name in spinmap.COLLOC_FEATURES:
        assert len(ranked.columns[name]) == 1
    assert ranked.columns["col_t_ss"] == [0.0]  # "insect settlement", "settlement grew": unknown
    assert ranked.columns["col_c_ss"] == [0.0]  # the LM's best option, "village", has no support
    # the features of the LM's best option (what the combiner reads) are unchanged
    for name in spinmap.FEATURES:
        assert ranked.columns[name] == plain.columns[name]
    assert shipped.weights.get("colloc") is None


def test_missing_table_gives_zero_columns_not_an_error(tmp_path):
    smap = spinmap.SpinMap({"pairs": {"settlement": [["colony", 1]]}, "weights": {"colloc": 1}})
    smap._colloc = False  # as when models/colloc/colloc.npz is not installed
    got = _run(smap, "The ant settlement grew quickly last summer.")
    assert all(got.columns[n] == [0.0] for n in spinmap.COLLOC_FEATURES)


def test_leave_out_removes_a_training_article_s_own_wikinews_bigrams(tmp_path):
    m = load_model()
    c = tiny_table(tmp_path / "c.npz")
    a, b = m.lm_ids(["branch"]), m.lm_ids(["libraries"])
    assert c.pairs(m, a, b)["wn"][0] > 0
    c.leave_out = {c.key_of("branch", "libraries"): 1}  # 3 - 1 = 2: still in the table
    assert c.pairs(m, a, b)["wn"][0] == pytest.approx(math.log10(2) - 2 + 5)
    c.leave_out = {c.key_of("branch", "libraries"): 2}  # 3 - 2 = 1: below the table's floor of 2
    assert c.pairs(m, a, b)["wn"][0] == 0.0
    assert c.key_of("branch", "zzzqx") is None
