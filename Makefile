# Two commands on a fresh machine (Python 3.11 + pip): `make demo` and `make test`.
# Both create .venv and install genaug into it on first use, with the dev extra: every optional surface
# (albumentations, viz, datasets for mnist5k, sklearn, sweep, slurm) plus the test and lint tools.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/genaug-train data=mnist5k model=ae trainer.resume=true
	$(BIN)/genaug-bench bench=quick
	@echo
	@echo "Made: the model     runs/mnist5k-ae/ (load with genaug.load)"
	@echo "      sample grids  runs/mnist5k-ae/samples/step_*.png (one row per digit)"
	@echo "      benefit table runs/bench-mnist5k-quick/summary.md (real vs classical vs genaug, N = 20 per class)"

test: $(BIN)/.installed
	$(BIN)/python -m pytest -q

lint: $(BIN)/.installed
	$(BIN)/ruff check genaug tests benchmarks
	$(BIN)/ruff format --check genaug tests benchmarks

clean:
	rm -rf $(VENV) runs outputs multirun
