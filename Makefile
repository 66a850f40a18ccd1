# The two commands of the README. Both create .venv and install everything
# (packages and the spaCy model) from nothing on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stancedesk-installed

.PHONY: run test install clean-venv

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "stancedesk needs Python >= 3.11 (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

# The main job on the embedded defaults: pre-annotate the seed articles.
run: $(STAMP)
	$(BIN)/stancedesk preannotate seeds -o out/seed_tasks.json

# Every test, the ones that need the model included.
test: $(STAMP)
	$(BIN)/python -m pytest -q

clean-venv:
	rm -rf $(VENV)
