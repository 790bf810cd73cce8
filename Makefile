# The README's two commands: `make demo` runs the gateway on its embedded defaults,
# `make test` runs the whole suite. Both create .venv and install what they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test bench venv clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,postgres]'
	touch $@

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/lapor-gateway demo

test: $(STAMP)
	scripts/test-postgres-setup
	. scripts/test-env && $(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) state build *.egg-info
