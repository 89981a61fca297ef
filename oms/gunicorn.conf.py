"""gunicorn settings for serving OMS in production (`scripts/serve.sh`, docs/deployment.md).

Every value can be changed through the environment without editing this file, so a systemd unit
or a container sets them; defaults suit a small machine behind nginx.
"""

import multiprocessing
import os

# Behind nginx on the same machine by default; set OMS_BIND=0.0.0.0:8000 when the proxy is elsewhere.
bind = os.environ.get("OMS_BIND", "127.0.0.1:8000")

# Sync workers: each request holds a database connection for its whole life, and order intake is
# CPU- and database-bound, not waiting on slow clients (nginx buffers them). Two per core keeps the
# cores busy while one worker waits on PostgreSQL.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count()))
worker_class = "sync"

# A request that takes longer than this is killed and logged: no screen or API call should (large
# imports, print batches and reports run in django-q2 jobs).
timeout = int(os.environ.get("OMS_WEB_TIMEOUT", 60))
graceful_timeout = int(os.environ.get("OMS_WEB_GRACEFUL_TIMEOUT", 30))
keepalive = 5

# Recycle workers now and then so a slow leak (fonts, caches) never grows without bound; the jitter
# keeps them from restarting together.
max_requests = int(os.environ.get("OMS_WEB_MAX_REQUESTS", 5000))
max_requests_jitter = max_requests // 10

# Load the application once in the master: workers fork with Django, the URLconf and translations
# already imported (faster restarts, shared memory). Django opens no database connection at import.
preload_app = True

# Access log on stdout (journald or the container collects it) with the time taken in microseconds.
accesslog = os.environ.get("OMS_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("OMS_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(D)sus "%(a)s"'

# nginx terminates TLS and sets X-Forwarded-Proto; trust it from the proxy address only.
forwarded_allow_ips = os.environ.get("OMS_FORWARDED_ALLOW_IPS", "127.0.0.1")


def pre_fork(server, worker):
    """The app is loaded before forking (`preload_app`) and database connections persist in
    production (`DB_CONN_MAX_AGE`): a worker must open its own, never share a socket the master
    opened while loading (two processes on one PostgreSQL connection corrupt each other's replies)."""
    from django.db import connections

    connections.close_all()
