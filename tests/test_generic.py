"""US201 odd-collocation: flags spun words with the right suggestion, stays quiet on clean prose."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from unspin.detect.generic import RULE, generic_findings, load_model
from unspin.findings import FindingBuilder
from unspin.model import Document, Segment
from unspin.resources import model_path
from unspin.text import MatchStream


def doc_of(text: str, field: str = "body") -> Document:
    return Document(path="<test>", text=text, segments=(Segment(0, len(text), field),))


def findings(text: str, field: str = "body"):
    d = doc_of(text, field)
    return generic_findings(d, MatchStream(d.text, d.segments), FindingBuilder(d))


@pytest.mark.parametrize(
    "sentence, spun, fix",
    [
        ("Police used facial acknowledgment software at the stadium.", "acknowledgment", "recognition"),
        ("The White House squeeze secretary declined to comment.", "squeeze", "press"),
        ("Rescuers searched the collapsed apartment edifice overnight.", "edifice", "building"),
    ],
)
def test_flags_spun_word_with_suggestion(sentence, spun, fix):
    fs = findings(sentence)
    hit = [f for f in fs if f.text == spun]
    assert hit, f"{spun!r} not flagged in {sentence!r}: {[f.text for f in fs]}"
    f = hit[0]
    assert f.rule == RULE
    assert f.suggestions and f.suggestions[0].text == fix
    assert f.suggestions[0].source == "generic"
    assert 0.5 <= f.confidence <= 1.0
    for key in ("gain", "gain_left", "gain_right", "own_left", "score", "threshold", "neighbour",
                "replaced", "in_phrase_table"):
        assert key in f.evidence
    assert f.evidence["score"] >= f.evidence["threshold"]
    assert f.evidence["gain"] > 0  # the LM prefers the restored wording in this context
    assert fix in f.evidence["neighbour"]


def test_suggestion_keeps_case():
    fs = findings("Facial acknowledgment is spreading. FACIAL ACKNOWLEDGMENT ahead.")
    texts = {f.text: f.suggestions[0].text for f in fs}
    assert texts.get("acknowledgment") == "recognition"
    fs = findings("White House Squeeze Secretary Resigns", "title")
    assert {f.text: f.suggestions[0].text for f in fs}.get("Squeeze") == "Press"


def test_offsets_point_into_text():
    text = "Intro line.\n\nOfficers deployed facial acknowledgment cameras downtown."
    for f in findings(text):
        assert text[f.start:f.end] == f.text


CLEAN = [
    "The central bank raised interest rates on Tuesday, citing persistent inflation and a tight labour "
    "market. Analysts had expected the move, and shares in lenders rose slightly in early trading.",
    "Firefighters were called to the warehouse shortly after midnight. Nobody was injured, but the "
    "building was badly damaged and the road was closed for several hours while crews made it safe.",
    "The council approved plans for a new primary school on the edge of the town. Construction is due "
    "to start next spring, and the school is expected to open to pupils in September of the following "
    "year.",
    "Researchers said the vaccine trial would enrol about two thousand volunteers. Results from an "
    "earlier study suggested the treatment was safe, although its effectiveness has not been proven.",
    "The press secretary told reporters that the president would sign the bill into law next week, "
    "after the Senate passed it by a narrow margin.",
]


@pytest.mark.parametrize("text", CLEAN)
def test_quiet_on_clean_paragraphs(text):
    assert findings(text) == []


def test_names_are_not_flagged():
    # capitalised mid-sentence words are treated as names
    assert not any("Acknowledgment" in f.text for f in findings("He met Facial Acknowledgment Ltd today."))


def test_model_files_load_without_pickle():
    root = model_path("generic")
    for p in root.glob("*.npy"):
        np.load(p, allow_pickle=False)
    assert not list(root.glob("*.pkl")) and not list(root.glob("*.pickle"))
    weights = json.loads((root / "weights.json").read_text())
    assert set(weights["coef"]) == set(weights["features"])
    assert "threshold" in weights
    m = load_model()
    assert m.word(m.ids(["recognition"])[0]) == "recognition"
    assert m.ids(["notawordatallxyz"])[0] == -1
    assert m.ids(["ćevapi"])[0] == -1  # non-ASCII words are simply unknown
    for name in ("prune_own", "max_syn", "top_right", "calibration"):
        assert name in weights


def test_synonyms_most_frequent_first():
    m = load_model()
    syn = [m.word(s) for s in m.synonyms(int(m.ids(["acknowledgment"])[0]))]
    assert "recognition" in syn
    freq = [float(m.uni_lp[s]) for s in m.synonyms(int(m.ids(["acknowledgment"])[0]))]
    assert freq == sorted(freq, reverse=True)


def test_phrase_table_wildcard_lookup():
    m = load_model()
    hits = m.phrase_hits(["facial *", "support * machine", "zzz * qqq"])
    assert "zzz * qqq" not in hits
    for key, fillers in hits.items():
        assert all(isinstance(w, str) and b > 0 for w, b in fillers.items()), key


def test_one_finding_per_spun_word_and_single_word_spans():
    text = "Police used facial acknowledgment software while the squeeze secretary watched."
    fs = findings(text)
    assert len({(f.start, f.end) for f in fs}) == len(fs)
    assert all(" " not in f.text for f in fs)


def test_npz_is_not_used_for_pickled_objects():
    for p in model_path("generic").glob("*.npz"):
        with zipfile.ZipFile(p) as z:
            for name in z.namelist():
                assert name.endswith(".npy")


SPUN = [
    "Police used facial acknowledgment software at the stadium, and the squeeze secretary declined to "
    "comment on the collapsed apartment edifice.",
    "The bank lifted involvement rates on Tuesday, citing persistent puffiness and a tight labour "
    "marketplace. Analysts had expected the relocation, and shares in lenders rose slightly.",
    "Researchers said the vaccinum trial would enroll about two thousand volunteers. Results from an "
    "earlier survey suggested the handling was safe, although its potency has not been proven.",
    "The council approved plans for a new primary schooltime on the border of the township. "
    "Structure is due to begin next outpouring.",
]


def _all_findings(text: str, field: str = "body"):
    d = doc_of(text, field)
    return [(f.start, f.end, f.text, f.suggestions[0].text, round(f.confidence, 9), f.evidence)
            for f in generic_findings(d, MatchStream(d.text, d.segments), FindingBuilder(d))]


@pytest.mark.parametrize("text", SPUN + CLEAN + ["White House Squeeze Secretary Resigns"])
def test_findings_do_not_depend_on_what_the_model_has_seen(text):
    """The token-type tables grow across documents and are reset when full: same findings either way."""
    m = load_model()
    for field in ("body", "title"):
        warm = _all_findings(text, field)
        with m.lock:
            m._reset_types()
        assert _all_findings(text, field) == warm


def _reference_candidates(text: str, field: str = "body"):
    """The previous exact path, one NGramModel.prob call at a time (no phrase table): for every
    expanded word, (word, synonym, own_left, own_right, gain_left, gain_right)."""
    from unspin.detect.generic import FLOOR, LOG10_BASE
    from unspin.detect.words import sentences_plain as sentences

    m = load_model()
    lm = m.lm
    w8 = m.weights

    def p(w, a, b):
        r = lm.prob([w, a, b])
        return max(r * LOG10_BASE if r > -400_000_000 else FLOOR, FLOOR)

    def right(x, p1, n1, n2):
        return p(n1, x, p1) + (p(n2, n1, x) if n1 != "</s>" else 0.0)

    d = doc_of(text, field)
    out = []
    for sent in sentences(d, MatchStream(d.text, d.segments)):
        words = ["<s>", "<s>"] + [x[0] for x in sent] + ["</s>", "</s>"]
        for i, (w, _, ok) in enumerate(sent):
            wid = int(m.ids([w])[0])
            if not ok or wid < 0 or not m.expand_ok[wid]:
                continue
            p2, p1, n1, n2 = words[i], words[i + 1], words[i + 3], words[i + 4]
            own_l, own_r = p(w, p1, p2), right(w, p1, n1, n2)
            if own_l + own_r > w8["prune_own"]:
                continue
            left = sorted(((p(m.word(s), p1, p2), s) for s in m.synonyms(wid)[:w8["max_syn"]]), reverse=True)
            best = None
            for _, s in left[:w8["top_right"]]:
                gl = p(m.word(s), p1, p2) - own_l
                gr = right(m.word(s), p1, n1, n2) - own_r
                if best is None or gl + gr > best[2] + best[3]:
                    best = (w, m.word(s), gl, gr)
            out.append((best[0], best[1], own_l, own_r, best[2], best[3]))
    return out


@pytest.mark.parametrize("text", SPUN + CLEAN + ["White House Squeeze Secretary Resigns",
                                                  "Zzqx blorfed the wibbly parliament. Co-operation 42 times!"])
def test_vectorised_scoring_equals_one_lm_call_at_a_time(text):
    """Oracle: the table-driven, vectorised scoring gives exactly the values of scoring each word
    with pocketsphinx's NGramModel.prob, one call at a time (the previous exact path)."""
    from unspin.detect.generic import candidates

    m = load_model()
    m.use_phrases = False
    try:
        for field in ("body", "title"):
            d = doc_of(text, field)
            got = [(c["word"], c["sub"], c["feats"]["own_left"], c["feats"]["own_right"],
                    c["feats"]["gain_left"], c["feats"]["gain_right"])
                   for c in candidates(d, MatchStream(d.text, d.segments), m, prefilter=False)]
            assert got == _reference_candidates(text, field)
    finally:
        m.use_phrases = True


def test_prefilter_skips_most_words_and_spun_words_survive():
    from unspin.detect.generic import candidates

    m = load_model()
    text = " ".join(SPUN + CLEAN)
    d = doc_of(text)
    st = MatchStream(d.text, d.segments)
    full = candidates(d, st, m, prefilter=False)
    kept = candidates(d, st, m, prefilter=True)
    assert {c["tok"].start for c in kept} <= {c["tok"].start for c in full}
    assert len(kept) < len(full)
    assert {"acknowledgment", "squeeze"} <= {c["word"] for c in kept}


def _lm_log10(lm, words):
    from unspin.detect.generic import FLOOR, LOG10_BASE

    r = lm.prob(words)
    return max(r * LOG10_BASE if r > -400_000_000 else FLOOR, FLOOR)


def test_bigram_table_matches_lm():
    m = load_model()
    pairs = [("<s>", "the"), ("of", "the"), ("facial", "recognition"), ("press", "secretary"),
             ("the", "zzzqqq"), ("zzzqqq", "the"), ("council", "approved"), ("a", "new")]
    a = m.lm_ids([p[0] for p in pairs])
    b = m.lm_ids([p[1] for p in pairs])
    got = m.bigram(a, b).tolist()
    for (x, y), g in zip(pairs, got, strict=True):
        assert g == _lm_log10(m.lm, [y, x]), (x, y)


def test_trigram_tables_reproduce_the_lm_exactly():
    """Every kind of query (stored trigram, stored bigram only, backoff to the unigram, unknown
    words in any position, sentence marks) gives exactly NGramModel.prob's value."""
    m = load_model()
    rng = np.random.default_rng(7)
    words = [w.decode() for w in m.lm_words.tolist()]
    n = len(words)
    # stored trigrams: decode random trigram keys (bigram entry << 17 | p2; bigram key w << 17 | p1)
    t = rng.integers(0, len(m.lm_tri_key), 300)
    tk = m.lm_tri_key[t]
    bk = m.lm_bi_key[tk >> 17]
    tri = [(words[int(k >> 17)], words[int(k & 0x1FFFF)], words[int(p2 & 0x1FFFF)])
           for k, p2 in zip(bk, tk, strict=True)]
    # stored bigrams with a random second history word, and random words
    b = rng.integers(0, len(m.lm_bi_key), 300)
    tri += [(words[int(k >> 17)], words[int(k & 0x1FFFF)], words[int(rng.integers(n))]) for k in m.lm_bi_key[b]]
    tri += [tuple(words[int(i)] for i in rng.integers(0, n, 3)) for _ in range(300)]
    tri += [("zzzqqq", "the", "of"), ("the", "zzzqqq", "of"), ("the", "of", "zzzqqq"), ("</s>", "said", "he"),
            ("the", "<s>", "<s>"), ("recognition", "facial", "<s>"), ("ćevapi", "the", "of"),
            # stored in the LM file, but in unsorted trie ranges that pocketsphinx's search misses:
            # it backs off for them, and so do the tables (scripts/build_generic_tables.py reachable)
            ("bullhorns", "and", "whips"), ("jerri", "and", "<s>")]
    ids = [m.lm_ids([x[k] for x in tri]) for k in range(3)]
    got = m.trigram(*ids).tolist()
    want = [_lm_log10(m.lm, list(x)) for x in tri]
    assert got == want


def test_check_path_does_not_load_pocketsphinx():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from unspin.findings import FindingBuilder\n"
        "from unspin.detect.generic import generic_findings\n"
        "from unspin.model import Document, Segment\n"
        "from unspin.text import MatchStream\n"
        "t = 'Police used facial acknowledgment software at the stadium.'\n"
        "d = Document(path='x', text=t, segments=(Segment(0, len(t), 'body'),))\n"
        "fs = generic_findings(d, MatchStream(t, d.segments), FindingBuilder(d))\n"
        "assert [f.text for f in fs] == ['acknowledgment'], fs\n"
        "assert 'pocketsphinx' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


MARKDOWN_CASES = [
    "# Council Keeps Library Hours\n\nThe council kept library hours.\nPolice used facial\nacknowledgment "
    "software. The Squeeze Secretary said: yes!\n\n- Item one is here\n- item Two (brackets) here\n\n"
    "> Quoted text, with a comma; and more\n1. First step\n2) second step\n\nMr. Smith's co-operation "
    "cost 12 percent, U.S. officials said. ÉCOLE café naïve words. A B C.",
    "Line one\n\n\nLine two \"quoted\" words [bracket] {brace} end",
]


@pytest.mark.parametrize("text", MARKDOWN_CASES + SPUN + CLEAN)
def test_sentence_split_matches_plain_python(text):
    """The numpy sentence split (sentences(), and the detector's own _split) gives the words,
    tokens, breaks and flaggable marks of the plain token-by-token version."""
    from unspin.detect.generic import sentences
    from unspin.detect.words import sentences_plain as _sentences_plain
    from unspin.document import parse_text

    for doc in (parse_text(text, "a.md", "markdown")[0], doc_of(text), doc_of(text, "title")):
        st = MatchStream(doc.text, doc.segments)
        assert sentences(doc, st) == _sentences_plain(doc, st)


@pytest.mark.parametrize("popcount", [True, False])
def test_page_index_search_equals_searchsorted(popcount):
    """LMTables.search (sorted keys, page index for batches of PAGE_MIN keys or more, flags
    counted as 64-bit words or summed) gives table.searchsorted's position, clipped to the table,
    for keys in the table, between its keys, before its first and after its last, each once or
    repeated (a repeated key is searched once)."""
    from unspin.detect.lm_tables import PAGE, PAGE_MIN

    m = load_model()
    saved = m._popcount
    if not popcount:
        m._popcount = None
    try:
        rng = np.random.default_rng(11)
        for table in (m.lm_bi_key, m.lm_tri_key):
            edges = np.concatenate((table[:PAGE + 2], table[-PAGE - 2:], table[-PAGE - 2:] + 1, table[:3] - 1,
                                    [0, -1, -(1 << 40), int(table[-1]) + 1, 1 << 40]))
            for n in (1, PAGE_MIN - 1, PAGE_MIN, 500):
                keys = np.concatenate((rng.choice(table, n), rng.integers(0, int(table[-1]) + 2, n), edges))
                keys = rng.permutation(np.concatenate((keys, rng.choice(keys, n), np.repeat(keys[:3], 5))))
                pos, hit = m.search(table, keys)
                want = np.minimum(table.searchsorted(keys), len(table) - 1)
                assert np.array_equal(pos, want)
                assert np.array_equal(hit, table[want] == keys)
    finally:
        m._popcount = saved


@pytest.mark.parametrize("size", [1, 5, 16, 37, 160, 1000])
def test_page_search_of_tables_of_any_length(size):
    """LMTables.search gives searchsorted's position (clipped) for tables shorter than a page, of whole
    pages, and with a partial last page (padded with the table's last key), with keys sorted packed
    with their positions or (too large to pack) by an argsort."""
    from unspin.detect.lm_tables import PAGE_MIN, LMTables

    lm = LMTables()
    lm.np, lm._pages, lm._popcount = np, {}, getattr(np, "bitwise_count", None)
    rng = np.random.default_rng(size)
    table = np.unique(rng.integers(0, 10 * size + 10, 2 * size))[:size].astype(np.int64)
    keys = rng.integers(-2, int(table[-1]) + 3, 3 * PAGE_MIN)
    if size % 2:  # keys too large to sort packed with their positions
        keys = rng.permutation(np.append(keys, [1 << 61, -(1 << 61), 1 << 62, 5]))
    pos, hit = lm.search(table, keys)
    want = np.minimum(table.searchsorted(keys), len(table) - 1)
    assert np.array_equal(pos, want)
    assert np.array_equal(hit, table[want] == keys)


def test_phrase_windows_remembered_by_pattern_give_the_same_matches():
    """_phrase_matches remembers the known phrases of a window by its pattern number across
    documents: a warm cache, a cold one and a change of phrase sources give what a fresh model
    gives."""
    from unspin.detect.generic import GenericModel, candidates

    text = ("The company also faces a class action lawsuit from shareholders. Giving the lead judgment, "
            "she said the speech model took about three hours. The union chose industrial action.")
    d = doc_of(text)

    def phrase_rows(model):
        return [(c["word"], c["sub"], c["phrase_src"]) for c in
                candidates(d, MatchStream(d.text, d.segments), model, prefilter=False) if c["phrase_src"]]

    m = load_model()
    fresh = GenericModel(m.root)
    want = phrase_rows(fresh)
    assert want  # the text has phrase-table matches
    assert phrase_rows(m) == want
    assert phrase_rows(m) == want  # warm
    m._phc.clear()
    assert phrase_rows(m) == want  # cold
    saved = m.phrase_sources
    try:
        for bits in (1, 2, 0):
            m.phrase_sources = fresh.phrase_sources = bits
            assert phrase_rows(m) == phrase_rows(fresh)
    finally:
        m.phrase_sources = saved
    assert phrase_rows(m) == want


def test_top_probes_is_the_lexsort_cut():
    """score_words picks each row's best right-probe candidates with top_probes: the same indices,
    in the same order, as the lexsort by (row, left highest first, id highest first) cut to top_right
    per row, ties included."""
    from unspin.detect.generic import top_probes

    rng = np.random.default_rng(7)
    for _ in range(300):
        nr = int(rng.integers(1, 40))
        k = rng.integers(0, 9, nr)
        phrase = rng.random(nr) < 0.2
        k[phrase] = 1
        norm, pj = np.flatnonzero(~phrase), np.flatnonzero(phrase)
        rr = np.concatenate((np.repeat(norm, k[norm]), pj))
        start = np.zeros(nr, dtype=np.int64)
        start[norm] = np.cumsum(k[norm]) - k[norm]
        start[pj] = len(rr) - len(pj) + np.arange(len(pj))
        S = rng.integers(0, 12, len(rr))
        left = rng.choice([-7.0, -3.25, -2.0, -0.5], len(rr))
        for top_right in (0, 1, 3, 9):
            order = np.lexsort((-S, -left, rr))
            cnt = np.bincount(rr, minlength=nr)
            rank = np.arange(len(rr)) - (np.cumsum(cnt) - cnt)[rr[order]]
            want = order[rank < top_right]
            assert np.array_equal(top_probes(np, rr, S, left, nr, top_right, start), want)
