# Two commands for people (see README): `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test venv setup lint messages clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

venv: $(VENV)/.installed

setup: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py build_pdf_fonts
	$(PY) manage.py demo_data

# Sets everything up, then serves the product with one django-q2 worker (stopped with the server).
run: setup
	@bash scripts/run.sh $(PY) $(HOST) $(PORT)

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
