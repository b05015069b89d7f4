"""``unspin serve`` in headless Chromium driven by Selenium: highlight, accept, download, upload, injection.

Skipped only when the chromium / chromedriver binaries (or selenium) are missing.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from unspin.config import Config
from unspin.detect.lexicon import Lexicon
from unspin.web.server import WebApp, start_in_thread

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHROMEDRIVER = shutil.which("chromedriver")
webdriver = pytest.importorskip("selenium.webdriver")
if not (CHROMIUM and CHROMEDRIVER):
    pytest.skip("chromium and chromedriver are needed for the browser tests", allow_module_level=True)

from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

WAIT = 30  # seconds: generous, the machine is shared

NEWS_TSV = (
    "id\tspun\tcanonical\tcondition\tsource\texample_bad\texample_good\n"
    "T001\tsqueeze secretary\tpress secretary\t\t\t\t\n"
    "T002\tfacial acknowledgment\tfacial recognition\t\t\t\t\n"
    "T003\tcommon freedoms\tcivil liberties OR civil rights\t\t\t\t\n"
)
# Emoji before the first phrase: offsets are Python code points, JavaScript strings are UTF-16.
ARTICLE = (
    "📰 The White House squeeze secretary said on Tuesday that facial acknowledgment cameras would not be "
    "used at the border.\n\nGroups that defend common freedoms asked for the rules in writing. "
    "The Squeeze Secretary did not reply.\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tsv = tmp_path_factory.mktemp("lexicon") / "news-test.tsv"
    tsv.write_text(NEWS_TSV, encoding="utf-8")
    app = WebApp(config=Config(generic=False), max_upload=8 * 1024)
    app.context.lexicon = Lexicon.from_files([tsv])
    srv, thread = start_in_thread(app)
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(5)


@pytest.fixture(scope="module")
def browser_session(tmp_path_factory):
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path_factory.mktemp("downloads")
    profile = tempfile.mkdtemp(prefix="unspin-chromium-")
    opts = Options()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", f"--user-data-dir={profile}", "--window-size=1360,1000"):
        opts.add_argument(flag)
    opts.add_experimental_option("prefs", {
        "download.default_directory": str(downloads), "download.prompt_for_download": False,
        "safebrowsing.enabled": False,
    })
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(60)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    yield driver, downloads
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(server, browser_session):
    """The page freshly loaded, its info fetched; the download folder emptied."""
    driver, downloads = browser_session
    for f in downloads.iterdir():
        f.unlink()
    driver.get(f"http://127.0.0.1:{server.server_address[1]}/")
    WebDriverWait(driver, WAIT).until(lambda d: "upload limit" in d.find_element(By.ID, "server-info").text)
    driver.get_log("browser")  # start each test with an empty console
    return driver


@pytest.fixture
def downloads(browser_session) -> Path:
    return browser_session[1]


# ---------------------------------------------------------------------------------------------------
# helpers


def wait(driver):
    # The page re-renders cards and highlights when the server's fixed text arrives.
    return WebDriverWait(driver, WAIT, ignored_exceptions=(StaleElementReferenceException,))


def paste_and_check(driver, text: str, kind: str = "auto") -> None:
    box = driver.find_element(By.ID, "article-input")
    # send_keys cannot type characters outside the BMP (the emoji), so set the value like a paste does.
    driver.execute_script("arguments[0].value = arguments[1];", box, text)
    driver.execute_script("arguments[0].value = arguments[1];", driver.find_element(By.ID, "kind-select"), kind)
    driver.find_element(By.ID, "check-button").click()
    wait(driver).until(EC.visibility_of_element_located((By.ID, "results")))


def text_of(driver, element_id: str) -> str:
    """textContent, which Selenium's .text does not give for hidden elements."""
    return driver.execute_script("return document.getElementById(arguments[0]).textContent;", element_id)


def fixed_text(driver) -> str:
    """The fixed text once the server has applied the accepted suggestions (POST /api/fix)."""
    wait(driver).until(lambda d: d.find_element(By.ID, "fixed-text").get_attribute("data-state") == "ready")
    return text_of(driver, "fixed-text")


def marks(driver):
    return driver.find_elements(By.CSS_SELECTOR, "#article-view mark.finding")


def card(driver, n: int):
    return driver.find_element(By.ID, f"card-{n}")


def wait_for_download(folder: Path, name: str) -> str:
    target = folder / name
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if target.exists() and not list(folder.glob("*.crdownload")):
            return target.read_text(encoding="utf-8")
        time.sleep(0.2)
    raise AssertionError(f"no download {name!r}; folder has {[p.name for p in folder.iterdir()]}")


def severe_console_messages(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"
            and "favicon" not in e["message"]]


def assert_no_alert(driver) -> None:
    try:
        alert = driver.switch_to.alert
        text = alert.text
        alert.dismiss()
    except NoAlertPresentException:
        return
    raise AssertionError(f"an alert ran: {text!r}")


# ---------------------------------------------------------------------------------------------------
# The editor's flow


def test_highlight_accept_one_accept_all_and_download(page, downloads):
    driver = page
    paste_and_check(driver, ARTICLE)

    # score, verdict, highlights
    assert text_of(driver, "verdict") in ("suspect", "spun")
    score = float(text_of(driver, "score-value"))
    assert 0 < score <= 1
    assert [m.text for m in marks(driver)] == ["squeeze secretary", "facial acknowledgment", "common freedoms",
                                               "Squeeze Secretary"]
    assert len(driver.find_elements(By.CSS_SELECTOR, "#findings-list .finding-card")) == 4
    assert text_of(driver, "article-view") == ARTICLE  # highlighting shows the text exactly

    # clicking a highlight brings its card forward
    marks(driver)[1].click()
    wait(driver).until(lambda d: "focused" in card(d, 2).get_attribute("class"))

    # accept one suggestion
    card(driver, 1).find_element(By.CSS_SELECTOR, "button.suggestion").click()
    wait(driver).until(lambda d: "accepted" in marks(d)[0].get_attribute("class"))
    one = ARTICLE.replace("squeeze secretary", "press secretary", 1)
    assert fixed_text(driver) == one
    assert marks(driver)[0].text == "press secretary"

    # the second of two suggestions on card 3
    fixed_text(driver)
    buttons = card(driver, 3).find_elements(By.CSS_SELECTOR, "button.suggestion")
    assert [b.text for b in buttons] == ["Use “civil liberties”", "Use “civil rights”"]
    buttons[1].click()
    wait(driver).until(lambda d: "accepted" in card(d, 3).get_attribute("class"))
    fixed_text(driver)

    # accept all: the rest take their first suggestion; case follows the original (Title Case)
    driver.find_element(By.ID, "accept-all").click()
    expected = (
        "📰 The White House press secretary said on Tuesday that facial recognition cameras would not be "
        "used at the border.\n\nGroups that defend civil rights asked for the rules in writing. "
        "The Press Secretary did not reply.\n"
    )
    assert fixed_text(driver) == expected
    assert len(driver.find_elements(By.CSS_SELECTOR, "#article-view mark.accepted")) == 4
    assert not driver.find_element(By.ID, "accept-all").is_enabled()

    # the fixed text tab shows it
    driver.find_element(By.ID, "tab-fixed").click()
    assert driver.find_element(By.ID, "fixed-text").is_displayed()
    assert not driver.find_element(By.ID, "article-view").is_displayed()
    driver.find_element(By.ID, "tab-marked").click()

    # download
    driver.find_element(By.ID, "download").click()
    assert wait_for_download(downloads, "article.fixed.txt") == expected

    # undo one
    card(driver, 1).find_element(By.CSS_SELECTOR, "button.undo").click()
    wait(driver).until(lambda d: "accepted" not in card(d, 1).get_attribute("class"))
    assert fixed_text(driver) == expected.replace("press secretary", "squeeze secretary", 1)
    assert severe_console_messages(driver) == []


def test_markdown_upload_keeps_front_matter_in_the_download(page, downloads, tmp_path):
    driver = page
    md = ("---\ntitle: Cameras at the border\nauthor: A. Reporter\n---\n\n"
          "The squeeze secretary said facial acknowledgment would not be used.\n")
    path = tmp_path / "story.md"
    path.write_text(md, encoding="utf-8")
    driver.find_element(By.ID, "file-input").send_keys(str(path))
    wait(driver).until(EC.visibility_of_element_located((By.ID, "results")))
    assert text_of(driver, "doc-title") == "Cameras at the border"
    assert [m.text for m in marks(driver)] == ["squeeze secretary", "facial acknowledgment"]
    assert "story.md" in text_of(driver, "summary-text")
    driver.find_element(By.ID, "accept-all").click()
    fixed_text(driver)
    driver.find_element(By.ID, "download").click()
    got = wait_for_download(downloads, "story.fixed.md")
    assert got == md.replace("squeeze secretary", "press secretary").replace(
        "facial acknowledgment", "facial recognition")


def test_clean_article_says_so(page):
    paste_and_check(page, "The press secretary said facial recognition cameras would not be used.")
    assert text_of(page, "verdict") == "clean"
    assert marks(page) == []
    assert page.find_element(By.ID, "no-findings").is_displayed()
    assert "No archive configured" in text_of(page, "sources")


# ---------------------------------------------------------------------------------------------------
# Errors shown in the page


def test_bad_uploads_show_plain_messages(page, tmp_path):
    driver = page
    cases = [
        ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.txt: binary file (contains NUL bytes), not text"),
        ("latin1.txt", "café".encode("latin-1"), "latin1.txt: not valid UTF-8: byte 0xe9 on line 1"),
        ("empty.md", b"\n\n", "empty.md: empty file, nothing to check"),
        ("huge.txt", b"word " * 4000, "the article is 20 KB, over this server's 8 KB limit"),
    ]
    for name, data, message in cases:
        path = tmp_path / name
        path.write_bytes(data)
        driver.find_element(By.ID, "file-input").send_keys(str(path))
        wait(driver).until(lambda d, m=message: m in d.find_element(By.ID, "error").text,
                           message=f"{name}: error box says {driver.find_element(By.ID, 'error').text!r}")
        assert driver.find_element(By.ID, "error").is_displayed()
        assert not driver.find_element(By.ID, "results").is_displayed()


def test_empty_paste_shows_message(page):
    page.find_element(By.ID, "check-button").click()
    wait(page).until(lambda d: d.find_element(By.ID, "error").text
                     == "the pasted text is empty; paste an article first")


# ---------------------------------------------------------------------------------------------------
# Injection: an article is text, never markup


INJECTION = (
    "The squeeze secretary said <script>window.__pwned = 1; alert('script');</script> and "
    "<img src=x onerror=\"window.__pwned = 2; alert('img')\"> facial acknowledgment "
    "<a href=\"javascript:alert('link')\">click</a> <b onmouseover=\"alert('b')\">bold</b>.\n"
)


@pytest.mark.parametrize("kind", ["text", "html"])
def test_article_markup_is_shown_as_text_and_never_runs(page, kind):
    driver = page
    article = INJECTION if kind == "text" else (
        "<html><head><title>&lt;img src=x onerror=alert('title')&gt; Title</title></head><body><p>"
        + INJECTION + "</p></body></html>")
    paste_and_check(driver, article, kind=kind)
    time.sleep(0.5)  # give any injected handler (an image error) a chance to run
    assert_no_alert(driver)
    assert driver.execute_script("return window.__pwned === undefined;")
    view = driver.find_element(By.ID, "article-view")
    assert view.find_elements(By.CSS_SELECTOR, "script, img, a, b, iframe") == []
    assert text_of(driver, "article-view") == article
    assert "<script>window.__pwned = 1;" in view.text
    assert [m.text for m in marks(driver)] == ["squeeze secretary", "facial acknowledgment"]
    if kind == "html":
        assert text_of(driver, "doc-title") == "<img src=x onerror=alert('title')> Title"
        assert driver.find_elements(By.CSS_SELECTOR, "#doc-title *") == []
    # the downloaded fix is the article's own markup, untouched apart from the replacements
    driver.find_element(By.ID, "accept-all").click()
    assert fixed_text(driver) == article.replace("squeeze secretary", "press secretary").replace(
        "facial acknowledgment", "facial recognition")
    assert_no_alert(driver)
    assert severe_console_messages(driver) == []


def test_policy_blocks_inline_script_even_if_one_slipped_in(page):
    """Defence in depth: the Content-Security-Policy refuses inline script in this page."""
    driver = page
    driver.execute_script(
        "const s = document.createElement('script'); s.textContent = 'window.__inline = 1;';"
        "document.body.appendChild(s);")
    time.sleep(0.3)
    assert driver.execute_script("return window.__inline === undefined;")
    logs = json.dumps(driver.get_log("browser"))
    assert "Content Security Policy" in logs


# ---------------------------------------------------------------------------------------------------
# Likely sources side by side (an archive configured)

SOURCE_MD = """---
title: "<img src=x onerror=\\"window.__pwned = 3; alert('title')\\"> Press secretary defends cameras"
webUrl: "javascript:alert('url')"
---

The White House press secretary on Tuesday defended the use of facial recognition cameras at three transit
hubs, saying the system had helped police find two missing children last month.

Critics said the images were scraped from social media without consent. "People never agreed to be in a
database," said Dana Morrow, who leads a privacy group in Baltimore.

The city is in the middle of a financial crisis, and officials said the cameras cost $4.2 million a year.
The program will be reviewed in September by the city council.
"""


@pytest.fixture
def archive_page(tmp_path, browser_session):
    from unspin.document import parse_text
    from unspin.match.archive import open_archive

    archive = open_archive(f"sqlite:///{tmp_path / 'archive.sqlite'}")
    archive.add_documents([parse_text(SOURCE_MD, "source.md", "markdown")[0]])
    tsv = tmp_path / "news-test.tsv"
    tsv.write_text(NEWS_TSV, encoding="utf-8")
    app = WebApp(config=Config(generic=False), archive=archive)
    app.context.lexicon = Lexicon.from_files([tsv])
    srv, thread = start_in_thread(app)
    driver = browser_session[0]
    driver.get(f"http://127.0.0.1:{srv.server_address[1]}/")
    WebDriverWait(driver, WAIT).until(lambda d: "archive on" in d.find_element(By.ID, "server-info").text)
    yield driver
    srv.shutdown()
    srv.server_close()
    thread.join(5)
    archive.close()


def test_sources_panel_shows_aligned_passages_and_escapes_archive_text(archive_page):
    driver = archive_page
    body = SOURCE_MD.split("---\n", 2)[2]
    spun = (body.replace("press secretary", "squeeze secretary").replace("facial recognition", "facial acknowledgment")
            .replace("scraped", "scratched"))
    paste_and_check(driver, spun, kind="text")
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#sources .source-card"))
    [card_el] = driver.find_elements(By.CSS_SELECTOR, "#sources .source-card")
    title = card_el.find_element(By.CSS_SELECTOR, ".source-title")
    assert title.tag_name == "span"  # a javascript: URL is not made a link
    assert title.text == "<img src=x onerror=\"window.__pwned = 3; alert('title')\"> Press secretary defends cameras"
    assert card_el.find_elements(By.CSS_SELECTOR, "img, a, script") == []
    assert "match" in card_el.find_element(By.CSS_SELECTOR, ".source-meta").text
    rows = card_el.find_elements(By.CSS_SELECTOR, ".passage-row:not(.head)")
    assert len(rows) >= 3
    spun_words = [e.text for e in card_el.find_elements(By.CSS_SELECTOR, ".swap.spun")]
    original_words = [e.text for e in card_el.find_elements(By.CSS_SELECTOR, ".swap.original")]
    assert "acknowledgment" in spun_words and "recognition" in original_words
    assert "scratched" in spun_words and "scraped" in original_words
    left, right = rows[0].find_elements(By.CSS_SELECTOR, ".passage")
    assert "squeeze" in left.text and "press" in right.text
    time.sleep(0.3)
    assert_no_alert(driver)
    assert driver.execute_script("return window.__pwned === undefined;")
    assert severe_console_messages(driver) == []


# ---------------------------------------------------------------------------------------------------
# Front matter as fields, the fixed title, overlapping findings (one place, one count)


class OverlapApp(WebApp):
    """The real analysis, plus a second finding (another rule) on words overlapping the first one's:
    what the page gets when two rules mark one place."""

    def describe(self, report, sources):
        out = super().describe(report, sources)
        spans = [f for f in out["findings"] if f["scope"] == "span"]
        if spans:
            first = dict(spans[0])
            start = first["start"] + first["text"].index(" ") + 1  # its last word(s)
            first.update(rule="US301", rule_name="source-substitution", start=start,
                         text=out["text"][start:first["end"]], suggestions=[{"text": "spokesman", "source": "source",
                                                                            "score": 0.9}])
            out["findings"].append(first)
        return out


@pytest.fixture(scope="module")
def overlap_server(tmp_path_factory):
    tsv = tmp_path_factory.mktemp("lexicon-overlap") / "news-test.tsv"
    tsv.write_text(NEWS_TSV, encoding="utf-8")
    app = OverlapApp(config=Config(generic=False), max_upload=8 * 1024)
    app.context.lexicon = Lexicon.from_files([tsv])
    srv, thread = start_in_thread(app)
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def test_front_matter_fields_and_fixed_title(page):
    md = ("---\ntitle: Squeeze secretary backs the cameras\nauthor: A. Reporter\ntags: [cameras, city]\n---\n\n"
          "The squeeze secretary said facial acknowledgment would not be used.\n")
    paste_and_check(page, md, "markdown")
    keys = [e.text for e in page.find_elements(By.CSS_SELECTOR, "#article-view dl.front-matter dt")]
    values = [e.text for e in page.find_elements(By.CSS_SELECTOR, "#article-view dl.front-matter dd")]
    assert keys == ["title", "author", "tags"]
    assert values[1:] == ["A. Reporter", "cameras, city"]
    assert "---" not in text_of(page, "article-view")  # no raw YAML lines
    # the title's finding is marked inside its field
    assert [m.text for m in marks(page)][0] == "Squeeze secretary"
    assert page.find_elements(By.CSS_SELECTOR, "dl.front-matter dd mark.finding")
    assert text_of(page, "doc-title") == "Squeeze secretary backs the cameras"
    page.find_element(By.ID, "accept-all").click()
    assert "title: Press secretary backs the cameras" in fixed_text(page)
    page.find_element(By.ID, "tab-fixed").click()
    wait(page).until(lambda d: text_of(d, "doc-title") == "Press secretary backs the cameras")
    page.find_element(By.ID, "tab-marked").click()
    assert text_of(page, "doc-title") == "Squeeze secretary backs the cameras"


def test_overlapping_findings_one_place_readable_and_twin_stops_offering(overlap_server, browser_session):
    driver = browser_session[0]
    driver.get(f"http://127.0.0.1:{overlap_server.server_address[1]}/")
    WebDriverWait(driver, WAIT).until(lambda d: "upload limit" in d.find_element(By.ID, "server-info").text)
    paste_and_check(driver, "The squeeze secretary said facial acknowledgment would not be used.\n", "text")
    # three findings, two places
    assert len(driver.find_elements(By.CSS_SELECTOR, "#findings-list .finding-card")) == 3
    assert " 2 spun phrases " in text_of(driver, "summary-text")
    assert text_of(driver, "finding-count") == "2"
    # the two overlapping findings are one mark that carries both numbers
    assert [(m.text, m.get_attribute("data-n")) for m in marks(driver)] == [
        ("squeeze secretary", "1,2"), ("facial acknowledgment", "3")]
    # accept the lexicon's word: the overlapping twin no longer offers its own
    card(driver, 1).find_element(By.CSS_SELECTOR, "button.suggestion").click()
    wait(driver).until(lambda d: "covered" in card(d, 2).get_attribute("class"))
    assert card(driver, 2).find_elements(By.CSS_SELECTOR, "button.suggestion") == []
    assert "Covered by the change accepted in #1" in card(driver, 2).text
    assert fixed_text(driver).startswith("The press secretary said")
    # undo: the twin offers its word again
    card(driver, 1).find_element(By.CSS_SELECTOR, "button.undo").click()
    wait(driver).until(lambda d: card(d, 2).find_elements(By.CSS_SELECTOR, "button.suggestion"))
    assert severe_console_messages(driver) == []


def test_report_tables_sort_in_the_browser_under_its_csp(browser_session, tmp_path):
    """The provider report's inline script runs (its hash is in the CSP) and sorts by a clicked column."""
    from unspin.report.html import ReportSettings, render_html
    from unspin.report.providers import ArticleRow, FlagRule, aggregate_providers, totals

    rows = [ArticleRow(path=f"{p}{i}.md", provider=p, domain=None, score=s, verdict="clean", words=100, findings=0)
            for p, s in (("Alpha", 0.9), ("Beta", 0.1), ("Gamma", 0.5)) for i in range(2)]
    providers = aggregate_providers(rows, FlagRule(min_articles=1))
    rule = FlagRule()
    html = render_html(providers, totals(rows, providers, 0), [], ReportSettings(
        title="t", rule=rule, rule_text=rule.describe(0.5), suspect_threshold=0.5, spun_threshold=0.8))
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    driver = browser_session[0]
    driver.get(path.as_uri())
    driver.get_log("browser")

    def names():
        table = driver.find_elements(By.CSS_SELECTOR, "table.sortable")[0]
        return [r.find_elements(By.TAG_NAME, "td")[0].text for r in table.find_elements(By.CSS_SELECTOR, "tbody tr")]

    head = driver.find_element(By.XPATH, "(//table[contains(@class,'sortable')])[1]//th[text()='Mean score']")
    head.click()
    assert names() == ["Beta", "Gamma", "Alpha"]
    assert head.get_attribute("aria-sort") == "ascending"
    head.click()
    assert names() == ["Alpha", "Gamma", "Beta"]
    driver.find_element(By.XPATH, "(//table[contains(@class,'sortable')])[1]//th[text()='Provider']").click()
    assert names() == ["Alpha", "Beta", "Gamma"]
    assert [e for e in driver.get_log("browser") if "Content Security Policy" in e["message"]] == []
