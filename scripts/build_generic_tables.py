"""Build step 1 of the generic collocation model: vocabulary, synonym and bigram tables.

Sources (all offline, build time only):
  * WordNet 3.0 (Debian /usr/share/wordnet): synonyms from any sense, exception lists.
  * pocketsphinx's generic US-English trigram LM (en-us.lm.bin, BSD, from the installed package):
    its binary trie is parsed with numpy (``read_trie``) and written out whole as flat sorted
    n-gram tables (``lm_*.npy``), so the detector needs no pocketsphinx at check time.
  * symspellpy's frequency_bigramdictionary_en_243_342.txt (MIT): bigram counts.
  * wordfreq (Apache-2.0): Zipf frequencies and the top-N English word list.

Writes models/generic/{wordnet.json.gz, vocab.txt, *.npy}. Deterministic: sorted outputs,
gzip with mtime 0. Called by scripts/build_generic_model.py.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # the evaluation/ package

from evaluation.wordnet_spinner import STOPWORDS, WordNet, parse_wordnet_dir  # noqa: E402

OUT = ROOT / "models" / "generic"
SHIFT = 1 << 20  # bigram key = id_a * SHIFT + id_b
MISSING_LP = -7.0  # log10 unigram probability for words the LM does not know
# Spinner-relevant closed-class and reporting words, on top of the spinner's stoplist.
EXTRA_STOP = set("""
year years time times day days week weeks month months people percent cent
""".split())


def site_packages() -> Path:
    import symspellpy

    return Path(symspellpy.__file__).resolve().parent.parent


LOG10_BASE = math.log10(1.0001)  # pocketsphinx log-math base


def lm_bin_path() -> Path:
    """pocketsphinx's generic US-English trigram LM (BSD), shipped inside its wheel."""
    return site_packages() / "pocketsphinx" / "model" / "en-us" / "en-us.lm.bin"


TRIE_HEADER = b"Trie Language Model"
QUANT_BINS = 1 << 16  # pocketsphinx quantises bigram probs, bigram backoffs and trigram probs to 16 bits
LM_WORD_BITS = 17  # bits of an LM word id in the n-gram keys (the LM has 72,547 words)


def read_trie(path: Path | None = None) -> dict:
    """Parse pocketsphinx's binary trie LM (``en-us.lm.bin``) with numpy.

    Layout (pocketsphinx 5, src/lm/ngram_model_trie.c, lm_trie.c, lm_trie_quant.c): header, order
    (uint8), n-gram counts (uint32 each), quantiser (int32, then 3 x 65,536 float32 bins: bigram
    prob, bigram backoff, trigram prob), unigrams (count + 1 records: float32 prob, float32 backoff,
    uint32 first bigram), the bit-packed bigram level (per entry: history word, 16-bit backoff bin,
    16-bit prob bin, first trigram; the entries of one predicted word are sorted by history word), the
    bit-packed trigram level (per entry: second history word, 16-bit prob bin), then the NUL-separated
    word strings (word id = position; they are sorted). Log-probabilities are in pocketsphinx's log
    base 1.0001. The header declares 6 bigrams more than the trie holds (the last unigram's pointer
    is the real count): that is why the ARPA writer crashes near the end of its bigram section."""
    import struct

    buf = (path or lm_bin_path()).read_bytes()
    if not buf.startswith(TRIE_HEADER) or buf[len(TRIE_HEADER)] != 3:
        raise SystemExit("expected pocketsphinx's binary trigram trie LM")
    pos = len(TRIE_HEADER) + 1
    n1, n2, n3 = struct.unpack_from("<3I", buf, pos)
    pos += 12 + 4  # counts, then the quantiser's (unused) type field
    quant = np.frombuffer(buf, dtype="<f4", count=3 * QUANT_BINS, offset=pos).astype(np.float32)
    pos += 4 * 3 * QUANT_BINS
    ug = np.frombuffer(buf, dtype=np.dtype([("prob", "<f4"), ("bo", "<f4"), ("next", "<u4")]),
                       count=n1 + 1, offset=pos)
    pos += 12 * (n1 + 1)
    wbits, nbits = n1.bit_length(), n3.bit_length()
    mid_bits, long_bits = wbits + 32 + nbits, wbits + 16
    mid_size = ((1 + n2) * mid_bits + 7) // 8 + 8
    long_size = ((1 + n3) * long_bits + 7) // 8 + 8
    mid = np.frombuffer(buf, dtype=np.uint8, count=mid_size, offset=pos)
    lng = np.frombuffer(buf, dtype=np.uint8, count=long_size, offset=pos + mid_size)
    pos += mid_size + long_size
    (k,) = struct.unpack_from("<I", buf, pos)
    words = [w.decode("ascii") for w in buf[pos + 4:pos + 4 + k].split(b"\0")[:-1]]
    if len(words) != n1 or pos + 4 + k != len(buf) or words != sorted(words) or wbits > LM_WORD_BITS:
        raise SystemExit("unexpected trie LM layout")

    def field(mem, bit_off, nb):  # little-endian bit fields, as bitarr_read_int25 reads them
        b = bit_off >> 3
        v = np.zeros(len(b), dtype=np.uint64)
        for j in range(5):
            v |= mem[b + j].astype(np.uint64) << np.uint64(8 * j)
        return ((v >> (bit_off & 7).astype(np.uint64)) & np.uint64((1 << nb) - 1)).astype(np.int64)

    nb = int(ug["next"][-1])  # real number of bigram entries
    e = np.arange(nb + 1, dtype=np.int64) * mid_bits
    bi_next = field(mid, e + wbits + 32, nbits)
    e = e[:-1]
    nt = int(bi_next[-1])
    t = np.arange(nt, dtype=np.int64) * long_bits
    return {
        "words": words, "quant": quant, "uni_prob": ug["prob"][:n1].astype(np.float32),
        "uni_bo": ug["bo"][:n1].astype(np.float32), "uni_next": ug["next"].astype(np.int64),
        "bi_word": field(mid, e, wbits), "bi_bo": field(mid, e + wbits, 16),
        "bi_prob": field(mid, e + wbits + 16, 16), "bi_next": bi_next,
        "tri_word": field(lng, t, wbits), "tri_prob": field(lng, t + wbits, 16),
    }


def lm_unigram_log10(trie: dict) -> dict[str, float]:
    """log10 P(w) per LM word, exactly as ``NGramModel.prob([w])`` * log10(1.0001)."""
    r = trie["uni_prob"].astype(np.int32).astype(np.float64) * LOG10_BASE
    return dict(zip(trie["words"], r.tolist(), strict=True))


def read_symspell() -> dict[tuple[str, str], float]:
    path = site_packages() / "symspellpy" / "frequency_bigramdictionary_en_243_342.txt"
    out = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 3:
                out[(parts[0].lower(), parts[1].lower())] = math.log10(int(parts[2]))
    return out


MAX_LEN = 24


def is_word(w: str) -> bool:
    return w.isascii() and w.isalpha() and w.islower() and 2 <= len(w) <= MAX_LEN


_VARIANT_RULES = [("our", "or"), ("ise", "ize"), ("isa", "iza"), ("yse", "yze"), ("tre", "ter"),
                  ("ae", "e"), ("oe", "e"), ("ll", "l"), ("ence", "ense"), ("ogue", "og"), ("mme", "m"),
                  ("eable", "able"), ("ement", "ment")]


def _canon(w: str) -> str:
    for a, b in _VARIANT_RULES:
        w = w.replace(a, b)
    return w


def _lev(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def usable_word(w: str) -> bool:
    """Abbreviations ("cts", "lbs", "km") and very short words are neither flagged nor suggested."""
    return len(w) >= 3 and any(c in "aeiouy" for c in w)


def spelling_variant(a: str, b: str) -> bool:
    """British/American spellings, clippings and near-identical forms are not spinner swaps."""
    if _canon(a) == _canon(b) or a.startswith(b) or b.startswith(a):
        return True
    return min(len(a), len(b)) >= 5 and a[0] == b[0] and _lev(a, b) <= 2


def build(log=print) -> dict:
    import wordfreq

    OUT.mkdir(parents=True, exist_ok=True)
    wn_data = parse_wordnet_dir()
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(json.dumps(wn_data, sort_keys=True, separators=(",", ":")).encode())
    (OUT / "wordnet.json.gz").write_bytes(buf.getvalue())
    wn = WordNet(wn_data)
    log(f"wordnet: {sum(len(v) for v in wn_data['synsets'].values())} synsets")

    trie = read_trie()
    lm_words = trie["words"]
    lm_uni = lm_unigram_log10(trie)
    log(f"lm: {len(lm_words)} unigrams, {len(trie['bi_word'])} bigrams, {len(trie['tri_word'])} trigrams")
    ss = read_symspell()
    log(f"symspell: {len(ss)} bigrams")

    stop = set(STOPWORDS) | EXTRA_STOP
    vocab = {w for w in lm_words if is_word(w)}
    vocab |= {w for w in wordfreq.top_n_list("en", 60000) if is_word(w)}
    words = sorted(vocab)
    assert len(words) < SHIFT
    index = {w: i for i, w in enumerate(words)}
    n = len(words)
    uni_lp = np.full(n, MISSING_LP, dtype=np.float32)
    zipf = np.zeros(n, dtype=np.float32)
    is_stop = np.zeros(n, dtype=bool)
    for w, i in index.items():
        if w in lm_uni:
            uni_lp[i] = lm_uni[w]
        zipf[i] = wordfreq.zipf_frequency(w, "en")
        is_stop[i] = w in stop
    log(f"vocab: {n} words")

    # synonyms with the inflection of the word itself, restricted to the vocabulary, most frequent
    # first (the detector probes only the first few)
    syn_lists: list[list[int]] = []
    for w in words:
        ids: set[int] = set()
        if not is_stop[index[w]] and usable_word(w):
            for lemma, pos, tag in wn.analyses(w):
                for s in wn.synonyms(lemma, pos):
                    if " " in s or "-" in s:
                        continue
                    form = wn.inflect(s, pos, tag)
                    j = index.get(form)
                    if j is not None and form != w and not is_stop[j] and usable_word(form) and \
                            not spelling_variant(w, form):
                        ids.add(j)
        syn_lists.append(sorted(ids, key=lambda j: (-float(uni_lp[j]), -float(zipf[j]), j)))
    syn_off = np.zeros(n + 1, dtype=np.int32)
    syn_off[1:] = np.cumsum([len(s) for s in syn_lists])
    syn_ids = np.array([j for s in syn_lists for j in s], dtype=np.int32)
    log(f"synonyms: {len(syn_ids)} links")

    # symspell bigram table of content-word pairs (LM bigrams are queried from the LM itself)
    table: dict[int, float] = {}
    for (a, b), c in ss.items():
        ia, ib = index.get(a), index.get(b)
        if ia is None or ib is None or is_stop[ia] or is_stop[ib]:
            continue
        table[ia * SHIFT + ib] = c
    keys = np.array(sorted(table), dtype=np.int64)
    vals = np.array([table[k] for k in keys.tolist()], dtype=np.float16)
    log(f"bigrams: {len(keys)} symspell content pairs")

    lm_arrays = build_lm_tables(trie, words, log)
    phrases = build_phrases(index, is_stop)
    log(f"phrases: {len(phrases)} known multi-word terms")
    # wildcard index: "support * machine" -> filler "vector" (one row per phrase and word position)
    entries = sorted({(" ".join(ws[:k] + ["*"] + ws[k + 1:]), ws[k], b)
                      for p, b in phrases.items() for ws in [p.split(" ")] for k in range(len(ws))})
    width = max(len(e[0]) for e in entries)
    for stale in ("vocab.txt", "tables.npz", "big_lp.npy", "uni_bo.npy", "in_wn.npy", "phrases.tsv.gz"):
        if (OUT / stale).exists():
            (OUT / stale).unlink()
    arrays = {
        "vocab": np.array(words, dtype=f"S{MAX_LEN}"),  # sorted ASCII words; id = position
        "keys": keys,
        "big_ss": vals,
        "uni_lp": uni_lp,
        "zipf": zipf,
        "stop": is_stop,
        "syn_off": syn_off.astype(np.int32),
        "syn_ids": syn_ids.astype(np.int32),
        "shift": np.array([SHIFT], dtype=np.int64),
        "phrase_keys": np.array([e[0] for e in entries], dtype=f"S{width}"),
        "phrase_fill": np.array([e[1] for e in entries], dtype=f"S{MAX_LEN}"),
        "phrase_bits": np.array([e[2] for e in entries], dtype=np.uint8),
        **lm_arrays,
        **phrase_word_tables(phrases, words, syn_off, syn_ids),
    }
    # one plain .npy file per array (no pickle): memory-mapped at check time, so loading is free
    for old in OUT.glob("*.npy"):
        old.unlink()
    for name, arr in arrays.items():
        np.save(OUT / f"{name}.npy", arr, allow_pickle=False)
    return {"vocab": n, "bigrams": int(len(keys)), "synonym_links": int(len(syn_ids)),
            "phrases": len(phrases)}


def reachable(offsets, word, max_vocab: int) -> np.ndarray:
    """Which n-gram entries pocketsphinx's lookup can find. Each entry range (offsets[i] to
    offsets[i + 1]) should be sorted by word, and is searched by interpolation (lm_trie.c
    uniform_find); a few ranges in en-us.lm.bin are not sorted, and there the search misses some
    entries: NGramModel.prob backs off for them, so the tables leave them out too."""
    keep = np.ones(len(word), dtype=bool)
    bad = np.nonzero(np.diff(word) <= 0)[0] + 1  # entry not above its predecessor
    lo = offsets[np.searchsorted(offsets, bad, side="right") - 1]
    bad = bad[bad > lo]  # (the first entry of a range may be anything)
    for begin in sorted(set(offsets[np.searchsorted(offsets, bad, side="right") - 1].tolist())):
        end = int(offsets[np.searchsorted(offsets, begin, side="right")])
        ws = word[begin:end].tolist()
        for j, key in enumerate(ws):
            keep[begin + j] = _uniform_find(ws, key, max_vocab) == j
    return keep


def _uniform_find(ws: list[int], key: int, max_vocab: int) -> int:
    """pocketsphinx's uniform_find over one entry range: the position found, or -1."""
    before_it, before_v, after_it, after_v = -1, 0, len(ws), max_vocab
    if key > after_v:
        return -1
    while after_it - before_it > 1:
        pivot = before_it + 1 + ((key - before_v) * (after_it - before_it - 1)) // (after_v - before_v + 1)
        mid = ws[pivot]
        if mid < key:
            before_it, before_v = pivot, mid
        elif mid > key:
            after_it, after_v = pivot, mid
        else:
            return pivot
    return -1


def build_lm_tables(trie: dict, words: list[str], log=print) -> dict[str, np.ndarray]:
    """The whole trigram LM as flat sorted arrays, so the detector scores with numpy and never loads
    pocketsphinx (``GenericModel.trigram`` reproduces ``NGramModel.prob`` exactly; a test checks).

    lm_words: the LM's words, sorted (id = position, as in the LM). lm_uni: log10 P(w) per word
    (float32, at least -99). lm_uprob/lm_ubo: unigram log-prob and backoff as the LM stores them
    (float32, pocketsphinx's log base 1.0001). lm_bi_key: one key per bigram
    entry, predicted word << 17 | history word (int64, sorted), with lm_bi_p/lm_bi_bo its prob and
    backoff bins (uint16 into lm_quant). lm_tri_key: per trigram entry, its bigram entry's index << 17
    | the second history word (int64, sorted), lm_tri_p its prob bin. lm_quant: pocketsphinx's
    quantiser bins (bigram prob, bigram backoff, trigram prob; float32, 65,536 each). vocab_lm: LM id
    of every detector vocabulary word (-1 when the LM does not know it)."""
    lm_words = trie["words"]
    index = {w: i for i, w in enumerate(lm_words)}
    n = len(lm_words)
    pred = np.repeat(np.arange(n, dtype=np.int64), np.diff(trie["uni_next"]))
    keep_bi = reachable(trie["uni_next"], trie["bi_word"], n)
    bi_of_tri = np.repeat(np.arange(len(pred), dtype=np.int64), np.diff(trie["bi_next"]))
    keep_tri = reachable(trie["bi_next"], trie["tri_word"], n)
    if not keep_bi.all():
        raise SystemExit("unreachable bigram entries: their trigrams would need re-indexing")
    bi_key = (pred << LM_WORD_BITS) | trie["bi_word"]
    tri_key = ((bi_of_tri << LM_WORD_BITS) | trie["tri_word"])[keep_tri]
    for k in (bi_key, tri_key):
        if len(k) > 1 and not (np.diff(k) > 0).all():
            raise SystemExit("LM n-gram keys are not strictly increasing")
    log(f"lm tables: {n} words, {len(bi_key)} bigrams, {len(tri_key)} trigrams "
        f"({int((~keep_tri).sum())} unreachable left out)")
    width = max(len(w) for w in lm_words)
    return {
        "lm_words": np.array(lm_words, dtype=f"S{width}"),
        "lm_uni": np.maximum(trie["uni_prob"].astype(np.int32) * LOG10_BASE, -99.0).astype(np.float32),
        "lm_uprob": trie["uni_prob"],
        "lm_ubo": trie["uni_bo"],
        "lm_bi_key": bi_key,
        "lm_bi_p": trie["bi_prob"].astype(np.uint16),
        "lm_bi_bo": trie["bi_bo"].astype(np.uint16),
        "lm_tri_key": tri_key,
        "lm_tri_p": trie["tri_prob"][keep_tri].astype(np.uint16),
        "lm_quant": trie["quant"],
        "vocab_lm": np.array([index.get(w, -1) for w in words], dtype=np.int32),
    }


def phrase_word_tables(phrases: dict[str, int], words: list[str], syn_off, syn_ids) -> dict[str, np.ndarray]:
    """phrase_words: sorted words occurring in some known phrase; syn_phrase: per vocabulary word,
    whether one of its synonyms is such a word (a phrase-table window can only match around a word
    with syn_phrase set whose other window words are all phrase words); phrase_pat: see below."""
    pw = sorted({w for p in phrases for w in p.split(" ") if w.isascii()})
    pws = set(pw)
    in_pw = np.array([w in pws for w in words], dtype=bool)
    syn_phrase = np.zeros(len(words), dtype=bool)
    for i in range(len(words)):
        ids = syn_ids[syn_off[i]:syn_off[i + 1]]
        syn_phrase[i] = bool(in_pw[ids].any()) if len(ids) else False
    # phrase_pat: every wildcard key of 2-3 words as a number, kind << 28 | the other words' indices
    # in phrase_words (14 bits each), kind = PHRASE_KINDS[(length, wildcard position)]: the detector
    # tests windows with one vectorised look-up and builds strings only for those that can match
    index = {w: i for i, w in enumerate(pw)}
    if len(pw) >= 1 << 14:
        raise SystemExit("phrase_pat packs phrase-word indices in 14 bits")
    pats = set()
    for p in phrases:
        ws = p.split(" ")
        if len(ws) > 3:
            continue
        for k in range(len(ws)):
            others = ws[:k] + ws[k + 1:]
            if not all(w in index for w in others):
                continue  # a non-ASCII word: such a key is never looked up
            code = 0
            for w in others:
                code = code << 14 | index[w]
            pats.add(PHRASE_KINDS[(len(ws), k)] << 28 | code)
    return {"phrase_words": np.array(pw, dtype=f"S{max(len(w) for w in pw)}"), "syn_phrase": syn_phrase,
            "phrase_pat": np.array(sorted(pats), dtype=np.int64)}


PHRASE_KINDS = {(2, 0): 0, (2, 1): 1, (3, 0): 2, (3, 1): 3, (3, 2): 4}  # (length, wildcard position)


def build_lm_only(log=print) -> None:
    """Rewrite only the LM tables and the phrase-word tables: lm_*, vocab_lm, phrase_words,
    syn_phrase, phrase_pat (the rest of models/generic/ is left alone)."""
    words = [w.decode("ascii") for w in np.load(OUT / "vocab.npy").tolist()]
    index = {w: i for i, w in enumerate(words)}
    is_stop = np.load(OUT / "stop.npy")
    tables = phrase_word_tables(build_phrases(index, is_stop), words, np.load(OUT / "syn_off.npy"),
                                np.load(OUT / "syn_ids.npy"))
    for name, arr in tables.items():
        np.save(OUT / f"{name}.npy", arr, allow_pickle=False)
    trie = read_trie()
    for old in ("lm_rank", "lm_bo", "lm_bikeys", "lm_bilp"):  # tables of the previous (bigram) prefilter
        if (OUT / f"{old}.npy").exists():
            (OUT / f"{old}.npy").unlink()
    for name, arr in build_lm_tables(trie, words, log).items():
        np.save(OUT / f"{name}.npy", arr, allow_pickle=False)


PHRASE_WN = 1  # source bits of the phrase table
PHRASE_PPS = 2


def wordnet_phrases(root: Path = Path("/usr/share/wordnet")) -> set[str]:
    """Lower-case multi-word WordNet lemmas (2-4 words), skipping proper names (capitalised lemmas)."""
    out: set[str] = set()
    for name in ("noun", "verb", "adj", "adv"):
        with open(root / f"data.{name}", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("  "):
                    continue
                f = line.split()
                for k in range(int(f[3], 16)):
                    lemma = f[4 + 2 * k].split("(")[0]
                    if "_" in lemma and lemma == lemma.lower():
                        out.add(lemma.replace("_", " ").replace("-", " "))
    return out


def build_phrases(index: dict[str, int], is_stop) -> dict[str, int]:
    """Known multi-word terms: WordNet multi-word lemmas and the screener lexicon's TRAIN-split
    canonical phrases (split by canonical phrase; the TEST split is never read into the model)."""
    import build_generic_data as D

    found: dict[str, int] = {}

    def add(phrase: str, bit: int) -> None:
        words = phrase.split()
        if not 2 <= len(words) <= 4 or not all(is_word(w) or w in index for w in words):
            return
        if sum(1 for w in words if not (w in index and is_stop[index[w]])) < 2:
            return  # at least two content words: "* of" must not match half the table
        p = " ".join(words)
        found[p] = found.get(p, 0) | bit

    for p in sorted(wordnet_phrases()):
        add(p, PHRASE_WN)
    for _, canonical in D.pps_rows("train"):
        add(" ".join(canonical.lower().replace("-", " ").replace(",", " ").split()), PHRASE_PPS)
    return found


if __name__ == "__main__":
    if "--lm-only" in sys.argv:
        build_lm_only()
    else:
        print(build())
