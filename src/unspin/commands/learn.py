"""``unspin learn``: mine spun -> original substitutions from matched copies into a learned lexicon."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .common import EXIT_CLEAN, EXIT_USAGE, archive_url, config_options, db_option, fail, resolve_config


@click.command()
@click.argument("paths", nargs=-1)
@click.option("--from-match", "match_files", multiple=True, type=click.Path(dir_okay=False),
              help="Read substitutions from 'unspin match --format json' output (repeatable).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write the learned lexicon TSV here [default: standard output].")
@click.option("--review", type=click.Path(dir_okay=False, writable=True),
              help="Write entries below the trust thresholds here, for an editor to review.")
@click.option("--min-count", type=click.IntRange(1), default=2, show_default=True,
              help="Sightings an entry needs to be trusted.")
@click.option("--min-docs", type=click.IntRange(1), default=2, show_default=True,
              help="Different copies an entry must be seen in to be trusted.")
@click.option("--min-sources", type=click.IntRange(1), default=2, show_default=True,
              help="Different original articles those copies must come from (copies of one story count once).")
@click.option("--top", type=click.IntRange(1, 20), default=3, show_default=True, help="Sources per copy.")
@click.option("--limit", type=click.IntRange(1), help="With no PATHS: mine at most this many archived articles.")
@click.option("--encoding", help="Decode inputs with this encoding instead of UTF-8.")
@db_option
@config_options
def learn(paths, match_files, output, review, min_count, min_docs, min_sources, top, limit, encoding, db,
          config_path, no_config) -> None:
    """Learn spinner substitutions from copies matched to their sources.

    PATHS are spun copies whose sources are in the archive (--db). With --from-match, substitutions
    come from saved 'unspin match --format json' results instead. With neither, pairs of matched
    articles inside the archive are mined. Pass the output to 'unspin check --lexicon FILE'; its
    entries are reported as US103.

    A swap is kept only with support from several copies of several originals, and never when its
    spun wording occurs in the archive's originals (it would fire on clean text); each row says why.
    """
    from ..document import InputProblem, iter_documents
    from ..failures import failure
    from ..match.archive import ArchiveError, display_url, open_archive
    from ..match.learn import SubstitutionMiner, lexicon_tsv, mine_archive, mine_documents, mine_match_json
    from ..model import InputError

    cfg = resolve_config(config_path, no_config, db=db)
    miner = SubstitutionMiner()
    errors: list[InputError] = []
    where = archive_url(db, cfg)
    url = where.url
    need_archive = bool(paths) or not match_files
    archive = None
    if need_archive or where.named:
        try:
            archive = open_archive(url, create=False)
        except ArchiveError as exc:
            if need_archive:
                fail(f"{display_url(url)}: {exc}")
            click.echo(f"unspin: warning: {display_url(url)}: {exc}; learning without source texts", err=True)

    copies = 0
    try:
        for path in match_files:
            try:
                payload = json.loads(Path(path).read_text(encoding="utf-8"))
                mine_match_json(miner, payload, read_text=_reader(encoding),
                                source_text=(lambda i: (a.text if (a := archive.get(i)) else ""))
                                if archive is not None else None)
                copies += len(payload.get("documents", []))
            except FileNotFoundError:
                errors.append(InputError(path, "no such file"))
            except (OSError, UnicodeDecodeError) as exc:
                errors.append(InputError(path, f"cannot read: {getattr(exc, 'strerror', None) or exc}"))
            except json.JSONDecodeError as exc:
                errors.append(InputError(path, f"not valid JSON ({exc.msg} on line {exc.lineno})"))
            except InputProblem as exc:  # a copy the match file names cannot be read
                errors.append(InputError(path, str(exc)))
            except RecursionError:
                errors.append(InputError(path, "not usable: nested too deeply"))
            except ValueError as exc:
                errors.append(InputError(path, str(exc)))
            except ArchiveError:
                raise
            except Exception as exc:  # a bug, or a JSON shape mine_match_json did not expect
                errors.append(failure(path, exc, "could not be read"))
        if paths:
            for doc in iter_documents(list(paths), errors, encoding=encoding):
                try:  # one copy at a time: a document that fails is reported, the others still mined
                    copies += mine_documents(miner, archive, [doc], top=top)
                except ArchiveError:
                    raise
                except Exception as exc:
                    errors.append(failure(doc.path, exc, "could not be mined"))
        elif not match_files:
            copies += mine_archive(miner, archive, top=top, limit=limit)
        if archive is not None and miner.candidates:
            _add_clean_originals(miner, archive)
    except ArchiveError as exc:
        fail(f"{display_url(url)}: {exc}")
    finally:
        if archive is not None:
            archive.close()

    if not miner.candidates and not errors:
        _explain_nothing_to_learn(paths, match_files, url, copies)
    trusted, to_review = miner.entries(min_count=min_count, min_docs=min_docs, min_sources=min_sources)
    note = (f"learned by 'unspin learn' (min-count {min_count}, min-docs {min_docs}, min-sources {min_sources}); "
            "review before sharing: see docs/rewriting.md")
    text = lexicon_tsv(trusted, header_note=note)
    from ..fileio import atomic_write_text

    try:
        if output:
            atomic_write_text(output, text)
        else:
            sys.stdout.write(text)
        if review:
            atomic_write_text(review, lexicon_tsv(
                to_review, source="learned-review",
                header_note="below the trust thresholds: keep the rows you agree with, change their source "
                            "to 'learned', and add them to your learned lexicon"))
    except OSError as exc:
        fail(f"cannot write {output if output else review}: {exc.strerror or exc}")

    kept = sum(miner.rejected.values())
    subs = sum(c.count for c in miner.candidates.values())
    summary = (f"unspin learn: {subs} substitution{'s' if subs != 1 else ''} from {copies} matched "
               f"cop{'ies' if copies != 1 else 'y'}; {len(trusted)} trusted entr{'ies' if len(trusted) != 1 else 'y'}"
               f"{' -> ' + output if output else ''}; {len(to_review)} for review"
               f"{' -> ' + review if review else ''}")
    if kept:
        summary += "; not synonym swaps: " + ", ".join(f"{k} {v}" for k, v in miner.rejected.most_common())
    click.echo(summary, err=True)
    for e in errors:
        click.echo(f"{e.path}: error: {e.error}", err=True)
    sys.exit(EXIT_USAGE if errors else EXIT_CLEAN)


def _add_clean_originals(miner, archive) -> None:
    """The archive's articles that are not copies, for the clean-text check (at most CLEAN_LIMIT)."""
    from ..match.learn import CLEAN_LIMIT

    copies = {d for c in miner.candidates.values() for d in c.docs}
    offset = 0
    while offset < CLEAN_LIMIT:
        rows = archive.list_articles(limit=min(500, CLEAN_LIMIT - offset), offset=offset)
        if not rows:
            break
        offset += len(rows)
        for row in rows:
            if row["id"] in copies or row["id"] in miner.source_texts:
                continue
            art = archive.get(row["id"])
            if art is not None:
                miner.add_clean_text(art.id, art.text)


def _explain_nothing_to_learn(paths, match_files, url: str, copies: int) -> None:
    """No substitution at all: say what learn needs instead of writing an empty lexicon."""
    from ..match.archive import display_url

    if paths:
        why = (f"none of the {len(paths)} input(s) matched an original in {display_url(url)} with swapped words; "
               "add their originals first ('unspin archive add ORIGINALS')")
    elif match_files:
        why = "the --from-match results hold no swapped words"
    else:
        why = (f"with no PATHS, learn mines pairs of copy and original stored together in {display_url(url)}, "
               f"and found none ({copies} pairs)")
    fail(f"nothing to learn from: {why}. Give spun copies whose originals are archived "
         "('unspin learn --db URL copies/'), or 'unspin match --format json' results (--from-match FILE). "
         "No lexicon was written")


def _reader(encoding: str | None):
    def read(path: str) -> str:
        from ..document import Source, read_source

        docs = read_source(Source(path), encoding=encoding)
        return docs[0].text if len(docs) == 1 else ""

    return read
