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


def test_readability_uses_pyphen_not_cmudict(monkeypatch):
    import pyphen
    from textstat.backend.utils import _get_cmudict

    from unspin.rewrite import readability

    def no_downloads(*a, **k):
        raise AssertionError("textstat tried to use NLTK's cmudict")

    monkeypatch.setattr(_get_cmudict, "get_cmudict", no_downloads)
    monkeypatch.setattr(_get_cmudict.nltk, "download", no_downloads)
    readability._textstat.cache_clear()
    dic = pyphen.Pyphen(lang="en_US")
    words = ["organization", "unprecedented", "cat", "readability", "government"]
    expected = sum(len(dic.positions(w)) + 1 for w in words)
    assert readability.syllables(" ".join(words)) == expected
    score = readability.readability("The cat sat on the mat. The dog ran to the park.")
    assert score.flesch_reading_ease > 80  # short words, short sentences
    assert readability.readability("Organizations were investigating unprecedented governmental "
                                   "irregularities.").flesch_reading_ease < score.flesch_reading_ease


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
