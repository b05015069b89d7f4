"""The stable JSON contract (schema_version 1): documents with findings, then input errors."""

from __future__ import annotations

import json

from ..model import SCHEMA_VERSION, DocumentReport, InputError


def emit(reports: list[DocumentReport], errors: list[InputError], **_: object) -> str:
    payload = {
        "schema_version": SCHEMA_VERSION,
        "documents": [r.to_json() for r in reports],
        "errors": [e.to_json() for e in errors],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
