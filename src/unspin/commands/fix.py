"""``unspin fix``: restore canonical wording (print, diff, or rewrite files in place)."""

from __future__ import annotations

import sys

import click

from .common import (
    EXIT_CLEAN,
    EXIT_FINDINGS,
    EXIT_USAGE,
    archive_url,
    config_options,
    db_option,
    detector_options,
    fail,
    load_lexicon_or_fail,
    max_file_size_option,
    open_archive_or_exit,
    resolve_config,
    split_codes,
)


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff instead of the rewritten text.")
@click.option("--write", "-w", is_flag=True, help="Rewrite the files in place (atomically).")
@click.option("--interactive", "-i", is_flag=True, help="Accept or reject each change in the terminal.")
@click.option("--select", multiple=True, metavar="CODES", help="Only apply these rule codes or prefixes (US3,US101).")
@click.option("--ignore", multiple=True, metavar="CODES", help="Never apply these rule codes or prefixes.")
@click.option("--min-confidence", type=click.FloatRange(0, 1), help="Only apply findings at or above this confidence.")
@detector_options
@click.option("--encoding", help="Decode inputs with this encoding instead of UTF-8 (and write them back in it).")
@max_file_size_option
@click.option("--languagetool-url", envvar="UNSPIN_LANGUAGETOOL_URL", help="LanguageTool server for US5xx.")
@click.option("--quiet", "-q", is_flag=True, help="No per-file summary on stderr.")
@click.option("--follow-symlinks", is_flag=True,
              help="With --write and a folder: also rewrite files that are symbolic links to files outside it.")
@db_option
@config_options
def fix(paths, show_diff, write, interactive, select, ignore, min_confidence, no_generic, lexicons, encoding,
        max_file_size, languagetool_url, quiet, follow_symlinks, db, config_path, no_config) -> None:
    """Rewrite spun phrases back to their canonical wording.

    Prints the rewritten document by default (each under a '==> PATH <==' line when there are
    several); --diff prints a unified diff; --write rewrites the files
    in place (front matter untouched except its prose fields; a file changed since it was read is left
    alone). A summary per file, with readability before and after, goes to stderr.

    With --write, a file found inside a FOLDER argument that is a symbolic link to a file outside that
    folder is not rewritten (reported, exit 2) unless --follow-symlinks is given; a file named on the
    command line is written through its link. Temporary files an interrupted --write left beside a
    target (.NAME.XXXX.unspin-tmp, older than an hour) are removed on the next --write.

    JSONL feeds are rewritten record by record: only the changed title/excerpt/text strings are
    re-encoded, every other byte stays; a bad line is kept and reported as FILE#LINE. Inline HTML
    tags, entities and Markdown emphasis inside a rewritten phrase are kept.

    Exit status: 0 done; 1 with --diff (and no --write) when something would change; 2 usage error,
    unreadable input or a file that could not be written (after every other input was processed).
    """
    cfg = resolve_config(
        config_path, no_config,
        select=split_codes(select) or None, ignore=split_codes(ignore) or None, min_confidence=min_confidence,
        max_file_size=max_file_size, db=db, languagetool_url=languagetool_url,
        lexicons=tuple(lexicons) or None, generic=False if no_generic else None,
    )
    if interactive and "-" in paths:
        fail("--interactive reads answers from the terminal, so it cannot also read the document from '-'")
    if write and "-" in paths:
        fail("--write cannot rewrite standard input; drop --write to print the result")

    from ..analysis import Context
    from ..document import discover
    from ..model import InputError

    ctx = Context(config=cfg)
    load_lexicon_or_fail(ctx)
    where = archive_url(db, cfg, default=False)  # only an archive the user named
    if where is not None:
        ctx.archive = open_archive_or_exit(where)

    if interactive and not write:
        click.echo("unspin: --interactive without --write: files stay unchanged; the fixed text is "
                   + ("shown as a diff" if show_diff else "printed") + " after the questions (add -w to write).",
                   err=True)
    errors: list[InputError] = []
    changed_any = False
    state = {"all": False, "stop": False}
    from ..suppress import excluded

    sources = [s for s in discover(list(paths), errors) if not excluded(s.path, cfg.exclude, cfg.base)]
    many = len(sources) > 1
    for src in sources:
        if write:
            _clean_stale_temp_files(src.path)
            if not follow_symlinks and _leaves_folder(src.path, paths):
                errors.append(InputError(src.path, "not written: a symbolic link to a file outside the folder "
                                                   "given; name the file itself or pass --follow-symlinks"))
                continue
        try:
            data, text, kind = _load(src.path, cfg.max_file_size, encoding)
            if kind == "jsonl":
                try:
                    changed_any |= _fix_feed(src.path, data, text, ctx, errors, interactive=interactive,
                                             state=state, write=write, show_diff=show_diff, many=many,
                                             quiet=quiet, encoding=encoding)
                except Exception as exc:  # a bug: this feed is reported (and left as it was), not the run
                    from ..failures import failure

                    errors.append(failure(src.path, exc, "could not be fixed (file left unchanged)"))
                continue
            docs = _parse(text, src.path, kind)
        except _Problem as exc:
            errors.append(InputError(src.path, str(exc)))
            continue
        doc = docs[0]
        accept = _interactive_accept(doc, state) if interactive else None
        try:
            result = _fix_one(doc, ctx, accept)
        except Exception as exc:  # a bug: this file is reported (and left as it was), the others are fixed
            from ..failures import failure

            errors.append(failure(src.path, exc, "could not be fixed (file left unchanged)"))
            continue
        new_text = result.rewrite.text
        changed_any |= result.changed
        if write:
            if result.changed:
                try:
                    _write_back(src.path, data, new_text, encoding)
                except _Problem as exc:
                    errors.append(InputError(src.path, str(exc)))
                    continue
            if show_diff:
                _echo(_diff(doc.path, doc.text, new_text))
        elif show_diff:
            _echo(_diff(doc.path, doc.text, new_text))
        else:
            _echo(_printed(doc.path, new_text, many))
        if not quiet:
            click.echo(_summary(doc.path, [result], written=write,
                                rewritten=lambda t=new_text, d=doc: [_parse(t, d.path, d.kind)[0]]), err=True)
    for e in errors:
        click.echo(f"{e.path}: error: {e.error}", err=True)
    if errors:
        sys.exit(EXIT_USAGE)
    sys.exit(EXIT_FINDINGS if show_diff and not write and changed_any else EXIT_CLEAN)


STALE_TEMP_SECONDS = 3600  # an .unspin-tmp file older than this is left over from a killed run


def _clean_stale_temp_files(path: str) -> None:
    """Remove the temporary files a killed ``fix --write`` left beside ``path``: only ours (named
    ``.NAME.XXXX.unspin-tmp`` for this NAME, a regular file owned by this user) and only stale ones
    (not modified for STALE_TEMP_SECONDS, so a concurrent run's file is never touched)."""
    import os
    import stat
    import time

    if path == "-":
        return
    target = os.path.realpath(path)
    folder, name = os.path.split(target)
    prefix, suffix = f".{name}.", ".unspin-tmp"
    try:
        entries = [e for e in os.listdir(folder or ".") if e.startswith(prefix) and e.endswith(suffix)
                   and len(e) > len(prefix) + len(suffix)]
    except OSError:
        return
    now = time.time()
    for entry in entries:
        full = os.path.join(folder, entry)
        try:
            st = os.lstat(full)
            if (stat.S_ISREG(st.st_mode) and st.st_uid == os.getuid()
                    and now - st.st_mtime > STALE_TEMP_SECONDS):
                os.unlink(full)
        except (OSError, AttributeError):
            continue


def _leaves_folder(path: str, given: tuple[str, ...]) -> bool:
    """Whether ``path`` was found inside a folder argument but really lives outside it (a symbolic
    link, or a linked folder on the way)."""
    import os

    for root in given:
        if root == "-" or not os.path.isdir(root):
            continue
        rel = os.path.relpath(path, root)
        if rel.startswith(os.pardir):
            continue  # not found in this folder
        real_root = os.path.realpath(root)
        real = os.path.realpath(path)
        return os.path.commonpath([real_root, real]) != real_root
    return False


class _Problem(Exception):
    """One plain sentence about one input."""


def _echo(text: str) -> None:
    if text:
        sys.stdout.write(text)
        sys.stdout.flush()


def _diff(path: str, old: str, new: str) -> str:
    from ..rewrite.apply import unified_diff

    return unified_diff(path, old, new)


def _printed(path: str, new_text: str, many: bool) -> str:
    return (f"==> {path} <==\n" if many else "") + new_text + ("\n" if many and not new_text.endswith("\n") else "")


def _load(path: str, max_bytes: int, encoding: str | None) -> tuple[bytes, str, str]:
    """Read a file (or stdin) keeping its bytes, so that a write can check nothing changed since;
    (bytes, decoded text, kind)."""
    from ..document import InputProblem, Source, read_input

    try:
        _, data, text, kind = read_input(Source(path), max_bytes=max_bytes, encoding=encoding, stdin_name=path)
        return data, text, kind
    except InputProblem as exc:
        raise _Problem(str(exc)) from None


def _parse(text: str, path: str, kind: str):
    from ..document import InputProblem, parse_text

    try:
        return parse_text(text, path, kind)
    except InputProblem as exc:
        raise _Problem(str(exc)) from None
    except Exception as exc:  # a bug while parsing: one line for this file
        from ..failures import failure

        raise _Problem(failure(path, exc, "could not be read").error) from None


def _fix_feed(path: str, data: bytes, text: str, ctx, errors: list, *, interactive: bool, state: dict,
              write: bool, show_diff: bool, many: bool, quiet: bool, encoding: str | None) -> bool:
    """Fix every record of a JSONL feed: only the changed title/excerpt/text strings are re-encoded,
    every other byte of the file stays. Bad lines are kept as they are and reported (as ``check`` does).
    Returns whether anything changed."""
    from ..document import jsonl_lines, jsonl_record
    from ..guard import analyze_each
    from ..model import InputError
    from ..rewrite.jsonl import fix_feed
    from ..rewrite.pipeline import fix_document

    # the records' findings first, several records per pass (as `check` analyses a feed); not when
    # asking about each edit, where the first question should come at once
    found: dict[str, list] = {}
    if not interactive:
        records = [got[1] for lineno, line in enumerate(jsonl_lines(text), 1) if line.strip()
                   for got in (jsonl_record(line, path, lineno),) if not isinstance(got, InputError)]
        found = {r.path: list(r.findings) for r in analyze_each(records, ctx, [])}
    first = [True]

    def fix_record(doc):
        accept = _interactive_accept(doc, state, new_file=first[0]) if interactive else None
        first[0] = False
        return fix_document(doc, ctx, accept=accept, findings=found.get(doc.path))

    feed = fix_feed(text, path, fix_record)
    errors.extend(feed.problems)
    if write:
        if feed.changed:
            try:
                _write_back(path, data, feed.text, encoding)
            except _Problem as exc:
                errors.append(InputError(path, str(exc)))
                return True
        if show_diff:
            _echo(_diff(path, text, feed.text))
    elif show_diff:
        _echo(_diff(path, text, feed.text))
    else:
        _echo(_printed(path, feed.text, many))
    if not quiet:
        records = feed.records
        click.echo(_summary(path, [r.fix for r in records], written=write, records=len(records),
                            rewritten=lambda: [r.new_document or r.document for r in records]), err=True)
    return feed.changed


def _fix_one(doc, ctx, accept):
    from ..rewrite.pipeline import fix_document

    return fix_document(doc, ctx, accept=accept)


def _write_back(path: str, original: bytes, text: str, encoding: str | None) -> None:
    from ..rewrite.apply import FileChangedError, encode_like, write_if_unchanged

    try:
        data = encode_like(original, text, encoding)
    except UnicodeEncodeError as exc:
        raise _Problem(f"the rewrite has {exc.object[exc.start]!r}, which {encoding} cannot encode; "
                       "file left unchanged") from None
    try:
        write_if_unchanged(path, original, data)
    except FileChangedError as exc:
        raise _Problem(f"not written: {exc}") from None
    except OSError as exc:
        raise _Problem(f"not written ({exc.strerror or exc}); the file is unchanged") from None


def _summary(path: str, results: list, *, written: bool, rewritten, records: int | None = None) -> str:
    """One line per file: changes by kind, skipped edits, readability before and after.

    ``results`` are the DocumentFix of the file (one per JSONL record, with ``records`` their count);
    ``rewritten()`` returns the rewritten documents, for readability."""
    from collections import Counter

    applied = [a for r in results for a in r.rewrite.applied]
    skipped = sum(len(r.rewrite.skipped) for r in results)
    if not applied:
        return f"{path}: no changes" + (f", {skipped} skipped" if skipped else "")
    by_source = Counter(a.edit.source for a in applied)
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(by_source.items(), key=lambda kv: (-kv[1], kv[0])))
    verb = "written" if written else "proposed"
    line = f"{path}: {len(applied)} change{'s' if len(applied) != 1 else ''} {verb}"
    if records is not None:
        touched = sum(1 for r in results if r.rewrite.applied)
        line += f" in {touched} of {records} record{'s' if records != 1 else ''}"
    line += f" ({kinds})"
    if skipped:
        line += f", {skipped} skipped"
    try:
        from ..metrics.readability import readability

        before = readability("\n\n".join(r.document.prose() for r in results))
        after = readability("\n\n".join(d.prose() for d in rewritten()))
        line += (f"; readability: Flesch reading ease {before.flesch_reading_ease:.1f} -> "
                 f"{after.flesch_reading_ease:.1f}, grade {before.flesch_kincaid_grade:.1f} -> "
                 f"{after.flesch_kincaid_grade:.1f}")
    except Exception:  # readability is a courtesy; never let it stop a fix
        pass
    return line


def _context(text: str, start: int, end: int, color: str) -> str:
    """text[start:end] in colour, with up to 70 characters of its line on each side."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    return (text[max(line_start, start - 70):start] + click.style(text[start:end], fg=color)
            + text[end:min(line_end, end + 70)])


def _interactive_accept(doc, state, *, new_file: bool = True):
    """An accept(edit) callback that asks on the terminal: yes, no, all remaining, done, quit."""
    from ..rewrite.apply import apply_edits

    accepted: list = []  # this document's edits accepted so far: the preview shows the text with them

    def accept(edit) -> bool:
        if state["stop"]:
            return False
        if state["all"]:
            accepted.append(edit)
            return True
        before = apply_edits(doc, accepted).text if accepted else doc.text
        preview = apply_edits(doc, [*accepted, edit])
        applied = next((a for a in preview.applied if a.edit == edit), None)
        new = applied.replacement if applied else edit.suggestion.text
        click.echo("", err=True)
        click.echo(f"{doc.path}:{edit.line}:{edit.column}: {edit.rule} [{edit.source}] "
                   f"{edit.original!r} -> {new!r}", err=True)
        if applied:
            # the edit's place in the text as it stands (earlier accepted edits shift it like the preview)
            at = applied.new_start
            old_to = at + (edit.end - edit.start)
            click.echo("  - " + _context(before, at, old_to, "red"), err=True)
            click.echo("  + " + _context(preview.text, at, applied.new_end, "green"), err=True)
        else:
            reason = preview.skipped[0][1] if preview.skipped else "cannot be applied"
            click.echo(f"  (skipped: {reason})", err=True)
            return False
        answer = click.prompt("Apply? [y]es [n]o [a]ll remaining [d]one with this file [q]uit", default="y",
                              type=click.Choice(["y", "n", "a", "d", "q"]), show_choices=False, err=True)
        if answer == "a":
            state["all"] = True
            accepted.append(edit)
            return True
        if answer == "d":
            state["stop_file"] = True
            return False
        if answer == "q":
            state["stop"] = True
            return False
        if answer == "y":
            accepted.append(edit)
        return answer == "y"

    if new_file:  # "done with this file" ends a whole JSONL feed, not one record
        state.pop("stop_file", None)

    def accept_file(edit) -> bool:
        if state.get("stop_file"):
            return False
        return accept(edit)

    return accept_file
