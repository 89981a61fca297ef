"""Order intake through the real server: gunicorn + a django-q2 cluster on PostgreSQL and Redis.

    .venv/bin/python bench/intake.py                       # 8 clients, 20 s per run
    .venv/bin/python bench/intake.py --clients 8 --seconds 30 --database-url postgres://postgres@127.0.0.1:5432/h15 \\
        --redis-url redis://127.0.0.1:6379/6 --port 8150

Creates a scratch database next to the one `--database-url` names (dropped at the end), seeds a
warehouse with ample stock of 40 products and an API token, then in the same run:

1. **bare**: gunicorn (same workers) serving one plain DRF view that stores an order with its lines
   after an idempotency check (`bench/intake_bare_urls.py`), with N client threads posting for a
   fixed time — the reference for this machine at this moment;
   **bare, same job**: right after, on the same gunicorn, a second plain view
   (`api/v1/orders/same-job`) that does the minimum of OMS's job with plain ORM calls, all in the
   request, in one transaction: customer by phone, order and lines, the payment with its journal
   entry, the payment check (a wrong amount goes on hold, nothing reserved), the FIFO stock
   reservation (levels, reservations, stock ledger, lines' reserved units), one timeline event, and
   for a released order its shipment (and its invoice when paid) — the same rows in the same
   tables, without OMS's review-rules engine, automation, hooks, per-step timeline, audit history
   beyond the models' own, follow-up job, or gapless order/shipment/voucher numbers (uuid-based;
   its module docstring lists the differences). Its own warm-up, the same clients and time, its
   own CPU per order;
2. the SQL queries of one `POST /api/v1/orders` (3 lines, prepaid), counted in this process;
3. **OMS**: `gunicorn oms.wsgi` (oms/gunicorn.conf.py, 2 workers) and `manage.py qcluster` on Redis,
   N client threads posting realistic orders for the same time: 80 % prepaid, 10 % cash on delivery,
   10 % paid a wrong amount (they go on hold). Distinct customers, 3 lines from 40 SKUs.

4. **open loop** (`--rate`, default 10 orders/s), against both servers (the first bare view and
   OMS): an order arrives every 1/rate s whatever the server does, and latency counts from its
   arrival — the latency channels see at that rate (a closed loop of N clients measures
   N / throughput, not latency).

It prints orders/s of 201s, latency p50/p95/p99, errors, the ratio to the bare run and to the bare
same-job run, the CPU each role used per order in the closed-loop runs (web workers, job cluster,
PostgreSQL, Redis, this load generator: on a saturated machine the ratio is the ratio of these
totals), lost or duplicated orders (every 201 must be in the database once, nothing else may be),
the books and stock invariants (over the whole database, the bare orders included), and how far
the after-commit follow-ups (invoice, shipments) lagged behind the orders. Everything it starts is
stopped at the end (process groups), its Redis keys deleted.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SKUS = [f"BENCH-{i:03d}" for i in range(40)]
PROVINCES = [("浙江省", "杭州市", "西湖区"), ("上海市", "上海市", "浦东新区"), ("广东省", "广州市", "天河区"),
             ("江苏省", "南京市", "鼓楼区"), ("北京市", "北京市", "朝阳区")]


# -- set-up ----------------------------------------------------------------------------------------


def admin_sql(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(statement)


def scratch(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = f"{parts.path.strip('/') or 'oms'}_intake_bench"
    return urlunsplit(parts._replace(path=f"/{name}")), name


def environment(args, db_url: str) -> dict:
    return {
        **os.environ, "DATABASE_URL": db_url, "REDIS_URL": args.redis_url, "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-" + secrets.token_urlsafe(40), "OMS_WEBHOOK_SECRET": secrets.token_urlsafe(32),
        "OMS_FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "OMS_BLIND_INDEX_KEY": secrets.token_urlsafe(32),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver", "DJANGO_SECURE_SSL_REDIRECT": "0",
        "WEB_CONCURRENCY": str(args.workers), "OMS_Q_WORKERS": str(args.q_workers), "OMS_ACCESS_LOG": "/dev/null",
        "OMS_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
    }


def seed() -> str:
    """Warehouse, products with ample stock, a token; returns the raw token (Django set up here)."""
    from catalog.models import Product
    from core.actors import SystemActor
    from inventory.models import Warehouse
    from inventory.services import ReceiptLine, stock_receive
    from oms.api.services import api_token_create

    actor = SystemActor("bench")
    warehouse = Warehouse.objects.create(code="SH01", name="上海仓", province="上海市", city="上海市",
                                         address="浦东新区川沙路5558号")
    for i, sku in enumerate(SKUS):
        Product.objects.create(sku=sku, name=f"基准商品{i:03d}", price=Decimal(59 + i * 10))
    stock_receive(warehouse=warehouse, lines=[ReceiptLine(sku=sku, quantity=1_000_000) for sku in SKUS], actor=actor)
    return api_token_create(name="bench", actor=None)[1]


# -- load ------------------------------------------------------------------------------------------


PRICES = {sku: Decimal(59 + i * 10) for i, sku in enumerate(SKUS)}


def payload(run: str, n: int, rng: random.Random) -> tuple[str, dict]:
    kind = rng.choices(["prepaid", "cod", "hold"], weights=[80, 10, 10])[0]
    province, city, district = rng.choice(PROVINCES)
    phone = f"13{rng.randrange(10**9):09d}"
    lines = [{"sku": sku, "quantity": rng.randint(1, 3), "unit_price": f"{PRICES[sku]:.2f}", "discount": "0.00"}
             for sku in rng.sample(SKUS, 3)]
    total = sum(PRICES[line["sku"]] * line["quantity"] for line in lines) + 10
    body = {
        "channel": "tmall", "external_id": f"{run}-{n:08d}", "ordered_at": "2026-11-24T10:15:00+08:00",
        "customer": {"name": f"客户{phone[-4:]}", "phone": phone, "email": f"c{phone}@example.com"},
        "shipping_address": {"recipient": f"客户{phone[-4:]}", "phone": phone, "province": province, "city": city,
                             "district": district, "detail": f"文三路{rng.randint(1, 999)}号{rng.randint(1, 30)}室",
                             "postal_code": "310000"},
        "lines": lines, "shipping_fee": "10.00", "note": "请尽快发货",
    }
    if kind == "prepaid":
        body["payment"] = {"method": "alipay", "paid_amount": f"{total:.2f}", "transaction_id": f"T{run}{n:08d}"}
    elif kind == "cod":
        body["payment"] = {"method": "cod", "paid_amount": "0.00", "transaction_id": ""}
    else:  # the channel reports a different amount: payment_mismatch, on hold
        body["payment"] = {"method": "alipay", "paid_amount": f"{total - 1:.2f}", "transaction_id": f"T{run}{n:08d}"}
    return kind, body


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    created: dict[str, str] = field(default_factory=dict)  # external_id → order number (201)
    kinds: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def failed(self, key: str, detail: bytes = b"") -> None:
        with self.lock:
            self.errors[key] = self.errors.get(key, 0) + 1
            if detail and self.errors[key] <= 3:
                print(f"  {key}: {detail[:300]!r}", file=sys.stderr)

    def answered(self, *, kind: str, body: dict, status: int, raw: bytes, elapsed: float) -> None:
        if status != 201:
            self.failed(f"HTTP {status}", raw)
            return
        answer = json.loads(raw)
        with self.lock:
            self.latencies.append(elapsed)
            self.created[body["external_id"]] = answer["number"]
            self.kinds[kind] = self.kinds.get(kind, 0) + 1
            self.statuses[answer["status"]] = self.statuses.get(answer["status"], 0) + 1


ORDERS_PATH = "/api/v1/orders"
SAME_JOB_PATH = "/api/v1/orders/same-job"  # the bare server's second reference


def post(port: int, token: str, body: dict, path: str = ORDERS_PATH) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", path, body=json.dumps(body).encode(),
                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def submit(*, port: int, token: str, results: Results, kind: str, body: dict, since: float,
           path: str = ORDERS_PATH) -> None:
    """Post one order and record the answer, its latency counted from `since` (time.monotonic)."""
    try:
        status, raw = post(port, token, body, path)
    except OSError as exc:
        results.failed(type(exc).__name__)
        return
    results.answered(kind=kind, body=body, status=status, raw=raw, elapsed=time.monotonic() - since)


def load(*, port: int, token: str, clients: int, seconds: float, run: str,
         path: str = ORDERS_PATH) -> tuple[Results, float]:
    results = Results()
    counter = iter(range(10**9))
    counter_lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(index: int) -> None:
        rng = random.Random(f"{run}-{index}")
        while time.monotonic() < stop_at:
            with counter_lock:
                n = next(counter)
            kind, body = payload(run, n, rng)
            submit(port=port, token=token, results=results, kind=kind, body=body, since=time.monotonic(),
                   path=path)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.monotonic() - started


def load_at_rate(*, port: int, token: str, rate: float, seconds: float, run: str) -> tuple[Results, float]:
    """Open loop: an order arrives every 1/rate s whether or not the earlier ones were answered, as
    channels send them. Latency counts from the arrival, so time queued behind a slow server counts
    (a closed loop of N clients only measures N / throughput)."""
    from concurrent.futures import ThreadPoolExecutor

    results = Results()
    rng = random.Random(f"{run}-rate")
    started = time.monotonic()

    with ThreadPoolExecutor(max_workers=64) as pool:
        for n in range(int(rate * seconds)):
            due = started + n / rate
            time.sleep(max(0.0, due - time.monotonic()))
            kind, body = payload(run, n, rng)
            pool.submit(submit, port=port, token=token, results=results, kind=kind, body=body, since=due)
    return results, time.monotonic() - started


def cpu_seconds_by_role(servers: Servers) -> dict[str, float]:
    """CPU seconds (user + system) used so far by each role, read from /proc (Linux): the web
    workers and the job cluster (the process groups started here), PostgreSQL's and Redis's server
    processes, and this process (the load generator). Empty where /proc is not there."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    groups = {p.pid: getattr(p, "_bench_role", "other") for p in servers.procs}
    used: dict[str, float] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        # utime + stime, and cutime + cstime: a worker recycled meanwhile (django-q2 restarts one
        # after some tasks, PostgreSQL a backend whose connection closed) moves its time to the
        # parent that reaped it, so the sum over the role stays whole.
        pgid, cpu = int(fields[2]), sum(int(x) for x in fields[11:15]) / tick
        if int(entry.name) == os.getpid():
            role = "load generator"
        elif pgid in groups:
            role = groups[pgid]
        elif comm.startswith("postgres"):
            role = "PostgreSQL"
        elif comm.startswith("redis"):
            role = "Redis"
        else:
            continue
        used[role] = used.get(role, 0.0) + cpu
    return used


def cpu_per_order(before: dict[str, float], after: dict[str, float], orders: int) -> str:
    """"web 21.0, jobs 9.1, …" in CPU milliseconds per order between two readings."""
    if not orders or not after:
        return "no reading"
    parts = [(role, (after[role] - before.get(role, 0.0)) * 1000 / orders) for role in after]
    total = sum(ms for _, ms in parts)
    return ", ".join(f"{role} {ms:.1f}" for role, ms in sorted(parts, key=lambda x: -x[1])) + f"; all {total:.1f}"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def report(name: str, results: Results, elapsed: float) -> float:
    rate = len(results.latencies) / elapsed
    lat = [x * 1000 for x in results.latencies]
    errors = sum(results.errors.values())
    print(f"{name:5s}: {len(results.latencies)} orders (201) in {elapsed:.1f} s = {rate:.1f} orders/s; "
          f"p50 {percentile(lat, .5):.0f} ms, p95 {percentile(lat, .95):.0f} ms, p99 {percentile(lat, .99):.0f} ms; "
          f"errors {errors} {results.errors or ''}")
    return rate


# -- servers ---------------------------------------------------------------------------------------


class Servers:
    """Processes started here, each in a process group of its own, all stopped by `stop()`."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []

    def start(self, args: list[str], env: dict, log: Path, *, role: str = "other") -> subprocess.Popen:
        out = open(log, "ab")  # noqa: SIM115 — closed with the process
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        proc._bench_log, proc._bench_role = out, role
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen | None = None, *, grace: float = 15) -> None:
        for p in [proc] if proc else list(self.procs):
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                    p.wait(timeout=grace)
                except (subprocess.TimeoutExpired, ProcessLookupError):
                    try:
                        os.killpg(p.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    p.wait()
            # Anything left in its group (a django-q2 worker that outlived its cluster) goes too.
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p._bench_log.close()
            if p in self.procs:
                self.procs.remove(p)


def wait_listening(port: int, path: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"nothing answered on port {port} after {seconds:.0f} s")


def gunicorn(servers: Servers, env: dict, *, port: int, settings: str, log: Path) -> subprocess.Popen:
    env = {**env, "DJANGO_SETTINGS_MODULE": settings, "OMS_BIND": f"127.0.0.1:{port}"}
    return servers.start([PY, "-m", "gunicorn", "-c", "oms/gunicorn.conf.py", "oms.wsgi:application"], env, log,
                         role="web")


# -- measurements in this process ------------------------------------------------------------------


def queries_per_order(token: str) -> dict[str, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    rng = random.Random("queries")
    counts = {}
    for n, kind in enumerate(["warm-up", "prepaid", "prepaid-2", "cod", "hold"]):
        while True:
            wanted = kind.split("-")[0] if kind != "warm-up" else "prepaid"
            got, body = payload("Q", n * 100 + rng.randrange(100), rng)
            if got == wanted:
                break
        with CaptureQueriesContext(connection) as captured:
            response = client.post("/api/v1/orders", data=json.dumps(body), content_type="application/json")
        assert response.status_code == 201, response.content[:300]
        counts[kind] = len(captured.captured_queries)
    return counts


def follow_up_lag(numbers: list[str]) -> dict:
    from django.db.models import Count

    from oms.workflow.models import FollowUp

    rows = list(FollowUp.objects.filter(order__number__in=numbers).values_list("created_at", "done_at", "status"))
    lags = [(done - created).total_seconds() for created, done, status in rows if done is not None]
    by_status = dict(FollowUp.objects.filter(order__number__in=numbers).values_list("status")
                     .annotate(n=Count("id")).values_list("status", "n"))
    return {"follow_ups": len(rows), "by_status": by_status, "p50": percentile(lags, .5), "p95": percentile(lags, .95),
            "max": max(lags) if lags else float("nan")}


def pending_follow_ups() -> int:
    from oms.workflow.models import FollowUp

    return FollowUp.objects.filter(status=FollowUp.Status.PENDING).count()


def check_orders(results: Results, run: str) -> tuple[int, int, int]:
    """(lost, duplicated, unacknowledged) orders of a run."""
    from django.db.models import Count

    from orders.models import Order

    stored = list(Order.objects.filter(external_id__startswith=f"{run}-").values_list("external_id", "number"))
    by_external = {}
    for external_id, number in stored:
        by_external.setdefault(external_id, []).append(number)
    lost = sum(1 for ext, number in results.created.items() if number not in by_external.get(ext, []))
    duplicated = sum(len(v) - 1 for v in by_external.values() if len(v) > 1)
    duplicated += (Order.objects.filter(external_id__startswith=f"{run}-").values("channel_id", "external_id")
                   .annotate(n=Count("id")).filter(n__gt=1).count())
    unacknowledged = sum(1 for ext in by_external if ext not in results.created)  # e.g. a client timeout
    return lost, duplicated, unacknowledged


def forget_redis_keys(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    for pattern in ("django_q:oms:*", "oms:*"):  # queued jobs, and the cache (review rules)
        for key in client.scan_iter(pattern):
            client.delete(key)


# -- main ------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (both runs)")
    parser.add_argument("--q-workers", type=int, default=1, help="django-q2 workers")
    parser.add_argument("--port", type=int, default=8150, help="OMS; the bare server uses port + 1")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL",
                                                                 "postgres://postgres@127.0.0.1:5432/h15"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6"))
    parser.add_argument("--rate", type=float, default=10,
                        help="orders/s of the open-loop runs (latency at a fixed arrival rate); 0 skips them")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    db_url, db_name = scratch(args.database_url)
    env = environment(args, db_url)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG", "DJANGO_SECRET_KEY",
                                           "OMS_WEBHOOK_SECRET", "DJANGO_ALLOWED_HOSTS", "DJANGO_SECURE_SSL_REDIRECT",
                                           "OMS_FIELD_ENCRYPTION_KEYS", "OMS_BLIND_INDEX_KEY",
                                           "OMS_Q_WORKERS")})
    os.environ["DJANGO_SETTINGS_MODULE"] = "oms.settings"
    sys.path.insert(0, str(ROOT))
    admin_sql(args.database_url, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
    admin_sql(args.database_url, f'CREATE DATABASE "{db_name}"')
    log = Path(f"/tmp/oms-bench-intake-{os.getpid()}.log")
    servers = Servers()
    try:
        print(f"scratch database {db_name}; Redis {args.redis_url}; logs in {log}")
        subprocess.run([PY, "manage.py", "migrate", "--noinput", "--verbosity", "0"], cwd=ROOT, env=env, check=True)
        forget_redis_keys(args.redis_url)
        import django

        django.setup()
        token = seed()
        print(f"{args.clients} clients, {args.seconds:.0f} s per run, gunicorn {args.workers} sync workers, "
              f"django-q2 {args.q_workers} worker(s); {os.cpu_count()} CPUs, load average "
              f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")

        # 1. the bare reference
        bare = gunicorn(servers, env, port=args.port + 1, settings="bench.intake_bare_settings", log=log)
        wait_listening(args.port + 1, "/api/v1/orders")
        load(port=args.port + 1, token=token, clients=args.clients, seconds=2, run="BW")  # warm-up
        cpu_before = cpu_seconds_by_role(servers)
        bare_results, bare_elapsed = load(port=args.port + 1, token=token, clients=args.clients,
                                          seconds=args.seconds, run="BARE")
        bare_cpu = cpu_per_order(cpu_before, cpu_seconds_by_role(servers), len(bare_results.latencies))
        # 1b. bare, same job: the same server, the second view
        load(port=args.port + 1, token=token, clients=args.clients, seconds=2, run="SJW", path=SAME_JOB_PATH)
        cpu_before = cpu_seconds_by_role(servers)
        same_results, same_elapsed = load(port=args.port + 1, token=token, clients=args.clients,
                                          seconds=args.seconds, run="BSJ", path=SAME_JOB_PATH)
        same_cpu = cpu_per_order(cpu_before, cpu_seconds_by_role(servers), len(same_results.latencies))
        if args.rate:
            bare_open, bare_open_elapsed = load_at_rate(port=args.port + 1, token=token, rate=args.rate,
                                                        seconds=args.seconds, run="BAREO")
        servers.stop(bare)
        bare_rate = report("bare", bare_results, bare_elapsed)
        same_rate = report("bare, same job ", same_results, same_elapsed)

        # 2. queries of one order, in this process (its follow-up jobs run when the cluster starts)
        counts = queries_per_order(token)
        print("queries per POST /api/v1/orders (3 lines): " + ", ".join(f"{k} {v}" for k, v in counts.items()))

        # 3. OMS: the cluster and gunicorn
        servers.start([PY, "manage.py", "qcluster"], env, log, role="jobs")
        oms = gunicorn(servers, env, port=args.port, settings="oms.settings", log=log)
        wait_listening(args.port, "/healthz")
        load(port=args.port, token=token, clients=args.clients, seconds=2, run="OW")  # warm-up
        cpu_before = cpu_seconds_by_role(servers)
        oms_results, oms_elapsed = load(port=args.port, token=token, clients=args.clients, seconds=args.seconds,
                                        run="OMS")
        oms_cpu = cpu_per_order(cpu_before, cpu_seconds_by_role(servers), len(oms_results.latencies))
        if args.rate:
            oms_open, oms_open_elapsed = load_at_rate(port=args.port, token=token, rate=args.rate,
                                                      seconds=args.seconds, run="OMSO")
        servers.stop(oms)
        pending_at_end = pending_follow_ups()
        drain_started = time.monotonic()
        while pending_follow_ups() and time.monotonic() - drain_started < 120:
            time.sleep(0.5)
        drained = time.monotonic() - drain_started
        servers.stop()
        oms_rate = report("OMS", oms_results, oms_elapsed)
        print(f"ratio OMS / bare: {oms_rate / bare_rate:.2f}×")
        print(f"ratio OMS / bare, same job: {oms_rate / same_rate:.2f}×" if same_rate else
              "ratio OMS / bare, same job: no orders")
        print(f"CPU ms per order during the {args.clients}-client runs:")
        print(f"  bare: {bare_cpu}")
        print(f"  bare, same job: {same_cpu}")
        print(f"  OMS:  {oms_cpu}")
        print(f"OMS mix of 201s: {oms_results.kinds}; states: {oms_results.statuses}")
        if args.rate:
            print(f"open loop, an order every {1000 / args.rate:.0f} ms ({args.rate:g} orders/s), "
                  "latency from arrival:")
            report("bare", bare_open, bare_open_elapsed)
            report("OMS", oms_open, oms_open_elapsed)

        lost, duplicated, unacknowledged = check_orders(oms_results, "OMS")
        if args.rate:
            more = check_orders(oms_open, "OMSO")
            lost, duplicated, unacknowledged = lost + more[0], duplicated + more[1], unacknowledged + more[2]
        print(f"lost orders {lost}, duplicated {duplicated}, stored but not acknowledged {unacknowledged}")
        created = list(oms_results.created.values()) + (list(oms_open.created.values()) if args.rate else [])
        lag = follow_up_lag(created)
        print(f"follow-ups: {lag['follow_ups']} ({lag['by_status']}); done after commit p50 {lag['p50']:.2f} s, "
              f"p95 {lag['p95']:.2f} s, max {lag['max']:.2f} s; {pending_at_end} pending when the load stopped, "
              f"all done {drained:.1f} s later")
        from finance.invariants import ledger_problems
        from inventory.selectors import stock_drift

        problems, drift = ledger_problems(), stock_drift()
        print(f"ledger problems {len(problems)}, stock drift {len(drift)}")
        for line in [*problems[:5], *map(str, drift[:5])]:
            print("  ", line)
    finally:
        servers.stop()
        from django.db import connections

        connections.close_all()
        forget_redis_keys(args.redis_url)
        if not args.keep:
            admin_sql(args.database_url, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
