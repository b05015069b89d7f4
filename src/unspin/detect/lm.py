"""pocketsphinx's trigram language model, for build scripts and tests.

``unspin check`` does not load it: US201 and the article scorer read the same LM from the numpy tables
in ``models/generic/lm_*.npy`` (built from this file by ``scripts/build_generic_tables.py``)."""

from __future__ import annotations

import os
from functools import cache


def lm_path() -> str:
    """pocketsphinx's generic US-English trigram LM (BSD), shipped inside its wheel."""
    import pocketsphinx

    return os.path.join(os.path.dirname(pocketsphinx.__file__), "model", "en-us", "en-us.lm.bin")


@cache
def load_lm():
    """The LM (≈80 ms, memory-mapped), loaded once per process; None when pocketsphinx is missing.

    ``load_lm().prob([word, prev, prevprev])`` is a log-probability with back-off.
    """
    try:
        from pocketsphinx import NGramModel
    except ImportError:
        return None
    return NGramModel.readfile(lm_path())
