"""`make run`'s scripts/run.sh: the server and the django-q2 cluster stop together, even when the
cluster hangs in its own SIGTERM handler (django-q2/django-q2#346)."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Stands in for `python`: `manage.py qcluster` ignores SIGTERM (as a deadlocked cluster does) and
# has a child of its own; `manage.py runserver` just waits. Both write their pids down.
FAKE_PYTHON = """#!/usr/bin/env bash
case "$2" in
  qcluster) trap '' TERM; sleep 300 & echo "$$ $!" > "$PIDS/cluster"; wait ;;
  runserver) echo "$$" > "$PIDS/server"; exec sleep 300 ;;
esac
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is not running
        return stat.read().split(") ")[1][0] != "Z"


def wait_for(path: Path, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.read_text().strip()):
        assert time.monotonic() < deadline, f"{path.name} never started"
        time.sleep(0.05)
    return path.read_text()


@pytest.mark.parametrize("stop", ["server ends", "SIGTERM to the script"])
def test_a_hung_cluster_is_ended_with_everything_it_started(tmp_path, stop):
    fake = tmp_path / "python"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(0o755)
    env = {**os.environ, "PIDS": str(tmp_path), "OMS_WORKER_STOP_SECONDS": "1"}
    script = subprocess.Popen(["bash", "scripts/run.sh", str(fake), "127.0.0.1", "0"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, start_new_session=True)
    try:
        cluster, cluster_child = map(int, wait_for(tmp_path / "cluster").split())
        server = int(wait_for(tmp_path / "server"))
        if stop == "server ends":
            os.kill(server, signal.SIGTERM)
        else:
            script.send_signal(signal.SIGTERM)
        assert script.wait(timeout=15) is not None
        assert not any(alive(pid) for pid in (cluster, cluster_child, server))
    finally:
        if script.poll() is None:
            os.killpg(script.pid, signal.SIGKILL)
