"""The joint US201/US202/US203 thresholds survive a rebuild of one model.

``python -m evaluation.slot_budget --write`` allocates one false-flag budget across the three list-free
rules and stores each rule's threshold, with a ``threshold_note``, in its shipped weights. A build script
that retrains one of those models computes its own threshold first (its calibration fields are set at
it); ``keep_joint`` then carries the shipped joint threshold over, so a rebuild reproduces the shipped
file and the budget stays allocated. Pass ``own=True`` (the scripts' ``--own-threshold``) to ship the
build's own threshold instead, then rerun ``evaluation.slot_budget --write``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

JOINT = "joint allocation"


def keep_joint(weights: dict[str, Any], shipped: Path, key: str | None = None, *, own: bool = False) -> bool:
    """Copy ``threshold``/``threshold_note`` from the shipped model into ``weights`` when the shipped
    threshold is a joint allocation (and ``own`` is off). Returns whether it did."""
    if own or not shipped.is_file():
        return False
    data = json.loads(shipped.read_text(encoding="utf-8"))
    old = data.get(key, {}) if key else data
    note = old.get("threshold_note", "")
    if not note.startswith(JOINT) or "threshold" not in old:
        return False
    weights["threshold"] = old["threshold"]
    weights["threshold_note"] = note
    print(f"kept the joint threshold {old['threshold']} of {shipped} ({note})")
    return True
