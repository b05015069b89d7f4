"""Human-readable lines: ``path:line:col: CODE message``, then a score line per document."""

from __future__ import annotations

from ..model import DocumentReport, InputError


def emit(reports: list[DocumentReport], errors: list[InputError], *, color: bool = False,
         summary: bool = True, explain: bool = False, **_: object) -> str:
    def style(s: str, **kw: object) -> str:
        if not color:
            return s
        import click

        return click.style(s, **kw)

    lines: list[str] = []
    for r in reports:
        for f in r.findings:
            code = style(f.rule, fg="red" if f.severity == "error" else "yellow", bold=True)
            lines.append(f"{r.path}:{f.line}:{f.column}: {code} {f.message}")
        if explain:
            lines += explain_lines(r)
        if summary and (r.findings or r.verdict != "clean"):
            verdict = style(r.verdict, fg={"spun": "red", "suspect": "yellow"}.get(r.verdict, "green"))
            lines.append(f"{r.path}: score {r.score:.2f} ({verdict}), {len(r.findings)} finding(s) "
                         f"in {r.words} words")
    if summary:
        counts = {v: sum(1 for r in reports if r.verdict == v) for v in ("spun", "suspect", "clean")}
        nfind = sum(len(r.findings) for r in reports)
        tail = f"; {len(errors)} input error(s)" if errors else ""
        lines.append(f"Checked {len(reports)} document(s): {counts['spun']} spun, {counts['suspect']} suspect, "
                     f"{counts['clean']} clean; {nfind} finding(s){tail}.")
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
