"""``unspin fix``: print, --diff, --write, --select/--min-confidence, --interactive, errors, readability."""

from __future__ import annotations

import os
import stat

import pytest

from unspin.cli import cli

LEXICON = (
    "id\tspun\tcanonical\tcondition\tsource\texample_bad\texample_good\n"
    "T1\tfacial acknowledgment\tfacial recognition\t\ttest\t\t\n"
    "T2\tsqueeze secretary\tpress secretary\t\ttest\t\t\n"
    "T3\tmoney related emergency\tfinancial crisis\t\ttest\t\t\n"
)

ARTICLE = (
    "---\n"
    'title: "Police widen facial acknowledgment trial"\n'
    "slug: facial-acknowledgment-trial\n"
    "tags: [police, squeeze secretary]\n"
    "---\n\n"
    "Facial acknowledgment cameras will be used, the squeeze secretary said.\n\n"
    "It follows a money related emergency  at the force.\n\n"
    "```\nsqueeze secretary in code stays\n```\n"
)

EXPECTED = (
    "---\n"
    'title: "Police widen facial recognition trial"\n'
    "slug: facial-acknowledgment-trial\n"
    "tags: [police, squeeze secretary]\n"
    "---\n\n"
    "Facial recognition cameras will be used, the press secretary said.\n\n"
    "It follows a financial crisis at the force.\n\n"
    "```\nsqueeze secretary in code stays\n```\n"
)


@pytest.fixture
def lexicon(tmp_path):
    p = tmp_path / "lex.tsv"
    p.write_text(LEXICON, encoding="utf-8")
    return str(p)


@pytest.fixture
def article(tmp_path):
    p = tmp_path / "story.md"
    p.write_text(ARTICLE, encoding="utf-8")
    return p


def run(cli_runner, *args, input=None):
    return cli_runner.invoke(cli, ["fix", "--no-config", "--no-generic", *args], input=input)


def test_prints_the_rewritten_document(cli_runner, article, lexicon):
    r = run(cli_runner, "--lexicon", lexicon, str(article))
    assert r.exit_code == 0, r.stderr
    assert r.stdout == EXPECTED
    assert article.read_text(encoding="utf-8") == ARTICLE  # printing never writes
    assert "5 changes proposed" in r.stderr and "lexicon 4" in r.stderr and "normalise 1" in r.stderr
    assert "Flesch reading ease" in r.stderr


def test_diff(cli_runner, article, lexicon):
    r = run(cli_runner, "--lexicon", lexicon, "--diff", str(article))
    assert r.exit_code == 1  # something would change
    assert '+title: "Police widen facial recognition trial"' in r.stdout
    assert "-It follows a money related emergency  at the force." in r.stdout
    assert "+It follows a financial crisis at the force." in r.stdout
    assert "slug" not in r.stdout.split("@@", 1)[1].replace(" slug", "")  # unchanged lines only as context


def test_diff_of_a_clean_file_exits_zero(cli_runner, tmp_path, lexicon):
    p = tmp_path / "clean.md"
    p.write_text("The press secretary spoke.\n", encoding="utf-8")
    r = run(cli_runner, "--lexicon", lexicon, "--diff", str(p))
    assert r.exit_code == 0 and r.stdout == ""
    assert "no changes" in r.stderr


def test_write_in_place_keeps_mode_and_front_matter(cli_runner, article, lexicon):
    os.chmod(article, 0o604)
    r = run(cli_runner, "--lexicon", lexicon, "--write", str(article))
    assert r.exit_code == 0, r.stderr
    assert r.stdout == ""
    assert article.read_text(encoding="utf-8") == EXPECTED
    assert stat.S_IMODE(article.stat().st_mode) == 0o604
    assert sorted(p.name for p in article.parent.iterdir()) == ["lex.tsv", "story.md"]
    again = run(cli_runner, "--lexicon", lexicon, "--write", str(article))
    assert again.exit_code == 0 and "no changes" in again.stderr


def test_write_keeps_crlf_and_bom(cli_runner, tmp_path, lexicon):
    p = tmp_path / "win.txt"
    p.write_bytes(b"\xef\xbb\xbfThe squeeze secretary spoke.\r\nThen left.\r\n")
    r = run(cli_runner, "--lexicon", lexicon, "--write", str(p))
    assert r.exit_code == 0, r.stderr
    assert p.read_bytes() == b"\xef\xbb\xbfThe press secretary spoke.\r\nThen left.\r\n"


def test_select_and_min_confidence(cli_runner, article, lexicon):
    r = run(cli_runner, "--lexicon", lexicon, "--select", "US4", str(article))
    assert "money related emergency at" in r.stdout and "Facial acknowledgment" in r.stdout
    r = run(cli_runner, "--lexicon", lexicon, "--ignore", "US4", str(article))
    assert "financial crisis  at" in r.stdout
    r = run(cli_runner, "--lexicon", lexicon, "--min-confidence", "0.99", str(article))
    assert r.stdout == ARTICLE


def test_interactive_accepts_and_rejects_each_change(cli_runner, article, lexicon):
    # Changes in order: title, "Facial acknowledgment", "squeeze secretary", "money related...", "  ".
    r = run(cli_runner, "--lexicon", lexicon, "--interactive", "--write", str(article), input="n\ny\nn\ny\nn\n")
    assert r.exit_code == 0, r.stderr
    text = article.read_text(encoding="utf-8")
    assert 'title: "Police widen facial acknowledgment trial"' in text
    assert "Facial recognition cameras will be used, the squeeze secretary said." in text
    assert "It follows a financial crisis  at the force." in text
    assert r.stderr.count("Apply?") == 5


def test_interactive_all_and_quit(cli_runner, article, lexicon):
    r = run(cli_runner, "--lexicon", lexicon, "--interactive", str(article), input="n\na\n")
    assert r.stderr.count("Apply?") == 2
    assert r.stdout == EXPECTED.replace("facial recognition trial", "facial acknowledgment trial")
    r = run(cli_runner, "--lexicon", lexicon, "--interactive", str(article), input="y\nq\n")
    assert r.stderr.count("Apply?") == 2
    assert r.stdout == ARTICLE.replace("facial acknowledgment trial", "facial recognition trial")


def test_bad_input_is_one_line_and_others_are_still_fixed(cli_runner, tmp_path, article, lexicon):
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"caf\xe9 squeeze secretary\n")
    r = run(cli_runner, "--lexicon", lexicon, "--write", str(bad), str(article), str(tmp_path / "missing.md"))
    assert r.exit_code == 2
    assert article.read_text(encoding="utf-8") == EXPECTED
    lines = [ln for ln in r.stderr.splitlines() if "error" in ln]
    assert len(lines) == 2 and "Traceback" not in r.stderr
    assert any(str(bad) in ln and "not valid UTF-8" in ln for ln in lines)
    assert any("missing.md" in ln and "no such file" in ln for ln in lines)
    assert bad.read_bytes() == b"caf\xe9 squeeze secretary\n"


def test_file_changed_while_fixing_is_not_overwritten(cli_runner, article, lexicon, monkeypatch):
    from unspin.rewrite import pipeline

    real = pipeline.fix_document

    def slow_fix(doc, ctx, **kw):
        result = real(doc, ctx, **kw)
        article.write_text(ARTICLE + "\nAn editor's new paragraph.\n", encoding="utf-8")
        return result

    monkeypatch.setattr(pipeline, "fix_document", slow_fix)
    r = run(cli_runner, "--lexicon", lexicon, "--write", str(article))
    assert r.exit_code == 2
    assert "changed after it was read" in r.stderr
    assert article.read_text(encoding="utf-8").endswith("An editor's new paragraph.\n")


def test_write_and_stdin_conflict(cli_runner, lexicon):
    r = run(cli_runner, "--lexicon", lexicon, "--write", "-", input="x")
    assert r.exit_code == 2 and "standard input" in r.stderr


def test_stdin_is_fixed_to_stdout(cli_runner, lexicon):
    r = run(cli_runner, "--lexicon", lexicon, "-", input="A squeeze secretary spoke.\n")
    assert r.exit_code == 0 and r.stdout == "A press secretary spoke.\n"


def test_readability_counts_syllables_with_pyphen():
    import pyphen

    from unspin.metrics import readability

    dic = pyphen.Pyphen(lang="en_US")
    words = ["organization", "unprecedented", "cat", "readability", "government"]
    expected = sum(len(dic.positions(w)) + 1 for w in words)
    assert readability.syllables(" ".join(words)) == expected
    score = readability.readability("The cat sat on the mat. The dog ran to the park.")
    assert score.flesch_reading_ease > 80  # short words, short sentences
    assert readability.readability("Organizations were investigating unprecedented governmental "
                                   "irregularities.").flesch_reading_ease < score.flesch_reading_ease


def test_lazy_hyphenation_equals_pyphen_on_every_fixture_word(fixtures, monkeypatch):
    """The first words are hyphenated from their own patterns only (no full dictionary parse): the
    same positions as pyphen's whole en_US dictionary, word for word; then it switches to pyphen."""
    import pyphen

    from unspin.metrics import readability

    full = pyphen.Pyphen(lang="en_US")
    words = set()
    for p in fixtures.rglob("*.md"):
        words.update(w.lower() for w in readability._words(p.read_text(encoding="utf-8")))
    words |= {"", "a", "x", "\ufb00", "ba\ufb04e", "don't", "3d", "na\u00efve", "\u00e9tat", "co-op",
              "supercalifragilisticexpialidocious", "Organization", "UNPRECEDENTED"}
    assert len(words) > 3000
    monkeypatch.setattr(readability, "LAZY_WORDS", 10**9)
    lazy = readability._Hyphenator()
    assert lazy._lines and [w for w in sorted(words) if lazy.positions(w) != full.positions(w)] == []
    monkeypatch.setattr(readability, "LAZY_WORDS", 2)
    switching = readability._Hyphenator()
    assert [switching.positions(w) for w in sorted(words)[:50]] == [full.positions(w) for w in sorted(words)[:50]]
    assert switching._lazy == 2


def test_readability_equals_textstat_with_pyphen_syllables(monkeypatch, fixtures):
    """Our Flesch scores are textstat's (en_US) with its CMU lookup switched off, to the last bit."""
    textstat = pytest.importorskip("textstat")
    from textstat.backend.counts import _count_syllables

    from unspin.metrics import readability

    monkeypatch.setattr(_count_syllables, "get_cmudict", lambda lang: None)
    _count_syllables.count_syllables.cache_clear()
    texts = [p.read_text(encoding="utf-8") for p in sorted((fixtures / "articles").rglob("*.md"))][:40]
    texts += ["", "...", "Hello", "DON'T STOP. It's 'quoted' here!", "I'VE BEEN HERE'S THERE'LL",
              "A b. C d e f? Ünïcödé wörds—dash-ed; rock'n'roll 1,000.5 ok.",
              "Dr. Smith went. To Washington, D.C. today!", "'' -- !! a. ' ' b c. -- - x y", "\n\n"]
    assert len(texts) > 20
    for text in texts:
        got = readability.readability(text)
        want = (textstat.flesch_reading_ease(text), textstat.flesch_kincaid_grade(text), textstat.lexicon_count(text))
        assert (got.flesch_reading_ease, got.flesch_kincaid_grade, got.words) == want, text[:60]
        assert readability.syllables(text) == textstat.syllable_count(text)
    _count_syllables.count_syllables.cache_clear()


def test_several_files_are_printed_under_headers(cli_runner, tmp_path, lexicon):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("A squeeze secretary spoke.\n", encoding="utf-8")
    b.write_text("Nothing to change.\n", encoding="utf-8")
    r = run(cli_runner, "--lexicon", lexicon, str(a), str(b))
    assert r.exit_code == 0, r.stderr
    assert r.stdout == (f"==> {a} <==\nA press secretary spoke.\n==> {b} <==\nNothing to change.\n")


def test_fix_with_the_source_archived_restores_its_words(cli_runner, tmp_path, fixtures):
    original = fixtures / "articles" / "business" / "airline-profit-warning.md"
    text = original.read_text(encoding="utf-8")
    swaps = {"expected": "foreseen", "warned": "cautioned", "Shares": "Stakes", "aircraft": "airship"}
    head_end = text.index("\n---", 3) + 4
    body = text[head_end:]
    for a, b in swaps.items():
        body = body.replace(f" {a} ", f" {b} ")
    assert body != text[head_end:]
    copy = tmp_path / "copy.md"
    copy.write_text(text[:head_end].replace("harbourledger.example", "spinfarm.example") + body, encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    assert cli_runner.invoke(cli, ["archive", "add", "--db", db, str(original)]).exit_code == 0
    r = run(cli_runner, "--db", db, "--write", str(copy))
    assert r.exit_code == 0, r.stderr
    assert "source" in r.stderr
    assert copy.read_text(encoding="utf-8").split("\n---\n", 1)[1] == text.split("\n---\n", 1)[1]


def test_write_through_a_symlink_keeps_the_link(tmp_path):
    import os

    from unspin.fileio import atomic_write_text

    real = tmp_path / "real.txt"
    real.write_text("old\n")
    link = tmp_path / "link.txt"
    os.symlink(real, link)
    atomic_write_text(link, "new\n")
    assert link.is_symlink() and real.read_text() == "new\n"


# --- JSONL feeds -------------------------------------------------------------------------------------

FEED_LEXICON = LEXICON + "T4\tcoffee house proprietor\tcafé owner\t\ttest\t\t\n"

FEED_LINES = [
    # escaped non-ASCII (\u2014, \u00e9), escaped quotes and newlines, a nested object after the text
    '{"id": "a1", "title": "Police widen facial acknowledgment trial", "text": "The squeeze secretary said '
    '\\"yes\\".\\n\\nIt follows a money related emergency \\u2014 caf\\u00e9s \\/ bars object.", '
    '"url": "https://example.org/a1", "provider": {"name": "Wire"}}',
    "",
    # nothing to change, CRLF ending: must come back byte for byte
    '{"id":"a2","title":"Nothing to fix","text":"The press secretary met the caf\\u00e9 owner.","provider":"Wire"}\r',
    # malformed: reported, kept as is
    '{"id": "a3", "title": "broken", "text": "the squeeze secretary',
    # raw non-ASCII: the replacement is written raw too; other fields (1.50, the tags) untouched
    '{"text": "Le coffee house proprietor: «the squeeze secretary said so» 😀", "id": "a4", '
    '"tags": ["squeeze secretary"], "n": 1.50}',
    # escaped non-ASCII and a surrogate pair: the replacement is escaped too
    '{"id": "a5", "title": "Emoji \\ud83d\\ude00 and a coffee house proprietor", '
    '"text": "An \\u00e9lan: the squeeze secretary spoke."}',
    "",
]
FEED_FIXED = [
    '{"id": "a1", "title": "Police widen facial recognition trial", "text": "The press secretary said '
    '\\"yes\\".\\n\\nIt follows a financial crisis \\u2014 caf\\u00e9s \\/ bars object.", '
    '"url": "https://example.org/a1", "provider": {"name": "Wire"}}',
    FEED_LINES[1], FEED_LINES[2], FEED_LINES[3],
    '{"text": "Le café owner: «the press secretary said so» 😀", "id": "a4", '
    '"tags": ["squeeze secretary"], "n": 1.50}',
    '{"id": "a5", "title": "Emoji \\ud83d\\ude00 and a caf\\u00e9 owner", '
    '"text": "An \\u00e9lan: the press secretary spoke."}',
    "",
]


@pytest.fixture
def feed_lexicon(tmp_path):
    p = tmp_path / "feed-lex.tsv"
    p.write_text(FEED_LEXICON, encoding="utf-8")
    return str(p)


@pytest.fixture
def feed(tmp_path):
    p = tmp_path / "feed.jsonl"
    p.write_bytes("\n".join(FEED_LINES).encode("utf-8"))
    return p


def test_jsonl_feed_is_rewritten_record_by_record(cli_runner, feed, feed_lexicon):
    import json

    os.chmod(feed, 0o640)
    r = run(cli_runner, "--lexicon", feed_lexicon, "--write", str(feed))
    assert r.exit_code == 2  # the malformed line
    out = feed.read_bytes().decode("utf-8").split("\n")
    for k, (got, want) in enumerate(zip(out, FEED_FIXED, strict=True), 1):
        assert got == want, f"line {k}"
    assert stat.S_IMODE(feed.stat().st_mode) == 0o640
    assert sorted(p.name for p in feed.parent.iterdir()) == ["feed-lex.tsv", "feed.jsonl"]  # no temp file left
    for k in (0, 4, 5):
        before, after = json.loads(FEED_LINES[k]), json.loads(out[k])
        assert list(after) == list(before)  # key order
        assert {key: v for key, v in after.items() if key not in ("title", "text")} == \
            {key: v for key, v in before.items() if key not in ("title", "text")}
    errors = [ln for ln in r.stderr.splitlines() if "error" in ln]
    assert errors == [f"{feed}#4: error: not valid JSON (Unterminated string starting at)"]
    assert "Traceback" not in r.stderr
    assert f"{feed}: 7 changes written in 3 of 4 records (lexicon 7)" in r.stderr
    check = cli_runner.invoke(cli, ["check", "--no-config", "--no-generic", "--lexicon", feed_lexicon, str(feed)])
    assert check.exit_code == 2 and errors[0] in check.stderr.splitlines()  # reported the way check does
    again = run(cli_runner, "--lexicon", feed_lexicon, "--write", str(feed))
    assert again.exit_code == 2 and f"{feed}: no changes" in again.stderr
    assert feed.read_bytes().decode("utf-8").split("\n") == FEED_FIXED


def test_jsonl_feed_print_and_diff_do_not_write(cli_runner, tmp_path, feed_lexicon):
    good = [ln for k, ln in enumerate(FEED_LINES) if k != 3]
    fixed = [ln for k, ln in enumerate(FEED_FIXED) if k != 3]
    p = tmp_path / "feed.ndjson"
    p.write_text("\n".join(good), encoding="utf-8", newline="")
    r = run(cli_runner, "--lexicon", feed_lexicon, str(p))
    assert r.exit_code == 0, r.stderr
    assert r.stdout_bytes == "\n".join(fixed).encode()  # (.stdout would turn the CRLF into LF)
    r = run(cli_runner, "--lexicon", feed_lexicon, "--diff", str(p))
    assert r.exit_code == 1
    assert f"-{good[0]}\n+{fixed[0]}\n" in r.stdout and f"-{good[3]}\n" in r.stdout
    assert f" {good[2]}\n".encode() in r.stdout_bytes  # the unchanged record is context, not a change
    assert p.read_bytes() == "\n".join(good).encode()
    r = run(cli_runner, "--lexicon", feed_lexicon, "-", input="\n".join(good))  # a feed on stdin
    assert r.exit_code == 0 and r.stdout_bytes == "\n".join(fixed).encode()


def test_jsonl_feed_without_changes_stays_byte_identical(cli_runner, tmp_path, feed_lexicon):
    data = ('{"id": 1, "text": "The press secretary met the caf\\u00e9 owner.", "x": 1.0}\r\n\r\n'
            '{"text": "Nothing to see — here.", "id": 2}\n').encode()
    p = tmp_path / "clean.jsonl"
    p.write_bytes(data)
    r = run(cli_runner, "--lexicon", feed_lexicon, "--diff", str(p))
    assert r.exit_code == 0 and r.stdout == "" and "no changes" in r.stderr
    r = run(cli_runner, "--lexicon", feed_lexicon, "--write", str(p))
    assert r.exit_code == 0 and p.read_bytes() == data
    r = run(cli_runner, "--lexicon", feed_lexicon, str(p))
    assert r.stdout_bytes == data


def test_jsonl_feed_interactive_asks_per_change_and_done_ends_the_feed(cli_runner, tmp_path, feed_lexicon):
    p = tmp_path / "feed.jsonl"
    p.write_text("\n".join([FEED_LINES[0], FEED_LINES[5], ""]), encoding="utf-8")
    # Changes in order: title, "squeeze secretary", "money related emergency" (record 1), then record 2.
    r = run(cli_runner, "--lexicon", feed_lexicon, "--interactive", "--write", str(p), input="y\nn\nd\n")
    assert r.exit_code == 0, r.stderr
    assert r.stderr.count("Apply?") == 3
    assert f"{p}#1:" in r.stderr
    line1, line2, _ = p.read_text(encoding="utf-8").split("\n")
    assert "facial recognition trial" in line1 and "The squeeze secretary said" in line1
    assert "money related emergency" in line1 and line2 == FEED_LINES[5]


# --- markup inside a spun phrase (the bundled news lexicon) ------------------------------------------

def test_html_tags_and_entities_inside_a_spun_phrase_are_kept(cli_runner, tmp_path):
    p = tmp_path / "story.html"
    p.write_text(
        "<p>Police used <em>facial</em> acknowledgment cameras and a facial <b>acknowledgment</b> app.</p>\n"
        "<p>The <b>squeeze secretary</b> and the outside&nbsp;clergyman met a <a href=\"/x\">boss</a> official"
        " &amp; the prime <i>pastor</i>.</p>\n", encoding="utf-8")
    r = cli_runner.invoke(cli, ["fix", "--no-config", "--no-generic", "--select", "US1", "--write", str(p)])
    assert r.exit_code == 0, r.stderr
    assert p.read_text(encoding="utf-8") == (
        "<p>Police used <em>facial</em> recognition cameras and a facial <b>recognition</b> app.</p>\n"
        "<p>The <b>press secretary</b> and the foreign&nbsp;minister met a <a href=\"/x\">chief</a> executive"
        " &amp; the prime <i>minister</i>.</p>\n")


def test_markdown_emphasis_inside_a_spun_phrase_is_kept(cli_runner, tmp_path):
    p = tmp_path / "story.md"
    p.write_text("The **squeeze secretary** met a _boss_ official and an *outside clergyman*.\n", encoding="utf-8")
    r = cli_runner.invoke(cli, ["fix", "--no-config", "--no-generic", "--select", "US1", str(p)])
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "The **press secretary** met a _chief_ executive and a *foreign minister*.\n"


def test_interactive_without_write_says_so_first_and_previews_follow_accepted_edits(cli_runner, article, lexicon):
    r = run(cli_runner, "--lexicon", lexicon, "--interactive", str(article), input="n\ny\nn\nn\nn\n")
    first = r.stderr.strip().splitlines()[0]
    assert "without --write" in first and "unchanged" in first and "-w" in first
    assert article.read_text(encoding="utf-8") == ARTICLE
    # "Facial acknowledgment" accepted; the next question's preview on the same line already shows it
    block = r.stderr.split("'squeeze secretary' -> 'press secretary'")[1]
    minus, plus = block.splitlines()[1:3]
    assert minus.startswith("  - ") and "Facial recognition cameras" in minus and "squeeze secretary" in minus
    assert plus.startswith("  + ") and "Facial recognition cameras" in plus and "press secretary" in plus
    r = run(cli_runner, "--lexicon", lexicon, "--interactive", "--write", str(article), input="n\nn\nn\nn\nn\n")
    assert "without --write" not in r.stderr


def test_rejecting_one_overlapping_edit_asks_the_other():
    from unspin.model import Finding, Suggestion
    from unspin.rewrite.suggest import choose_edits, plan_edits

    text = "The squeeze secretary said."

    def finding(rule, start, end, sugg, source, conf):
        return Finding(rule=rule, start=start, end=end, line=1, column=start + 1, text=text[start:end],
                       message="m", suggestions=(Suggestion(sugg, source, 1.0),), confidence=conf,
                       severity="warning", evidence={})

    lex = finding("US101", 4, 21, "press secretary", "lexicon", 0.95)
    src = finding("US301", 4, 11, "media", "source", 0.9)
    assert [e.suggestion.text for e in plan_edits([lex, src])] == ["media"]  # the source's words win
    asked = []

    def reject_first(edit):
        asked.append(edit.suggestion.text)
        return len(asked) > 1

    chosen = choose_edits([lex, src], reject_first)
    assert asked == ["media", "press secretary"]  # best evidence first, then the overlapping other
    assert [e.suggestion.text for e in chosen] == ["press secretary"]
    asked.clear()
    assert [e.suggestion.text for e in choose_edits([lex, src], lambda e: asked.append(e) or True)] == ["media"]
    assert len(asked) == 1  # accepted: its overlapping twin is not asked
