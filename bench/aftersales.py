"""After-sales: the return cycle step by step, and the workbench queue with many open requests.

1. Return cycle: N delivered orders are built through the real services (not timed), then each
   request goes create → approve → receive → inspect → refund (the connector pays out inline, as
   the after-commit job would). Prints median / p95 milliseconds and SQL queries per step.
2. Workbench queue: Q open requests inserted in bulk, then the queue page (50 rows), the same page
   filtered by SLA ("due soon or overdue": the SLA depends on each channel's policy, so it is
   computed in Python over the open queue) and a search by order number, through Django's test
   client. Prints median / p95 milliseconds and queries per page.

    /work/main/.venv/bin/python bench/aftersales.py                  # SQLite file in /tmp
    /work/main/.venv/bin/python bench/aftersales.py --orders 300 --queue 20000
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_aftersales_bench \
        /work/main/.venv/bin/python bench/aftersales.py

The database is dropped and created first (PostgreSQL: only if its name contains "bench").
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200, help="return cycles to time")
    parser.add_argument("--queue", type=int, default=20_000, help="open requests for the queue pages")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL",
                                                                 "sqlite:////tmp/oms_aftersales_bench.sqlite3"))
    return parser.parse_args()


def prepare_database(url: str) -> None:
    import dj_database_url

    cfg = dj_database_url.parse(url)
    if cfg["ENGINE"].endswith("sqlite3"):
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{cfg['NAME']}{suffix}").unlink(missing_ok=True)
        return
    if "bench" not in cfg["NAME"]:
        raise SystemExit(f"refusing to drop PostgreSQL database {cfg['NAME']!r}: its name must contain 'bench'")
    import psycopg

    with psycopg.connect(host=cfg["HOST"] or "127.0.0.1", port=cfg["PORT"] or 5432, user=cfg["USER"],
                         dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{cfg["NAME"]}"')
        conn.execute(f'CREATE DATABASE "{cfg["NAME"]}"')


def stats(samples_ms: list[float]) -> tuple[float, float]:
    ordered = sorted(samples_ms)
    p95 = ordered[max(int(len(ordered) * 0.95) - 1, 0)]
    return statistics.median(ordered), p95


def main():
    args = parse_args()
    prepare_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = ["testserver", "localhost"]
    print(f"database: {connection.vendor}, load average at start: {os.getloadavg()[0]:.1f}")
    cycle(args, CaptureQueriesContext, connection)
    queue(args, CaptureQueriesContext, connection)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


def cycle(args, CaptureQueriesContext, connection):  # noqa: N803
    from django.db import reset_queries, transaction

    from aftersales.services import (
        LineInspection,
        ReturnLineInput,
        return_request_approve,
        return_request_create,
        return_request_inspect,
        return_request_receive,
        return_request_refund,
    )
    from aftersales.tests.factories import delivered_order, stocked, warehouse
    from catalog.tests.factories import ProductFactory
    from core.enums import Role
    from core.roles import group_for, sync_roles

    sync_roles()
    from django.contrib.auth import get_user_model

    users = {}
    for name, role in (("as", Role.AFTERSALES), ("wh", Role.WAREHOUSE)):
        users[name] = get_user_model().objects.create_user(username=f"bench-{name}", password="x")
        users[name].groups.add(group_for(role))
    warehouse()
    products = [stocked(ProductFactory(sku=f"BENCH-{i}"), 100_000) for i in range(5)]
    started = time.perf_counter()
    orders = [delivered_order(lines=[(products[n % 5], 2, "99.00"), (products[(n + 1) % 5], 1, "49.90")])
              for n in range(args.orders)]
    print(f"\n== return cycle: {args.orders} delivered orders built in {time.perf_counter() - started:.1f} s")

    steps = {name: ([], []) for name in ("create", "approve", "receive", "inspect", "refund")}

    def timed(name, fn):
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            t0 = time.perf_counter()
            with transaction.atomic():  # the view's request; on_commit callbacks (payout) run at its end
                result = fn()
            steps[name][0].append((time.perf_counter() - t0) * 1000)
        steps[name][1].append(len(queries))
        return result

    total0 = time.perf_counter()
    for order in orders:
        line = order.lines.order_by("pk").first()
        rma = timed("create", partial(return_request_create, order=order, kind="return", reason="quality",
                                      lines=[ReturnLineInput(sku=line.sku, quantity=2)], actor=users["as"]))
        rma = timed("approve", partial(return_request_approve, request=rma, actor=users["as"], comment="同意"))
        counted = {rma.lines.get().pk: 2}
        rma = timed("receive", partial(return_request_receive, request=rma, counts=counted, warehouse="SH01",
                                       actor=users["wh"]))
        results = {pk: LineInspection(passed=1, damaged=1, note="划痕") for pk in counted}
        rma = timed("inspect", partial(return_request_inspect, request=rma, actor=users["wh"], results=results))
        timed("refund", partial(return_request_refund, request=rma, actor=users["as"], comment="退款"))
    total = time.perf_counter() - total0
    print(f"{'step':<10}{'median ms':>12}{'p95 ms':>10}{'queries':>10}")
    for name, (times, queries) in steps.items():
        median, p95 = stats(times)
        print(f"{name:<10}{median:>12.1f}{p95:>10.1f}{statistics.median(queries):>10.0f}")
    print(f"whole cycle: {args.orders / total:.1f} returns/s ({total * 1000 / args.orders:.0f} ms each)")
    from finance.invariants import ledger_problems
    from inventory.selectors import stock_drift

    print(f"checks after the run: stock drift {len(stock_drift())}, ledger problems {len(ledger_problems())}")


def queue(args, CaptureQueriesContext, connection):  # noqa: N803
    from django.contrib.auth import get_user_model
    from django.db import reset_queries
    from django.test import Client
    from django.utils import timezone

    from aftersales.models import ReturnLine, ReturnReason, ReturnRequest
    from core.enums import Role
    from core.roles import group_for
    from orders.models import Order

    orders = list(Order.objects.filter(status="completed").prefetch_related("lines")[:200])
    reason = ReturnReason.objects.get(code="no_reason")
    now = timezone.now()
    started = time.perf_counter()
    batch, lines = [], []
    for n in range(args.queue):
        order = orders[n % len(orders)]
        batch.append(ReturnRequest(
            number=f"RMAB{n:012d}", order=order, kind="return", reason=reason, status="requested" if n % 3 else
            "received", actor_name="bench", created_at=now - timedelta(minutes=n), status_changed_at=now -
            timedelta(minutes=n % 3000)))
    ReturnRequest.objects.bulk_create(batch, batch_size=2000)
    for rma in ReturnRequest.objects.filter(number__startswith="RMAB").only("pk", "order_id"):
        order = next(o for o in orders if o.pk == rma.order_id)
        lines.append(ReturnLine(request_id=rma.pk, order_line=order.lines.all()[0], quantity=1))
    ReturnLine.objects.bulk_create(lines, batch_size=2000)
    print(f"\n== workbench queue: {args.queue} open requests inserted in {time.perf_counter() - started:.1f} s")
    user = get_user_model().objects.create_user(username="bench-queue", password="x")
    user.groups.add(group_for(Role.AFTERSALES))
    client = Client()
    client.force_login(user)
    pages = {
        "queue, first page (50)": "/aftersales/",
        "queue, page 100 (50)": "/aftersales/?page=100",
        "queue, status=received (50)": "/aftersales/?status=received",
        "queue, SLA due soon or overdue (50)": "/aftersales/?sla=due_soon",
        f"search by order number ({args.queue // len(orders)} rows)": f"/aftersales/?search={orders[0].number}",
        "receiving search by RMA (redirect)": "/aftersales/receiving/?q=RMAB000000000007",
    }
    print(f"{'page':<44}{'median ms':>12}{'p95 ms':>10}{'queries':>10}")
    for name, url in pages.items():
        for _ in range(2):
            client.get(url)
        times = []
        for _ in range(args.requests):
            reset_queries()
            with CaptureQueriesContext(connection) as queries:
                t0 = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code in (200, 302), (url, response.status_code)
        median, p95 = stats(times)
        print(f"{name:<44}{median:>12.1f}{p95:>10.1f}{len(queries):>10}")


if __name__ == "__main__":
    main()
