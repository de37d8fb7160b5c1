# unitsheet: `make run` sets everything up and runs the OpenAI model; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MODEL := models/openai_capex.ush
OUT := out

.PHONY: run test install install-dev libreoffice chromium postgres check fmt-check charts readme bench fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-dev: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'

run: install
	$(BIN)/unitsheet run $(MODEL)
	@mkdir -p $(OUT)
	$(BIN)/unitsheet export $(MODEL) -o $(OUT)/openai_capex.xlsx

check: install
	$(BIN)/unitsheet check $(MODEL)

# LibreOffice recalculates exported workbooks in the tests, and prints them to PDF; pdftotext
# (poppler-utils) reads the PDF back; Carlito is Calibri's metric twin, so LibreOffice lays out
# pages as Excel would (a year of months per printed page). Debian packages, about 15 s to install.
libreoffice:
	@{ command -v soffice && command -v pdftotext && fc-list | grep -qi carlito; } >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq libreoffice-calc-nogui poppler-utils fonts-crosextra-carlito >/dev/null; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq libreoffice-calc-nogui poppler-utils fonts-crosextra-carlito >/dev/null; fi; } || \
		echo "LibreOffice could not be installed: the workbook recalculation tests will say so"

# The HTML pages (run --format html) are tested in a real headless browser: Debian's Chromium and
# its WebDriver (chromium-driver, the same build), driven by selenium (tests/browser.py).
chromium:
	@{ command -v chromium && command -v chromedriver; } >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq chromium chromium-driver >/dev/null; fi; } || \
		echo "Chromium could not be installed: the HTML page's browser tests will say so (and fail under CI)"

# PostgreSQL for tests/test_data_postgres.py, which starts a throwaway server of its own (initdb, pg_ctl).
postgres:
	@{ ls /usr/lib/postgresql/*/bin/initdb || command -v initdb; } >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq postgresql >/dev/null; fi; } || \
		echo "PostgreSQL could not be installed: the PostgreSQL data tests will say so"

test: install-dev libreoffice chromium postgres
	$(BIN)/python -m pytest tests --durations=60 -rs

fmt-check: install
	$(BIN)/unitsheet fmt --check $(MODEL)

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .hypothesis

# The README's model sections (OpenAI, project finance) and their charts, generated from the models.
readme: install
	$(BIN)/python docs/build_readme.py

# The benchmarks against LibreOffice, formulas, pycel and the hand-written limits (benchmarks/README.md).
bench: install-dev
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m benchmarks --readme
	$(BIN)/python -m benchmarks.montecarlo --dask
	$(BIN)/python -m benchmarks.incremental
	$(BIN)/python -m benchmarks.explore
	$(BIN)/python -m benchmarks.whatif
	$(BIN)/python -m benchmarks.editing
	$(BIN)/python -m benchmarks.editor_latency
	$(BIN)/python -m benchmarks.html_page

# The long fuzz run: 100,000 cases (grammar, mutations, bytes, extremes); crashes saved in out/fuzz.
fuzz: install-dev
	$(BIN)/python -m benchmarks.fuzz --cases 100000 --seed 1
