"""The self-contained HTML provider report: inline CSS and SVG, one inline script (sortable tables; allowed
by its hash in the page's Content-Security-Policy, nothing else runs), every feed string escaped."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from .charts import esc, flagged_share_chart, score_distribution_chart
from .providers import ArticleRow, FlagRule, ProviderStats, Totals

_CSS = """
:root { color-scheme: light; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328;
       margin: 0 auto; max-width: 1100px; padding: 24px 32px 64px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 32px 0 8px; border-bottom: 1px solid #d0d4da; }
h3 { font-size: 16px; margin: 0; display: inline; }
.summary { color: #59636e; margin: 0 0 16px; }
.rule { background: #f6f8fa; border-left: 4px solid #b3261e; padding: 10px 14px; margin: 12px 0; }
.chart { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #e4e7eb; vertical-align: top; }
th { background: #f6f8fa; position: sticky; top: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.low td { background: #fdf0ef; }
.badge { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; color: #fff; }
.badge.low { background: #b3261e; } .badge.ok { background: #2e8b57; }
.verdict-spun { color: #b3261e; font-weight: 600; } .verdict-suspect { color: #a05a00; font-weight: 600; }
details { border: 1px solid #e4e7eb; border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
details[open] { background: #fbfcfd; }
summary { cursor: pointer; }
ul.phrases { columns: 2; margin: 6px 0; }
code, .path { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; color: #59636e;
              word-break: break-all; }
.errors li { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
footer { margin-top: 40px; color: #59636e; font-size: 12px; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th::after { content: " ↕"; color: #aab1ba; font-size: 11px; }
table.sortable th[aria-sort=ascending]::after { content: " ▲"; color: #1f2328; }
table.sortable th[aria-sort=descending]::after { content: " ▼"; color: #1f2328; }
.downloads a { margin-right: 14px; }
"""

# Click a column header to sort the table by it (again to reverse); numbers sort by their data-v value.
# Offline, no libraries; it only reorders existing rows (no text from the feed is ever parsed as HTML).
SORT_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  var heads = table.querySelectorAll("thead th");
  heads.forEach(function (th, col) {
    th.tabIndex = 0;
    function sort() {
      var up = th.getAttribute("aria-sort") !== "ascending";
      heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", up ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var num = th.classList.contains("num");
      function key(row) {
        var cell = row.cells[col];
        var v = cell.getAttribute("data-v");
        if (num) { var x = parseFloat(v === null ? cell.textContent : v); return isNaN(x) ? -Infinity : x; }
        return (v === null ? cell.textContent : v).toLowerCase();
      }
      rows.sort(function (a, b) {
        var ka = key(a), kb = key(b);
        var c = ka < kb ? -1 : ka > kb ? 1 : 0;
        return up ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); }
    });
  });
});
"""
SORT_SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(SORT_SCRIPT.encode("utf-8")).digest()).decode("ascii")

# The files `unspin report` writes next to report.html, linked from it.
DATA_FILES = (("providers.csv", "providers (CSV)"), ("articles.csv", "articles (CSV)"),
              ("providers.json", "providers (JSON)"))


CHART_LIMIT = 40  # providers drawn per chart; the table lists every provider


@dataclass(frozen=True)
class ReportSettings:
    title: str
    rule: FlagRule
    rule_text: str
    suspect_threshold: float
    spun_threshold: float
    inputs: tuple[str, ...] = ()
    version: str = ""


def safe_href(url: str | None) -> str | None:
    """Only web links become links: javascript:, data: and the like stay plain text."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None


def _num(x: float | None, fmt: str) -> str:
    return "–" if x is None else format(x, fmt)


def _article_link(a: ArticleRow) -> str:
    title = esc(a.title or a.path)
    href = safe_href(a.url)
    return f'<a href="{esc(href)}" rel="noopener noreferrer">{title}</a>' if href else title


def _provider_table(providers: list[ProviderStats]) -> str:
    head = ("<thead><tr><th>Provider</th><th>Domain</th><th class=num>Articles</th><th class=num>Flagged</th>"
            "<th class=num>Mean score</th><th class=num>Worst</th><th class=num>Readability</th>"
            "<th class=num>Quality</th><th class=num>Heat</th><th>Status</th></tr></thead>")
    rows = []
    for p in providers:
        badge = ('<span class="badge low">low quality</span>' if p.low_quality
                 else '<span class="badge ok">ok</span>')
        rows.append(
            f'<tr class="{"low" if p.low_quality else ""}">'
            f'<td><a href="#p-{esc(_anchor(p))}">{esc(p.name)}</a></td>'
            f"<td>{esc(p.domain or '–')}</td><td class=num>{p.articles}</td>"
            f"<td class=num data-v={p.flagged_share:.6f}>{p.flagged} ({p.flagged_share:.0%})</td>"
            f"<td class=num>{p.mean_score:.3f}</td>"
            f"<td class=num>{p.worst_score:.3f}</td><td class=num>{_num(p.mean_readability, '.1f')}</td>"
            f"<td class=num>{_num(p.mean_quality, '.2f')}</td><td class=num>{_num(p.mean_heat, '.1f')}</td>"
            f"<td data-v={'0' if p.low_quality else '1'}>{badge}</td></tr>")
    return f"<table class=sortable>{head}<tbody>{''.join(rows)}</tbody></table>"


def _anchor(p: ProviderStats) -> str:
    return "".join(ch if ch.isalnum() or ch in "-." else "_" for ch in p.key) or "none"


def _provider_details(p: ProviderStats) -> str:
    badge = ' <span class="badge low">low quality</span>' if p.low_quality else ""
    opened = " open" if p.low_quality else ""
    parts = [f'<details id="p-{esc(_anchor(p))}"{opened}><summary><h3>{esc(p.name)}</h3> '
             f"<span class=path>{esc(p.domain or '')}</span> — {p.articles} article{'s' if p.articles != 1 else ''}, "
             f"{p.flagged_share:.0%} flagged, mean score {p.mean_score:.3f}{badge}</summary>"]
    if p.reasons:
        parts.append("<p>Flagged because: " + "; ".join(esc(r) for r in p.reasons) + ".</p>")
    if p.archive is not None:
        from .gate import describe

        parts.append(f"<p class=archive>In the archive: {esc(describe(p.archive))}.</p>")
    if p.top_phrases:
        parts.append("<p>Top spun phrases:</p><ul class=phrases>" + "".join(
            f"<li>“{esc(phrase)}” ×{n}</li>" for phrase, n in p.top_phrases) + "</ul>")
    else:
        parts.append("<p>No spun phrases marked.</p>")
    parts.append("<p>Highest-scoring articles:</p><table class=sortable><thead><tr><th>Article</th>"
                 "<th class=num>Score</th><th>Verdict</th><th>Path</th></tr></thead><tbody>")
    for a in p.examples:
        parts.append(f"<tr><td>{_article_link(a)}</td><td class=num>{a.score:.3f}</td>"
                     f'<td class="verdict-{esc(a.verdict)}">{esc(a.verdict)}</td>'
                     f"<td class=path>{esc(a.path)}</td></tr>")
    parts.append("</tbody></table></details>")
    return "".join(parts)


def render_html(providers: list[ProviderStats], total: Totals, errors: list, settings: ReportSettings) -> str:
    """The whole report as one HTML document (UTF-8, no external resources)."""
    r = settings.rule
    summary = (f"{total.articles} articles from {total.providers} providers; {total.flagged} flagged "
               f"({total.flagged / total.articles:.0%}); " if total.articles else "No articles were read; ")
    low = total.low_quality_providers
    summary += f"{low} low-quality provider{'s' if low != 1 else ''}"
    if errors:
        summary += f"; {len(errors)} input{'s' if len(errors) != 1 else ''} could not be read (listed below)"
    body = [
        f"<h1>{esc(settings.title)}</h1><p class=summary>{esc(summary)}.</p>",
        f'<div class=rule><strong>Flag rule.</strong> {esc(settings.rule_text)}</div>',
        "<p class=downloads>Data: " + "".join(f'<a href="{name}">{label}</a>' for name, label in DATA_FILES)
        + " (in the report's folder). Click a column header to sort a table.</p>",
    ]
    sus, spun = settings.suspect_threshold, settings.spun_threshold
    charted = providers[:CHART_LIMIT]
    if providers:
        ranked = sorted(providers, key=lambda p: (-p.flagged_share, -p.mean_score, p.name.lower(), p.key))
        note = (f"<p class=summary>The {CHART_LIMIT} highest of {len(providers)} providers are drawn; the table "
                "below has them all.</p>" if len(providers) > CHART_LIMIT else "")
        body += [
            "<h2>Flagged share by provider</h2>", note,
            f"<div class=chart>{flagged_share_chart(ranked[:CHART_LIMIT], r.flagged_share, r.min_articles)}</div>",
            "<h2>Score distribution per provider</h2>", note,
            f"<div class=chart>{score_distribution_chart(charted, sus, spun)}</div>",
            "<h2>Providers</h2>", _provider_table(providers),
            "<h2>Provider details</h2>", "".join(_provider_details(p) for p in providers),
        ]
    if errors:
        body.append(f"<h2>Inputs that could not be read ({len(errors)})</h2><ul class=errors>"
                    + "".join(f"<li>{esc(e.path)}: {esc(e.error)}</li>" for e in errors) + "</ul>")
    inputs = ", ".join(settings.inputs)
    body.append(f"<footer>Made by unspin {esc(settings.version)} from {esc(inputs)}. "
                f"Verdicts: suspect at score ≥ {sus:.2f}, spun at ≥ {spun:.2f}. "
                "Scores are in [0, 1]; readability is Flesch reading ease of the article body "
                "(higher is easier).</footer>")
    return ("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
            '<meta name=viewport content="width=device-width, initial-scale=1">'
            "<meta http-equiv=Content-Security-Policy "
            f"content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
            f"script-src '{SORT_SCRIPT_HASH}'\">"
            f"<title>{esc(settings.title)}</title><style>{_CSS}</style></head><body>"
            + "\n".join(body) + f"<script>{SORT_SCRIPT}</script></body></html>\n")
