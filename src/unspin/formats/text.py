"""Human-readable lines: ``path:line:col: CODE message``, then a score line per document."""

from __future__ import annotations

from ..model import DocumentReport, InputError


def emit(reports: list[DocumentReport], errors: list[InputError], *, color: bool = False,
         summary: bool = True, findings: bool = True, explain: bool = False, **_: object) -> str:
    def style(s: str, **kw: object) -> str:
        if not color:
            return s
        import click

        return click.style(s, **kw)

    lines: list[str] = []
    for r in reports:
        for f in r.findings if findings else ():
            code = style(f.rule, fg="red" if f.severity == "error" else "yellow", bold=True)
            lines.append(f"{r.path}:{f.line}:{f.column}: {code} {f.message}")
        if explain:
            lines += explain_lines(r)
        if summary and (r.findings or r.verdict != "clean"):
            verdict = style(r.verdict, fg={"spun": "red", "suspect": "yellow"}.get(r.verdict, "green"))
            lines.append(f"{r.path}: score {r.score:.2f} ({verdict}), {_n(len(r.findings), 'finding')} "
                         f"in {_n(r.words, 'word')}")
    if summary:
        counts = {v: sum(1 for r in reports if r.verdict == v) for v in ("spun", "suspect", "clean")}
        nfind = sum(len(r.findings) for r in reports)
        tail = f"; {_n(len(errors), 'input error')}" if errors else ""
        lines.append(f"Checked {_n(len(reports), 'document')}: {counts['spun']} spun, {counts['suspect']} suspect, "
                     f"{counts['clean']} clean; {_n(nfind, 'finding')}{tail}.")
    return "\n".join(lines) + ("\n" if lines else "")


def explain_lines(r: DocumentReport) -> list[str]:
    """``check --explain``: the document's most suspicious words (the JSON field ``suspicious``), in
    order, each with its best restoration -- the lenient tier, not findings."""
    sus = r.extra.get("suspicious") or []
    if not sus:
        return []
    out = [f"{r.path}: most suspicious words (lenient tier, not findings):"]
    for k, s in enumerate(sus, 1):
        out.append(f"  {k:2d}. {r.path}:{s['line']}:{s['column']}: {s['text']!r} -> {s['suggestion']!r} "
                   f"({s['score']:.2f})")
    return out


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
