"""Fault drills: run a piece of OMS in a child process against the test database, and kill it.

The child is a fresh Python with Django set up on the same PostgreSQL test database (the test
commits for real: `transaction=True`), so `kill -9` leaves exactly what a dead worker leaves.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def child_environment(**extra: str) -> dict:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "oms.settings", "DJANGO_DEBUG": "1",
           "PYTHONPATH": str(ROOT), "OMS_PRIVATE_MEDIA_ROOT": str(settings.OMS_PRIVATE_MEDIA_ROOT),
           "OMS_MEDIA_ROOT": str(settings.MEDIA_ROOT)}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    env.update(extra)
    return env


def start_child(code: str, **env: str) -> subprocess.Popen:
    """Run `code` (after `django.setup()`) in a new process group; its output goes to the test's log."""
    script = "import django\ndjango.setup()\n" + textwrap.dedent(code)
    return subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=child_environment(**env),
                            start_new_session=True)


def kill_when(child: subprocess.Popen, ready, *, what: str, poll: float = 0.02, limit: float = 120.0) -> None:
    """SIGKILL the child (and its process group) as soon as `ready()` is true; fail if it ended first.

    `limit` only stops a broken drill from hanging the suite; the drill's outcome never depends on it.
    """
    deadline = time.monotonic() + limit
    while not ready():
        if child.poll() is not None:
            raise AssertionError(f"the child ended (exit {child.returncode}) before {what}")
        if time.monotonic() > deadline:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            raise AssertionError(f"{what} never happened")
        time.sleep(poll)
    os.killpg(child.pid, signal.SIGKILL)
    assert child.wait() == -signal.SIGKILL
