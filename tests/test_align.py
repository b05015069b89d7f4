"""Alignment and fingerprints: hand-made pairs, a brute-force oracle for the chain, stable hashes."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unspin.match.align import MIN_SIMILARITY, align_sentences, best_chain, split_sentences, word_substitutions
from unspin.match.fingerprint import fingerprint, minhash, resemblance, skeleton, text_shingles

SOURCE = ("The press secretary to Mayor Lorraine Castillo resigned on Wednesday. "
          "An audit found that he had deleted 212 text messages during the financial crisis.")
SPUN = ("The squeeze secretary to Mayor Lorraine Castillo stepped down on Wednesday. "
        "An review located that he had deleted 212 text messages during the money related emergency.")
SAME_STORY = ("Lorraine Castillo's spokesman quit on Wednesday after auditors said 212 messages were erased. "
              "Castillo, the mayor, accepted his resignation with regret.")


def test_skeleton_keeps_function_words_names_and_numbers():
    words = skeleton("Officials said the Mayor of Tacoma deleted 212 messages in June.")
    assert words == ["the", "mayor", "of", "tacoma", "212", "in", "june"]


def test_word_substitutions_spun_to_original_with_offsets_on_both_sides():
    q, s = split_sentences(SPUN), split_sentences(SOURCE)
    chain = align_sentences(q, s)
    assert [(i, j) for i, j, _ in chain] == [(0, 0), (1, 1)]
    subs = [x for i, j, _ in chain for x in word_substitutions(SPUN, q[i], SOURCE, s[j])]
    pairs = [(x.spun, x.original) for x in subs]
    # adjacent swapped words form one substitution ("review located" for "audit found")
    assert pairs == [("squeeze", "press"), ("stepped down", "resigned"), ("review located", "audit found"),
                     ("money related emergency", "financial crisis")]
    for x in subs:
        assert SPUN[x.query_start:x.query_end] == x.spun
        assert SOURCE[x.source_start:x.source_end] == x.original


def test_independent_sentences_on_the_same_fact_do_not_align():
    q, s = split_sentences(SAME_STORY), split_sentences(SOURCE)
    assert align_sentences(q, s) == []


def test_sentence_offsets_index_the_text():
    text = "  First one here. Second one, with 3 words?\n\nThird paragraph ends.  "
    for sent in split_sentences(text):
        assert text[sent.start:sent.end] == text[sent.start:sent.end].strip()
        for (a, b), w in zip(sent.spans, sent.words, strict=False):
            assert text[a:b].lower() == w


def _oracle_chain_weight(sim, threshold):
    n, m = sim.shape
    cells = [(i, j) for i in range(n) for j in range(m) if sim[i, j] >= threshold]
    best = 0.0
    for r in range(1, len(cells) + 1):
        for combo in itertools.combinations(cells, r):
            if all(a[0] < b[0] and a[1] < b[1] for a, b in zip(combo, combo[1:], strict=False)):
                best = max(best, sum(float(sim[c]) for c in combo))
    return best


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 10_000))
def test_best_chain_matches_brute_force(n, m, seed):
    sim = np.random.RandomState(seed).rand(n, m).astype(np.float32)
    chain = best_chain(sim, 0.5)
    assert all(a[0] < b[0] and a[1] < b[1] for a, b in zip(chain, chain[1:], strict=False))
    assert sum(w for _, _, w in chain) == pytest.approx(_oracle_chain_weight(sim, 0.5), abs=1e-5)


def test_minhash_estimates_jaccard():
    rng = np.random.RandomState(3)
    universe = [f"s{k}" for k in range(2000)]
    for _ in range(10):
        a = set(rng.choice(universe, 300, replace=False))
        b = set(list(a)[:150]) | set(rng.choice(universe, 150, replace=False))
        est = float((minhash(a) == minhash(b)).mean())
        assert est == pytest.approx(resemblance(a, b), abs=0.12)


def test_fingerprints_survive_spinning_and_differ_for_same_story():
    long_source = " ".join([SOURCE] * 3)
    long_spun = " ".join([SPUN] * 3)
    assert resemblance(text_shingles(long_source), text_shingles(long_spun)) > 0.4
    assert resemblance(text_shingles(long_source), text_shingles(SAME_STORY)) < 0.1


def test_fingerprint_is_stable_across_processes():
    code = ("from unspin.match.fingerprint import fingerprint; import sys; "
            f"print(fingerprint({SOURCE!r}).keys[:5])")
    outs = set()
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        outs.add(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                                check=True).stdout)
    assert outs == {f"{fingerprint(SOURCE).keys[:5]}\n"}
    assert all(0 <= k < 2**63 for k in fingerprint(SOURCE).keys)


def test_min_similarity_separates_the_examples():
    from unspin.match.align import similarity_matrix

    q, s, o = split_sentences(SPUN), split_sentences(SOURCE), split_sentences(SAME_STORY)
    assert similarity_matrix(q, s).diagonal().min() >= MIN_SIMILARITY
    assert similarity_matrix(o, s).max() < MIN_SIMILARITY
