"""The leaf-mask tree scorer (detect/trees.py) gives the node-by-node walk's sums bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from unspin.detect.spinmap import SpinMap
from unspin.detect.trees import LeafMaskTrees


def _random_trees(rng, ntrees: int, depth: int, nfeat: int) -> dict:
    """Flat boosted trees as build scripts export them (a leaf points to itself), of random shapes
    (some leaves above the full depth), splits drawn from a few values so that ties happen."""
    feature, split, left, right, value, roots = [], [], [], [], [], []

    def node(d: int) -> int:
        i = len(feature)
        feature.append(0)
        split.append(0.0)
        left.append(i)
        right.append(i)
        value.append(float(rng.normal()))
        if d < depth and (d < 2 or rng.random() < 0.8):
            feature[i] = int(rng.integers(0, nfeat))
            split[i] = float(rng.choice([-1.0, 0.0, 0.5, 1.0, 2.5]) + rng.choice([0.0, 1e-9, rng.normal()]))
            left[i] = node(d + 1)
            right[i] = node(d + 1)
        return i

    for _ in range(ntrees):
        roots.append(node(0))
    return {"kind": "boosted-trees", "features": [f"f{k}" for k in range(nfeat)], "feature": feature,
            "split": split, "left": left, "right": right, "value": value, "roots": roots, "depth": depth,
            "baseline": 0.125}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_leaf_masks_equal_the_walk(seed):
    rng = np.random.default_rng(seed)
    w = _random_trees(rng, ntrees=40, depth=5, nfeat=7)
    n = 3000
    XT = rng.choice([-1.0, 0.0, 0.5, 1.0, 2.5, 3.0], size=(7, n)) + rng.choice([0.0, 1e-9, 0.3], size=(7, n))
    XT[:, :500] = rng.normal(size=(7, 500))
    XT[2, 10:20] = np.nan
    XT[4, 30:40] = np.inf
    XT[5, 40:50] = -np.inf
    # rows that sit exactly on a split (x > split is false: left)
    splits = np.asarray(w["split"])
    feats = np.asarray(w["feature"])
    inner = np.flatnonzero(np.asarray(w["left"]) != np.arange(len(splits)))
    for i in range(500, 1500):
        j = rng.choice(inner, 3)
        XT[feats[j], i] = splits[j]
    walk = SpinMap({"pairs": {}, "weights": w}).score({f"f{k}": XT[k] for k in range(7)})
    masks = w["baseline"] + LeafMaskTrees(w).sums(XT)
    assert np.array_equal(walk, masks)
    assert walk.tobytes() == masks.tobytes()


def test_no_popcount_fallback_is_the_same():
    rng = np.random.default_rng(5)
    w = _random_trees(rng, ntrees=10, depth=5, nfeat=4)
    XT = rng.normal(size=(4, 700))
    t = LeafMaskTrees(w)
    a = t.sums(XT)
    t._popcount = None
    assert np.array_equal(a, t.sums(XT))


def test_us203_batch_scores_equal_the_walk():
    """US203's shipped combiner (scored through ``SpinMap.score``): the first call walks, batches after
    LEAF_MASK_AFTER rows go by leaf masks, a few rows still by the walk; all give the same log-odds."""
    from unspin.detect import slots, trees

    sm = slots.SlotModel()
    if sm.weights.get("kind") != "boosted-trees":
        pytest.skip("US203's combiner is not boosted trees")
    names = sm.weights["features"]
    rng = np.random.default_rng(3)
    n = trees.LEAF_MASK_AFTER + 5
    cols = {name.partition(":")[0]: rng.normal(size=n) * 3 for name in names}
    walk = sm.log_odds(cols)
    assert sm._trees._leaf_masks is None  # a fresh model walks
    batch = sm.log_odds(cols)
    assert sm._trees._leaf_masks  # the masks, not a refusal (False) that would compare the walk with itself
    assert np.array_equal(batch, walk)
    few = sm.log_odds({k: v[:7] for k, v in cols.items()})  # a few rows: the walk
    assert np.array_equal(few, walk[:7])
    some = sm.log_odds({k: v[:trees.LEAF_MASK_MIN] for k, v in cols.items()})  # leaf masks
    assert np.array_equal(some, walk[:trees.LEAF_MASK_MIN])


def test_us202_batch_scores_equal_the_walk():
    """US202's shipped combiner: a fresh model walks; once it has scored LEAF_MASK_AFTER rows, batches
    of LEAF_MASK_MIN rows or more go by leaf masks, a few rows still by the walk; all the same."""
    from unspin.detect import trees
    from unspin.detect.spinmap import load_spinmap

    w = load_spinmap().weights
    if w.get("kind", "boosted-trees") != "boosted-trees" or "roots" not in w:
        pytest.skip("US202's combiner is not boosted trees")
    names = w["features"]
    rng = np.random.default_rng(4)
    n = trees.LEAF_MASK_AFTER + 5
    cols = {name: rng.normal(size=n) * 3 for name in names}
    sm = SpinMap({"pairs": {}, "weights": w})
    walk = sm.score(cols)  # the first call: the walk, whatever its size
    assert sm._leaf_masks is None
    batch = sm.score(cols)
    assert sm._leaf_masks  # the second: leaf masks
    assert np.array_equal(batch, walk)
    few = sm.score({k: v[:7] for k, v in cols.items()})
    assert np.array_equal(few, walk[:7])


def test_too_many_leaves_is_refused():
    w = _random_trees(np.random.default_rng(0), ntrees=1, depth=6, nfeat=2)
    # force a full depth-6 tree: 64 leaves
    full = {"feature": [], "split": [], "left": [], "right": [], "value": []}

    def node(d):
        i = len(full["feature"])
        for k in full:
            full[k].append(0)
        full["left"][i] = full["right"][i] = i
        full["value"][i] = 0.0
        if d < 6:
            full["split"][i] = 0.0
            full["left"][i] = node(d + 1)
            full["right"][i] = node(d + 1)
        return i

    w.update(full, roots=[node(0)])
    with pytest.raises(ValueError):
        LeafMaskTrees(w)


def test_trees_deeper_than_the_walk_are_refused():
    """The walk stops after ``depth`` levels; trees deeper than that are left to it."""
    w = _random_trees(np.random.default_rng(1), ntrees=3, depth=5, nfeat=3)
    w["depth"] = 4
    with pytest.raises(ValueError):
        LeafMaskTrees(w)
