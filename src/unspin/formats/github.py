"""GitHub Actions workflow commands: one ``::warning``/``::error`` annotation per finding."""

from __future__ import annotations

from ..document import split_record_path
from ..model import DocumentReport, InputError

_LEVEL = {"error": "error", "warning": "warning", "suggestion": "notice"}


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def emit(reports: list[DocumentReport], errors: list[InputError], **_: object) -> str:
    lines = []
    for r in reports:
        for f in r.findings:
            base, record_line = split_record_path(r.path)
            if record_line is not None:  # a JSONL record: its offsets are not file offsets
                props = f"file={_escape_prop(base)},line={record_line},title={_escape_prop(f.rule)}"
            else:
                end_line = f.line + f.text.count("\n")
                end_col = (len(f.text) - f.text.rfind("\n")) if "\n" in f.text else f.column + len(f.text)
                props = (f"file={_escape_prop(r.path)},line={f.line},col={f.column},endLine={end_line},"
                         f"endColumn={end_col},title={_escape_prop(f.rule)}")
            lines.append(f"::{_LEVEL[f.severity]} {props}::{_escape_data(f.rule + ' ' + f.message)}")
    for e in errors:
        base, record_line = split_record_path(e.path)
        where = f"file={_escape_prop(base)}" + (f",line={record_line}" if record_line else "")
        lines.append(f"::error {where},title=unspin::{_escape_data(e.error)}")
    return "\n".join(lines) + ("\n" if lines else "")
