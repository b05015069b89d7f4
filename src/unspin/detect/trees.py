"""Boosted trees scored by leaf bitmasks (QuickScorer): the same leaves, hence the same log-odds, as
walking each tree node by node (``SpinMap.score``), with no per-node gathers.

The trees come as flat arrays (``feature``, ``split``, ``left``, ``right``, ``value``, ``roots``; a leaf
points to itself; a row goes right when ``x > split``). Each tree's leaves are numbered left to right
(at most 32: depth <= 5), and each inner node gets a 32-bit mask with the bits of its left subtree's
leaves cleared. A row "fails" a node when ``x > split`` (it goes right, so it cannot end in the
left subtree). The leaf a row reaches is the leftmost leaf that no failed node clears (Lucchese et
al., "QuickScorer", SIGIR 2015). Per feature the inner nodes are sorted by split, so the nodes a
row fails are a prefix of that order (the splits ``< x``, counted by one ``searchsorted``), and the
AND of a prefix's masks, tree by tree, is a table row made once. Scoring a block of rows is then,
per feature, one binary search and one row gather of that table (all trees at once), and one
count of trailing zeros per (row, tree). On US203's 150 trees of depth 5 that is about 30% less CPU
than the walk on a batch of a few thousand rows, half on tens of thousands (docs/benchmarks.md,
"Issue #16, session 6").

The leaf values are summed per row over the trees in tree order, as the node-by-node walk sums
them (``value.take(node).sum(axis=1)`` over a rows x trees block), so the float result is bit for
bit the walk's (``tests/test_trees.py`` checks it against the walk on random and tied inputs).
A NaN feature fails no node (``NaN > split`` is false: the row goes left), as in the walk.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 5  # 2 ** 5 = 32 leaves: one uint32 mask per tree
# A combiner (``SpinMap.score``: US202, and US203 through it) switches from the walk to leaf masks once
# the process has scored LEAF_MASK_AFTER rows with it (the ~10 ms set-up pays for itself after about
# that many), for calls of LEAF_MASK_MIN rows or more.
LEAF_MASK_AFTER = 8192
LEAF_MASK_MIN = 256
BLOCK = 256  # rows per block: the block's rows x trees masks stay in the CPU cache


class LeafMaskTrees:
    """The trees of a boosted-trees combiner (its weights dict) as per-feature prefix-mask tables;
    ValueError for trees this cannot score exactly (deeper than 5, or than the walk's ``depth``)."""

    def __init__(self, w: dict[str, Any]):
        import numpy as np

        self.np = np
        feature = np.asarray(w["feature"], dtype=np.int64)
        split = np.asarray(w["split"], dtype=np.float64)
        left = np.asarray(w["left"], dtype=np.int64)
        right = np.asarray(w["right"], dtype=np.int64)
        value = np.asarray(w["value"], dtype=np.float64)
        roots = np.asarray(w["roots"], dtype=np.int64)
        ntrees = len(roots)
        self.ntrees = ntrees
        # every node's tree, depth and path from its root (bit per level, 1: right), level by level
        tree = np.full(len(left), -1, dtype=np.int64)
        depth = np.zeros(len(left), dtype=np.int64)
        path = np.zeros(len(left), dtype=np.int64)
        tree[roots] = np.arange(ntrees)
        frontier = roots
        inner_parts = []
        for d in range(MAX_DEPTH + 1):
            inner = frontier[left[frontier] != frontier]
            if not len(inner):
                break
            if d == MAX_DEPTH:
                raise ValueError(f"a tree deeper than {MAX_DEPTH} (more than 32 leaves)")
            inner_parts.append(inner)
            for child, bit in ((left, 0), (right, 1)):
                ch = child[inner]
                tree[ch] = tree[inner]
                depth[ch] = d + 1
                path[ch] = 2 * path[inner] + bit
            frontier = np.concatenate((left[inner], right[inner]))
        inner = np.concatenate(inner_parts) if inner_parts else np.zeros(0, dtype=np.int64)
        if len(inner_parts) > int(w.get("depth", MAX_DEPTH)):  # the walk would stop above a leaf
            raise ValueError("a tree deeper than the walk's depth")
        reached = np.flatnonzero(tree >= 0)
        leaves = reached[left[reached] == reached]
        # leaves left to right: by the start of the range of full-depth paths each covers
        key = tree[leaves] * 64 + (path[leaves] << (MAX_DEPTH - depth[leaves]))
        order = np.argsort(key, kind="stable")
        leaves, key = leaves[order], key[order]
        first = np.searchsorted(key, np.arange(ntrees) * 64)  # each tree's first leaf
        number = np.arange(len(leaves)) - first[tree[leaves]]  # a leaf's number in its tree
        leafval = np.zeros(ntrees * 32)
        leafval[tree[leaves] * 32 + number] = value[leaves]
        # an inner node's left subtree: the leaves whose keys fall in its left child's range
        ti, di, pi = tree[inner], depth[inner], path[inner]
        shift = MAX_DEPTH - 1 - di
        a = np.searchsorted(key, ti * 64 + ((2 * pi) << shift)) - first[ti]
        b = np.searchsorted(key, ti * 64 + ((2 * pi + 1) << shift)) - first[ti]
        nt, nf, ns = ti, feature[inner], split[inner]
        nm = (~(((np.int64(1) << (b - a)) - 1) << a) & 0xFFFFFFFF).astype(np.uint32)
        self.leafval = leafval
        if np.isnan(ns).any():
            raise ValueError("a NaN split")
        # one table of prefix masks for all features (rows of feature f from offsets[f]), and per
        # feature its nodes' sorted splits
        self.splits: list[tuple[int, Any, int]] = []  # (feature, sorted splits, first row in masks)
        tables = []
        at = 0
        for f in sorted(set(nf.tolist())):  # (not np.unique: it imports numpy.ma, ~15 ms)
            idx = np.flatnonzero(nf == f)
            idx = idx[np.argsort(ns[idx], kind="stable")]
            k = len(idx)
            # row p: the AND of the masks of the first p nodes (row 0: no node)
            masks = np.full((k + 1, ntrees), 0xFFFFFFFF, dtype=np.uint32)
            masks[np.arange(1, k + 1), nt[idx]] = nm[idx]
            tables.append(np.bitwise_and.accumulate(masks, axis=0))
            self.splits.append((f, np.ascontiguousarray(ns[idx]), at))
            at += k + 1
        self.masks = np.concatenate(tables) if tables else np.zeros((0, ntrees), dtype=np.uint32)
        self.base = (np.arange(ntrees, dtype=np.int64) * 32)[None, :]
        self._popcount = getattr(np, "bitwise_count", None)  # numpy >= 2

    def sums(self, XT):
        """Per row (column of ``XT``, features x rows, float64): the sum of its leaves' values over
        the trees, in tree order."""
        np = self.np
        n = XT.shape[1]
        out = np.empty(n)
        # per feature and row: the row in ``masks`` (the nodes of that feature the row fails)
        P = np.empty((len(self.splits), n), dtype=np.int64)
        for i, (f, s, at) in enumerate(self.splits):
            x = XT[f]
            p = P[i]
            p[:] = s.searchsorted(x)  # the splits below x: the row fails the nodes before p
            if np.isnan(x).any():
                p[np.isnan(x)] = 0  # NaN > split is false: no node failed
            p += at
        masks = self.masks
        for a in range(0, n, BLOCK):
            b = min(n, a + BLOCK)
            if len(P):
                acc = masks.take(P[0, a:b], axis=0)
                for i in range(1, len(P)):
                    acc &= masks.take(P[i, a:b], axis=0)
            else:
                acc = np.full((b - a, self.ntrees), 0xFFFFFFFF, dtype=np.uint32)
            # the lowest set bit's index: the number of ones below it (never 0: the exit leaf's bit is set)
            low = acc & (~acc + np.uint32(1))
            if self._popcount is not None:
                low -= np.uint32(1)
                leaf = self._popcount(low).astype(np.int64)
            else:  # pragma: no cover - numpy < 2: the exponent of the power of two
                leaf = np.frexp(low.astype(np.float64))[1].astype(np.int64) - 1
            leaf += self.base
            out[a:b] = self.leafval.take(leaf).sum(axis=1)
        return out
