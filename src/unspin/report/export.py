"""CSV and JSON outputs of the provider report (providers.csv, articles.csv, providers.json)."""

from __future__ import annotations

import json
import re
from typing import Any

from ..model import SCHEMA_VERSION, InputError
from .providers import ArticleRow, FlagRule, ProviderStats, Totals

PROVIDER_COLUMNS = ("provider", "domain", "articles", "flagged", "flagged_share", "spun", "suspect",
                    "mean_score", "worst_score", "worst_article", "mean_readability", "mean_quality",
                    "mean_heat", "low_quality", "reasons", "top_phrases", "archive_originals", "archive_copies",
                    "archive_held", "archive_fixed", "archive_rejected")
ARTICLE_COLUMNS = ("path", "id", "provider", "domain", "title", "url", "score", "verdict", "words",
                   "findings", "readability", "quality", "heat", "related", "phrases")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_LINE_FORMULA = re.compile(r"([\r\n][ \t\f\v]*)(?=[=+\-@])")
_NEEDS_QUOTES = re.compile(r'[,"\r\n\t]')


def safe_cell(value: Any) -> Any:
    """Text from a feed cannot start a spreadsheet formula: a cell that starts with = + - @ (after any
    leading white space), or with a tab or carriage return, gets a ' in front; so does every line of
    the cell that starts with one after a line break. A plain number (-0.5) is left as it is."""
    if not isinstance(value, str) or not value:
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    if value.startswith(_FORMULA_START) or value.lstrip().startswith(_FORMULA_START):
        value = "'" + value
    if "\n" in value or "\r" in value:
        value = _LINE_FORMULA.sub(r"\1'", value)
    return value


def csv_cell(value: Any) -> str:
    """One CSV field: quoted (quotes doubled) when it holds a comma, quote, CR, LF or tab, so that no
    reader, however lax, starts a new cell or row inside it."""
    text = "" if value is None else str(value)
    if _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def _fmt(x: float | None, digits: int) -> str:
    return "" if x is None else f"{x:.{digits}f}"


def _csv(header: tuple[str, ...], rows: list[list[Any]]) -> str:
    lines = [",".join(csv_cell(h) for h in header)]
    lines += [",".join(csv_cell(safe_cell(v)) for v in row) or '""' for row in rows]  # (one empty cell: "")
    return "\n".join(lines) + "\n"


def providers_csv(providers: list[ProviderStats]) -> str:
    return _csv(PROVIDER_COLUMNS, [[
        p.name, p.domain or "", p.articles, p.flagged, f"{p.flagged_share:.4f}", p.spun, p.suspect,
        f"{p.mean_score:.4f}", f"{p.worst_score:.4f}", p.worst_article, _fmt(p.mean_readability, 2),
        _fmt(p.mean_quality, 4), _fmt(p.mean_heat, 2), "yes" if p.low_quality else "no", "; ".join(p.reasons),
        "; ".join(f"{phrase} ({n})" for phrase, n in p.top_phrases),
        *(("",) * 5 if p.archive is None else (p.archive.get(k, 0) for k in
                                              ("original", "copy", "held", "fixed", "rejected"))),
    ] for p in providers])


def articles_csv(rows: list[ArticleRow]) -> str:
    return _csv(ARTICLE_COLUMNS, [[
        r.path, r.id or "", r.provider, r.domain or "", r.title or "", r.url or "", f"{r.score:.4f}",
        r.verdict, r.words, r.findings, _fmt(r.readability, 2), _fmt(r.quality, 4), _fmt(r.heat, 2),
        r.related,
        "; ".join(dict.fromkeys(r.phrases)),
    ] for r in rows])


def providers_json(providers: list[ProviderStats], rule: FlagRule, rule_text: str, total: Totals,
                   errors: list[InputError]) -> str:
    payload = {
        "schema_version": SCHEMA_VERSION,
        "rule": {**rule.to_json(), "text": rule_text},
        "totals": total.to_json(),
        "providers": [p.to_json() for p in providers],
        "errors": [e.to_json() for e in errors],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
