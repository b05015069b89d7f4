"""Fingerprints that survive spinning: the skeleton of kept words, its shingles, MinHash and LSH keys.

A synonym spinner swaps content words ("recognition" -> "acknowledgment") but leaves function words,
names and numbers alone, because its thesaurus has no synonyms for them. The *skeleton* of a text is
the sequence of those kept words with every other word dropped; a spun copy has (nearly) the same
skeleton as its source, while an independent report of the same story shares its names and numbers
but strings them together with different function words. Shingles are runs of ``SHINGLE_SIZE``
skeleton words; MinHash estimates the Jaccard resemblance of two shingle sets, and LSH bands turn the
signature into keys that can be looked up in an SQL index.

Everything here is a pure function of the text and the parameters below, so fingerprints computed
by different processes (or different machines) agree. Changing a parameter changes every key: the
archive stores the parameters and refuses to mix them.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

SHINGLE_SIZE = 5
NUM_PERM = 256
BAND_ROWS = 2  # 128 bands of 2 rows: found with 96% odds at J = 0.16 (a third of a long source), 1.3% at J = 0.01
NUM_BANDS = NUM_PERM // BAND_ROWS
_SEED = 20260521
# A long text is fingerprinted in chunks of consecutive shingles, one signature (128 band keys) each:
# a passage copied out of a long article shares a large part of one chunk's shingles but only a
# sliver of the whole article's, too little for Jaccard-based LSH to find (a 120-shingle passage of a
# 4000-shingle article has J = 0.03: found with 11% odds; against its 200-shingle chunk, J >= 0.3).
# Texts up to CHUNK_MAX shingles (nine in ten news articles) are one chunk.
CHUNK_MAX = 256
CHUNK_SIZE = 200

# Closed-class words: no thesaurus spinner has synonyms for them, so they survive spinning.
FUNCTION_WORDS = frozenset("""
a an the this that these those some any each every no all both either neither another such
i me my mine we us our ours you your yours he him his she her hers it its they them their theirs
myself yourself himself herself itself ourselves themselves who whom whose which what whatever
and or but nor so yet if then than because although though while whereas unless until since as
of in on at by for with from to into onto upon about above below over under between among through
during before after against without within across along around behind beyond near off out up down
is am are was were be been being has have had having do does did doing will would shall should
can could may might must not n't 's there here when where why how also only just very too more most
""".split())

_SENTENCE_END = frozenset(".!?\"“”")
_DIGIT = re.compile(r"\d")


_SKELETON_TOKEN = re.compile(r"[^\W_]+(?:['’\-‐][^\W_]+)*|[.!?\"“”]")
_FOLD = str.maketrans({"’": "'", "‐": " ", "-": " "})


# the same tokens for an ASCII text, where ``[^\W_]`` is ``[A-Za-z0-9]``: a faster scan
_SKELETON_TOKEN_ASCII = re.compile(r"[A-Za-z0-9]+(?:['\-][A-Za-z0-9]+)*|[.!?\"]")


def skeleton(text: str) -> list[str]:
    """The words of ``text`` a spinner keeps: function words, numbers and names, lower-cased.

    A name is a capitalised word that does not start a sentence (a spinner that keeps the case of the
    first letter turns a sentence-initial "Officials" into "Authorities", so those are dropped).
    """
    out: list[str] = []
    append = out.append
    sentence_start = True
    function_words = FUNCTION_WORDS
    for tok in (_SKELETON_TOKEN_ASCII if text.isascii() else _SKELETON_TOKEN).findall(text):
        first = tok[0]
        if first in _SENTENCE_END:
            sentence_start = True
            continue
        low = tok.lower()
        if low in function_words or (first.isupper() and not sentence_start) or (
                not tok.isalpha() and _DIGIT.search(tok)):
            append(low if low.isalnum() else low.translate(_FOLD))
        sentence_start = False
    return out


def shingles(words: Sequence[str], size: int = SHINGLE_SIZE) -> set[str]:
    """Runs of ``size`` consecutive words (one run of all of them when there are fewer)."""
    if not words:
        return set()
    if len(words) <= size:
        return {" ".join(words)}
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def shingle_runs(words: Sequence[str], size: int = SHINGLE_SIZE) -> list[str]:
    """Shingles in text order, repeats included (what chunking cuts)."""
    if not words:
        return []
    if len(words) <= size:
        return [" ".join(words)]
    return [" ".join(words[i : i + size]) for i in range(len(words) - size + 1)]


def chunk_bounds(n: int) -> list[int]:
    """Start offsets of the chunks of ``n`` ordered shingles: one chunk up to CHUNK_MAX, else about
    CHUNK_SIZE each (equal parts)."""
    if n <= CHUNK_MAX:
        return [0]
    k = -(-n // CHUNK_SIZE)
    return [round(i * n / k) for i in range(k)]


def text_shingles(text: str) -> set[str]:
    """Skeleton shingles of a text: the set both retrieval and reranking compare."""
    return shingles(skeleton(text))


def hash_shingles(items: Iterable[str]):
    """32-bit stable hashes (CRC-32) of shingles as a numpy array; Python's hash() is salted per process."""
    import numpy as np

    return np.fromiter(map(zlib.crc32, map(str.encode, items)), dtype=np.uint64)


@cache
def _seeds():
    import numpy as np

    return np.random.RandomState(_SEED).randint(0, 1 << 62, size=NUM_PERM, dtype=np.int64).astype(np.uint64)


def _permuted_hashes(shingles):
    """splitmix64(crc32(shingle) XOR seed_i) for every shingle (rows) and permutation (columns)."""
    import numpy as np

    x = hash_shingles(shingles)[:, None] ^ _seeds()[None, :]  # type: ignore[arg-type]
    t = np.empty_like(x)
    with np.errstate(over="ignore"):  # in place: one scratch array instead of a dozen temporaries
        x += np.uint64(0x9E3779B97F4A7C15)
        x ^= np.right_shift(x, np.uint64(30), out=t)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= np.right_shift(x, np.uint64(27), out=t)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= np.right_shift(x, np.uint64(31), out=t)
    return x


def minhash(items: set[str]):
    """A NUM_PERM-value MinHash signature (uint64 values below 2**32); None for an empty set.

    Permutation i hashes a shingle as splitmix64(crc32(shingle) XOR seed_i): a well-mixed 64-bit hash
    per permutation in a few vectorised numpy operations (wrap-around multiplication intended).
    """
    import numpy as np

    if not items:
        return None
    return _permuted_hashes(items).min(axis=0) >> np.uint64(32)


def _chunk_signatures(ordered: list[str]):
    """MinHash signatures (one row per chunk, see ``chunk_bounds``) of ordered shingles, in one pass:
    every shingle is hashed once and each chunk's minimum taken with ``np.minimum.reduceat``."""
    import numpy as np

    x = _permuted_hashes(ordered)
    starts = chunk_bounds(len(ordered))
    mins = x.min(axis=0, keepdims=True) if len(starts) == 1 else np.minimum.reduceat(x, starts, axis=0)
    return mins >> np.uint64(32)


def band_keys(signature) -> list[int]:
    """One signed 64-bit LSH key per band: the band number in the top bits, its rows mixed below.

    ``signature`` is one MinHash signature or a 2-D array of them (one per chunk): keys of every row.
    """
    import numpy as np

    if signature is None:
        return []
    rows = signature.reshape(-1, NUM_BANDS, BAND_ROWS).astype(np.uint64)
    mixed = np.zeros(rows.shape[:2], dtype=np.uint64)
    with np.errstate(over="ignore"):  # wrap-around multiplication is the point of the mix
        for r in range(BAND_ROWS):
            mixed = (mixed ^ rows[:, :, r]) * np.uint64(0x9E3779B97F4A7C15)
            mixed ^= mixed >> np.uint64(29)
    mixed &= np.uint64((1 << 56) - 1)
    bands = np.arange(NUM_BANDS, dtype=np.uint64) << np.uint64(56)  # 128 bands: 7 bits, below the sign bit
    return (mixed | bands[None, :]).astype(np.int64).ravel().tolist()


@dataclass(frozen=True)
class Fingerprint:
    """What the archive stores and looks up for one text."""

    shingle_count: int
    keys: tuple[int, ...]  # distinct; NUM_BANDS per chunk, fewer when keys repeat


@lru_cache(maxsize=256)
def fingerprint(text: str) -> Fingerprint:
    """Skeleton shingles -> MinHash per chunk -> LSH band keys for ``text``.

    Cached (the last 256 texts): the archive's gate fingerprints an article to match it and again to
    store it; the result is immutable. ``fingerprints`` does many texts at once (the same result)."""
    return fingerprints([text])[0]


def fingerprint_reference(text: str) -> Fingerprint:
    """``fingerprint`` the plain way, one shingle string at a time (what the tests hold the batch code to)."""
    ordered = shingle_runs(skeleton(text))
    if not ordered:
        return Fingerprint(0, ())
    keys = band_keys(_chunk_signatures(ordered))
    return Fingerprint(len(set(ordered)), tuple(dict.fromkeys(keys)))


_BLOCK = 128  # shingles per block of the MinHash: a block's 128 x 256 hashes stay in the CPU cache


def fingerprints(texts: Sequence[str], skeletons: Sequence[Any] | None = None) -> list[Fingerprint]:
    """``fingerprint`` of each text, computed together: the same keys, bit for bit, at a fraction of
    the cost of one call per text.

    Each text's skeleton words are hashed once (CRC-32), and the CRC of every 5-word shingle is
    combined from them in numpy (``match.crc``) instead of building and hashing the shingle strings;
    the MinHash of all the texts' shingles runs in cache-sized blocks with preallocated arrays, each
    chunk's minimum taken per block; the band keys of all chunks come from one ``band_keys`` call.
    ``skeletons``: ``tokenbatch.skeleton_crcs`` of the texts when the caller has them (None entries
    are computed here)."""
    import numpy as np

    from .crc import run_crcs, word_crcs
    from .tokenbatch import skeleton_crcs

    # per text: (CRC-32 and UTF-8 length of each skeleton word, the words as strings on demand);
    # ``tokenbatch`` does the texts it takes without building the words, the others go word by word
    if skeletons is None or any(x is None for x in skeletons):
        todo = [k for k in range(len(texts)) if skeletons is None or skeletons[k] is None]
        fresh = dict(zip(todo, skeleton_crcs([texts[k] for k in todo], FUNCTION_WORDS), strict=True))
        skeletons = [fresh[k] if k in fresh else skeletons[k] for k in range(len(texts))]  # type: ignore[index]
    per_text: list[tuple[Any, Any, Any]] = []
    for text, got in zip(texts, skeletons, strict=True):
        if got is not None:
            per_text.append(got)
        else:
            words = skeleton(text)
            c, ln = word_crcs(words)
            per_text.append((c, ln, lambda idx, words=words: [words[i] for i in idx]))
    crcs = np.concatenate([c for c, _, _ in per_text]) if per_text else np.zeros(0, dtype=np.int64)
    lens = np.concatenate([ln for _, ln, _ in per_text]) if per_text else np.zeros(0, dtype=np.int64)
    runs, _ = run_crcs(crcs, lens, SHINGLE_SIZE)  # the shingle starting at every skeleton word
    hashes = []  # per text: CRC-32 of its ordered shingles
    counts: list[int] = []  # distinct shingles per text
    at = 0
    for c, _, words in per_text:
        n = len(c)
        if n > SHINGLE_SIZE:
            h = runs[at:at + n - SHINGLE_SIZE + 1]
        elif n:  # one shingle of all the words
            h = run_crcs(crcs[at:at + n], lens[at:at + n], n)[0]
        else:
            h = None
        at += n
        hashes.append(h)
        counts.append(0 if h is None else _distinct_shingles(words, h))
    sizes = [0 if h is None else len(h) for h in hashes]
    total = sum(sizes)
    if not total:
        return [Fingerprint(0, ()) for _ in texts]
    all_h = np.concatenate([h for h in hashes if h is not None]).astype(np.uint64)
    starts: list[int] = []  # chunk starts over the concatenated shingles
    n_chunks = []
    at = 0
    for n in sizes:
        if n:
            b = chunk_bounds(n)
            starts.extend(at + x for x in b)
            n_chunks.append(len(b))
            at += n
        else:
            n_chunks.append(0)
    sig = _block_minhash(all_h, np.asarray(starts, dtype=np.int64))
    keys = band_keys(sig)
    out = []
    k = 0
    for c, nc in zip(counts, n_chunks, strict=True):
        if not nc:
            out.append(Fingerprint(0, ()))
            continue
        out.append(Fingerprint(c, tuple(dict.fromkeys(keys[k:k + nc * NUM_BANDS]))))
        k += nc * NUM_BANDS
    return out


def _distinct_shingles(get_words: Any, crcs) -> int:
    """How many distinct shingles (strings) a text has, given the CRC-32 of each: shingles with
    different CRCs differ, so only shingles that share a CRC are compared as strings (built from
    ``get_words(indices)``, the skeleton words at those positions)."""
    import numpy as np

    s = np.sort(crcs)
    repeated = s[1:][s[1:] == s[:-1]]
    if not len(repeated):
        return len(s)
    size = SHINGLE_SIZE if len(s) > 1 else None  # one shingle: nothing to compare
    count = len(s) - len(repeated)  # distinct CRCs
    for h in np.unique(repeated).tolist():
        group = np.flatnonzero(crcs == h).tolist()
        if size is not None:
            strings = {" ".join(get_words(range(i, i + size))) for i in group}
            count += len(strings) - 1
    return count


def _block_minhash(h, starts):
    """MinHash signatures (rows: the chunks beginning at ``starts``, uint64 values below 2**32) of the
    shingle CRCs ``h``: ``_permuted_hashes`` block by block into preallocated arrays, and the minimum
    of each chunk's part of a block merged into its row."""
    import numpy as np

    n = len(h)
    seeds = _seeds()
    sig = np.full((len(starts), NUM_PERM), np.iinfo(np.uint64).max, dtype=np.uint64)
    buf = np.empty((_BLOCK, NUM_PERM), dtype=np.uint64)
    tmp = np.empty_like(buf)
    c1, c2, c3 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
    s30, s27, s31 = np.uint64(30), np.uint64(27), np.uint64(31)
    ends = np.append(starts[1:], n)
    with np.errstate(over="ignore"):
        for b0 in range(0, n, _BLOCK):
            b1 = min(n, b0 + _BLOCK)
            x, t = buf[: b1 - b0], tmp[: b1 - b0]
            np.bitwise_xor(h[b0:b1, None], seeds[None, :], out=x)
            x += c1
            x ^= np.right_shift(x, s30, out=t)
            x *= c2
            x ^= np.right_shift(x, s27, out=t)
            x *= c3
            x ^= np.right_shift(x, s31, out=t)
            first = int(np.searchsorted(starts, b0, side="right")) - 1  # the chunk holding row b0
            last = int(np.searchsorted(starts, b1, side="left"))  # chunks first..last-1 meet the block
            if last - first == 1:
                np.minimum(sig[first], x.min(axis=0), out=sig[first])
                continue
            local = np.maximum(starts[first:last], b0) - b0
            mins = np.minimum.reduceat(x, local, axis=0)
            np.minimum(sig[first:last], mins, out=sig[first:last])
    del ends
    return sig >> np.uint64(32)


def containment(query: set[str], other: set[str]) -> float:
    """Share of the query's shingles found in ``other`` (1.0 when the query is a copy of part of it)."""
    if not query:
        return 0.0
    return len(query & other) / len(query)


def resemblance(a: set[str], b: set[str]) -> float:
    """Jaccard resemblance of two shingle sets."""
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)


def params() -> dict[str, str]:
    """The parameters that determine every key; stored in the archive so incompatible ones are refused."""
    return {"fingerprint": f"skeleton-v4 k={SHINGLE_SIZE} perm={NUM_PERM} rows={BAND_ROWS} seed={_SEED} "
                          f"chunks={CHUNK_SIZE}/{CHUNK_MAX}"}
