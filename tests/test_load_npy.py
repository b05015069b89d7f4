"""lm_tables.load_npy: the same arrays as np.load(mmap_mode="r") for every shipped model file, and
np.load's result for anything else."""

from __future__ import annotations

import numpy as np
import pytest

from unspin.detect.lm_tables import load_npy
from unspin.resources import model_path


def _same(a, b) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes() and not a.flags.writeable


@pytest.mark.parametrize("folder", ["generic", "context", "thesaurus"])
def test_shipped_model_files(folder):
    files = sorted(model_path(folder).glob("*.npy"))
    assert files
    for f in files:
        fast = load_npy(f)
        assert type(fast) is np.ndarray
        assert _same(fast, np.asarray(np.load(f, mmap_mode="r", allow_pickle=False))), f.name


@pytest.mark.parametrize("arr", [
    np.arange(7, dtype=np.int64), np.zeros((3, 4), dtype=np.float32), np.array([b"ab", b"cde"]),
    np.arange(12, dtype=">i4").reshape(3, 4), np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    np.zeros(0, dtype=np.int16), np.array(3.5), np.ones((2, 0, 3), dtype=np.uint8),
    np.zeros(3, dtype=[("a", "<i4"), ("b", "<f8")]),
])
def test_round_trip(tmp_path, arr):
    path = tmp_path / "x.npy"
    np.save(path, arr)
    got = load_npy(path)
    want = np.load(path, mmap_mode="r", allow_pickle=False)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert np.array_equal(np.asarray(got), np.asarray(want))


def test_truncated_file_is_left_to_numpy(tmp_path):
    path = tmp_path / "x.npy"
    np.save(path, np.arange(100, dtype=np.int64))
    data = path.read_bytes()
    path.write_bytes(data[:-8])
    with pytest.raises(ValueError):
        load_npy(path)
