# Two commands do everything on a fresh machine:
#   make run   install, build assets, migrate, load demo data, serve on http://127.0.0.1:5000
#   make test  install and run the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# Links in emails and QR codes point at the address being served.
BASE_URL ?= http://$(HOST):$(PORT)
FLASK := PORTAL_ENV=development BASE_URL=$(BASE_URL) $(BIN)/flask --app portal

.PHONY: run test install install-test assets migrate seed serve code browser-deps lint translations bench clean

run: install assets migrate seed serve

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/build/app.css: node_modules/.installed scripts/build-assets.mjs $(wildcard static/src/*.scss)
	npm run --silent build

assets: static/build/app.css

migrate: install
	mkdir -p instance
	$(FLASK) upgrade-db

seed: migrate
	$(FLASK) seed-demo

serve:
	@echo ""
	@echo "  Families and the public:  $(BASE_URL)/"
	@echo "  Follow a request:         $(BASE_URL)/account/sign-in"
	@echo "  Staff:                    $(BASE_URL)/staff/sign-in"
	@echo "  Emails sent (to read):    $(BASE_URL)/dev/emails"
	@echo "  A staff sign-in code:     make code EMAIL=manager@demo.example"
	@echo ""
	@echo "Serving on $(BASE_URL) (press Ctrl+C to stop)"
	$(FLASK) run --host $(HOST) --port $(PORT)

# The code a demo staff account is asked for after its password (development only).
code: install
	@$(FLASK) staff-code $(EMAIL)

# Debian's Chromium drives the browser tests (never a downloaded browser).
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "WARNING: could not install chromium: browser tests will fail"; \
	  else echo "WARNING: chromium is missing and I am not root: install the 'chromium' package"; fi; \
	fi

test: install-test assets browser-deps
	$(BIN)/ruff check portal tests bench
	# Security linter: any finding of medium severity or more fails, unless it is
	# justified where it is (a "nosec" comment saying why).
	$(BIN)/bandit -q -r portal -ll
	# Three processes, each with its own databases, browser and servers; a file's tests
	# stay together in one process.
	$(BIN)/pytest -n 3 --dist loadfile

lint: install-test
	$(BIN)/ruff check portal tests bench
	$(BIN)/bandit -q -r portal -ll

translations: install-test
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot .

bench: install-test assets
	$(BIN)/python bench/pages.py

clean:
	rm -rf $(VENV) node_modules static/build instance .pytest_cache
