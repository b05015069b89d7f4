"""US201 odd-collocation: flags spun words with the right suggestion, stays quiet on clean prose."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from unspin.analysis import FindingBuilder
from unspin.detect.generic import RULE, generic_findings, load_model
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


def _all_findings(text: str, prefilter: bool, field: str = "body"):
    d = doc_of(text, field)
    return [(f.start, f.end, f.text, f.suggestions[0].text, round(f.confidence, 9), f.evidence)
            for f in generic_findings(d, MatchStream(d.text, d.segments), FindingBuilder(d),
                                      prefilter=prefilter)]


@pytest.mark.parametrize("text", SPUN + CLEAN + ["White House Squeeze Secretary Resigns"])
def test_prefilter_never_changes_findings(text):
    """Oracle: the vectorised prefilter only skips words the exact trigram path would not flag."""
    assert load_model().prefilter, "prefilter tables missing from models/generic/"
    for field in ("body", "title"):
        assert _all_findings(text, True, field) == _all_findings(text, False, field)


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


def test_bigram_table_matches_lm():
    from unspin.detect.generic import FLOOR, LOG10_BASE

    m = load_model()
    pairs = [("<s>", "the"), ("of", "the"), ("facial", "recognition"), ("press", "secretary"),
             ("the", "zzzqqq"), ("zzzqqq", "the"), ("council", "approved"), ("a", "new")]
    a = m.lm_ids([p[0] for p in pairs])
    b = m.lm_ids([p[1] for p in pairs])
    got = m.bigram(a, b).tolist()
    for (x, y), g in zip(pairs, got, strict=True):
        r = m.lm.prob([y, x])
        want = max(r * LOG10_BASE if r > -400_000_000 else FLOOR, FLOOR)
        assert abs(g - want) < 0.06, (x, y, g, want)


def test_phrase_word_tables_consistent():
    m = load_model()
    words = ["support", "vector", "machine", "zzzqqq"]
    assert m.is_phrase_word(words)[3] is False
    hits = m.phrase_hits(["support * machine"])
    for key, fillers in hits.items():
        assert all(m.is_phrase_word(key.replace("*", " ").split()))
        assert all(m.is_phrase_word(list(fillers)))


def test_hard_wrapped_markdown_reads_like_the_same_text_unwrapped():
    from unspin.analysis import FindingBuilder
    from unspin.detect.generic import generic_findings
    from unspin.document import parse_text
    from unspin.text import MatchStream

    flat = "Police used facial acknowledgment software at the stadium on Tuesday, officials said.\n"
    wrapped = flat.replace("facial ", "facial\n")

    def found(text):
        doc = parse_text(text, "a.md", "markdown")[0]
        return [(doc.text[f.start:f.end], f.suggestions[0].text)
                for f in generic_findings(doc, MatchStream(doc.text, doc.segments), FindingBuilder(doc))]

    assert found(flat) == [("acknowledgment", "recognition")]
    assert found(wrapped) == found(flat)
    # a new Markdown block on the next line still ends the sentence
    assert found("Police used facial\n- acknowledgment software at the stadium.\n") == []
