"""CRC-32 of joined strings from the CRC-32 of their parts, for whole arrays at once (numpy).

The archive keys n-grams and shingles by ``zlib.crc32`` of their words joined by spaces. Building
each joined string and hashing it costs a Python call per n-gram; CRC-32 is linear over GF(2), so the
CRC of ``A + B`` follows from the CRCs of ``A`` and ``B`` and the byte length of ``B``:

    crc32(A + B) == shift(crc32(A), len(B)) ^ crc32(B)

where ``shift(c, n)`` feeds n zero bytes through the CRC register (zlib's ``crc32_combine``). It is a
linear map of the 32 bits of ``c``, so for each n it is four 256-entry tables (one per byte of c):
the CRC of every n-gram of a text is then a few numpy gathers per word, and equals ``zlib.crc32`` of
the joined string bit for bit (tests/test_archive_speed.py checks it on many texts).
"""

from __future__ import annotations

import zlib
from functools import cache

_POLY = 0xEDB88320
TABLE_MAX = 64  # shift tables for 0..TABLE_MAX bytes; longer shifts are composed from them
SPACE_CRC = zlib.crc32(b" ")


@cache
def tables():
    """(byte table of the CRC, shift tables: shape (TABLE_MAX + 1) * 4 * 256, flat, uint32 as int64)."""
    import numpy as np

    t = np.arange(256, dtype=np.int64)
    for _ in range(8):
        t = np.where(t & 1, (t >> 1) ^ _POLY, t >> 1)
    # shift tables: entry [n, k, v] = shift(v << 8k, n); shift by one byte: r -> T[r & 255] ^ (r >> 8)
    base = (np.arange(256, dtype=np.int64)[None, :] << (8 * np.arange(4, dtype=np.int64))[:, None])
    out = np.empty((TABLE_MAX + 1, 4, 256), dtype=np.int64)
    r = base
    out[0] = r
    for n in range(1, TABLE_MAX + 1):
        r = t[r & 255] ^ (r >> 8)
        out[n] = r
    return t, out.reshape(-1)


def shift(c, n):
    """``shift(c[i], n[i])`` for arrays of CRCs (int64 holding uint32) and byte counts (int64, >= 0)."""
    import numpy as np

    _, tab = tables()
    c = np.asarray(c, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    if n.size and n.max() > TABLE_MAX:  # rare (very long words): compose shifts of TABLE_MAX bytes
        c = c.copy()
        n = n.copy()
        while True:
            big = np.flatnonzero(n > TABLE_MAX)
            if not big.size:
                break
            c[big] = _shift_small(tab, c[big], np.full(big.size, TABLE_MAX, dtype=np.int64))
            n[big] -= TABLE_MAX
    return _shift_small(tab, c, n)


def _shift_small(tab, c, n):
    base = n * 1024
    return (tab[base + (c & 255)] ^ tab[base + 256 + ((c >> 8) & 255)]
            ^ tab[base + 512 + ((c >> 16) & 255)] ^ tab[base + 768 + (c >> 24)])


@cache
def _space_shifts():
    """shift(crc32(b" "), n) for n in 0..TABLE_MAX."""
    import numpy as np

    n = np.arange(TABLE_MAX + 1, dtype=np.int64)
    return _shift_small(tables()[1], np.full(n.shape, SPACE_CRC, dtype=np.int64), n)


def join_space(left, right, right_len):
    """CRC-32 of ``A + " " + B`` from crc32(A), crc32(B) and B's byte length (int64 arrays)."""
    import numpy as np

    if right_len.size and right_len.max() >= TABLE_MAX:
        return shift(left, right_len + 1) ^ shift(np.full(right_len.shape, SPACE_CRC, dtype=np.int64),
                                                 right_len) ^ right
    return _shift_small(tables()[1], left, right_len + 1) ^ _space_shifts()[right_len] ^ right


def word_crcs(words) -> tuple:
    """(crc32 of each word's UTF-8 bytes, byte length of each) as int64 arrays."""
    import numpy as np

    encoded = list(map(str.encode, words))
    crcs = np.fromiter(map(zlib.crc32, encoded), dtype=np.int64, count=len(encoded))
    lens = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    return crcs, lens


def run_crcs(crcs, lens, size: int):
    """CRC-32 of every run of ``size`` consecutive words joined by spaces (positions 0..n-size), and the
    byte length of each run: for words w, ``crc32(" ".join(w[i:i+size]).encode())`` for every i."""
    import numpy as np

    n = len(crcs) - size + 1
    if n <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    c = crcs[:n].copy()
    ln = lens[:n].copy()
    for j in range(1, size):
        c = join_space(c, crcs[j:j + n], lens[j:j + n])
        ln += lens[j:j + n] + 1
    return c, ln
