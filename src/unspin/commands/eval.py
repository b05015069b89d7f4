"""``unspin eval``: rebuild the evaluation data, score unspin on it and write docs/evaluation.md."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .common import config_options, fail, resolve_config

SUITE_CHOICES = ["detect", "score", "match", "rewrite", "slots", "all"]


@click.command("eval")
@click.option("--suite", "suites", type=click.Choice(SUITE_CHOICES), multiple=True, default=("all",),
              show_default=True, help="Which evaluation to run (repeatable).")
@click.option("--quick", is_flag=True, help="A small run for development (under two minutes).")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=Path("docs/evaluation.md"),
              show_default=True, help="Markdown report to write ('-' for standard output).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for sampling and spinning.")
@config_options
def eval_command(suites: tuple[str, ...], quick: bool, out: Path, seed: int, config_path: Path | None,
                 no_config: bool) -> None:
    """Evaluate detection, article scores, matching and rewriting on spun copies of the fixtures."""
    _import_evaluation()
    from evaluation.datasets import FIXTURE_ARTICLES, NEWS_CORPUS, PPS_HALF
    from evaluation.harness import SUITES, run
    from evaluation.report import render

    missing = [p for p in (FIXTURE_ARTICLES, NEWS_CORPUS, PPS_HALF) if not p.exists()]
    if missing:  # an installed copy: the evaluation runs from a source checkout beside ../shared
        fail(f"{missing[0]}: not found; unspin eval runs from a source checkout with the shared data "
             "beside it (../shared/data)")
    cfg = resolve_config(config_path, no_config)
    chosen = SUITES if "all" in suites else tuple(s for s in SUITES if s in suites)
    command = " ".join(["unspin eval", *sys.argv[2:]]) if sys.argv[1:2] == ["eval"] else _command(
        chosen, quick, out, seed)
    res = run(chosen, quick=quick, seed=seed, out_dir=out.parent if str(out) != "-" else Path("docs"),
              config=cfg, progress=lambda m: click.echo(m, err=True))
    text = render(res, command)
    if str(out) == "-":
        click.echo(text)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out} ({res.seconds:.0f} s)", err=True)


def _import_evaluation() -> None:
    """Make the checkout's top-level ``evaluation`` package importable: it is not in the wheel and lives
    beside ``src/`` in a source checkout. Exit 2 with one line when there is none."""
    root = Path(__file__).resolve().parents[3]  # src/unspin/commands/eval.py -> the checkout
    if (root / "evaluation" / "harness.py").is_file():
        if str(root) not in sys.path:
            sys.path.insert(0, str(root))
        return
    try:
        import evaluation.harness  # noqa: F401  (an evaluation package on the path already)
    except ImportError:
        fail("unspin eval runs from a source checkout: the evaluation/ package beside src/ is not "
             "installed with the wheel")


def _command(suites: tuple[str, ...], quick: bool, out: Path, seed: int) -> str:
    parts = ["unspin eval"] + [f"--suite {s}" for s in suites]
    if quick:
        parts.append("--quick")
    if seed:
        parts.append(f"--seed {seed}")
    parts.append(f"--out {out}")
    return " ".join(parts)
