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
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

SHINGLE_SIZE = 5
NUM_PERM = 256
BAND_ROWS = 2  # 128 bands of 2 rows: found with 96% odds at J = 0.16 (a third of a long source), 1.3% at J = 0.01
NUM_BANDS = NUM_PERM // BAND_ROWS
_SEED = 20260521

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


def skeleton(text: str) -> list[str]:
    """The words of ``text`` a spinner keeps: function words, numbers and names, lower-cased.

    A name is a capitalised word that does not start a sentence (a spinner that keeps the case of the
    first letter turns a sentence-initial "Officials" into "Authorities", so those are dropped).
    """
    out: list[str] = []
    append = out.append
    sentence_start = True
    function_words = FUNCTION_WORDS
    for tok in _SKELETON_TOKEN.findall(text):
        first = tok[0]
        if first in _SENTENCE_END:
            sentence_start = True
            continue
        low = tok.lower()
        if low in function_words or (first.isupper() and not sentence_start) or _DIGIT.search(tok):
            append(low.translate(_FOLD) if "-" in low or "’" in low or "‐" in low else low)
        sentence_start = False
    return out


def shingles(words: Sequence[str], size: int = SHINGLE_SIZE) -> set[str]:
    """Runs of ``size`` consecutive words (one run of all of them when there are fewer)."""
    if not words:
        return set()
    if len(words) <= size:
        return {" ".join(words)}
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def text_shingles(text: str) -> set[str]:
    """Skeleton shingles of a text: the set both retrieval and reranking compare."""
    return shingles(skeleton(text))


def hash_shingles(items: set[str]):
    """32-bit stable hashes (CRC-32) of shingles as a numpy array; Python's hash() is salted per process."""
    import numpy as np

    return np.fromiter((zlib.crc32(s.encode("utf-8")) for s in items), dtype=np.uint64, count=len(items))


@cache
def _seeds():
    import numpy as np

    return np.random.RandomState(_SEED).randint(0, 1 << 62, size=NUM_PERM, dtype=np.int64).astype(np.uint64)


def minhash(items: set[str]):
    """A NUM_PERM-value MinHash signature (uint64 values below 2**32); None for an empty set.

    Permutation i hashes a shingle as splitmix64(crc32(shingle) XOR seed_i): a well-mixed 64-bit hash
    per permutation in a few vectorised numpy operations (wrap-around multiplication intended).
    """
    import numpy as np

    if not items:
        return None
    x = hash_shingles(items)[:, None] ^ _seeds()[None, :]
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return x.min(axis=0) >> np.uint64(32)


def band_keys(signature) -> list[int]:
    """One signed 64-bit LSH key per band: the band number in the top bits, its rows mixed below."""
    import numpy as np

    if signature is None:
        return []
    rows = signature.reshape(NUM_BANDS, BAND_ROWS).astype(np.uint64)
    mixed = np.zeros(NUM_BANDS, dtype=np.uint64)
    with np.errstate(over="ignore"):  # wrap-around multiplication is the point of the mix
        for r in range(BAND_ROWS):
            mixed = (mixed ^ rows[:, r]) * np.uint64(0x9E3779B97F4A7C15)
            mixed ^= mixed >> np.uint64(29)
    mixed &= np.uint64((1 << 56) - 1)
    bands = np.arange(NUM_BANDS, dtype=np.uint64) << np.uint64(56)  # 128 bands: 7 bits, below the sign bit
    return [int(k) for k in (mixed | bands)]


@dataclass(frozen=True)
class Fingerprint:
    """What the archive stores and looks up for one text."""

    shingle_count: int
    keys: tuple[int, ...]


def fingerprint(text: str) -> Fingerprint:
    """Skeleton shingles -> MinHash -> LSH band keys for ``text``."""
    items = text_shingles(text)
    return Fingerprint(len(items), tuple(band_keys(minhash(items))))


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
    return {"fingerprint": f"skeleton-v3 k={SHINGLE_SIZE} perm={NUM_PERM} rows={BAND_ROWS} seed={_SEED}"}
