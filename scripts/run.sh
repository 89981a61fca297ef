#!/usr/bin/env bash
# Serve OMS with a django-q2 worker beside it; both stop together on Ctrl-C.
set -euo pipefail
PY=$1 HOST=$2 PORT=$3
"$PY" manage.py qcluster &
worker=$!
trap 'kill $worker 2>/dev/null; wait $worker 2>/dev/null || true' EXIT INT TERM
echo
echo "OMS is running at http://$HOST:$PORT/  (review workbench: /workflow/review/, admin: /admin/)"
echo "Demo logins are printed above by demo_data. Press Ctrl-C to stop."
echo
"$PY" manage.py runserver "$HOST:$PORT" --noreload
