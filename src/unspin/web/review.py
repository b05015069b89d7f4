"""The editor's review of the archive's gate, for the page: held articles and copies, accept, reject.

Endpoints (wired in ``server.Handler``)::

    GET  /api/review       {"articles": [...]}: held articles and copies, as ``unspin archive review``
    POST /api/review       JSON {"id": "...", "action": "accept" | "reject"} -> {"id", "status"}

Both answer 409 when the server has no archive (start it with --db).
"""

from __future__ import annotations

import json
from typing import Any

REVIEW_LIMIT = 200


class ReviewProblem(Exception):
    """A review request that cannot be served: an HTTP status and one plain sentence."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def review_list(app: Any) -> dict[str, Any]:
    if app.archive is None:
        raise ReviewProblem(409, "no archive: start 'unspin serve' with --db to review the archive's gate")
    with app._lock:
        items = app.archive.review_items(limit=REVIEW_LIMIT)
    return {"articles": items}


def review_action(app: Any, body: bytes) -> dict[str, Any]:
    from ..match import gate

    if app.archive is None:
        raise ReviewProblem(409, "no archive: start 'unspin serve' with --db to review the archive's gate")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ReviewProblem(400, "the review request is not valid JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or data.get("action") not in (
            "accept", "reject"):
        raise ReviewProblem(400, 'send {"id": "...", "action": "accept" or "reject"}')
    with app._lock:
        moved = (gate.accept if data["action"] == "accept" else gate.reject)(app.archive, [data["id"]])
    if not moved:
        raise ReviewProblem(404, f"no article {data['id']!r} to {data['action']} (or it is already there)")
    return {"id": moved[0].id, "status": moved[0].status}
