"""Build step 1 of the generic collocation model: vocabulary, synonym and bigram tables.

Sources (all offline, build time only):
  * WordNet 3.0 (Debian /usr/share/wordnet): synonyms from any sense, exception lists.
  * pocketsphinx's generic US-English trigram LM (en-us.lm.bin, BSD): unigram and bigram
    log-probabilities, dumped to ARPA text with pocketsphinx's own writer.
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
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from unspin.evaluation.wordnet_spinner import STOPWORDS, WordNet, parse_wordnet_dir  # noqa: E402

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


def dump_lm_arpa(dest: Path) -> None:
    """Write the pocketsphinx LM as ARPA text. The writer may crash after the bigram section;
    only unigrams and bigrams are used, so a partial file with a complete bigram section is fine."""
    lm = site_packages() / "pocketsphinx" / "model" / "en-us" / "en-us.lm.bin"
    code = (
        "from pocketsphinx import NGramModel\n"
        f"lm = NGramModel.readfile({str(lm)!r})\n"
        f"lm.write({str(dest)!r}, NGramModel.str_to_type('arpa'))\n"
    )
    subprocess.run([sys.executable, "-c", code], check=False, capture_output=True)


def read_arpa(path: Path) -> tuple[list[str], list[tuple[str, str]], int]:
    """Unigram words and bigram word pairs of the dump. Its probability columns are NOT used: the
    writer garbles them on some runs, so probabilities are queried from the binary LM instead."""
    unigrams: list[str] = []
    bigrams: list[tuple[str, str]] = []
    declared = 0
    section = None
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.startswith("ngram 2="):
                declared = int(line.split("=")[1])
            if line.startswith("\\"):
                section = line.strip()
                continue
            parts = line.rstrip("\n").split("\t")
            if section == "\\1-grams:" and len(parts) >= 2:
                unigrams.append(parts[1])
            elif section == "\\2-grams:" and len(parts) >= 4:
                bigrams.append((parts[1], parts[2]))
            elif section == "\\3-grams:":
                break
    return unigrams, bigrams, declared


LOG10_BASE = math.log10(1.0001)  # pocketsphinx log-math base


class LM:
    """log10 probabilities from the binary LM (pocketsphinx NGramModel)."""

    def __init__(self):
        from pocketsphinx import NGramModel

        self.lm = NGramModel.readfile(str(site_packages() / "pocketsphinx" / "model" / "en-us" / "en-us.lm.bin"))

    def p(self, *words: str) -> float:
        """log10 P(words[-1] | words[:-1])."""
        return self.lm.prob(list(reversed(words))) * LOG10_BASE

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

    with tempfile.TemporaryDirectory() as tmp:
        arpa = Path(tmp) / "lm.arpa"
        dump_lm_arpa(arpa)
        lm_words, lm_pairs, declared = read_arpa(arpa)
    log(f"lm: {len(lm_words)} unigrams, {len(lm_pairs)} of {declared} bigrams")
    if len(lm_pairs) < 0.99 * declared:
        raise SystemExit("the LM dump lost part of its bigram section")
    lm = LM()
    ss = read_symspell()
    log(f"symspell: {len(ss)} bigrams")

    stop = set(STOPWORDS) | EXTRA_STOP
    vocab = {w for w in lm_words if is_word(w)}
    lm_vocab = set(lm_words)
    vocab |= {w for w in wordfreq.top_n_list("en", 60000) if is_word(w)}
    words = sorted(vocab)
    assert len(words) < SHIFT
    index = {w: i for i, w in enumerate(words)}
    n = len(words)
    uni_lp = np.full(n, MISSING_LP, dtype=np.float32)
    zipf = np.zeros(n, dtype=np.float32)
    is_stop = np.zeros(n, dtype=bool)
    for w, i in index.items():
        if w in lm_vocab:
            uni_lp[i] = lm.p(w)
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

    lm_arrays = build_lm_tables(lm, lm_words, lm_pairs, words, log, declared)
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


BIGRAM_RANKS = 1 << 16  # bigram table key = rank_a << 16 | rank_b (uint32): both ranks below this
BIGRAM_SLACK = 0.05  # a bigram whose log10 P is within this of the backoff estimate is left out
# The ARPA writer crashes somewhere in the last few dozen bigrams (a different place on each run), so
# for a deterministic table only the first (declared - DUMP_TAIL) bigrams of the dump are used; the
# few left out fall back to their backoff estimate (the prefilter's margin covers that).
DUMP_TAIL = 1000


def build_lm_tables(lm: LM, lm_words: list[str], lm_pairs: list[tuple[str, str]], words: list[str],
                    log=print, declared: int = 0) -> dict[str, np.ndarray]:
    """The LM's unigram and bigram levels as arrays, for the detector's vectorised prefilter.

    Words get a rank (most probable first). lm_words/lm_rank: sorted ASCII LM words and their rank;
    lm_uni/lm_bo: log10 unigram probability and backoff weight per rank; lm_bikeys/lm_bilp: sorted
    bigram keys (rank_a << 16 | rank_b, both ranks < 2**16) and log10 P(b|a), only where it differs
    from the backoff estimate bo(a) + P(b) by more than BIGRAM_SLACK; vocab_lm: LM rank of every
    detector vocabulary word (-1 when the LM does not know it). Probabilities are queried from the
    binary LM, so bi(a, b) reproduces lm.prob([b, a]) up to float16 rounding and the slack."""
    if declared:
        if len(lm_pairs) < declared - DUMP_TAIL:
            raise SystemExit("the LM dump lost more than DUMP_TAIL bigrams; run the build again")
        lm_pairs = lm_pairs[:declared - DUMP_TAIL]
    known = sorted({w for w in lm_words if w.isascii() and w != "<UNK>"})
    uni = {w: lm.p(w) for w in known}
    order = sorted(known, key=lambda w: (-uni[w] if w != "<s>" else 1.0, w))
    rank = {w: r for r, w in enumerate(order)}
    n = len(order)
    pairs: dict[str, list[str]] = {}
    for a, b in lm_pairs:
        if a in rank and b in rank:
            pairs.setdefault(a, []).append(b)
    # backoff weight of a: P(x|a) - P(x) for a word x that never follows a
    probes = [w for w in reversed(order) if uni[w] > -7.0][:50]
    bo = np.zeros(n, dtype=np.float32)
    for a in order:
        follow = set(pairs.get(a, ()))
        x = next(x for x in probes if x not in follow)
        bo[rank[a]] = lm.p(a, x) - uni[x]
    uni_arr = np.array([max(uni[w], -99.0) for w in order], dtype=np.float32)
    table: dict[int, float] = {}
    for a in sorted(pairs):
        ra = rank[a]
        if ra >= BIGRAM_RANKS:
            continue
        for b in pairs[a]:
            rb = rank[b]
            if rb >= BIGRAM_RANKS:
                continue
            lp = lm.p(a, b)
            if abs(lp - (float(bo[ra]) + float(uni_arr[rb]))) > BIGRAM_SLACK:
                table[(ra << 16) | rb] = lp
    keys = np.array(sorted(table), dtype=np.uint32)
    log(f"lm tables: {n} words, {len(keys)} bigrams kept of {len(lm_pairs)}")
    width = max(len(w) for w in known)
    return {
        "lm_words": np.array(known, dtype=f"S{width}"),
        "lm_rank": np.array([rank[w] for w in known], dtype=np.int32),
        "lm_uni": uni_arr,
        "lm_bo": bo,
        "lm_bikeys": keys,
        "lm_bilp": np.array([table[k] for k in keys.tolist()], dtype=np.float16),
        "vocab_lm": np.array([rank.get(w, -1) for w in words], dtype=np.int32),
    }


def phrase_word_tables(phrases: dict[str, int], words: list[str], syn_off, syn_ids) -> dict[str, np.ndarray]:
    """phrase_words: sorted words occurring in some known phrase; syn_phrase: per vocabulary word,
    whether one of its synonyms is such a word. A phrase-table window can only match around a word
    with syn_phrase set whose other window words are all phrase words (the prefilter's shortcut)."""
    pw = sorted({w for p in phrases for w in p.split(" ") if w.isascii()})
    pws = set(pw)
    in_pw = np.array([w in pws for w in words], dtype=bool)
    syn_phrase = np.zeros(len(words), dtype=bool)
    for i in range(len(words)):
        ids = syn_ids[syn_off[i]:syn_off[i + 1]]
        syn_phrase[i] = bool(in_pw[ids].any()) if len(ids) else False
    return {"phrase_words": np.array(pw, dtype=f"S{max(len(w) for w in pw)}"), "syn_phrase": syn_phrase}


def build_lm_only(log=print) -> None:
    """Rewrite only the prefilter tables: lm_*, vocab_lm, phrase_words, syn_phrase (the rest of
    models/generic/ is left alone)."""
    words = [w.decode("ascii") for w in np.load(OUT / "vocab.npy").tolist()]
    index = {w: i for i, w in enumerate(words)}
    is_stop = np.load(OUT / "stop.npy")
    tables = phrase_word_tables(build_phrases(index, is_stop), words, np.load(OUT / "syn_off.npy"),
                                np.load(OUT / "syn_ids.npy"))
    for name, arr in tables.items():
        np.save(OUT / f"{name}.npy", arr, allow_pickle=False)
    with tempfile.TemporaryDirectory() as tmp:
        arpa = Path(tmp) / "lm.arpa"
        dump_lm_arpa(arpa)
        lm_words, lm_pairs, declared = read_arpa(arpa)
    if len(lm_pairs) < 0.99 * declared:
        raise SystemExit("the LM dump lost part of its bigram section")
    for name, arr in build_lm_tables(LM(), lm_words, lm_pairs, words, log, declared).items():
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
