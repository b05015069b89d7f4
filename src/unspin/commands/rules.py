"""``unspin rules [CODE]``: list the rules or explain one."""

from __future__ import annotations

import click

from .common import fail


@click.command()
@click.argument("code", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
def rules(code: str | None, fmt: str) -> None:
    """List every rule, or explain CODE (what it does, why, example, what to use instead)."""
    import json

    from ..rules import all_rules

    table = all_rules()
    if code:
        code = code.upper()
        picked = [r for c, r in table.items() if c.startswith(code)]
        if not picked:
            fail(f"no rule {code!r}; run 'unspin rules' for the list")
    else:
        picked = list(table.values())
    if fmt == "json":
        click.echo(json.dumps([r.__dict__ for r in picked], indent=2))
        return
    if fmt == "markdown" or code:
        for r in picked:
            if fmt == "markdown":
                click.echo(f"## {r.code} `{r.name}`\n")
            else:
                click.echo(f"{r.code} {r.name}")
            click.echo(f"Type: {r.type}. Severity: {r.severity}. Status: {r.status}.\n")
            click.echo(f"What it does: {r.what}\n")
            click.echo(f"Why: {r.why}\n")
            click.echo(f"Example: {r.example}\n")
            click.echo(f"Use instead: {r.instead}\n")
        return
    for r in picked:
        click.echo(f"{r.code}  {r.name:<24} {r.severity:<10} {r.status:<8} {r.what}")
