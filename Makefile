# The two commands of the README. Both create .venv and install everything
# (packages and the spaCy model) from nothing on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stancedesk-installed
# The trained stance model's encoder (torch CPU, +1.3 GB); `make run EXTRAS=` installs without it (cue rules).
EXTRAS ?= embeddings
comma := ,
ALL_EXTRAS := test,server$(if $(EXTRAS),$(comma)$(EXTRAS))

.PHONY: run test install clean-venv

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "stancedesk needs Python >= 3.11 (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(ALL_EXTRAS)]"
	touch $(STAMP)

install: $(STAMP)

# The main job on the embedded defaults: local Label Studio + stancedesk server,
# seeds pre-annotated and pushed, webhook and ML backend connected. Ctrl-C stops it.
run: $(STAMP)
	$(BIN)/stancedesk up

# Every test, including those that need the model and a real Label Studio.
test: $(STAMP)
	$(BIN)/python -m pytest -q

clean-venv:
	rm -rf $(VENV)
