"""Rule metadata from rules.yaml: names, severities, docs for `unspin rules` and SARIF."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    type: str
    severity: str
    status: str
    what: str
    why: str
    example: str
    instead: str


@cache
def all_rules() -> dict[str, Rule]:
    import yaml

    raw = yaml.load((Path(__file__).parent / "rules.yaml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader
                    if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader)
    return {code: Rule(code=code, **{k: str(v) for k, v in meta.items()}) for code, meta in raw.items()}


def get_rule(code: str) -> Rule:
    rules = all_rules()
    if code not in rules:
        raise KeyError(code)
    return rules[code]


def matching_rules(prefixes: tuple[str, ...]) -> list[Rule]:
    return [r for c, r in all_rules().items() if not prefixes or any(c.startswith(p) for p in prefixes)]
