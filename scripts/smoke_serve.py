"""Smoke test of production serving: `scripts/serve.sh` (gunicorn + a django-q2 cluster on Redis)
against a scratch PostgreSQL database, serving one order end to end.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/15 \
        .venv/bin/python scripts/smoke_serve.py

`.ci/run` runs it after the test suites. It creates its own database next to the one DATABASE_URL
names (dropped at the end), seeds it, starts serve.sh with production settings on a free port,
checks /healthz, posts a paid order through the API, waits until the order has its shipment and
invoice and a job has gone through the Redis broker, then stops everything it started. Exit status
0 on success; on failure it prints what it waited for and the server's log.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def fail(message: str, log: Path | None = None, *, who: str = "smoke", source: str = "serve.sh",
         lines: int = 60) -> None:
    print(f"{who}: FAILED: {message}", file=sys.stderr)
    if log is not None and log.exists():
        print(f"---- {source} output (last {lines} lines) ----", file=sys.stderr)
        print("\n".join(log.read_text(errors="replace").splitlines()[-lines:]), file=sys.stderr)
    raise SystemExit(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scratch_database(url: str) -> tuple[str, str]:
    """(URL of a new scratch database on the same server, its name)."""
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        fail(f"DATABASE_URL must point at PostgreSQL, got {parts.scheme!r}")
    name = f"oms_smoke_{os.getpid()}"
    return urlunsplit(parts._replace(path=f"/{name}")), name


def admin_sql(url: str, statement: str) -> None:
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(statement)


def manage(env: dict, *args: str) -> str:
    result = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, text=True, capture_output=True,
                            check=False)
    if result.returncode != 0:
        fail(f"manage.py {' '.join(args)} exited {result.returncode}\n{result.stdout or ''}{result.stderr or ''}")
    return result.stdout or ""


def request(method: str, url: str, *, token: str | None = None, body: dict | None = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:  # not listening yet (connection refused), or reset while starting
        return 0, b""


def wait_until(what: str, check, *, seconds: float, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    fail(f"waited {seconds:.0f} s for {what}", log)


def forget_queued_jobs(redis_url: str) -> None:
    """Jobs the seeding queued for the scratch database must not reach the next run's cluster."""
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter("django_q:oms:*"):
        client.delete(key)


def main() -> None:
    base_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if not base_url or not redis_url:
        fail("set DATABASE_URL (PostgreSQL) and REDIS_URL")
    db_url, db_name = scratch_database(base_url)
    port = free_port()
    env = {
        **os.environ, "DATABASE_URL": db_url, "REDIS_URL": redis_url, "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "OMS_WEBHOOK_SECRET": secrets.token_urlsafe(32),
        "OMS_FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "OMS_BLIND_INDEX_KEY": secrets.token_urlsafe(32),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost", "DJANGO_SECURE_SSL_REDIRECT": "0",
        "OMS_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2", "OMS_Q_WORKERS": "1",
        "OMS_WORKER_STOP_SECONDS": "10",
    }
    admin_sql(base_url, f'DROP DATABASE IF EXISTS "{db_name}"')
    admin_sql(base_url, f'CREATE DATABASE "{db_name}"')
    log = Path(tempfile.mkstemp(prefix="oms-smoke-", suffix=".log")[1])
    server = None
    try:
        manage(env, "migrate", "--noinput", "--verbosity", "0")
        # Demo products, channels and stock (seeded in development mode: production refuses demo data).
        manage({**env, "DJANGO_DEBUG": "1"}, "demo_data", "--orders", "0")
        token = manage(env, "create_api_token", "--name", "smoke", "--scopes", "orders:read,orders:write").split()[-1]

        started = time.monotonic()
        with open(log, "wb") as out:
            server = subprocess.Popen(["bash", "scripts/serve.sh", PY], cwd=ROOT, env=env, stdout=out,
                                      stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        wait_until("/healthz", lambda: request("GET", f"{url}/healthz")[0] == 200, seconds=120, log=log)
        print(f"smoke: gunicorn answered /healthz after {time.monotonic() - started:.1f} s")

        external_id = f"SMOKE-{secrets.token_hex(4)}"
        order = {
            "channel": "tmall", "external_id": external_id, "ordered_at": "2026-11-24T10:15:00+08:00",
            "customer": {"name": "张三", "phone": "13812341234"},
            "shipping_address": {"recipient": "张三", "phone": "13812341234", "province": "浙江省",
                                 "city": "杭州市", "district": "西湖区", "detail": "文三路100号"},
            "lines": [{"sku": "SKU-001", "quantity": 1, "unit_price": "79.00", "discount": "0.00"}],
            "shipping_fee": "0.00",
            "payment": {"method": "alipay", "paid_amount": "79.00", "transaction_id": f"T{external_id}"},
        }
        status, body = request("POST", f"{url}/api/v1/orders", token=token, body=order)
        if status != 201:
            fail(f"POST /api/v1/orders answered {status}: {body[:500]!r}", log)
        number = json.loads(body)["number"]
        print(f"smoke: order {number} created")

        def followed_up() -> bool:
            code, raw = request("GET", f"{url}/api/v1/orders/{number}", token=token)
            if code != 200:
                return False
            data = json.loads(raw)
            invoice = request("GET", f"{url}/api/v1/orders/{number}/documents/invoice.pdf", token=token)[0]
            return data.get("status") == "awaiting_shipment" and bool(data.get("shipments")) and invoice == 200

        wait_until(f"order {number} to await shipment with its shipment and invoice", followed_up, seconds=60,
                   log=log)
        print(f"smoke: order {number} awaits shipment, shipment planned, invoice issued")

        # A job through the Redis broker, run by the cluster serve.sh started.
        out = manage(env, "shell", "-c", "from django_q.tasks import async_task, result; "
                     "t = async_task('math.floor', 2.5); print('RESULT', result(t, wait=60000))")
        if "RESULT 2" not in out:
            fail(f"the django-q2 cluster did not run a job through Redis: {out!r}", log)
        print("smoke: the django-q2 cluster ran a job through Redis")
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        if server is not None:
            leftover = subprocess.run(["pgrep", "-g", str(server.pid)], capture_output=True, text=True).stdout.split()
            if leftover:
                for pid in leftover:
                    os.kill(int(pid), signal.SIGKILL)
                fail(f"processes left running after serve.sh stopped: {leftover}", log)
        admin_sql(base_url, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        forget_queued_jobs(redis_url)
    log.unlink(missing_ok=True)
    print("smoke: production serving OK (gunicorn + django-q2 on Redis + PostgreSQL), nothing left running")


if __name__ == "__main__":
    main()
