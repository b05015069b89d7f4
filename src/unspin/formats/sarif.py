"""SARIF 2.1.0 for code-scanning dashboards; rule metadata comes from rules.yaml."""

from __future__ import annotations

import json
from pathlib import Path

from .. import __version__
from ..document import split_record_path
from ..model import DocumentReport, InputError
from ..rules import all_rules

_LEVEL = {"error": "error", "warning": "warning", "suggestion": "note"}


def _uri(path: str) -> str:
    """The file a report path names (a JSONL record path is ``feed.jsonl#LINE``)."""
    return Path(split_record_path(path)[0]).as_posix()


def _documentation_uri() -> str | None:
    """Where unspin is documented: the package's Documentation URL when its metadata has one, else the
    rules reference shipped with it (docs/rules.md, a file: URI). None (the key is left out) otherwise."""
    from importlib.metadata import PackageNotFoundError, metadata

    from ..resources import docs_uri

    try:
        for entry in metadata("unspin").get_all("Project-URL") or []:
            label, _, url = entry.partition(",")
            if label.strip().lower() in ("documentation", "homepage") and url.strip().startswith("https://"):
                return url.strip()
    except PackageNotFoundError:
        pass
    return docs_uri("rules.md")


def emit(reports: list[DocumentReport], errors: list[InputError], **_: object) -> str:
    rules = all_rules()
    codes = sorted(rules)
    index = {c: i for i, c in enumerate(codes)}
    results = []
    for r in reports:
        for f in r.findings:
            end_line = f.line + f.text.count("\n")
            end_col = (len(f.text) - f.text.rfind("\n")) if "\n" in f.text else f.column + len(f.text)
            record_line = split_record_path(r.path)[1]
            if record_line is None:
                region = {"startLine": f.line, "startColumn": f.column, "endLine": end_line, "endColumn": end_col,
                          "charOffset": f.start, "charLength": f.end - f.start, "snippet": {"text": f.text}}
            else:  # offsets index the decoded record, not the JSONL file: point at the record's line only
                region = {"startLine": record_line, "snippet": {"text": f.text}}
            result = {
                "ruleId": f.rule,
                "ruleIndex": index.get(f.rule, -1),
                "level": _LEVEL[f.severity],
                "message": {"text": f.message},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(r.path)}, "region": region}}],
                "properties": {"confidence": round(f.confidence, 4), "documentScore": round(r.score, 4),
                               "verdict": r.verdict, "evidence": f.evidence},
            }
            if record_line is not None:
                result["locations"][0]["logicalLocations"] = [{"name": r.path, "kind": "record"}]
                result["properties"]["recordOffsets"] = {"start": f.start, "end": f.end, "line": f.line,
                                                         "column": f.column}
            elif f.suggestions:  # no fixes for JSONL records: their offsets are not file offsets
                result["fixes"] = [{
                    "description": {"text": f"Replace with {s.text!r} ({s.source})"},
                    "artifactChanges": [{"artifactLocation": {"uri": _uri(r.path)}, "replacements": [
                        {"deletedRegion": {"charOffset": f.start, "charLength": f.end - f.start},
                         "insertedContent": {"text": s.text}}]}],
                } for s in f.suggestions]
            results.append(result)
    from ..resources import docs_uri

    docs = _documentation_uri()
    rules_doc = docs_uri("rules.md")
    driver = {
        "name": "unspin",
        "version": __version__,
        **({"informationUri": docs} if docs else {}),
        "rules": [{
            "id": c,
            **({"helpUri": f"{rules_doc}#{c.lower()}-{rules[c].name}"} if rules_doc else {}),
            "name": rules[c].name,
            "shortDescription": {"text": rules[c].what},
            "fullDescription": {"text": rules[c].why},
            "help": {"text": f"{rules[c].what}\n\nExample: {rules[c].example}\nUse instead: {rules[c].instead}"},
            "defaultConfiguration": {"level": _LEVEL[rules[c].severity]},
            "properties": {"status": rules[c].status, "type": rules[c].type},
        } for c in codes],
    }
    run = {
        "tool": {"driver": driver},
        "columnKind": "unicodeCodePoints",
        "results": results,
        "invocations": [{
            "executionSuccessful": not errors,
            "toolExecutionNotifications": [
                {"level": "error", "message": {"text": e.error},
                 "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(e.path)}}}]}
                for e in errors],
        }],
    }
    sarif = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": [run]}
    return json.dumps(sarif, ensure_ascii=False, indent=2) + "\n"
