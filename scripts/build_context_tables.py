"""Build models/context/syn_*.npy: the synonym table of the scorer's substitution-gain features.

For every single-word English form that WordNet can analyse (lemma, part of speech, inflection) and
pocketsphinx's generic US-English trigram LM knows, list the single-word WordNet synonyms from ANY
sense, put into the same inflection ("acknowledgments" -> "recognitions"), that the LM also knows,
most probable first (LM unigram), at most ``K`` of them; spelling variants ("fibre" / "fiber") are
not alternatives and are dropped. Closed-class words and the spinner's
stoplist are left out. This is the set of "what a writer might have written instead" that
``unspin.detect.context_lm`` scores in context.

Sources (build time only): WordNet 3.0 via models/generic/wordnet.json.gz (read only; Princeton
licence, see models/LICENSES.md) and the pocketsphinx en-us LM (BSD). Output, as numpy arrays that
``context_lm`` memory-maps (no parsing at start-up):

* ``syn_words.npy``: every form and every synonym, sorted, fixed-width ASCII (a word's id is its
  position);
* ``syn_off.npy`` (int32, one more than words) and ``syn_ids.npy`` (uint16 word ids): the synonyms
  of word ``i`` are ``syn_ids[syn_off[i]:syn_off[i + 1]]``, most probable first (empty when the word
  is only ever a synonym).

``np.save`` output depends only on the data (and numpy's format version), so a rebuild gives the same
bytes.

    .venv/bin/python scripts/build_context_tables.py [--out models/context]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # the evaluation/ package

from evaluation.wordnet_spinner import POS_FILES, STOPWORDS, load_wordnet  # noqa: E402
from unspin.detect.lm import lm_path  # noqa: E402

K = 10
OUT = ROOT / "models" / "context"
_WORD = re.compile(r"[a-z][a-z]+")
TAGS = {"n": ("", "pl"), "v": ("", "s", "ed", "ing"), "a": ("",), "r": ("",)}
# British -> American spelling rewrites: a synonym that is only the other spelling ("fibre" / "fiber",
# "acknowledgement" / "acknowledgment") is not an alternative word, and the LM is American.
_SPELLING = [(re.compile(a), b) for a, b in (
    (r"our(?=s?$|ed$|ing$|ite|able|er)", "or"), (r"re(?=s?$|d$)", "er"), (r"is(?=e[sd]?$|ing$|ation)", "iz"),
    (r"ys(?=e[sd]?$|ing$)", "yz"), (r"ogue(?=s?$)", "og"), (r"ement(?=s?$)", "ment"), (r"ae", "e"),
    (r"oe", "e"), (r"ll(?=ed$|ing$|er$|ers$)", "l"), (r"ence(?=s?$)", "ense"), (r"mme(?=s?$)", "m"),
)]


def spelling_key(w: str) -> str:
    for pat, rep in _SPELLING:
        w = pat.sub(rep, w)
    return w.replace("-", "")


def main() -> None:
    import argparse

    import numpy as np
    from pocketsphinx import NGramModel

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    out = ap.parse_args().out

    lm = NGramModel.readfile(lm_path())
    uni: dict[str, int | None] = {}

    def known(w: str) -> int | None:
        if w not in uni:
            r = lm.prob([w])
            uni[w] = r if r > -400_000_000 else None
        return uni[w]

    wn = load_wordnet()
    forms: set[str] = set()
    for pos in POS_FILES:
        for lemma in wn.syn[pos]:
            if not _WORD.fullmatch(lemma):
                continue
            for tag in TAGS[pos]:
                forms.add(wn.inflect(lemma, pos, tag))
    table: dict[str, list[str]] = {}
    for form in sorted(forms):
        if not _WORD.fullmatch(form) or form in STOPWORDS or known(form) is None:
            continue
        syns: set[str] = set()
        key = spelling_key(form)
        for lemma, pos, tag in wn.analyses(form):
            if tag in ("er", "est"):
                continue
            for s in wn.synonyms(lemma, pos):
                if not _WORD.fullmatch(s):
                    continue
                f = wn.inflect(s, pos, tag)
                if f != form and _WORD.fullmatch(f) and known(f) is not None and spelling_key(f) != key:
                    syns.add(f)
        if syns:
            table[form] = sorted(syns, key=lambda s: (-uni[s], s))[:K]
    words = sorted(set(table).union(*table.values()))
    index = {w: i for i, w in enumerate(words)}
    if len(words) > 65535:
        raise SystemExit("more than 65535 words: widen syn_ids")
    off, ids = [0], []
    for w in words:
        ids.extend(index[s] for s in table.get(w, ()))
        off.append(len(ids))
    out.mkdir(parents=True, exist_ok=True)
    width = max(len(w) for w in words)
    np.save(out / "syn_words.npy", np.array(words, dtype=f"S{width}"), allow_pickle=False)
    np.save(out / "syn_off.npy", np.array(off, dtype=np.int32), allow_pickle=False)
    np.save(out / "syn_ids.npy", np.array(ids, dtype=np.uint16), allow_pickle=False)
    print(f"wrote {out}/syn_*.npy: {len(table)} forms, {len(words)} words, {len(ids)} synonyms", file=sys.stderr)


if __name__ == "__main__":
    main()
