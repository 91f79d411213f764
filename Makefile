# One command each for a new user: `make run` (the Ice Out scenario) and `make test`.
# Both create .venv and install strikesim into it on first use (Python >= 3.11 required).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: run test test-all test-launchers lint format bench calibrate clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "strikesim needs Python >= 3.11; set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/strikesim

# `make test` skips tests marked slow (whole-city runs; pyproject.toml's addopts: -m 'not slow');
# `make test-all` runs every test, slow ones included — before a release or a model change.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

test-all: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -m 'slow or not slow'

# Ray on a local cluster and the SLURM job script: needs the ray and slurm extras (~1 GB, 1-3 min)
test-launchers: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[ray,slurm]'
	$(BIN)/pytest -m launchers

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# The recorded calibration (docs/calibration.md): ABC-SMC on the seven-county metro at 1:10,
# seed 0, 2 processes. Resumable: after a stop or a kill, `make calibrate` again carries on from
# the last finished generation. Then its compact record goes to docs/calibration/campaign_2026
# and its posterior to scenarios/calibration/campaign_2026_posterior.csv, the table
# `behavior.posterior=campaign_2026` draws from (both bit-identical to the shipped ones).
CALIBRATION  := results/calibration/campaign_2026
RECORD       := docs/calibration/campaign_2026
RECORD_FILES := study.json history.db posterior.parquet posterior.csv predictive.parquet generations.csv \
                report.md report.json pairs.png predictive.png
calibrate: $(STAMP)
	$(BIN)/strikesim calibrate campaign_2026 --workers 2 --out $(CALIBRATION)
	mkdir -p $(RECORD)
	cp $(addprefix $(CALIBRATION)/,$(RECORD_FILES)) $(RECORD)/
	cp $(CALIBRATION)/posterior.csv scenarios/calibration/campaign_2026_posterior.csv

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
