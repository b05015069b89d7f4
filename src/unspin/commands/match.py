"""``unspin match``: find the archived originals a document was copied from, passage by passage."""

from __future__ import annotations

import json
import sys

import click

from ..model import SCHEMA_VERSION
from .common import (
    EXIT_CLEAN,
    EXIT_FINDINGS,
    EXIT_USAGE,
    archive_url,
    config_options,
    db_option,
    fail,
    max_file_size_option,
    open_archive_or_exit,
    resolve_config,
)


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--top", type=click.IntRange(1, 100), default=5, show_default=True, help="Most sources per document.")
@click.option("--encoding", help="Decode inputs with this encoding instead of UTF-8.")
@click.option("--stdin-filename", default="-", help="Name to report for input read from '-'.")
@max_file_size_option
@db_option
@config_options
def match(paths, fmt, top, encoding, stdin_filename, max_file_size, db, config_path, no_config) -> None:
    """List the likely sources of each article in the archive, with aligned passages and swapped words.

    Only likely sources are listed: an unrelated or merely same-topic article yields none. Exit
    status: 0 no sources found, 1 at least one document has a likely source, 2 usage error or
    unreadable input (after every other input has been matched).
    """
    from ..document import iter_documents
    from ..match.archive import ArchiveError, display_url

    cfg = resolve_config(config_path, no_config, db=db, max_file_size=max_file_size)
    url = archive_url(db, cfg).url
    arc = open_archive_or_exit(url)
    errors: list = []
    results = []
    try:
        for doc in iter_documents(list(paths), errors, max_bytes=cfg.max_file_size, encoding=encoding,
                                  stdin_name=stdin_filename):
            try:
                results.append((doc, arc.find_sources(doc, top=top)))
            except ArchiveError:
                raise
            except Exception as exc:  # a bug: this document is reported, the others are still matched
                from ..failures import failure

                errors.append(failure(doc.path, exc, "could not be matched"))
    except ArchiveError as exc:
        fail(f"{display_url(url)}: {exc}")
    finally:
        arc.close()
    if fmt == "json":
        out = {
            "schema_version": SCHEMA_VERSION,
            "documents": [{"path": doc.path, "matches": [m.to_json() for m in matches]} for doc, matches in results],
            "errors": [e.to_json() for e in errors],
        }
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))
        for e in errors:
            click.echo(f"{e.path}: {e.error}", err=True)
    else:
        click.echo(render_text(results), nl=False)
        for e in errors:
            click.echo(f"{e.path}: error: {e.error}", err=True)
    if errors:
        sys.exit(EXIT_USAGE)
    sys.exit(EXIT_FINDINGS if any(m for _, m in results) else EXIT_CLEAN)


def render_text(results) -> str:
    """Human-readable matches: each source, its passages as line ranges, and the swapped words."""
    from ..text import LineIndex

    lines: list[str] = []
    for doc, matches in results:
        if not matches:
            lines.append(f"{doc.path}: no likely source in the archive")
            continue
        lines.append(f"{doc.path}: {len(matches)} likely source{'s' if len(matches) > 1 else ''}")
        index = LineIndex(doc.text)
        for n, m in enumerate(matches, 1):
            lines.append(f"  {n}. {m.title or '(untitled)'}  [{m.id}]")
            if m.url and m.url != m.id:
                lines.append(f"     {m.url}")
            if getattr(m, "kind", "article") == "excerpt":
                lines.extend(_excerpt_lines(m, index))
            else:
                lines.append(f"     score {m.score:.2f}, covers {m.coverage:.0%} of the article in "
                             f"{_n(len(m.alignments), 'aligned sentence')}")
            for p in _passages(m.alignments) if getattr(m, "kind", "article") != "excerpt" else ():
                first, last = index.position(p[0])[0], index.position(max(p[0], p[1] - 1))[0]
                where = f"line {first}" if first == last else f"lines {first}-{last}"
                lines.append(f"     {where}: {_n(p[2], 'sentence')}, similarity {p[3]:.2f}")
            if m.substitutions:
                from collections import Counter

                pairs = Counter((s.spun.lower(), s.original.lower()) for s in m.substitutions)  # each pair once
                shown = ", ".join(f"{a!r} -> {b!r}" + (f" (x{n})" if n > 1 else "")
                                  for (a, b), n in list(pairs.items())[:12])
                more = f" (+{len(pairs) - 12} more)" if len(pairs) > 12 else ""
                lines.append(f"     swapped: {shown}{more}")
            if getattr(m, "story", None):
                lines.append("     " + story_line(m.story))
    return "\n".join(lines) + "\n"


def _excerpt_lines(m, index) -> list[str]:
    """An excerpt-only source: what was compared, where, and how many of its words aligned."""
    compared = m.compared or {}
    excerpt = compared.get("excerpt") or ""
    total = sum(1 for w in excerpt.split() if any(c.isalnum() for c in w))
    out = [f"     excerpt only (the archive holds its title and excerpt, not the full text): score {m.score:.2f}, "
           f"{len(m.aligned_words)} of its {total} excerpt words aligned in order"]
    for p in m.alignments:
        first, last = index.position(p.query_start)[0], index.position(max(p.query_start, p.query_end - 1))[0]
        where = f"line {first}" if first == last else f"lines {first}-{last}"
        out.append(f"     {where}: aligned with the {'title' if p.source_start == 0 and m.title else 'excerpt'}, "
                   f"similarity {p.similarity:.2f}")
    short = excerpt if len(excerpt) <= 160 else excerpt[:157].rstrip() + "..."
    out.append(f"     compared: \"{short}\"")
    return out


def story_line(story: dict) -> str:
    """'story: this copy tells the story of these N originals (M matched): ...' for a story cluster."""
    members = story.get("members") or []
    matched = set(story.get("matched") or [])
    names = [f"{x.get('title') or x.get('id')}" + (f" ({x['provider']})" if x.get("provider") else "")
             + (" [matched]" if x.get("id") in matched else "") for x in members]
    return (f"story: this copy tells the story of these {len(members)} originals ({len(matched)} matched): "
            + "; ".join(names))


def _passages(alignments) -> list[tuple[int, int, int, float]]:
    """Runs of consecutive aligned sentences: (query start, query end, sentences, mean similarity)."""
    runs: list[list] = []
    for a in alignments:
        # consecutive on the page (only white space between) and in order in the source
        if runs and a.query_start - runs[-1][1] <= 3 and a.source_start >= runs[-1][4]:
            runs[-1][1] = a.query_end
            runs[-1][2] += 1
            runs[-1][3] += a.similarity
            runs[-1][4] = a.source_end
        else:
            runs.append([a.query_start, a.query_end, 1, a.similarity, a.source_end])
    return [(r[0], r[1], r[2], r[3] / r[2]) for r in runs]


def _n(count: int, noun: str) -> str:
    """"1 sentence", "2 sentences"."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
