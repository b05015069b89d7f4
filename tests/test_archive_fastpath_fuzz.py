"""Differential property tests (hypothesis) of the fast archive paths against the per-text reference code.

``archive add`` takes batch/numpy shortcuts (``match.tokenbatch``, ``match.crc``, ``fingerprint.fingerprints``,
``archive.repaired_text``, the ASCII regular expressions of ``fingerprint.skeleton`` and ``corpus``) that must
give exactly what the plain code gave before them (issue #16): archived keys and hashes must not change.
tests/test_archive_speed.py compares them on fixed samples; here hypothesis generates texts from adversarial
alphabets (every kind of apostrophe, quote, hyphen and dash, digits with separators, combining marks, Unicode
spaces, zero-width and control characters, RTL text, CJK, astral characters, ligatures, "İ", title-case letters,
Greek sigma, full-width letters, CR/LF mixes, very long words, empty texts) and mixes those characters into
realistic news sentences; every fast path is compared with its reference, each text alone and in batches (in
both orders, and with tiny chunks), so texts batched together cannot influence each other unnoticed.

The reference functions are the code from before the fast paths (commit 3e00bfb), copied here: regular
expressions over the whole Unicode classes, one Python string per token, n-gram and shingle strings hashed by
``zlib.crc32``. Deterministic for CI: fixed ``max_examples`` (150 per property; ``UNSPIN_FUZZ_EXAMPLES`` raises it for a
campaign), ``derandomize=True``, no example database.
"""

from __future__ import annotations

import hashlib
import os
import re
import string
import zlib
from pathlib import Path
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unspin.detect.normalise import normalise_text
from unspin.match import corpus, crc, fingerprint, tokenbatch
from unspin.match.archive import content_hash, repaired_text

# ------------------------------------------------------------------------------------------------
# the reference: the per-text code from before the fast paths (3e00bfb)

_WORD_RE = re.compile(r"[^\W_]+(?:['’\-‐][^\W_]+)*|[^\w\s]", re.UNICODE)
_ALNUM_RE = re.compile(r"[^\W_]+(?:['’\-‐][^\W_]+)*")
_BREAK_RE = re.compile(r"\n\n|[.!?;:]")
_SKELETON_TOKEN = re.compile(r"[^\W_]+(?:['’\-‐][^\W_]+)*|[.!?\"“”]")
_SENTENCE_END = frozenset(".!?\"“”")
_DIGIT = re.compile(r"\d")
_FOLD = str.maketrans({"’": "'", "‐": " ", "-": " "})


def ref_content_hash(prose: str) -> str:
    return hashlib.sha256(" ".join(_WORD_RE.findall(prose)).lower().encode("utf-8")).hexdigest()


def ref_skeleton(text: str) -> list[str]:
    out: list[str] = []
    sentence_start = True
    for tok in _SKELETON_TOKEN.findall(text):
        first = tok[0]
        if first in _SENTENCE_END:
            sentence_start = True
            continue
        low = tok.lower()
        if low in fingerprint.FUNCTION_WORDS or (first.isupper() and not sentence_start) or (
                not tok.isalpha() and _DIGIT.search(tok)):
            out.append(low if low.isalnum() else low.translate(_FOLD))
        sentence_start = False
    return out


def ref_text_keys(text: str) -> tuple[list[int], list[int]]:
    """``corpus.text_keys`` before the fast paths: 1-grams, then 2-grams, then 3-grams, each in text order."""
    runs = []
    for piece in _BREAK_RE.split(text):
        words = _ALNUM_RE.findall(piece)
        if words:
            runs.append(" ".join(words).lower().split(" "))
    keys: list[int] = []
    totals = [0, 0, 0]
    for n in (1, 2, 3):
        for run in runs:
            for i in range(len(run) - n + 1):
                keys.append(zlib.crc32(" ".join(run[i:i + n]).encode("utf-8")) & (corpus.BUCKETS - 1))
                totals[n - 1] += 1
    return keys, totals


def ref_shingles(text: str) -> list[str]:
    return fingerprint.shingle_runs(ref_skeleton(text))


def ref_fingerprint(text: str) -> fingerprint.Fingerprint:
    ordered = ref_shingles(text)
    if not ordered:
        return fingerprint.Fingerprint(0, ())
    keys = fingerprint.band_keys(fingerprint._chunk_signatures(ordered))
    return fingerprint.Fingerprint(len(set(ordered)), tuple(dict.fromkeys(keys)))


def ref_eligible(text: str) -> bool:
    """Which texts ``tokenbatch`` documents as taken: code points below U+10000, one-character lower case
    that does not depend on the neighbours (not "İ", not "Σ"), no surrogates."""
    return all(ord(c) <= 0xFFFF and len(c.lower()) == 1 and c != "Σ" and not 0xD800 <= ord(c) < 0xE000
               for c in text)


# ------------------------------------------------------------------------------------------------
# strategies

_PIECES = (
    list(string.punctuation)
    # apostrophes and quotes of all kinds (ʼ U+02BC is a letter: part of a word)
    + ["'", "’", "‘", "‛", "`", "´", "ʼ", "″", "＂", "«", "»", "„", "“", "”", "‹", "›", "''", "'’"]
    # hyphens and dashes (only - and ‐ join words), soft hyphen
    + ["-", "‐", "‑", "‒", "–", "—", "―", "−", "﹣", "－", "\u00ad", "--", "-‐"]
    # digits with separators, other decimal digits, numerals that are no decimals
    + ["1,000", "3.5", "1 000", "1\u202f000", "12-4", "٣", "١٢", "१९", "²", "½", "Ⅻ", "①", "１２", "0x1F", "4'3"]
    # combining marks (decomposed accents: not NFC)
    + ["e\u0301", "\u0301", "a\u0308", "\u20dd", "\u0345", "o\u0302\u0323", "\u0307"]
    # Unicode spaces and line breaks
    + ["\u00a0", "\u2009", "\u202f", "\u3000", "\u2028", "\u2029", "\u0085", "\x1c", "\x1d", "\x1e", "\x1f",
       "\x0b", "\x0c", "\t", "\r", "\n", "\r\n", "\n\n", "\n \n", "\r\n\r\n", "\n\n\n", "  ", " \n", "\u00a0\u00a0"]
    # zero-width and bidi controls
    + ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u200e", "\u200f", "\u202e", "\u202b", "\u2066"]
    # RTL and CJK text
    + ["שלום", "مرحبا", "العربية", "漢字", "東京", "。", "、", "！", "？", "・", "한국어"]
    # beyond U+FFFF: emoji, mathematical letters, Deseret capitals
    + ["😀", "👍🏽", "𝐀𝐁", "𐐀", "𐐨", "\U0001F1FA\U0001F1F8", "𝟙"]
    # ligatures, title case, letters whose case mapping is unusual
    + ["ﬁ", "ﬂ", "ﬀ", "ﬃ", "Ǆ", "ǅ", "ǆ", "ǈ", "ǋ", "ᾈ", "ß", "ẞ", "İ", "ı", "K", "Å", "Ω", "Ⓐ", "ⓐ", "ǰ"]
    # Greek, with sigma in every position
    + ["Σ", "σ", "ς", "ΟΔΟΣ", "ΣΑΣ", "Σ'", "ὈΔΥΣΣΕΎΣ", "ΑΣ.Β", "Σ-Α"]
    # full-width letters
    + ["ＴＨＥ", "Ｔｈｅ", "ｏｆ", "ＵＳ"]
    # controls, C1, escape sequences, mojibake
    + ["\x00", "\x01", "\x07", "\x7f", "\x80", "\x85", "\x9f", "\x1b[0m", "â€™", "Ã©", "didnâ€™t", "Ã\u00a0", "Â"]
    # very long words (over the 64-byte CRC shift tables; multi-byte)
    + ["a" * 70, "Supercalifragilistic" * 5, "x-" * 40 + "x", "é" * 40, "漢" * 30, "The" * 30, "1" * 65,
       "b" * 63, "C" * 64, "d" * 65, "é" * 32, "Themselves", "themselvesé", "thémselves", "whomsoever"]
    # two words with the same CRC-32 (and length): shingles that differ only there share a CRC
    + [" 7y7ghpm9 ", " 7ve9pto6 "]
    # function words and joiners in odd forms
    + ["THE", "The", "tHe", "n't", "N'T", "n’t", "'s", "’s", "don't", "isn't", "O'Brien", "co-operate", "U.S.",
       "Al-Smith", "well‐known", "the-of", "of'the", "A", "I", "a", "an", "An", "themselves", "Themselves"]
    # sentence ends and run breaks
    + [".", "!", "?", "\"", "“", "”", ";", ":", "...", "?!", ".\"", "_", "snake_case", "__init__", ""]
    # layout prefixes (the space repairs leave list items, quotes, headings and tables alone)
    + ["\n- ", "\n* ", "\n1. ", "\n> ", "\n# ", "\n|", "   ", " \t", "\t ", " \r\n", " ", " ", " ", " "]
)

_SENTENCES = [
    "The Prime Minister said on Tuesday that the government would not raise taxes before the 2025 election.",
    "Shares of Acme Corp. fell 3.5% to $12.40 in New York after the company cut its full-year forecast.",
    "\"We don't expect a recession,\" said Maria O'Neill, chief economist at the Bank of England.",
    "Police in Paris arrested 14 people after protests turned violent; officials blamed a far-left group.",
    "The U.N. Security Council will meet on Friday to discuss the crisis in the Middle East.",
    "It's the third time this year that the long-awaited report has been delayed, according to two sources.",
    "Officials at the Department of Health and Human Services declined to comment on Monday.",
    "In a 5-4 ruling, the Supreme Court struck down the state's 1998 law on campaign finance.",
    "Revenue rose to 4.2 billion euros in the third quarter, up from 3.9 billion a year earlier.",
    "He told Reuters: \"There is no plan B.\" Then he left the room.",
]

_PIECE = st.sampled_from(_PIECES)
_CHARS = st.sampled_from(sorted({c for p in _PIECES for c in p}))
# arbitrary Unicode (hypothesis never generates surrogates here), short runs of one adversarial character class
_TOKEN = (_PIECE | _PIECE | st.text(max_size=6) | st.text(_CHARS, max_size=8)
          | st.sampled_from(" ".join(_SENTENCES).split(" ")))
ADVERSARIAL = st.lists(_TOKEN, max_size=40).map("".join)


@st.composite
def news_mix(draw, min_sentences: int = 1, max_sentences: int = 4):
    """Realistic news sentences with adversarial pieces inserted at random places (inside words too)
    and some of the spaces between words replaced."""
    text = " ".join(draw(st.lists(st.sampled_from(_SENTENCES), min_size=min_sentences, max_size=max_sentences)))
    gap = draw(st.sampled_from([" ", " ", "\n", "\u00a0", "  ", "\n\n", "\t"]))
    text = text.replace(" ", gap, draw(st.sampled_from([0, 1, 3, -1])))  # -1: every space
    for _ in range(draw(st.integers(0, 8))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(_PIECE) + text[at:]
    return text


TEXT = ADVERSARIAL | news_mix() | st.sampled_from(["", " ", "\n", "a", "The", "Σ", "İ", "😀", "the of and to in"])
BATCH = st.lists(TEXT, min_size=1, max_size=10)
# ASCII only: the ASCII regular expressions of ``skeleton`` and ``corpus`` (and repaired_text's ASCII test)
ASCII_TEXT = st.lists(st.sampled_from([p for p in _PIECES if p.isascii()]) | st.text(st.characters(max_codepoint=127),
                                                                                    max_size=8),
                      max_size=40).map("".join)
# long enough for several MinHash chunks (more than 256 shingles), across the 128-row blocks
LONG_TEXT = news_mix(min_sentences=30, max_sentences=60)

# examples per property: fixed for CI; UNSPIN_FUZZ_EXAMPLES=3000 for a longer campaign (same derandomized order)
EXAMPLES = int(os.environ.get("UNSPIN_FUZZ_EXAMPLES", "150"))
CHECK = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FEW = settings(max_examples=max(EXAMPLES // 6, 8), deadline=None, derandomize=True, database=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _orders(batch: list[str]):
    """(texts, index map) for the batch as given, reversed, and each text alone."""
    n = len(batch)
    yield batch, list(range(n))
    yield batch[::-1], list(range(n - 1, -1, -1))
    for i, t in enumerate(batch):
        yield [t], [i]


# ------------------------------------------------------------------------------------------------
# the properties


@CHECK
@given(BATCH)
def test_content_hashes(batch):
    want = [ref_content_hash(t) for t in batch]
    for t, w in zip(batch, want, strict=True):
        assert content_hash(t) == w, repr(t)
    for texts, idx in _orders(batch):
        for i, got in zip(idx, tokenbatch.content_hashes(texts), strict=True):
            assert (got is None) == (not ref_eligible(batch[i])), repr(batch[i])  # taken: exactly the eligible
            assert got is None or got == want[i], repr(batch[i])
    assert tokenbatch.eligible_mask(batch) == [ref_eligible(t) for t in batch]


def _check_skeleton(text: str, got) -> None:
    want = ref_skeleton(text)
    if got is None:
        assert not ref_eligible(text), repr(text)
        return
    crcs, lens, words = got
    assert words() == want, repr(text)
    assert crcs.tolist() == [zlib.crc32(w.encode()) for w in want], repr(text)
    assert lens.tolist() == [len(w.encode()) for w in want], repr(text)
    if want:
        idx = list(range(len(want)))[::-1]
        assert words(idx) == [want[i] for i in idx]


@CHECK
@given(BATCH)
def test_skeletons(batch):
    for t in batch:
        assert fingerprint.skeleton(t) == ref_skeleton(t), repr(t)
    for texts, idx in _orders(batch):
        for i, got in zip(idx, tokenbatch.skeleton_crcs(texts, fingerprint.FUNCTION_WORDS), strict=True):
            _check_skeleton(batch[i], got)
        for i, got in zip(idx, tokenbatch.hashes_and_skeletons(texts, fingerprint.FUNCTION_WORDS), strict=True):
            if got is None:
                assert not ref_eligible(batch[i]), repr(batch[i])
                continue
            assert got[0] == ref_content_hash(batch[i]), repr(batch[i])
            _check_skeleton(batch[i], got[1])


@CHECK
@given(BATCH)
def test_ngram_keys(batch):
    want = [ref_text_keys(t) for t in batch]
    for texts, idx in _orders(batch):
        for i, got in zip(idx, tokenbatch.ngram_keys(texts, corpus.BUCKETS), strict=True):
            if got is None:
                assert not ref_eligible(batch[i]), repr(batch[i])
                continue
            assert (got[0].tolist(), got[1]) == want[i], repr(batch[i])
        for i, (keys, totals) in zip(idx, corpus.batch_text_keys(texts, chunk=3), strict=True):
            assert (keys.tolist(), totals) == want[i], repr(batch[i])
        # the regular-expression path (texts tokenbatch does not take), here on every text
        for i, (keys, totals) in zip(idx, corpus._chunk_text_keys(texts), strict=True):
            assert (keys.tolist(), totals) == want[i], repr(batch[i])
    for t, w in zip(batch, want, strict=True):
        keys, totals = corpus.text_keys(t)
        assert (keys.tolist(), totals) == w, repr(t)


@CHECK
@given(BATCH)
def test_fingerprints(batch):
    want = [ref_fingerprint(t) for t in batch]
    for texts, idx in _orders(batch):
        for i, got in zip(idx, fingerprint.fingerprints(texts), strict=True):
            assert got == want[i], repr(batch[i])
    # as ``Archive.add`` calls it: the skeletons of some texts computed already (None: computed inside)
    pre = tokenbatch.hashes_and_skeletons(batch, fingerprint.FUNCTION_WORDS)
    given_skeletons = [None if p is None or k % 2 else p[1] for k, p in enumerate(pre)]
    assert fingerprint.fingerprints(batch, given_skeletons) == want
    assert [fingerprint.fingerprint(t) for t in batch] == want


@FEW
@given(st.lists(LONG_TEXT | TEXT, min_size=1, max_size=4))
def test_fingerprints_of_long_texts(batch):
    """Texts of several MinHash chunks, batched with short ones (chunks straddle the 128-shingle blocks)."""
    want = [ref_fingerprint(t) for t in batch]
    assert fingerprint.fingerprints(batch) == want
    assert fingerprint.fingerprints(batch[::-1]) == want[::-1]


def test_fingerprints_at_chunk_and_block_edges():
    """Texts of 0..600 distinct shingles batched together: MinHash chunks (CHUNK_MAX 256, CHUNK_SIZE 200)
    and the batch code's 128-shingle blocks begin and end at every kind of offset."""
    sizes = [*range(0, 40), 127, 128, 129, 131, 132, 133, 255, 256, 257, 259, 260, 261, 262, 385, 517, 604]
    texts = [" ".join(str(k * 1000 + i) for i in range(n)) for k, n in enumerate(sizes)]
    want = [ref_fingerprint(t) for t in texts]
    assert fingerprint.fingerprints(texts) == want
    assert fingerprint.fingerprints(texts[::-1]) == want[::-1]


@settings(FEW, max_examples=8)
@given(st.lists(TEXT, min_size=65, max_size=140))
def test_batches_over_one_chunk(batch):
    """More texts than one ``tokenbatch.CHUNK`` (64): the not-taken texts of any chunk fall back alone."""
    hashes = tokenbatch.content_hashes(batch)
    keys = corpus.batch_text_keys(batch)
    for t, h, (k, totals) in zip(batch, hashes, keys, strict=True):
        assert (h is None) == (not ref_eligible(t))
        assert h is None or h == ref_content_hash(t), repr(t)
        assert (k.tolist(), totals) == ref_text_keys(t), repr(t)
    assert fingerprint.fingerprints(batch) == [ref_fingerprint(t) for t in batch]


@CHECK
@given(st.lists(ASCII_TEXT | TEXT, min_size=1, max_size=6))
def test_tiny_chunks(batch):
    """``tokenbatch`` cuts a batch into CHUNK texts; with CHUNK = 2 most batches have several chunks, some
    mixing taken and not taken texts (those fall back one by one)."""
    with patch.object(tokenbatch, "CHUNK", 2):
        hashes = tokenbatch.content_hashes(batch)
        keys = tokenbatch.ngram_keys(batch, corpus.BUCKETS)
        skeletons = tokenbatch.skeleton_crcs(batch, fingerprint.FUNCTION_WORDS)
        fps = fingerprint.fingerprints(batch)
    for t, h, k, s, fp in zip(batch, hashes, keys, skeletons, fps, strict=True):
        assert (h is None) == (not ref_eligible(t))
        assert h is None or h == ref_content_hash(t), repr(t)
        assert k is None or (k[0].tolist(), k[1]) == ref_text_keys(t), repr(t)
        _check_skeleton(t, s)
        assert fp == ref_fingerprint(t), repr(t)


@CHECK
@given(ASCII_TEXT)
def test_ascii_regular_expressions(text):
    """The ASCII-only scans of ``skeleton`` and ``corpus`` find what the Unicode ones find."""
    assert fingerprint.skeleton(text) == ref_skeleton(text)
    keys, totals = corpus._chunk_text_keys([text])[0]
    assert (keys.tolist(), totals) == ref_text_keys(text)
    assert repaired_text(text) == normalise_text(text), repr(text)



_WORD = st.text(max_size=12) | st.sampled_from(_PIECES) | st.text(_CHARS, min_size=60, max_size=150)


@CHECK
@given(st.lists(_WORD, max_size=25), st.integers(1, 7))
def test_crc_of_joined_strings(words, size):
    """``match.crc``: the CRC of words joined by spaces (empty and long words included) combined from the
    words' CRCs is zlib.crc32 of the joined UTF-8; so is ``shift`` for any byte count."""
    words = [w.encode("utf-8", "surrogatepass").decode("utf-8", "replace") for w in words]
    crcs, lens = crc.word_crcs(words)
    got, got_lens = crc.run_crcs(crcs, lens, size)
    joined = [" ".join(words[i:i + size]).encode() for i in range(len(words) - size + 1)]
    assert got.tolist() == [zlib.crc32(j) for j in joined]
    assert got_lens.tolist() == [len(j) for j in joined]
    if len(words) >= 2:
        a, b = words[0].encode(), words[1].encode()
        combined = crc.shift(np.array([zlib.crc32(a)]), np.array([len(b)]))[0] ^ zlib.crc32(b)
        assert int(combined) == zlib.crc32(a + b)


@CHECK
@given(st.lists(TEXT, min_size=1, max_size=3))
def test_shingle_crcs(batch):
    """The shingle CRCs ``fingerprints`` hashes are zlib.crc32 of the reference shingle strings."""
    for t, got in zip(batch, tokenbatch.skeleton_crcs(batch, fingerprint.FUNCTION_WORDS), strict=True):
        if got is None:
            continue
        crcs, lens, _ = got
        ordered = ref_shingles(t)
        n = len(crcs)
        size = fingerprint.SHINGLE_SIZE if n > fingerprint.SHINGLE_SIZE else max(n, 1)
        runs, _ = crc.run_crcs(crcs, lens, size)
        assert runs.tolist() == [zlib.crc32(s.encode()) for s in ordered], repr(t)


_COLLIDING = ("7y7ghpm9", "7ve9pto6")  # zlib.crc32 2223154915 both (found by a birthday search)


def test_shingles_sharing_a_crc_are_counted_apart():
    """Different shingles with one CRC-32 (so one MinHash value) are still two distinct shingles: the
    batch count compares such shingles as strings."""
    a, b = _COLLIDING
    assert zlib.crc32(a.encode()) == zlib.crc32(b.encode())
    texts = [f"The {a} of the 5 said. The {b} of the 5 said.", f"Then {a} of the 5, {b} of the 5, {a} of the 5."]
    for t in texts:
        want = ref_fingerprint(t)
        assert len({zlib.crc32(s.encode()) for s in ref_shingles(t)}) < want.shingle_count
        assert fingerprint.fingerprints([t]) == [want]
    assert fingerprint.fingerprints(texts) == [ref_fingerprint(t) for t in texts]


# blanks between words, list items, quotes, headings: what the space repairs look at (one blank of a pair may be
# a no-break space; a run after a sentence end or on a layout line is left alone)
_BLANKS = st.sampled_from([" ", "\u00a0", "\t", "\n", "\r", "\r\n", "\u2009", "\u3000", "\x0c"])
_SPACEY = st.lists(st.tuples(st.sampled_from(["word", "Word.", "x", "é", "\n- item", "\n> q", "\n# h", "\n|", "end.",
                                              "café", ")", "’", "Ã", "\u200b", "\u0301", "1.", ""]) | _PIECE,
                             st.lists(st.sampled_from([" ", "\u00a0"]) | _BLANKS, min_size=1, max_size=3).map("".join)
                             ).map("".join),
                   max_size=20).map("".join)


# the shortcut's own corner: clean text but for one kind of repair between two words (a pair of blanks holding a
# no-break space, an invisible or control character, a combining mark, a mojibake pair)
_WORDS = st.sampled_from(["word", "Word.", "x", "é", "café", ")", "1.", "- item", "> q", "|", "ΟΔΟΣ", "漢字"])
_GLUE_LIST = [" ", "\n", "\r\n", "\u00a0", "\u00a0\u00a0", " \u00a0", "\u00a0 ", "\u00a0 \u00a0", "\n\u00a0\u00a0",
              "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff", "\u00ad", "\x85", "\x7f",
              "\x01", "\u0301", "Ã©", "â€™", "Ã", "\u00a0\u200d", " \r", " \r\n", "\t", "  "]
_GLUE = st.sampled_from(_GLUE_LIST)
_PLAIN = st.lists(st.tuples(_WORDS, st.sampled_from([" ", "\n"])).map("".join)).map("".join)
_ONE_REPAIR = st.tuples(_PLAIN, _WORDS, _GLUE, _WORDS, _PLAIN, _WORDS).map("".join)


@CHECK
@given(TEXT | _SPACEY | _ONE_REPAIR | _ONE_REPAIR | ASCII_TEXT)
def test_repaired_text(text):
    """``repaired_text``'s shortcut returns what ``normalise_text`` returns."""
    assert repaired_text(text) == normalise_text(text), repr(text)


def test_repaired_text_each_repair_alone():
    """Each repair the shortcut must see, alone between two words of clean text (and at the end)."""
    pairs = [("x", "y"), ("word", "Word."), ("café", "x"), ("1.", "- item"), ("ΟΔΟΣ", "漢字"), ("x", ""), ("", "x")]
    for glue in _GLUE_LIST:
        for a, b in pairs:
            for before in ("", "a b\n", "é "):
                text = before + a + glue + b
                assert repaired_text(text) == normalise_text(text), ascii(text)


@settings(max_examples=8, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(TEXT | news_mix(min_sentences=3, max_sentences=8), min_size=1, max_size=12), st.integers(1, 5))
def test_stored_rows(texts, batch_size):
    """An archive filled by ``trusted_import`` (the batch paths, executemany, json_each merge) holds the
    reference content hash, shingle count, band rows and n-gram counts of every stored text."""
    import sqlite3
    import tempfile
    from collections import Counter

    from unspin.document import record_document
    from unspin.match.archive import open_archive
    from unspin.match.gate import trusted_import

    docs = [record_document({"id": f"a{k}", "text": t}, f"feed#{k}") for k, t in enumerate(texts) if t.strip()]
    assert all(s.field == "body" for d in docs for s in d.segments)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a.sqlite"
        arc = open_archive(str(path))
        summary = trusted_import(arc, docs, batch_size=batch_size)
        arc.close()
        assert not summary.failed
        con = sqlite3.connect(path)
        try:
            rows = con.execute("SELECT pk, text, content_hash, shingle_count, band_count "
                               "FROM unspin_articles").fetchall()
            bands: dict[int, set[int]] = {}
            for key, pk in con.execute("SELECT key, article FROM unspin_bands"):
                bands.setdefault(pk, set()).add(key)
            n_band_rows = con.execute("SELECT count(*) FROM unspin_bands").fetchone()[0]
            grams = dict(con.execute("SELECT key, count FROM unspin_ngrams")) if con.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'unspin_ngrams'").fetchone() else {}
        finally:
            con.close()
    assert n_band_rows == sum(len(b) for b in bands.values())  # no repeated (key, article) row
    want_grams: Counter = Counter()
    seen = set()
    for pk, text, h, shingles, nbands in rows:
        fp = ref_fingerprint(text)
        assert h == ref_content_hash(text), repr(text)
        assert (shingles, nbands) == (fp.shingle_count, len(fp.keys)), repr(text)
        assert bands.get(pk, set()) == set(fp.keys), repr(text)
        if h not in seen:
            seen.add(h)
            want_grams.update(ref_text_keys(text)[0])
    assert grams == dict(want_grams)


def _import_wordless(tmp: str):
    from unspin.document import record_document
    from unspin.match.archive import open_archive
    from unspin.match.gate import trusted_import

    arc = open_archive(str(Path(tmp) / "a.sqlite"))
    try:
        return trusted_import(arc, [record_document({"id": "x", "text": "!!!"}, "feed#1")], batch_size=1)
    finally:
        arc.close()


def test_wordless_original_is_stored(tmp_path):
    """A batch of new originals without a single word (no n-gram) is stored. (Before the fast paths this
    raised ArchiveError "Incorrect number of bindings supplied": an ``executemany`` of zero rows; the
    ``json_each`` merge of an empty array does nothing.)"""
    summary = _import_wordless(str(tmp_path))
    assert summary.added == 1 and not summary.failed


def test_wordless_original_is_stored_on_old_sqlite(tmp_path):
    """Found by this file: on SQLite < 3.38 (no json_each path) an executemany of zero (bucket, count) rows
    raised 'Incorrect number of bindings supplied'; ``corpus._merge_sqlite`` now returns early."""
    import sqlite3

    with patch.object(sqlite3, "sqlite_version_info", (3, 37, 2)):  # the fallback path of SQLite before 3.38
        summary = _import_wordless(str(tmp_path))
    assert summary.added == 1 and not summary.failed


@pytest.mark.slow
def test_every_bmp_code_point():
    """Every code point below U+10000 (not a surrogate) in word, joiner, name and sentence-end positions:
    the class tables of ``tokenbatch`` agree with the regular expressions, and ``repaired_text`` with
    ``normalise_text`` (also after a mojibake lead byte and before a combining mark)."""
    from unspin.detect.normalise import normalise_text

    texts = [f"X{c}y a{c}-{c}b The{c} {c}of {c}. {c}Of 5{c}'{c}x {c}{c} A{c}B{c}"
             for c in map(chr, range(0x10000)) if not 0xD800 <= ord(c) < 0xE000]
    bad = []
    for i in range(0, len(texts), 4096):
        part = texts[i:i + 4096]
        got = zip(tokenbatch.content_hashes(part), tokenbatch.ngram_keys(part, corpus.BUCKETS),
                  tokenbatch.skeleton_crcs(part, fingerprint.FUNCTION_WORDS), strict=True)
        for t, (h, k, s) in zip(part, got, strict=True):
            if (h is None) != (not ref_eligible(t)) or (h is not None and (
                    h != ref_content_hash(t) or (k[0].tolist(), k[1]) != ref_text_keys(t)
                    or s[2]() != ref_skeleton(t) or s[0].tolist() != [zlib.crc32(w.encode()) for w in s[2]()])):
                bad.append(t[1])
    assert not bad, [hex(ord(c)) for c in bad[:20]]
    for c in map(chr, range(0x10000)):
        if not 0xD800 <= ord(c) < 0xE000:
            for t in (f"a{c}b", f"x {c}\ny", f"\u00c3{c}", f"{c}\u0301", f"{c} ", f"a{c} b", f"a {c}b", f"a{c}\u00a0b"):
                assert repaired_text(t) == normalise_text(t), ascii(t)
