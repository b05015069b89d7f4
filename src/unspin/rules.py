"""The rule registry: every rule's code, family, detector, stage, severity and whether it is spin
evidence, read from rules.yaml (which also holds the documentation `unspin rules` and SARIF show).

The pipeline (``unspin.analysis``), the article scorer, the report, the web page and the CLI read the
families and detectors from here instead of repeating code prefixes.

Adding a detector = one module + one rules.yaml entry per code it reports::

    US6xx:
      detector: unspin.detect.mymodule:findings   # module:function, imported when first needed
      stage: text
      spin: false
      name: ...  (then type, severity, status, what, why, example, instead)

Stages, in the order the pipeline runs them, and the detector signature each calls:

``words``   ``fn(doc, stream, fb, ctx) -> list[Finding]`` per document, first (the lexicon, US1xx).
``batch``   ``fn(doc, stream, fb) -> list[Finding]`` on a batch of documents laid end to end as one
            (``doc``, ``stream``; ``fb`` routes each finding to its own document): the LM-heavy list-free
            detectors (US201, US202), in registry order; a finding on a span an earlier finding took
            is dropped. Each is gated by its own code (and ``needs: generic``).
``sources`` ``fn(doc, fb, ctx, findings) -> (findings, sources)`` with an archive: adds the source
            findings (US301) and may drop findings the sources do not vouch for.
``text``    ``fn(doc, stream, fb, ctx) -> list[Finding]`` per document (normalisation US4xx, grammar US501).
``article`` ``fn(doc, fb, score) -> Finding`` after the article score, when the verdict is "spun" (US901).

``doc`` is a :class:`unspin.model.Document`, ``stream`` its :class:`unspin.text.MatchStream`, ``fb`` a
:class:`unspin.findings.FindingBuilder` (``fb.make(rule, start, end, message, suggestions, confidence,
evidence)``) and ``ctx`` the :class:`unspin.analysis.Context` (config, lexicon, archive). A detector
runs when ``Detector.enabled(config)``: its optional ``needs`` setting is on, and its family (stages
words, sources, text; ``Config.wants_family``) or one of its codes (batch, article) is wanted; every
finding of a rule not selected is dropped after scoring.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

STAGES = ("words", "batch", "sources", "text", "article")
_CONFIG_SETTINGS = ("generic", "languagetool_url")  # what a rule may need (``needs``)

# Family code -> name (the family of a rule is its code's first three characters).
FAMILIES = {
    "US1": "lexicon",
    "US2": "list-free",
    "US3": "source",
    "US4": "normalisation",
    "US5": "grammar",
    "US9": "document",
}


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
    detector: str  # "module:function"
    stage: str  # one of STAGES
    spin: bool  # its findings are evidence of spinning (counted in the article score)
    family: str  # "US1", ... (FAMILIES)
    needs: str = ""  # a Config setting that must be on (truthy) for the detector to run, or ""


@cache
def all_rules() -> dict[str, Rule]:
    import yaml

    raw = yaml.load((Path(__file__).parent / "rules.yaml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader
                    if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader)
    out = {}
    for code, meta in raw.items():
        fields = {k: (v if k == "spin" else str(v)) for k, v in meta.items()}
        rule = Rule(code=code, family=code[:3], **fields)
        if rule.stage not in STAGES or rule.family not in FAMILIES or not isinstance(rule.spin, bool):
            raise ValueError(f"rules.yaml: {code}: bad stage, family or spin")
        if rule.needs and rule.needs not in _CONFIG_SETTINGS:
            raise ValueError(f"rules.yaml: {code}: needs an unknown setting {rule.needs!r}")
        out[code] = rule
    return out


def get_rule(code: str) -> Rule:
    rules = all_rules()
    if code not in rules:
        raise KeyError(code)
    return rules[code]


def matching_rules(prefixes: tuple[str, ...]) -> list[Rule]:
    return [r for c, r in all_rules().items() if not prefixes or any(c.startswith(p) for p in prefixes)]


def family(name: str) -> str:
    """The code prefix of a family by name: ``family("lexicon") == "US1"``."""
    for code, n in FAMILIES.items():
        if n == name:
            return code
    raise KeyError(name)


@cache
def spin_families() -> tuple[str, ...]:
    """The families whose rules are spin evidence ("US1", "US2", "US3"), in code order."""
    return tuple(sorted({r.family for r in all_rules().values() if r.spin}))


def family_of(code: str) -> str:
    """The family of a rule code ("US201" -> "US2")."""
    return code[:3]


def is_spin(code: str) -> bool:
    """Whether a finding of this rule (code) is evidence of spinning."""
    return code.startswith(spin_families())


@dataclass(frozen=True)
class Detector:
    path: str  # "module:function"
    stage: str
    codes: tuple[str, ...]  # the rules it reports, in registry order
    family: str
    needs: str  # a Config setting that must be on, or ""

    def enabled(self, config: Any) -> bool:
        """Whether the settings let it run: its ``needs`` is on, and (stage words, sources, text) its
        family or (stage batch, article) one of its codes is wanted."""
        if self.needs and not getattr(config, self.needs):
            return False
        if self.stage in ("batch", "article"):
            return any(config.wants(c) for c in self.codes)
        return config.wants_family(self.family)

    def function(self) -> Callable[..., Any]:
        """The detector function, imported now (looked up on each call, so a patched module is seen)."""
        module, _, name = self.path.partition(":")
        return getattr(importlib.import_module(module), name)


@cache
def detectors(stage: str) -> tuple[Detector, ...]:
    """The detectors of one stage, in registry order, each once."""
    found: dict[str, list[Rule]] = {}
    for r in all_rules().values():
        if r.stage == stage:
            found.setdefault(r.detector, []).append(r)
    out = []
    for path, rules in found.items():
        fams = {r.family for r in rules}
        needs = {r.needs for r in rules}
        if len(fams) != 1 or len(needs) != 1:
            raise ValueError(f"rules.yaml: detector {path} reports rules of several families or needs")
        out.append(Detector(path, stage, tuple(r.code for r in rules), fams.pop(), needs.pop()))
    return tuple(out)
