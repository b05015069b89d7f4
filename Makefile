# Quick start: `make demo` (set up, then check the bundled example articles) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test test-fast lint eval models benchmarks bench-match clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	@echo "== unspin check on the bundled examples (fixtures/examples) =="
	@$(BIN)/unspin check fixtures/examples; echo "(exit status $$?: 0 clean, 1 findings at the fail level, 2 bad input)"
	@echo
	@echo "== one article as JSON (first lines) =="
	@$(BIN)/unspin check --format json fixtures/examples/spun-press-briefing.md | head -n 40; true

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts benchmarks evaluation

# Rebuild every shipped model from its sources (needs Debian's wordnet-base; ~5-10 min on 2 cores).
models: $(STAMP)
	$(BIN)/python scripts/build_lexicon_table.py
	$(BIN)/python scripts/build_generic_model.py
	$(BIN)/python scripts/build_spinmap.py
	$(BIN)/python scripts/build_context_tables.py
	$(BIN)/python scripts/build_thesaurus.py
	$(BIN)/python scripts/build_slots.py
	$(BIN)/python scripts/build_scorer.py

eval: $(STAMP)
	$(BIN)/unspin eval

benchmarks: $(STAMP)
	$(BIN)/python benchmarks/bench_check.py

bench-match: $(STAMP)
	$(BIN)/python benchmarks/bench_match.py 10000 100000

clean:
	rm -rf $(VENV) build dist .pytest_cache
