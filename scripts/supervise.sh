#!/usr/bin/env bash
# Run a web server with a django-q2 cluster beside it; both stop together (Ctrl-C, SIGTERM, or the
# server ending on its own). Used by `make run` (runserver) and `make serve` (gunicorn).
#   scripts/supervise.sh PYTHON -- SERVER COMMAND...
set -euo pipefail
PY=$1; shift
[ "${1:-}" = "--" ] && shift

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

# The server in the background and waited for: a trapped signal interrupts `wait` at once, where it
# would only run after a foreground command had finished.
"$@" &
server=$!
trap 'kill -TERM "$server" 2>/dev/null || true' INT TERM
trap 'kill -TERM "$server" 2>/dev/null || true; stop_worker; wait 2>/dev/null || true' EXIT
wait "$server" || true
