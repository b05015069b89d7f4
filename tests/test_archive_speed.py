"""The fast archive paths (issue #16) give the same bytes as the plain per-text code they replace.

Archived fingerprints, content hashes and n-gram keys must not change (existing archives stay valid
and are matched the same way): each batch/numpy path is compared here with a plain reference -- the
per-text code as it was before (kept in ``fingerprint_reference`` and below) -- on synthetic
news-length articles, the fixture articles, and random texts built to hit the edge cases (hyphens,
apostrophes, curly quotes, sentence marks, digits, accents, Greek sigma, dotted capital I, CJK,
Devanagari, astral characters, controls, repeated shingles).
"""

from __future__ import annotations

import hashlib
import random
import re
import zlib
from pathlib import Path

import pytest

from unspin.document import load_documents
from unspin.match import corpus, fingerprint, tokenbatch
from unspin.match.archive import content_hash, open_archive, repaired_text

REPO = Path(__file__).resolve().parent.parent

# the regex-based code from before the batch paths (issue #16), kept here as the reference
_WORD_RE = re.compile(r"[^\W_]+(?:['’\-‐][^\W_]+)*|[^\w\s]", re.UNICODE)
_ALNUM_RE = re.compile(r"[^\W_]+(?:['’\-‐][^\W_]+)*")
_BREAK_RE = re.compile(r"\n\n|[.!?;:]")


def ref_content_hash(prose: str) -> str:
    return hashlib.sha256(" ".join(_WORD_RE.findall(prose)).lower().encode("utf-8")).hexdigest()


def ref_text_keys(text: str) -> tuple[list[int], list[int]]:
    keys: list[int] = []
    totals = [0, 0, 0]
    runs = []
    for piece in _BREAK_RE.split(text):
        words = _ALNUM_RE.findall(piece)
        if words:
            runs.append([w.lower() for w in words])
    for n in (1, 2, 3):
        for run in runs:
            for i in range(len(run) - n + 1):
                keys.append(zlib.crc32(" ".join(run[i:i + n]).encode("utf-8")) & (corpus.BUCKETS - 1))
                totals[n - 1] += 1
    return sorted(keys), totals


_ALPHABETS = [
    "abc XYZ the of and Smith A-B covid-19 n't don't U.S. 12 3.5 .!?;:\n\n\n'-_\"\t\r,()#",
    "abc XYZ the of .!?\n\n'’‐-“”\"ÉéÅΣσςİIK漢क१٣ ",  # non-ASCII: Greek sigma, dotted I, Kelvin sign
    "word Word WORD the a an. “Quote” said - — ‐ ’s 2024 Ⱥ ⱥ ǅ ǈ \u00a0 \u200b \u00ad x",
    "ab 😀 the b\x0b c\x1c the Of\x00 1\n",  # astral characters and controls: the per-text way
]


def _random_texts(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        alphabet = _ALPHABETS[k % len(_ALPHABETS)]
        toks = alphabet.split(" ") + list(alphabet)
        out.append("".join(rng.choice(toks) + rng.choice(["", " ", " ", "\n"]) for _ in range(rng.randint(0, 300))))
    # repeated shingles (the distinct count compares strings) and words holding a space after folding
    out.append("The Cabinet of the United States of America said so. " * 12)
    out.append("Al-Smith Jones and Al Smith-Jones of the 5 of the 5 of the 5 of the 5 of the 5.")
    out += ["", " ", "a", "The", "the of and to in", "The the the the the the the"]
    return out


def _corpus_texts(n: int) -> list[str]:
    from evaluation.matching import SyntheticCorpus, training_texts

    synthetic = SyntheticCorpus(training_texts(with_wikinews=False), seed=11)
    texts = [synthetic.article(k, sentences=(28, 40))["text"] for k in range(n)]
    docs, _ = load_documents([str(REPO / "fixtures" / "articles")])
    return texts + [d.prose() for d in docs]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    raw = _corpus_texts(150) + _random_texts(500)
    return [repaired_text(t) for t in raw] + raw[-80:]


def test_repaired_text_is_normalise_text():
    from unspin.detect.normalise import normalise_text

    samples = _corpus_texts(60) + _random_texts(800, seed=3) + [
        "two  spaces", "tab\there", "trailing \nline", "end ", "nbsp\u00a0 x", "didnâ€™t", "e\u0301", "a\u200bb",
        "x\u0085y", "A\u200dB", "plain text.\n\nNext paragraph.", "caf\u00e9 ol\u00e9", "\u00c3\u00a9t\u00c3\u00a9"]
    for t in samples:
        assert repaired_text(t) == normalise_text(t), repr(t[:80])


def test_content_hashes_match_reference(texts):
    got = tokenbatch.content_hashes(texts)
    assert sum(g is not None for g in got) > len(texts) // 2  # most texts take the fast path
    for t, g in zip(texts, got, strict=True):
        assert content_hash(t) == ref_content_hash(t)
        if g is not None:
            assert g == ref_content_hash(t), repr(t[:80])


def test_ngram_keys_match_reference(texts):
    got = corpus.batch_text_keys(texts, chunk=37)
    for t, (keys, totals) in zip(texts, got, strict=True):
        want_keys, want_totals = ref_text_keys(t)
        assert sorted(keys.tolist()) == want_keys and totals == want_totals, repr(t[:80])
        assert corpus.text_keys(t)[0].tolist() == keys.tolist()


def test_skeleton_words_match_reference(texts):
    for t, got in zip(texts, tokenbatch.skeleton_crcs(texts, fingerprint.FUNCTION_WORDS), strict=True):
        want = fingerprint.skeleton(t)
        if got is None:
            continue
        crcs, lens, words = got
        assert words() == want, repr(t[:80])
        assert crcs.tolist() == [zlib.crc32(w.encode()) for w in want]
        assert lens.tolist() == [len(w.encode()) for w in want]


def test_fingerprints_match_reference(texts):
    got = fingerprint.fingerprints(texts)
    for t, fp in zip(texts, got, strict=True):
        assert fp == fingerprint.fingerprint_reference(t), repr(t[:80])
    assert fingerprint.fingerprint(texts[0]) == fingerprint.fingerprint_reference(texts[0])


def test_stored_rows_match_reference(tmp_path):
    """An archive written by the fast path holds the same content hashes, counts and index rows as
    the reference functions give for its texts."""
    import json
    import sqlite3

    from unspin.document import record_document
    from unspin.match.gate import trusted_import

    raw = _corpus_texts(40) + [t for t in _random_texts(60, seed=5) if t.strip()]
    docs = [record_document({"id": f"a{k}", "text": t}, f"feed#{k}") for k, t in enumerate(raw)]
    arc = open_archive(str(tmp_path / "a.sqlite"))
    trusted_import(arc, docs, batch_size=25)
    arc.close()
    con = sqlite3.connect(tmp_path / "a.sqlite")
    rows = con.execute("SELECT pk, text, content_hash, shingle_count, band_count FROM unspin_articles").fetchall()
    bands: dict[int, set[int]] = {}
    for key, pk in con.execute("SELECT key, article FROM unspin_bands"):
        bands.setdefault(pk, set()).add(key)
    grams = dict(con.execute("SELECT key, count FROM unspin_ngrams"))
    con.close()
    want_grams: dict[int, int] = {}
    seen = set()
    for pk, text, h, shingles, nbands in rows:
        fp = fingerprint.fingerprint_reference(text)
        assert h == ref_content_hash(text)
        assert (shingles, nbands) == (fp.shingle_count, len(fp.keys))
        assert bands.get(pk, set()) == set(fp.keys)
        if h not in seen:
            seen.add(h)
            for k in ref_text_keys(text)[0]:
                want_grams[k] = want_grams.get(k, 0) + 1
    assert grams == want_grams
    assert json.dumps(sorted(grams.items()))  # non-empty and serialisable


def test_crc_of_joined_words_is_zlib_crc32():
    """match.crc: the CRC of runs of words joined by spaces, combined from the words' CRCs, equals
    zlib.crc32 of the joined string -- also for words longer than the shift tables (64 bytes)."""
    from unspin.match import crc

    rng = random.Random(2)
    alphabet = "abcdeé漢字xyz Σς-'"
    words = ["".join(rng.choice(alphabet) for _ in range(rng.choice([1, 2, 5, 30, 70, 140]))) for _ in range(600)]
    crcs, lens = crc.word_crcs(words)
    for size in (1, 2, 3, 5):
        got, got_lens = crc.run_crcs(crcs, lens, size)
        joined = [" ".join(words[i:i + size]).encode() for i in range(len(words) - size + 1)]
        assert got.tolist() == [zlib.crc32(j) for j in joined]
        assert got_lens.tolist() == [len(j) for j in joined]
