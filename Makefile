# The two commands of the README. Both create .venv and install everything
# (packages and the spaCy model) from nothing on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stancedesk-installed
# The trained stance model's encoder (ONNX Runtime, ~0.2 GB, no torch); `make run EXTRAS=` installs without it
# (cue rules); EXTRAS=embeddings-build adds torch (+1.3 GB) to rebuild the encoder file.
EXTRAS ?= embeddings
# make run STORY=NAME_OR_FILE LS_PORT=... PORT=...: the story and the two ports of the local stack (LABEL_STUDIO_PORT= too)
STORY ?= russia-nato
LS_PORT ?= 8080
LABEL_STUDIO_PORT ?= $(LS_PORT)
PORT ?= 9090
comma := ,
ALL_EXTRAS := test,server,scale$(if $(EXTRAS),$(comma)$(EXTRAS))
# apt-get runs directly as root (CI), through sudo otherwise.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install clean-venv

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "stancedesk needs Python >= 3.11 (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(ALL_EXTRAS)]"
# Debian's chromium for the browser test (Playwright drives it; `playwright install` would download a browser).
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-liberation >/dev/null; }
# LibreOffice Writer for `export briefing --format pdf` and poppler for the test that reads the PDF back.
	@{ test -x /usr/bin/soffice && test -x /usr/bin/pdftotext; } || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libreoffice-writer poppler-utils >/dev/null; }
# Debian's PostgreSQL server binaries: the tests start their own server on the store and on Label Studio.
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql >/dev/null; }
	touch $(STAMP)

install: $(STAMP)

# The main job on the embedded defaults: local Label Studio + stancedesk server,
# seeds pre-annotated and pushed, webhook and ML backend connected. Ctrl-C stops it.
run: $(STAMP)
	$(BIN)/stancedesk up --story $(STORY) --label-studio-port $(LABEL_STUDIO_PORT) --port $(PORT)

# Every test, including those that need the model and a real Label Studio.
test: $(STAMP)
	$(BIN)/python -m pytest -q

clean-venv:
	rm -rf $(VENV)
