# losscli — self-documenting Makefile: `make help` lists the targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CODE := losscli tests $(wildcard benchmarks sample_data)

.DEFAULT_GOAL := help
.PHONY: help venv demo test lint fmt typecheck pytest bench bench-quick fuzz clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-12s %s\n", $$1, $$2}'

# Azurite, Microsoft's Azure Storage emulator (npm), for the az:// tests of
# tests/cli/test_store_emulators.py: installed by the install below, once per version
# (without npm those tests fail, saying so; make demo does not need it).
AZURITE_VERSION := 3.37.0
AZURITE := $(VENV)/azurite/.installed-$(AZURITE_VERSION)

# The C scanner (losscli/_native) is compiled by the install, so a change to it
# re-runs the install; the bytecode is compiled as pip does for a wheel.
$(STAMP): pyproject.toml $(wildcard losscli/_native/*.c losscli/_native/*.h)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,plot,bench]'
	$(BIN)/python -c "import losscli._fastcsv" || { echo "the C scanner did not build (is a C compiler installed?)" >&2; exit 1; }
	$(BIN)/python -m compileall -q losscli
	@if test -f $(AZURITE); then :; elif command -v npm >/dev/null 2>&1; then \
	  echo "npm install --prefix $(VENV)/azurite azurite@$(AZURITE_VERSION)"; \
	  npm install --prefix $(VENV)/azurite --no-audit --no-fund --silent azurite@$(AZURITE_VERSION) && touch $(AZURITE); \
	else echo "npm not found: Azurite not installed (the az:// emulator tests will fail)" >&2; fi
	@touch $(STAMP)

venv: $(STAMP) ## Create the virtual environment and install losscli with its dev tools

demo: $(STAMP) ## Run losscli on the sample data
	$(BIN)/losscli evaluate sample_data/regression.csv
	$(BIN)/losscli evaluate sample_data/models.csv
	$(BIN)/losscli evaluate sample_data/multiclass.csv
	$(BIN)/losscli recommend --from sample_data/regression_outliers.csv
	$(BIN)/losscli history sample_data/train_log.csv

lint: $(STAMP) ## ruff check (with McCabe 15), ruff format --check, the import contract
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/lint-imports

fmt: $(STAMP) ## Format the code with ruff
	$(BIN)/ruff format $(CODE)
	$(BIN)/ruff check --fix $(CODE)

typecheck: $(STAMP) ## mypy on the package
	$(BIN)/mypy losscli

pytest: $(STAMP) ## Run the test suite only
	$(BIN)/pytest

test: lint typecheck pytest ## Lint, type-check and run the tests

bench: $(STAMP) ## Run the performance benchmark and write benchmarks/RESULTS.md
	$(BIN)/python benchmarks/bench.py

# Fuzzing (notes/fuzz.md). The C scanner is built with libFuzzer's coverage and
# AddressSanitizer where clang is installed (apt-get install clang), and loaded by
# tests/fuzz/fuzz_scanner.py in place of the installed one; without clang the
# installed extension is fuzzed with Python coverage only. Then the hypothesis
# runs (scanner contract, CLI promise) with many more examples than in `make test`.
FUZZ_SECONDS ?= 600
FUZZ_EXAMPLES ?= 5000
FUZZ_DIR := build/fuzz
FUZZ_SO := $(FUZZ_DIR)/_fastcsv_asan.so

fuzz: $(STAMP) ## Fuzz the C scanner and the CLI (FUZZ_SECONDS=600, FUZZ_EXAMPLES=5000)
	@$(BIN)/python -c "import atheris" 2>/dev/null || $(BIN)/python -m pip install --quiet 'atheris>=2.3'
	@mkdir -p $(FUZZ_DIR)/corpus
	@if command -v clang >/dev/null 2>&1; then \
	  clang -shared -fPIC -O1 -g -fno-omit-frame-pointer -fsanitize=address,fuzzer-no-link \
	    -I"$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["include"])')" \
	    losscli/_native/fastcsv.c -o $(FUZZ_SO) && \
	  LD_PRELOAD="$$($(BIN)/python -c 'import atheris; print(atheris.path())')/asan_with_fuzzer.so" \
	  ASAN_OPTIONS=detect_leaks=0 LOSSCLI_FUZZ_SO=$(FUZZ_SO) \
	    $(BIN)/python tests/fuzz/fuzz_scanner.py -max_total_time=$(FUZZ_SECONDS) \
	      -artifact_prefix=$(FUZZ_DIR)/ $(FUZZ_DIR)/corpus tests/fuzz/seeds; \
	else \
	  echo "clang not found: fuzzing the uninstrumented extension (apt-get install clang)"; \
	  $(BIN)/python tests/fuzz/fuzz_scanner.py -max_total_time=$(FUZZ_SECONDS) \
	    -artifact_prefix=$(FUZZ_DIR)/ $(FUZZ_DIR)/corpus tests/fuzz/seeds; \
	fi
	@echo "corpus: $$(ls $(FUZZ_DIR)/corpus | wc -l) inputs, $$(du -sh $(FUZZ_DIR)/corpus | cut -f1)"
	LOSSCLI_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q -p no:cacheprovider tests/fuzz

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build losscli/*.so

.PHONY: validate
validate: $(STAMP) ## Bootstrap validity simulations (issue 14): write benchmarks/VALIDITY.md
	OPENBLAS_NUM_THREADS=1 nice -n 10 $(BIN)/python benchmarks/validity.py
