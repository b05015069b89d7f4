"""The trigram LM's tables: pocketsphinx's en-us trigram trie as flat sorted numpy arrays
(``models/generic/lm_*.npy``, memory-mapped), read once, queried in batches.

One reader, two views: :class:`LMTables` (the base of US201's ``GenericModel``) loads the tables and
answers ``trigram``/``bigram`` in log10, floored, bit for bit what ``NGramModel.prob`` gives;
:class:`TrigramLM` (the scorer's substitution gain, ``context_lm``) reads the same arrays unfloored,
in pocketsphinx units. Both find keys with :meth:`LMTables.search`. Built by
``scripts/build_generic_tables.py``.
"""

from __future__ import annotations

import math
import os
import re
from typing import Any

LOG10_BASE = math.log10(1.0001)  # pocketsphinx log-math base
FLOOR = -7.0  # log10 probability of a word the LM does not know
LOG_ZERO = -400_000_000  # pocketsphinx scores at or below this are "impossible" (FLOOR)
WORD_BITS = 17  # n-gram keys: word ids take 17 bits (see scripts/build_generic_tables.py)
# LM table look-ups (LMTables.search): batches of PAGE_MIN keys or more go through a page index
PAGE_CHUNK = 4096  # keys per gather of pages
PAGE, PAGE_MIN = 16, 64  # (PAGE: 16 keys, whose "below the key" flags are counted as two 64-bit words)


# The header numpy writes for a C-ordered array of a simple dtype (format 1.0): what load_npy reads itself
_NPY_HEADER = re.compile(
    rb"\{'descr': '([<>|][a-zA-Z]\d+)', 'fortran_order': False, 'shape': \(((?:\d+, ?)*\d*)\), \} *\n")


def load_npy(path: Any):
    """A model's ``.npy`` file memory-mapped read-only, as a plain ndarray: what
    ``np.asarray(np.load(path, mmap_mode="r", allow_pickle=False))`` gives (same dtype, shape and
    bytes), without ``np.load``'s header parse by ``ast.literal_eval`` and ``np.memmap`` set-up (about
    a tenth of the time; a cold ``check`` maps 30-odd of these). A file whose header is not the plain
    one numpy writes for a C-ordered array of a simple dtype goes to ``np.load``."""
    import mmap

    import numpy as np

    with open(path, "rb") as fh:
        head = fh.read(256)
        m = None
        if head[:8] == b"\x93NUMPY\x01\x00":
            end = 10 + int.from_bytes(head[8:10], "little")
            m = _NPY_HEADER.fullmatch(head[10:end])
        if m is not None:
            dtype = np.dtype(m.group(1).decode("ascii"))
            shape = tuple(int(x) for x in m.group(2).split(b",") if x.strip())
            count = math.prod(shape)
            size = count * dtype.itemsize
            if size and not dtype.hasobject and end + size <= os.fstat(fh.fileno()).st_size:
                buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
                return np.frombuffer(buf, dtype=dtype, count=count, offset=end).reshape(shape)
    return np.asarray(np.load(path, mmap_mode="r", allow_pickle=False))


def grow_columns(obj: Any, names: tuple[str, ...], need: int) -> None:
    """Make the numpy columns ``obj.<name>`` hold at least ``need`` rows (doubling, zero-filled, rows
    kept): the per-token-type tables of this model and of the scorer's context tables."""
    size = len(getattr(obj, names[0]))
    if need <= size:
        return
    size = max(need, 2 * size)
    for name in names:
        old = getattr(obj, name)
        grown = obj.np.zeros(size, dtype=old.dtype)
        grown[:len(old)] = old
        setattr(obj, name, grown)


class LMTables:
    """The LM tables, loaded by :meth:`load_lm_tables` (a subclass also reads its own arrays)."""

    np: Any

    def load_lm_tables(self, arr) -> None:
        """Load the ``lm_*`` tables with ``arr(name)`` (a memory-mapped .npy of the model folder)."""
        import numpy as np

        self.np = np
        # the trigram LM as flat sorted tables (scripts/build_generic_tables.py build_lm_tables)
        self.lm_words = arr("lm_words")  # sorted LM words; an LM id is a position here
        self.lm_uni = arr("lm_uni").astype(np.float64)  # log10 P(w) per LM id
        self.lm_uprob = arr("lm_uprob")  # float32 unigram log-prob, pocketsphinx log base
        self.lm_ubo = arr("lm_ubo")  # float32 unigram backoff weight, pocketsphinx log base
        self.lm_ubo0 = np.append(self.lm_ubo, np.float32(0.0))  # ... and 0 at -1 (an unknown word)
        self.lm_bi_key = arr("lm_bi_key")  # sorted predicted << 17 | history
        self.lm_bi_p = arr("lm_bi_p")  # quantiser bin of the bigram's log-prob
        self.lm_bi_bo = arr("lm_bi_bo")  # ... and of its backoff weight
        self.lm_tri_key = arr("lm_tri_key")  # sorted bigram entry << 17 | second history word
        self.lm_tri_p = arr("lm_tri_p")
        quant = arr("lm_quant")
        self.q_bp, self.q_bbo, self.q_tp = quant[:65536], quant[65536:131072], quant[131072:]
        self._pages: dict[int, Any] = {}  # page index and pages per LM key table (search, _paged)
        self._popcount = getattr(np, "bitwise_count", None)  # numpy >= 2

    # -- the LM --------------------------------------------------------------------------------------
    def trigram(self, w, p1, p2):
        """log10 P(w | p2 p1) for arrays of LM ids (-1: unknown): exactly what
        ``NGramModel.prob([w, p1, p2]) * log10(1.0001)`` gives, floored at FLOOR (FLOOR for an
        unknown w; an unknown p1 leaves the unigram, an unknown p2 the bigram with backoff)."""
        np = self.np
        w, p1, p2 = np.broadcast_arrays(np.asarray(w, dtype=np.int64), np.asarray(p1, dtype=np.int64),
                                        np.asarray(p2, dtype=np.int64))
        shape = w.shape
        w, p1, p2 = w.ravel(), p1.ravel(), p2.ravel()
        b, hb = self._bi(np.concatenate((w, p1)), np.concatenate((p1, p2)))
        n = len(w)
        t, ht = self._tri(b[:n], hb[:n], p2)
        return self._lp(w, p1, p2, b[:n], hb[:n], self._bo(b[n:], hb[n:]), t, ht).reshape(shape)

    # The pieces of trigram(), so that callers can share look-ups: a query P(w | p2 p1) needs the
    # bigram entry (w | p1), the backoff of the history bigram (p1 | p2), and the trigram entry.
    def search(self, table, key):
        """Positions of keys in a sorted table (``lm_bi_key``, ``lm_tri_key``): (position, found),
        the position that of ``table.searchsorted(key)`` clipped to the table.

        The tables are far larger than the CPU caches, so a binary search is a chain of cache misses.
        The keys are searched in sorted order (neighbouring keys share the cache lines their searches
        touch), and a batch of PAGE_MIN keys or more goes through a page index (every PAGE-th key
        of the table, ~1 MB, made on first use): a search in the index, which stays in cache,
        gives each key's page, and the page is read as one row of the table (two cache lines) and
        counted (the keys before it in the page). About 12% off US201's time. A key repeated in the
        batch is searched once; with the rows and the packed sort (``_sorted``), 35-45% less CPU in
        here than a gather of the page's keys (docs/benchmarks.md, "Second round")."""
        np = self.np
        n = len(key)
        if n > 32:
            order, ks = self._sorted(key)
        else:
            order, ks = None, key
        if n >= PAGE_MIN:
            paged = self._pages.get(id(table))
            if paged is None:
                paged = self._pages[id(table)] = self._paged(table)
            index, pages, tail = paged
            # a key repeated in the batch (about a fifth of them) is searched once: the sorted keys'
            # runs, and each key's run
            first = np.empty(n, dtype=bool)
            first[0] = True
            np.not_equal(ks[1:], ks[:-1], out=first[1:])
            run = np.cumsum(first)
            run -= 1
            ks = ks[first]
            n_all, n = n, len(ks)
            # the last page whose first key is below the key: every key before it is too, every key
            # from the next page on is not (a partial last page is padded with the table's last key)
            page = index.searchsorted(ks)
            page -= 1
            np.maximum(page, 0, out=page)
            p = page * PAGE
            # the pages are read PAGE_CHUNK keys at a time (whole rows of the table seen as PAGE
            # columns: a copy of 16 contiguous keys each, not 16 gathered elements): a whole batch's
            # rows would be a temporary of tens of MB (page faults, out of cache)
            for a in range(0, n, PAGE_CHUNK):
                pc = p[a:a + PAGE_CHUNK]
                pg = page[a:a + PAGE_CHUNK]
                rows = pages.take(np.minimum(pg, len(pages) - 1), axis=0)
                if tail is not None:
                    rows[pg == len(pages)] = tail
                less = rows < ks[a:a + PAGE_CHUNK, None]
                if self._popcount is not None:  # PAGE flags (bytes 0/1) = two 64-bit words per key
                    words = self._popcount(less.view(np.uint64))
                    pc += words[:, 0]
                    pc += words[:, 1]
                else:  # pragma: no cover - numpy < 2
                    pc += less.sum(axis=1)
            p = p[run]
            n = n_all
        else:
            p = table.searchsorted(ks)
        if order is not None:
            pos = np.empty(n, dtype=np.int64)
            pos[order] = p
        else:
            pos = p
        np.minimum(pos, len(table) - 1, out=pos)
        return pos, table[pos] == key

    def _sorted(self, key):
        """(order, key[order]) with the keys in ascending order: one sort of the keys packed with
        their positions (key << bits | position; twice as fast as an argsort and a gather), or an
        argsort where a key is too large to pack."""
        np = self.np
        bits = len(key).bit_length()
        lim = 1 << (62 - bits)
        if key.dtype == np.int64 and len(key) and -lim <= int(key.min()) and int(key.max()) < lim:
            packed = key << bits
            packed |= np.arange(len(key))
            packed.sort()
            order = packed & ((1 << bits) - 1)
            packed >>= bits
            return order, packed
        order = np.argsort(key)
        return order, key[order]

    def _paged(self, table):
        """The page index of a key table (every PAGE-th key), the table's whole pages as rows (a view),
        and its partial last page padded with its last key (None when there is none)."""
        np = self.np
        full = len(table) // PAGE
        tail = None
        if full * PAGE < len(table):
            tail = np.full(PAGE, table[-1], dtype=table.dtype)
            tail[:len(table) - full * PAGE] = table[full * PAGE:]
        pages = table[:full * PAGE].reshape(full, PAGE)
        if not full:  # a table shorter than a page: its one page
            pages, tail = tail.reshape(1, PAGE), None
        return np.ascontiguousarray(table[::PAGE]), pages, tail

    def _bi(self, w, p1):
        """Bigram entries (w | p1) of arrays of LM ids: (entry, found); never found when w or p1 is
        unknown (-1: its key is negative, or found only by chance, so the found flag is masked).
        The entry of a bigram that is not found is some valid index (never read)."""
        pos, hit = self.search(self.lm_bi_key, (w << WORD_BITS) | p1)
        hit &= w >= 0
        hit &= p1 >= 0
        return pos, hit

    def _tri(self, b, hb, p2):
        """Trigram entries (bigram entry b, second history word p2): (entry, found)."""
        np = self.np
        pos = np.zeros(len(b), dtype=np.int64)
        hit = np.zeros(len(b), dtype=bool)
        q = np.flatnonzero(hb & (p2 >= 0))
        if len(q):
            pos[q], hit[q] = self.search(self.lm_tri_key, (b[q] << WORD_BITS) | p2[q])
        return pos, hit

    def _bo(self, b, hb):
        """float32 backoff weight of bigram entries (0 where not found), pocketsphinx log base."""
        np = self.np
        return np.where(hb, self.q_bbo[self.lm_bi_bo[b]], np.float32(0.0))

    def _lp(self, w, p1, p2, b, hb, hbo, t, ht):
        """log10 P(w | p2 p1) from its look-ups (lm_trie.c lm_trie_score, in float32): b/hb the bigram
        entry (w | p1), hbo the history bigram's backoff, t/ht the trigram entry.

        The look-ups carry the unknown-word cases (as _bi, _tri and _bo make them): an unknown p1
        finds no bigram (w | p1) and no history bigram (hbo 0), so the backed-off sum is the
        unigram alone (``lm_ubo0`` holds a 0 for the unknown p1 at index -1); an unknown p2 finds
        no trigram and no history bigram, so the sum is the bigram's. A probability at or below
        pocketsphinx's LOG_ZERO is below FLOOR anyway; an unknown w gets FLOOR."""
        np = self.np
        bp = self.q_bp[self.lm_bi_p[b]]
        r = np.where(hb, np.where(ht, self.q_tp[self.lm_tri_p[t]], bp + hbo),
                     self.lm_uprob[w] + self.lm_ubo0[p1] + hbo)
        np.maximum(r, np.float32(-2e9), out=r)
        v = r.astype(np.int32) * LOG10_BASE  # C's (int32) truncation
        np.maximum(v, FLOOR, out=v)
        v[w < 0] = FLOOR
        return v

    def bigram(self, a, b):
        """log10 P(b|a) (arrays of LM ids, -1 unknown): exactly lm.prob([b, a]) * log10(1.0001),
        floored at FLOOR; FLOOR for an unknown b."""
        np = self.np
        a = np.asarray(a, dtype=np.int64)
        return self.trigram(b, a, np.full(a.shape, -1, dtype=np.int64))


class TrigramLM:
    """Batched look-ups in the LM tables of US201's model (``GenericModel.lm_*``: pocketsphinx's
    trigram trie as flat sorted arrays, read-only), unfloored, so that the gain keeps its own floor.

    Bigram entries are keyed ``predicted << 17 | history``, trigram entries ``bigram entry << 17 |
    second history``; probabilities and back-off weights are quantiser bins in pocketsphinx's log base
    1.0001. ``score`` gives what ``NGramModel.prob([w, h1, h2])`` gives (to its integer rounding; a
    test compares it with ``GenericModel.trigram``). Callers look entries up once and share them: the
    history bigram of one probe is the predicted bigram of the probe before it."""

    def __init__(self, generic: Any):
        np = generic.np
        self.np = np
        self.bi_key, self.bi_p, self.bi_bo = generic.lm_bi_key, generic.lm_bi_p, generic.lm_bi_bo
        self.tri_key, self.tri_p = generic.lm_tri_key, generic.lm_tri_p
        self._search = generic.search
        self.uprob = np.asarray(generic.lm_uprob, dtype=np.float64)
        self.ubo = np.asarray(generic.lm_ubo, dtype=np.float64)
        self.ubo0 = np.append(self.ubo, 0.0)  # the back-off weight of an unknown history word (-1): 0
        self.q_bi_p = np.asarray(generic.q_bp, dtype=np.float64)
        self.q_bi_bo = np.asarray(generic.q_bbo, dtype=np.float64)
        self.q_tri_p = np.asarray(generic.q_tp, dtype=np.float64)

    def _find(self, keys: Any, key: Any):
        """Positions of ``key`` in the sorted ``keys`` (clipped to the table) and whether they are
        there: ``LMTables.search`` (sorted keys, page index)."""
        return self._search(keys, key)

    def bigrams(self, pred, hist):
        """(index, found) of the bigram entries ``hist pred`` (LM ids; a -1 is never found)."""
        np = self.np
        pos, hit = self._find(self.bi_key, (np.maximum(pred, 0) << WORD_BITS) | np.maximum(hist, 0))
        return pos, hit & (pred >= 0) & (hist >= 0)

    def trigrams(self, bi, bi_hit, hist2):
        """(index, found) of the trigram entries (bigram entry ``bi``, second history word)."""
        np = self.np
        pos = np.zeros(len(bi), dtype=np.int64)
        hit = np.zeros(len(bi), dtype=bool)
        q = np.flatnonzero(bi_hit & (hist2 >= 0))  # no bigram, no trigram
        if len(q):
            pos[q], hit[q] = self._find(self.tri_key, (bi[q] << WORD_BITS) | hist2[q])
        return pos, hit

    def score(self, w, h1, e, e_hit, f, f_hit, t, t_hit):
        """lp(w | h2 h1), pocketsphinx units, from the entries looked up: e = bigram ``h1 w``, f = bigram
        ``h2 h1`` (its back-off weight), t = trigram ``h2 h1 w``. An unknown history word ends the
        history (as in pocketsphinx); an unknown w gets -inf (callers floor it)."""
        np = self.np
        lp = self.uprob[w] + self.ubo0[h1]  # (an unknown w is set below, an unknown h1 adds 0)
        # the quantised values are read only where an entry was found: a lookup at a random place
        # in these tables is a cache miss
        i = np.flatnonzero(e_hit)
        lp[i] = self.q_bi_p[self.bi_p[e[i]]]
        i = np.flatnonzero(f_hit & ~t_hit)
        lp[i] += self.q_bi_bo[self.bi_bo[f[i]]]
        i = np.flatnonzero(t_hit)
        lp[i] = self.q_tri_p[self.tri_p[t[i]]]
        lp[w < 0] = -np.inf
        return lp
