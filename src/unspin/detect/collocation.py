"""Collocation evidence: how established a bigram is, from three offline sources.

US202 (``spinmap.py``) restores a spinner word to one of its learned canonical options. The trigram LM
ranks the options by probability, which favours frequent near-synonyms ("set" for "classification");
collocation strength asks instead whether the restored word pairs *specifically* with its
neighbours ("classification algorithm", "ant colony"), and whether the observed pair is itself an
established one. Per bigram (a, b), with arrays of LM ids in and numpy arrays out:

* ``lm``: the pocketsphinx en-us LM (the generic model's tables, read only): log10 P(b | a) - log10 P(b)
  where the LM holds the bigram as an entry (not backed off), else 0;
* ``ss``: symspellpy's bigram list (Google Books counts; the list starts at about 6.4 million
  occurrences): log10 count(a b) - log10 count(a) - log10 count(b) + log10 N, else 0;
* ``wn``: Wikinews 2019-2020 TRAIN part (CC BY 2.5), bigrams seen twice or more: the same PMI, else 0.

The counts are ``models/colloc/colloc.npz`` (``scripts/build_collocations.py``; numpy arrays, loaded on
first use, never on the start-up path).
"""

from __future__ import annotations

from functools import cache
from typing import Any

MIN_WIKINEWS = 2  # the fewest occurrences of a Wikinews bigram in the table (build_collocations.py)


class Collocations:
    def __init__(self, path=None):
        import numpy as np

        if path is None:
            from ..resources import model_path

            path = model_path("colloc", "colloc.npz")
        with np.load(path, allow_pickle=False) as z:
            self.words = z["words"]
            self.ss_uni = z["ss_uni"].astype(np.float64)
            self.ss_keys = z["ss_keys"]
            self.ss_val = z["ss_val"].astype(np.float64)
            self.wn_uni = z["wn_uni"].astype(np.float64)
            self.wn_keys = z["wn_keys"]
            self.wn_val = z["wn_val"].astype(np.float64)
            self.totals = z["totals"]
        self.np = np
        self.W = len(self.words)
        self.log_ss_total = float(np.log10(self.totals[0]))
        self.log_wn_total = float(np.log10(max(self.totals[1], 1.0)))
        self._of: Any = None
        self._map: Any = None
        # Wikinews bigram counts to leave out: a training document's own (scripts/build_spinmap.py sets
        # it while it scores a Wikinews TRAIN article, which these counts were made from)
        self.leave_out: dict[int, int] | None = None

    def _ids(self, m, lm_ids):
        """Our word ids of LM ids (-1 unknown); the map is made once per generic model."""
        np = self.np
        if self._of is not m:
            lw = np.asarray(m.lm_words)
            arr = lw.astype(self.words.dtype) if lw.dtype.itemsize <= self.words.dtype.itemsize else \
                np.array([w[:self.words.dtype.itemsize] for w in lw.tolist()], dtype=self.words.dtype)
            pos = np.searchsorted(self.words, arr)
            pos[pos >= self.W] = 0
            hit = (self.words[pos] == arr) & (lw == arr.astype(lw.dtype))
            self._map = np.append(np.where(hit, pos, -1), -1).astype(np.int64)  # index -1: unknown
            self._of = m
        ids = np.asarray(lm_ids, dtype=np.int64)
        return self._map[np.where(ids >= 0, ids, -1)]

    def key_of(self, a: str, b: str) -> int | None:
        """The table key of the bigram (a, b), or None when a word is not in the table."""
        np = self.np
        ea, eb = a.encode(), b.encode()
        if max(len(ea), len(eb)) > self.words.dtype.itemsize:  # longer than any word of the table
            return None
        arr = np.array([ea, eb], dtype=self.words.dtype)
        pos = np.searchsorted(self.words, arr)
        if (pos >= self.W).any() or not (self.words[np.minimum(pos, self.W - 1)] == arr).all():
            return None
        return int(pos[0]) * self.W + int(pos[1])

    def _pmi(self, keys, vals, uni, log_total, a, b, log):
        np = self.np
        if not len(keys):  # no bigram of this source in the table
            return np.zeros(len(a))
        key = np.maximum(a, 0) * self.W + np.maximum(b, 0)
        pos = np.searchsorted(keys, key)
        pos[pos >= len(keys)] = 0
        hit = (a >= 0) & (b >= 0) & (keys[pos] == key)
        if not hit.any():
            return np.zeros(len(a))
        c = vals[pos]
        if not log and self.leave_out:
            held = np.array([self.leave_out.get(k, 0) for k in key.tolist()], dtype=np.float64)
            c = c - held
            hit &= c >= MIN_WIKINEWS
        if not log:
            c = np.log10(np.maximum(c, 1.0))
        ua, ub = uni[np.maximum(a, 0)], uni[np.maximum(b, 0)]
        if not log:
            ua, ub = np.log10(np.maximum(ua, 1.0)), np.log10(np.maximum(ub, 1.0))
        return np.where(hit & (ua > 0) & (ub > 0), c - ua - ub + log_total, 0.0)

    def pairs(self, m, a, b) -> dict[str, Any]:
        """Per bigram of LM ids (a, b): the strength of each source (0 where it does not know it)."""
        np = self.np
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        out: dict[str, Any] = {}
        bos, eos = m.lm_specials()
        real = (a >= 0) & (b >= 0) & (a != bos) & (b != eos)
        pos, hit = m._bi(np.where(real, b, -1), np.where(real, a, -1))
        lp = m.bigram(a, b)
        out["lm"] = np.where(hit & real, lp - m.lm_uni[np.maximum(b, 0)], 0.0)
        ia, ib = self._ids(m, a), self._ids(m, b)
        out["ss"] = self._pmi(self.ss_keys, self.ss_val, self.ss_uni, self.log_ss_total, ia, ib, True)
        out["wn"] = self._pmi(self.wn_keys, self.wn_val, self.wn_uni, self.log_wn_total, ia, ib, False)
        return out


@cache
def load_collocations() -> Collocations:
    return Collocations()
