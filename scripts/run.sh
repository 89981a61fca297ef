#!/usr/bin/env bash
# Serve OMS with a django-q2 worker beside it; both stop together (Ctrl-C, SIGTERM, or the server
# ending on its own).
set -euo pipefail
PY=$1 HOST=$2 PORT=$3

# The cluster in a process group of its own, so that everything it started can be stopped with it.
setsid "$PY" manage.py qcluster &
worker=$!

running() {  # alive and not merely a zombie waiting to be reaped
  kill -0 "$1" 2>/dev/null && ! ps -o stat= -p "$1" | grep -q Z
}

stop_worker() {
  running "$worker" || return 0
  kill -TERM "$worker" 2>/dev/null || return 0
  # django-q2's cluster can deadlock in its own SIGTERM handler (django-q2/django-q2#346: the
  # handler sets a multiprocessing Event from signal context) and then never exits; give it
  # OMS_WORKER_STOP_SECONDS (10) to stop its workers cleanly, then end its whole process group.
  for _ in $(seq $(( ${OMS_WORKER_STOP_SECONDS:-10} * 5 ))); do
    running "$worker" || return 0
    sleep 0.2
  done
  kill -KILL -- "-$worker" 2>/dev/null || true
}

echo
echo "OMS is running at http://$HOST:$PORT/  (review workbench: /workflow/review/, admin: /admin/)"
echo "Demo logins are printed above by demo_data. Press Ctrl-C to stop."
echo
# The server in the background and waited for: a trapped signal interrupts `wait` at once, where it
# would only run after a foreground command had finished.
"$PY" manage.py runserver "$HOST:$PORT" --noreload &
server=$!
trap 'kill -TERM "$server" 2>/dev/null || true' INT TERM
trap 'kill -TERM "$server" 2>/dev/null || true; stop_worker; wait 2>/dev/null || true' EXIT
wait "$server" || true
