#!/usr/bin/env bash
# `make serve`: production serving on one machine — gunicorn (oms/gunicorn.conf.py) and a django-q2
# cluster on Redis, against PostgreSQL. Both stop together. See docs/deployment.md for systemd units,
# nginx and adding machines.
set -euo pipefail
PY=${1:-.venv/bin/python}
cd "$(dirname "$0")/.."

missing=()
[ -n "${DATABASE_URL:-}" ] || missing+=("DATABASE_URL (postgres://user@host:5432/oms)")
[ -n "${REDIS_URL:-}" ] || missing+=("REDIS_URL (redis://127.0.0.1:6379/0)")
if [ ${#missing[@]} -gt 0 ]; then
  echo "make serve needs: ${missing[*]}; see docs/deployment.md (make run is the one-machine default)." >&2
  exit 2
fi
export DJANGO_DEBUG=${DJANGO_DEBUG:-0}

# Deploy steps: check the configuration, migrate, collect static files, build the PDF font.
"$PY" manage.py check --deploy --fail-level ERROR
"$PY" manage.py migrate --noinput
"$PY" manage.py collectstatic --noinput --verbosity 0
"$PY" manage.py build_pdf_fonts || echo "PDF fonts unavailable; PDFs will say why (see above)." >&2

echo "OMS (gunicorn) on ${OMS_BIND:-127.0.0.1:8000}, django-q2 on $REDIS_URL. Ctrl-C stops both."
exec bash scripts/supervise.sh "$PY" -- "$PY" -m gunicorn -c oms/gunicorn.conf.py oms.wsgi:application
