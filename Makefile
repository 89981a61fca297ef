# Two commands for people (see README): `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run serve test venv setup lint messages clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

venv: $(VENV)/.installed

# Debian's Pango and CJK font are installed when root; otherwise one line says what to install and
# OMS still starts (PDF screens then say why they are unavailable).
setup: venv
	bash scripts/system-deps.sh runtime
	$(PY) manage.py migrate --noinput
	-@$(PY) manage.py build_pdf_fonts
	$(PY) manage.py demo_data

# Sets everything up, then serves the product with one django-q2 worker (stopped with the server).
run: setup
	@bash scripts/run.sh $(PY) $(HOST) $(PORT)

# Production serving on this machine: gunicorn + a django-q2 cluster on Redis, against PostgreSQL
# (DATABASE_URL, REDIS_URL and the production settings in docs/deployment.md must be set).
serve: venv
	bash scripts/system-deps.sh runtime
	@bash scripts/serve.sh $(PY)

# The whole test suite; CI runs it on SQLite and again with DATABASE_URL pointing at PostgreSQL.
test: venv
	bash scripts/system-deps.sh
	$(PY) manage.py makemigrations --check --dry-run
	@# pytest exits 5 when it collected no tests: a broken suite, not a pass.
	$(PY) -m pytest -n auto $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then echo 'no tests were collected' >&2; exit 1; fi; exit $$rc

lint: venv
	$(VENV)/bin/ruff check .

# Extract and compile translations (needs GNU gettext); the compiled .mo files are committed.
messages: venv
	PY=$(abspath $(PY)) bash scripts/messages.sh

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
