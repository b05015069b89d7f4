"""Issue #13: soft slot evidence per article, ranked suspicious words, and the archive as a corpus."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from unspin.analysis import analyze_text
from unspin.cli import cli
from unspin.detect.article import FEATURES, Slot, slot_features, suspicious, with_corpus
from unspin.match.archive import open_archive
from unspin.match.corpus import CorpusCounts, corpus_for, ngram_key, record_originals
from unspin.model import Document
from unspin.text import LineIndex

pytest_plugins = ["postgres_server"]

SPUN = ("The squeeze secretary said the facial acknowledgment trial would go on.\n\n"
        "Officials said the vast tempest caused immense harm to the town.")
CLEAN = ("The press secretary said the facial recognition trial would go on.\n\n"
         "Officials said the storm caused heavy damage to the town.")


def slot(start, p, text="word", best="other", margin=None):
    import math

    lo = math.log(p / (1 - p)) if margin is None else margin
    return Slot(start, start + len(text), text, best, p, lo)


def test_slot_features_grow_with_confident_slots_and_say_little_for_few():
    none = slot_features([], 300)
    assert set(none) == set(FEATURES)
    weak = slot_features([slot(i * 10, 0.02) for i in range(30)], 300)
    strong = slot_features([slot(i * 10, 0.9 if i % 3 == 0 else 0.02) for i in range(30)], 300)
    for name in ("slot_share_p50", "slot_per100_p50", "slot_top5", "slot_top10", "slot_mean_lo",
                 "slot_lo_excess_per100"):
        assert strong[name] > weak[name], name
    # one confident slot in a short text is shrunk towards the clean value
    one = slot_features([slot(0, 0.9)], 20)
    assert one["slot_share_p50"] < 0.1


def test_thesaurus_judge_features_count_only_its_own_slots():
    def judged(start, p, judge):
        return slot(start, p)._replace(features={"judge": judge})

    other = slot_features([judged(i * 10, 0.95, 201.0) for i in range(10)], 300)
    own = slot_features([judged(i * 10, 0.95, 203.0) for i in range(10)], 300)
    for name in ("slot203_per100_p50", "slot203_per100_p90", "slot203_lo_excess_per100"):
        assert other[name] == 0.0 and own[name] > 0.0, name
    assert own["slot_per100_p50"] == other["slot_per100_p50"]  # the mixed counts see both
    mid = slot_features([judged(0, 0.7, 203.0)], 300)
    assert mid["slot203_per100_p50"] > 0.0 and mid["slot203_per100_p90"] == 0.0


def test_ranking_reads_the_thesaurus_judge_first_at_close_scores():
    text = "alpha beta gamma"
    us201 = slot(0, 0.6, "alpha", "first")._replace(features={"judge": 201.0})
    us203 = slot(6, 0.5, "beta", "second")._replace(features={"judge": 203.0})
    sure201 = slot(11, 0.99, "gamma", "third")._replace(features={"judge": 201.0})
    out = suspicious([us201, us203, sure201], LineIndex(text))
    assert [s["text"] for s in out] == ["gamma", "beta", "alpha"]
    assert out[2]["score"] == 0.6  # the score shown stays the judge's probability


def test_suspicious_ranks_by_score_skips_weak_and_identity_and_gives_positions():
    text = "alpha beta\ngamma delta epsilon"
    slots = [slot(0, 0.3, "alpha", "first"), slot(6, 0.9, "beta", "second"), slot(11, 0.01, "gamma", "x"),
             slot(17, 0.6, "delta", "Delta"), slot(23, 0.7, "epsilon", "fifth")]
    out = suspicious(slots, LineIndex(text), top=2)
    assert [s["text"] for s in out] == ["beta", "epsilon"]
    assert out[1]["line"] == 2 and out[1]["column"] == 13
    assert set(out[0]) == {"start", "end", "line", "column", "text", "suggestion", "score"}
    assert [s["text"] for s in suspicious(slots, LineIndex(text))] == ["beta", "epsilon", "alpha"]


def test_spun_text_lists_spun_words_first_with_restorations():
    rep = analyze_text(SPUN)
    sus = rep.extra["suspicious"]
    assert sus, "a spun text has suspicious words"
    top = {s["text"].lower(): s["suggestion"].lower() for s in sus[:3]}
    assert top.get("acknowledgment") == "recognition"
    assert top.get("squeeze") == "press"
    assert all(SPUN[s["start"]:s["end"]] == s["text"] for s in sus)
    clean = analyze_text(CLEAN)
    assert rep.score > clean.score
    assert max((s["score"] for s in clean.extra["suspicious"]), default=0) < sus[0]["score"]


def test_json_keeps_the_contract_and_adds_suspicious(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text(SPUN, encoding="utf-8")
    res = CliRunner().invoke(cli, ["check", "--format", "json", "--no-config", str(path)])
    data = json.loads(res.stdout)
    assert data["schema_version"] == 1
    doc = data["documents"][0]
    assert {"path", "score", "verdict", "words", "findings"} <= set(doc)
    assert doc["suspicious"] and doc["suspicious"][0]["suggestion"]


def test_explain_is_off_by_default_in_text_output(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text(SPUN, encoding="utf-8")
    plain = CliRunner().invoke(cli, ["check", "--no-config", str(path)])
    assert "most suspicious" not in plain.stdout
    explained = CliRunner().invoke(cli, ["check", "--no-config", "--explain", str(path)])
    assert "most suspicious words" in explained.stdout
    assert "'acknowledgment' -> 'recognition'" in explained.stdout


def test_no_generic_gives_no_suspicious_field():
    from unspin.analysis import Context
    from unspin.config import Config

    rep = analyze_text(SPUN, context=Context(config=Config(generic=False)))
    assert "suspicious" not in rep.extra


# ---------------------------------------------------------------------------------------------------
# The archive as a corpus


def test_counts_from_texts():
    c = CorpusCounts.from_texts(["The storm caused damage. The storm passed.", "A storm caused floods."])
    assert c.documents == 2
    assert c.count(["storm", "caused"]) == 2
    assert c.count(["The", "Storm"]) == 2  # case-insensitive
    assert c.count(["damage", "the"]) == 0  # no n-gram across a sentence end
    assert c.total(1) == 11 and c.total(2) == 8 and c.total(3) == 5
    assert 0 <= ngram_key(["a", "b"]) < 1 << 24


def test_gain_prefers_the_wording_the_archive_uses_and_is_zero_without_evidence():
    c = CorpusCounts.from_texts(["Officials said the storm caused damage."] * 3)
    assert c.gain(["said", "the"], ["tempest"], ["storm"], ["caused", "damage"]) > 3
    assert c.gain(["said", "the"], ["storm"], ["tempest"], ["caused", "damage"]) < -3
    assert c.gain(["a", "b"], ["x"], ["y"], ["c", "d"]) == 0.0


def _doc(text: str, path: str) -> Document:
    from unspin.document import parse_text

    return parse_text(text, path, "text")[0]


def test_record_originals_counts_once_and_loads_lazily(db_url):
    arc = open_archive(db_url)
    try:
        assert corpus_for(arc) is None  # nothing recorded: no tables yet, no judge
        docs = [_doc("Officials said the storm caused damage.", "a"), _doc("The storm caused floods.", "b")]
        assert record_originals(arc, docs) == 2
        assert record_originals(arc, docs) == 0  # same words again: not counted twice
        memory = CorpusCounts.from_texts(d.prose() for d in docs)
        loaded = CorpusCounts.load(arc)
        assert loaded.documents == 2
        assert [loaded.total(n) for n in (1, 2, 3)] == [memory.total(n) for n in (1, 2, 3)]
        for gram in (["storm", "caused"], ["the", "storm", "caused"], ["floods"], ["not", "there"]):
            assert loaded.count(gram) == memory.count(gram)
        assert corpus_for(arc).documents == 2
    finally:
        arc.close()


def test_archive_add_records_the_originals(tmp_path):
    art = tmp_path / "a.md"
    art.write_text("# Storm\n\nOfficials said the storm caused heavy damage to the town.\n", encoding="utf-8")
    db = "sqlite:///" + str(tmp_path / "arc.sqlite")
    res = CliRunner().invoke(cli, ["archive", "add", "--db", db, "--no-progress", "--no-config", str(art)])
    assert res.exit_code == 0, res.output
    arc = open_archive(db, create=False)
    try:
        c = corpus_for(arc)
        assert c is not None and c.documents == 1 and c.count(["storm", "caused"]) == 1
    finally:
        arc.close()


def test_with_corpus_moves_slots_towards_the_archive_wording():
    text = "Officials said the tempest caused damage."
    start = text.index("tempest")
    s = Slot(start, start + 7, "tempest", "storm", 0.3, -0.85)
    c = CorpusCounts.from_texts(["Officials said the storm caused damage."] * 5)
    (moved,) = with_corpus(Document("x", text, ()), [s], c)
    assert moved.p_spun > s.p_spun and moved.features["corpus_gain"] > 0
    assert with_corpus(Document("x", text, ()), [s], CorpusCounts.from_texts([])) == [s]


def test_spinner_halves_are_disjoint():
    import random

    from evaluation.open_thesaurus_spinner import OpenThesaurusSpinner, half
    from evaluation.wordnet_spinner import load_wordnet

    text = Path(__file__).resolve().parent.parent.joinpath("fixtures", "articles").glob("*/*.md")
    body = next(iter(sorted(text))).read_text(encoding="utf-8")
    wn = load_wordnet()
    for which in "AB":
        spun = OpenThesaurusSpinner(which).spin(body, 0.3, random.Random(1))
        assert spun.substitutions
        for sub in spun.substitutions:
            lemmas = {lem for lem, _, _ in wn.analyses(sub.original.lower())} | {sub.original.lower()}
            assert any(half(lem) == which for lem in lemmas), sub


def test_one_per_span_on_columns_keeps_what_the_greedy_keeps():
    """batch_slots decides overlaps on numpy columns (``_keep_one_per_span``): the same slots as
    the greedy over Slot objects (``_one_per_span``), ties in p_spun included."""
    import random

    import numpy as np

    from unspin.detect.article import _keep_one_per_span, _one_per_span

    rng = random.Random(7)
    for _ in range(300):
        n = rng.randint(0, 40)
        spans = []
        for _ in range(n):
            a = rng.randint(0, 60)
            spans.append((a, a + rng.choice((1, 1, 1, 2, 3, 5, 9)), rng.choice((0.1, 0.2, 0.5, rng.random()))))
        start = np.array([s[0] for s in spans], dtype=np.int64)
        end = np.array([s[1] for s in spans], dtype=np.int64)
        p = np.array([s[2] for s in spans], dtype=np.float64)
        kept = _keep_one_per_span(np, start, end, p).tolist()
        slots = [Slot(a, b, "w", None, q, float(i), {}) for i, (a, b, q) in enumerate(spans)]
        expected = [int(s.margin) for s in _one_per_span(slots)]
        assert kept == expected
    assert _keep_one_per_span(np, np.array([3, 3]), np.array([3, 5]), np.array([0.5, 0.2])) is None
