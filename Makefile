# losscli — self-documenting Makefile: `make help` lists the targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CODE := losscli tests $(wildcard benchmarks sample_data)

.DEFAULT_GOAL := help
.PHONY: help venv demo test lint fmt typecheck pytest bench bench-quick clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-12s %s\n", $$1, $$2}'

# The C scanner (losscli/_native) is compiled by the install, so a change to it
# re-runs the install; the bytecode is compiled as pip does for a wheel.
$(STAMP): pyproject.toml $(wildcard losscli/_native/*.c losscli/_native/*.h)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,plot,bench]'
	$(BIN)/python -c "import losscli._fastcsv" || { echo "the C scanner did not build (is a C compiler installed?)" >&2; exit 1; }
	$(BIN)/python -m compileall -q losscli
	@touch $(STAMP)

venv: $(STAMP) ## Create the virtual environment and install losscli with its dev tools

demo: $(STAMP) ## Run losscli on the sample data
	$(BIN)/losscli evaluate sample_data/regression.csv
	$(BIN)/losscli evaluate sample_data/models.csv
	$(BIN)/losscli evaluate sample_data/multiclass.csv
	$(BIN)/losscli recommend --from sample_data/regression_outliers.csv
	$(BIN)/losscli history sample_data/train_log.csv

lint: $(STAMP) ## ruff check and ruff format --check
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)

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

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build losscli/*.so

.PHONY: validate
validate: $(STAMP) ## Bootstrap validity simulations (issue 14): write benchmarks/VALIDITY.md
	OPENBLAS_NUM_THREADS=1 nice -n 10 $(BIN)/python benchmarks/validity.py
