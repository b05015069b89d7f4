"""analyze_many: documents analysed several at a time get exactly the reports analyze() gives."""

from __future__ import annotations

import pytest

from unspin.analysis import BATCH_CHARS, BATCH_DOCS, Context, analyze, analyze_many, batches
from unspin.config import Config
from unspin.document import load_documents, parse_text
from unspin.model import Document, Segment
from unspin.text import MatchStream

EDGE_TEXTS = [
    ("markdown", "---\ntitle: Facial Acknowledgment Rolls Out\nexcerpt: The squeeze secretary spoke.\n"
                 "provider:\n  name: Example\n  domain: example.com\n---\n\nThe squeeze secretary said "
                 "the money related emergency was over.\n\n```\ncode block profound learning\n```\n"),
    ("html", "<html><head><title>Profound learning news</title></head><body><p>The <em>facial</em> "
             "acknowledgment system uses profound learning and an aid vector machine.</p>"
             "<p>Officials said G7 ministers met on covid19 rules.</p></body></html>"),
    ("html", "<p><b></b>acknowledgment of the squeeze secretary</p><p>Second paragraph here.</p>"),
    ("text", ""),
    ("text", "Word"),
    ("text", "1987 2001 42."),
    ("text", "The G7 summit discussed covid19 and 5G networks in 2021. The press secretary spoke."),
    # repeated boilerplate (a repeated window counts once per document) and a long article (the
    # substitution gain sub-samples candidates past MAX_WORDS)
    ("text", "\n\n".join(["Read the full story on the website for more details."] * 30)),
    ("text", " ".join(["The council approved the annual budget after a long debate about schools, "
                       "roads and the quality of local services."] * 120)),
    ("jsonl", '{"id": "a", "title": "Squeeze secretary quits", "text": "The money related emergency '
              'deepened."}\n{"id": "b", "title": "Clean", "text": "The press secretary spoke."}\n'),
]


def _docs():
    docs, errors = load_documents(["fixtures"])
    assert not errors
    for kind, text in EDGE_TEXTS:
        docs += parse_text(text, f"edge.{kind}", kind)
    # a document whose first segment is marked as continuing a sentence (an API user's Document),
    # after one that ends mid-sentence: the batch must not read across the two
    docs.append(parse_text("The report praised the facial", "mid.txt", "text")[0])
    text = "acknowledgment of the new squeeze secretary was quick"
    docs.append(Document(path="joined.txt", text=text, segments=(Segment(0, len(text), "body", joined=True),)))
    from evaluation import datasets as ds

    docs += [s.document() for s in ds.unseen_phrase_set(limit=96).spun]
    return docs


@pytest.fixture(scope="module")
def docs():
    return _docs()


@pytest.mark.parametrize("generic", [True, False])
def test_batched_reports_equal_one_by_one(docs, generic):
    ctx = Context(config=Config(generic=generic))
    one = [analyze(d, ctx) for d in docs]
    many = list(analyze_many(docs, ctx))
    assert len(many) == len(one)
    rules = set()
    for a, b in zip(one, many, strict=True):
        assert b.document is a.document
        assert b.to_json() == a.to_json()
        assert b.features == a.features
        rules |= {f.rule for f in a.findings}
    # the comparison covers every detector that runs in a batch
    assert {"US101", "US102"} <= rules
    if generic:
        assert {"US201", "US202"} <= rules


def test_batches_close_at_documents_or_characters():
    small = parse_text("The press secretary spoke.", "s.txt", "text")[0]
    big = parse_text("x" * (BATCH_CHARS + 1), "big.txt", "text")[0]
    groups = list(batches([small] * (BATCH_DOCS + 3)))
    assert [len(g) for g in groups] == [BATCH_DOCS, 3]
    groups = list(batches([small, small, big, small]))
    assert [[d.path for d in g] for g in groups] == [["s.txt", "s.txt"], ["big.txt"], ["s.txt"]]
    assert list(batches([])) == []


def test_concatenated_stream_maps_tokens_back():
    docs = [parse_text(t, f"d{i}.md", "markdown")[0] for i, t in enumerate(
        ["# Title one\n\nFirst body text.", "", "Second <b>doc</b>, with words.\n\nAnd more."])]
    streams = [MatchStream(d.text, d.segments) for d in docs]
    text = "\n\n".join(d.text for d in docs)
    bases = [0, len(docs[0].text) + 2, len(docs[0].text) + 4]
    joined = MatchStream.concat(text, streams, bases)
    want = [(t, s + b, e + b) for st, b in zip(streams, bases, strict=True) for t, s, e in st.tokens]
    assert [tuple(t) for t in joined.tokens] == want
    assert all(text[s:e] == t for t, s, e in joined.tokens)
    assert joined.word_count == sum(s.word_count for s in streams)
    # documents are kept apart by a barrier: no phrase matches across them
    assert joined.stream.count("¦") >= 1


def test_a_detector_bug_loses_only_its_document(monkeypatch):
    """The batch report: when a batch fails, each document is retried alone; only the one that
    fails alone becomes an error, every other row is kept."""
    from unspin.detect import spinmap
    from unspin.report import run

    real = spinmap.spinmap_findings

    def broken(doc, stream, fb):
        if "kaboom" in doc.text:
            raise RuntimeError("kaboom")
        return real(doc, stream, fb)

    monkeypatch.setattr(spinmap, "spinmap_findings", broken)
    lines = [f'{{"id": "{i}", "title": "Item {i}", "text": "The press secretary spoke on day {i}."}}'
             for i in range(5)]
    lines[2] = '{"id": "2", "title": "Bad", "text": "kaboom said the squeeze secretary."}'
    items = tuple(run.RecordLine(i, "feed.jsonl", i + 1, line) for i, line in enumerate(lines))
    result = run.run_task(run.Task(0, items), run.WorkerSettings(Config()))
    assert sorted(seq for seq, _ in result.rows) == [0, 1, 3, 4]
    assert [(seq, e.path) for seq, e in result.errors] == [(2, "feed.jsonl#3")]
    assert "RuntimeError: kaboom" in result.errors[0][1].error


def _same(docs, generic=True):
    ctx = Context(config=Config(generic=generic))
    one = [analyze(d, ctx) for d in docs]
    many = list(analyze_many(docs, ctx))
    for a, b in zip(one, many, strict=True):
        assert b.to_json() == a.to_json()
        assert b.features == a.features
    return one


def test_a_document_never_continues_the_sentence_of_the_one_before():
    """A document that starts with a character that is no token ("_", a space) after one that ends
    mid-sentence: the batch must still start a new sentence there (found by review: "The squeeze"
    + "_secretary_ said ..." gave a US201 finding reading across the two files)."""
    docs = [parse_text("The squeeze", "a.txt", "text")[0],
            parse_text("_secretary_ said the money related emergency was over.", "b.md", "markdown")[0],
            parse_text("The results show an added", "c.txt", "text")[0],
            parse_text("_substance_ in the data set.", "d.txt", "text")[0]]
    text = " acknowledgment of the new squeeze secretary was quick"
    docs.append(Document(path="space.txt", text=text, segments=(Segment(0, len(text), "body"),)))
    reports = _same(docs)
    assert not any(f.end > len(r.document.text) for r in reports for f in r.findings)


def test_segments_out_of_text_order():
    """HTML with a <title> after the body lists the title segment first: each document's searches stay
    inside its own tokens, so the batch splits it as the document alone is split."""
    docs = [parse_text("The new report on the data", "a.txt", "text")[0],
            parse_text("<p>Officials spoke about it today.</p><title>joined together we stand</title>",
                       "b.html", "html")[0],
            parse_text("<p>Fluffy set theory.</p><title>Profound learning</title><p>Aid vector machine.</p>",
                       "c.html", "html")[0]]
    assert docs[1].segments[0].field == "title" and docs[1].segments[0].start > docs[1].segments[1].start
    _same(docs[:2])
    _same(docs)


def test_a_one_word_document_whose_word_is_a_spinner_word():
    """Found by review: a document whose only word is a US202 key raised IndexError."""
    docs = [parse_text(w, f"{w}.txt", "text")[0] for w in ("fluffy", "Fluffy", "acknowledgment", "fluffy set")]
    _same(docs)
    _same(docs[:1])


def test_token_tables_reset_between_batches(monkeypatch):
    """The per-process token tables of US201/US202 and of the scorer are emptied when they grow past
    CACHE_MAX, here at almost every document and batch: the reports stay those of one by one."""
    from unspin import analysis
    from unspin.detect import context_lm, generic

    docs, _ = load_documents(["fixtures/articles"])
    m = generic.load_model()
    with m.lock:
        m._reset_types()  # the fixtures' words are new again
    monkeypatch.setattr(generic, "CACHE_MAX", 300)
    monkeypatch.setattr(context_lm, "CACHE_MAX", 300)
    monkeypatch.setattr(analysis, "BATCH_DOCS", 4)
    generation = m.generation
    reports = _same(docs[:24])
    assert m.generation > generation + 10
    assert any(r.findings for r in reports)


def test_front_matter_keys_do_not_reach_the_batch_machinery():
    """The batch's own bookkeeping lives on its internal stream, not in Document.meta, which holds a
    user's front matter (here a key named "parts")."""
    text = "---\ntitle: Squeeze secretary\nparts: 3\n---\n\nThe squeeze secretary spoke of profound learning.\n"
    doc = parse_text(text, "a.md", "markdown")[0]
    assert doc.meta.get("parts") == 3
    reports = _same([doc, parse_text("The facial acknowledgment system.", "b.txt", "text")[0], doc])
    assert reports[0].findings


# --- property: any mix of documents, batched or one by one, gives the same reports -----------------

def _random_documents(rng) -> list:
    """Documents of every kind built from spinner words, common words and awkward tokens, with the
    shapes that once broke batches: no final full stop, a leading "_" or space, a title after the
    body, inline tags, front matter, API-built segments marked as continuing a sentence."""
    import json

    from unspin.detect.spinmap import load_spinmap

    keys = sorted(load_spinmap().pairs)
    common = ("the a of to and in that was for on with as by at from said new government people year "
              "report team data model method results study").split()
    odd = ["G7", "covid19", "5G", "U.S.", "Dr.", "İstanbul", "don’t", "state-of-the-art", "_", "Facial", "Aid"]

    def words(n):
        return " ".join(rng.choice(keys) if (r := rng.random()) < 0.3 else rng.choice(odd) if r < 0.35
                        else rng.choice(common) for _ in range(n))

    def para():
        return rng.choice(["", "", "_", "*", "# ", "- ", "1. ", " "]) + words(rng.randint(0, 15)) + \
            rng.choice(["", ".", "", "!", ",", ":"])

    out: list = []
    for i in range(rng.randint(10, 40)):
        kind = rng.choice(["text", "markdown", "html", "jsonl", "api"])
        paras = [para() for _ in range(rng.randint(0, 4))]
        body = "\n\n".join(paras)
        if kind == "text":
            out += parse_text(body if rng.random() < 0.7 else "\n".join(paras), f"d{i}.txt", "text")
        elif kind == "markdown":
            front = f"---\ntitle: {words(3).title()}\n---\n\n" if rng.random() < 0.5 else ""
            out += parse_text(front + body, f"d{i}.md", "markdown")
        elif kind == "html":
            html = "".join(f"<p>{p.replace(' ', ' <em>', 1)}</p>" if rng.random() < 0.3 else f"<p>{p}</p>"
                           for p in paras)
            if rng.random() < 0.3:
                html += f"<title>{words(3)}</title>"
            out += parse_text(html, f"d{i}.html", "html")
        elif kind == "jsonl":
            recs = [json.dumps({"title": words(3).title(), "text": body or "x"}) for _ in range(rng.randint(1, 2))]
            out += parse_text("\n".join(recs), f"d{i}.jsonl", "jsonl")
        else:
            text = (" " if rng.random() < 0.5 else "") + body
            out.append(Document(path=f"d{i}.api", text=text,
                                segments=(Segment(0, len(text), "body", joined=rng.random() < 0.3),)))
    return out


@pytest.mark.parametrize("seed", range(12))
def test_random_mixes_batched_equal_one_by_one(seed):
    import random

    _same(_random_documents(random.Random(seed)))


def test_a_word_scores_the_same_alone_and_in_a_batch():
    """Found by review: US201's combiner was a matrix product, whose rounding may depend on a row's
    place in the batch (1 ulp in a confidence). Two copies of a line, alone and beside another
    document, must give identical confidences."""
    t = "Water main bursts in White Plains, New York, US"
    a = parse_text(t + "\n\n" + t, "a.txt", "text")[0]
    other = parse_text("The council approved the annual budget after a long debate.", "b.txt", "text")[0]
    ctx = Context()
    alone = analyze(a, ctx)
    batched = list(analyze_many([other, a, other], ctx))[1]
    assert [f.confidence for f in batched.findings] == [f.confidence for f in alone.findings]
    assert batched.features == alone.features
