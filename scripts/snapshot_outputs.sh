#!/usr/bin/env bash
# Record what `unspin` prints on the fixtures, to show a refactoring changes no output:
#
#   scripts/snapshot_outputs.sh /tmp/snap-before [SRC]   # on the old code (SRC: its src/ folder)
#   scripts/snapshot_outputs.sh /tmp/snap-after          # on the new code
#   diff -r /tmp/snap-before /tmp/snap-after             # must print nothing
#
# Runs `check` (text, json, sarif, github) on every fixture folder and example file, on a JSONL feed,
# on an HTML page, on stdin, with and without the list-free detectors, and with an archive
# (US3xx source findings), plus `match --format json` and `rules`. Inputs are named by paths relative
# to the repository root, so the outputs of two checkouts compare byte for byte. Exit codes are kept
# next to the outputs.
set -u
OUT=${1:?usage: snapshot_outputs.sh OUTDIR [SRC]}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC=${2:-$ROOT/src}
PY=${PY:-/work/main/.venv/bin/python}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$ROOT"
export PYTHONPATH="$SRC" NO_COLOR=1 UNSPIN_DB= HOME="$OUT/.home"
mkdir -p "$HOME"
WORK=/tmp/unspin-snapshot-inputs  # a fixed path: it appears in the outputs
rm -rf "$WORK" && mkdir -p "$WORK"

run() {  # run NAME ARGS... : stdout, stderr and exit code of `unspin ARGS` under NAME
  local name=$1; shift
  "$PY" -m unspin "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" </dev/null
  echo $? >"$OUT/$name.rc"
}

# An HTML page and a second JSONL feed, written here so the inputs are fixed.
cat >"$WORK/page.html" <<'EOF'
<!doctype html><html><head><title>Squeeze secretary quits after row</title></head>
<body><article><h1>Squeeze secretary quits after row</h1>
<p>The squeeze secretary resigned on Friday after a row over leaked emails. Officials said the money
related emergency had strained relations between the two offices.</p>
<p>The council kept library hours unchanged on Wednesday and cut spending on road repairs by 12 percent.</p>
<script>var x = "not text";</script></article></body></html>
EOF
head -c 100000 fixtures/examples/feed.jsonl >"$WORK/feed2.jsonl"

for fmt in text json sarif github; do
  for d in fixtures/articles/*/; do
    n=$(basename "$d")
    run "check-$fmt-articles-$n" check --no-config --format "$fmt" "$d"
  done
  for f in fixtures/examples/*; do
    n=$(basename "$f")
    run "check-$fmt-examples-$n" check --no-config --format "$fmt" "$f"
  done
  run "check-$fmt-examples-all" check --no-config --format "$fmt" fixtures/examples
  run "check-$fmt-html" check --no-config --format "$fmt" "$WORK/page.html"
  run "check-$fmt-feed2" check --no-config --format "$fmt" "$WORK/feed2.jsonl"
done
run check-json-all check --no-config --format json fixtures
run check-sarif-all check --no-config --format sarif fixtures
run check-json-nogeneric check --no-config --format json --no-generic fixtures
run check-json-select check --no-config --format json --select US1,US4 fixtures/examples
run check-json-ignore check --no-config --format json --ignore US201 fixtures/articles/politics
run check-json-missing check --no-config --format json fixtures/examples/nope.md fixtures/examples/spun-abstract.txt
"$PY" -m unspin check --no-config --format json --stdin-filename in.md - <fixtures/examples/spun-press-briefing.md \
  >"$OUT/check-json-stdin.out" 2>"$OUT/check-json-stdin.err"; echo $? >"$OUT/check-json-stdin.rc"
run rules rules
run rules-us201 rules US201
for f in fixtures/examples/*; do
  n=$(basename "$f")
  run "fix-$n" fix --no-config "$f"
  run "fix-diff-$n" fix --no-config --diff "$f"
done
run fix-html fix --no-config "$WORK/page.html"
run rules-json rules --format json

# With an archive: the "-a" articles are the sources; copies of them with words swapped (sed) are
# checked and matched against it.
DB="sqlite:///$WORK/archive.sqlite"
mkdir -p "$WORK/originals"
mkdir -p "$WORK/copies"
for f in fixtures/articles/*/*-a.md; do
  cp "$f" "$WORK/originals/"
  sed -e 's/ said / expressed /g; s/ big / huge /g; s/ people / individuals /g; s/ after / following /g' \
      -e 's/ first / initial /g; s/ start / begin /g; s/ also / likewise /g' "$f" >"$WORK/copies/$(basename "$f")"
done
"$PY" -m unspin archive add --no-config --no-progress --db "$DB" "$WORK/originals" >/dev/null 2>&1
(cd "$WORK" && for fmt in json sarif; do
  "$PY" -m unspin check --no-config --format "$fmt" --db "sqlite:///archive.sqlite" copies \
    >"$OUT/check-$fmt-db.out" 2>"$OUT/check-$fmt-db.err"; echo $? >"$OUT/check-$fmt-db.rc"
done
"$PY" -m unspin fix --no-config --diff --db "sqlite:///archive.sqlite" copies \
  >"$OUT/fix-diff-db.out" 2>"$OUT/fix-diff-db.err"; echo $? >"$OUT/fix-diff-db.rc"
"$PY" -m unspin learn --no-config --db "sqlite:///archive.sqlite" -o learned.tsv copies \
  >"$OUT/learn-db.out" 2>"$OUT/learn-db.err"; echo $? >"$OUT/learn-db.rc"
for f in learned*; do cp "$f" "$OUT/learn-db-$f"; done
"$PY" -m unspin match --no-config --format json --db "sqlite:///archive.sqlite" copies \
  >"$OUT/match-json-db.out" 2>"$OUT/match-json-db.err"; echo $? >"$OUT/match-json-db.rc")
rm -rf "$WORK" "$HOME"
echo "wrote $(ls "$OUT" | wc -l) files to $OUT"
