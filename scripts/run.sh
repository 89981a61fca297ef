#!/usr/bin/env bash
# `make run`: the development server with a django-q2 worker beside it (embedded defaults: SQLite,
# ORM broker); both stop together.
set -euo pipefail
PY=$1 HOST=$2 PORT=$3

echo
echo "OMS is running at http://$HOST:$PORT/  (review workbench: /workflow/review/, admin: /admin/)"
echo "Demo logins are printed above by demo_data. Press Ctrl-C to stop."
echo
exec bash "$(dirname "$0")/supervise.sh" "$PY" -- "$PY" manage.py runserver "$HOST:$PORT" --noreload
