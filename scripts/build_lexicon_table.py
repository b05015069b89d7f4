"""Compile the shipped lexicons (data/lexicon/*.tsv) into data/lexicon/compiled.json.

`unspin check` loads the compiled table instead of reading and normalising the TSVs at every start,
as long as the size and CRC-32 of every TSV match the ones recorded in the table; after editing a
lexicon, rerun this script (``tests/test_lexicon_table.py`` fails until the table is rebuilt).
The output is deterministic: the same TSVs and the same code give the same bytes.

Usage: python scripts/build_lexicon_table.py [--check]
"""

from __future__ import annotations

import argparse
import sys

from unspin.detect.lexicon import build_table, default_lexicon_files, dump_table, table_path
from unspin.fileio import atomic_write_text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="Exit 1 if the shipped table is out of date; write nothing.")
    args = ap.parse_args()
    files = default_lexicon_files()
    text = dump_table(build_table(files))
    out = table_path()
    if args.check:
        current = out.read_text(encoding="utf-8") if out.exists() else None
        if current != text:
            print(f"{out}: out of date; run python scripts/build_lexicon_table.py", file=sys.stderr)
            return 1
        print(f"{out}: up to date")
        return 0
    atomic_write_text(out, text)
    table_rows = text.count("\n")
    print(f"wrote {out} ({len(text.encode('utf-8')):,} bytes, {table_rows:,} lines) from "
          f"{', '.join(p.name for p in files)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
