"""List-page latency at 100k orders: order admin changelist, admin searches, review workbench queue.

Fills a throwaway database with `bulk_create` (not the services: minutes instead of hours), then
times each page with Django's test client and prints the median and p95 over N requests plus the
number of SQL queries per page.

    /work/main/.venv/bin/python bench/list_pages.py                        # SQLite file in /tmp
    /work/main/.venv/bin/python bench/list_pages.py --orders 100000 --requests 30
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_bench /work/main/.venv/bin/python bench/list_pages.py

The database is dropped and re-created first (PostgreSQL: only if its name contains "bench", so a
real database can never be wiped by accident); `--reuse` keeps an already-filled one.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import warnings
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL",
                                                                 "sqlite:////tmp/oms_bench.sqlite3"))
    parser.add_argument("--reuse", action="store_true", help="keep an existing filled database")
    return parser.parse_args()


def prepare_database(url: str, reuse: bool) -> None:
    import dj_database_url

    cfg = dj_database_url.parse(url)
    if cfg["ENGINE"].endswith("sqlite3"):
        path = Path(cfg["NAME"])
        if not reuse:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    if reuse:
        return
    name = cfg["NAME"]
    if "bench" not in name:
        raise SystemExit(f"refusing to drop PostgreSQL database {name!r}: its name must contain 'bench'")
    import psycopg

    maintenance = psycopg.connect(host=cfg["HOST"] or "127.0.0.1", port=cfg["PORT"] or 5432, user=cfg["USER"],
                                  password=cfg["PASSWORD"] or None, dbname="postgres", autocommit=True)
    with maintenance:
        maintenance.execute(f'DROP DATABASE IF EXISTS "{name}"')
        maintenance.execute(f'CREATE DATABASE "{name}"')


def fill(n_orders: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from catalog.models import Product
    from core.enums import Role
    from core.roles import group_for, sync_roles
    from oms.workflow.checks import HoldCode
    from oms.workflow.services import ensure_review_rules
    from orders.events import EventKind
    from orders.models import Channel, Customer, Order, OrderEvent, OrderLine, OrderStatus, PaymentMethod

    rng = random.Random(2026)
    sync_roles()
    ensure_review_rules()
    User = get_user_model()
    for username, role in (("manager", Role.MANAGER), ("reviewer", Role.REVIEWER)):
        user = User.objects.create_user(username, password="bench-Pass-1", is_staff=True)
        user.groups.add(group_for(role))
    reviewers = list(User.objects.all())

    products = Product.objects.bulk_create(
        Product(sku=f"SKU-{i:04d}", name=f"商品{i}", price=Decimal(rng.randint(20, 2000)), barcode=f"69{i:011d}")
        for i in range(1, 201))
    channels = list(Channel.objects.all())
    n_customers = max(n_orders // 5, 1)
    Customer.objects.bulk_create(
        (Customer(name=f"客户{i}", phone=f"13{i % 10}{i:08d}"[:11]) for i in range(n_customers)), batch_size=5000)
    customers = list(Customer.objects.values_list("pk", "name", "phone"))

    statuses = ([OrderStatus.COMPLETED] * 50 + [OrderStatus.SHIPPED] * 15 + [OrderStatus.AWAITING_SHIPMENT] * 12
                + [OrderStatus.AWAITING_PAYMENT] * 8 + [OrderStatus.CANCELLED] * 8 + [OrderStatus.ON_HOLD] * 5
                + [OrderStatus.PARTIALLY_SHIPPED] * 2)
    reasons = [HoldCode.LARGE_AMOUNT, HoldCode.PAYMENT_MISMATCH, HoldCode.INVALID_ADDRESS,
               HoldCode.DUPLICATE_SUSPECTED]
    now = timezone.now()
    start = now - timedelta(days=180)
    batch = 5000
    made = 0
    started = time.perf_counter()
    while made < n_orders:
        size = min(batch, n_orders - made)
        orders = []
        for i in range(made, made + size):
            created = start + timedelta(seconds=int(180 * 86400 * i / n_orders))
            customer_id, name, phone = customers[rng.randrange(len(customers))]
            status = rng.choice(statuses)
            total = Decimal(rng.randint(50, 5000)) + Decimal("0.00")
            held = [rng.choice(reasons)] if status == OrderStatus.ON_HOLD else []
            if held == [HoldCode.LARGE_AMOUNT]:
                total = Decimal(rng.randint(50_001, 90_000))
            paid = total if status not in (OrderStatus.AWAITING_PAYMENT, OrderStatus.ON_HOLD) else Decimal("0")
            orders.append(Order(
                number=f"SO{created:%Y%m%d}{i:06d}", channel=channels[i % len(channels)], external_id=f"EXT{i:09d}",
                customer_id=customer_id, recipient=name, phone=phone, province="浙江省", city="杭州市",
                district="西湖区", address_detail=f"文三路{i % 999}号", status=status, hold_reasons=held,
                payment_method=PaymentMethod.ALIPAY, payment_status="paid" if paid else "unpaid",
                subtotal=total, total=total, paid_amount=paid, ordered_at=created, created_at=created,
                assigned_to=rng.choice(reviewers) if held and rng.random() < 0.3 else None,
            ))
        with transaction.atomic():
            Order.objects.bulk_create(orders, batch_size=1000)
            saved = list(Order.objects.filter(number__in=[o.number for o in orders]).values_list(
                "pk", "total", "hold_reasons", "created_at"))
            lines, events = [], []
            for pk, total, held, created in saved:
                product = products[pk % len(products)]
                lines.append(OrderLine(order_id=pk, product=product, sku=product.sku, name=product.name, quantity=1,
                                       unit_price=total, amount=total))
                events.append(OrderEvent(order_id=pk, at=created, kind=EventKind.CREATED, actor_name="bench",
                                         message="订单来自渠道 天猫，应付总额 ¥%s。" % total))
                if held:
                    events.append(OrderEvent(order_id=pk, at=created + timedelta(seconds=1), kind=EventKind.HELD,
                                             actor_name="bench", message="已挂起", data={"reasons": [
                                                 {"code": held[0], "message": "bench"}]}))
            OrderLine.objects.bulk_create(lines, batch_size=2000)
            OrderEvent.objects.bulk_create(events, batch_size=2000)
        made += size
        print(f"  {made:>7} orders  ({time.perf_counter() - started:.0f} s)", flush=True)


def measure(n_requests: int) -> list[tuple[str, float, float, float, int, int]]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment, teardown_test_environment

    from orders.models import Order, OrderStatus

    some = Order.objects.order_by("pk")[Order.objects.count() // 2]
    User = get_user_model()
    manager, reviewer = Client(), Client()
    manager.force_login(User.objects.get(username="manager"))
    reviewer.force_login(User.objects.get(username="reviewer"))
    on_hold = Order.objects.filter(status=OrderStatus.ON_HOLD).count()
    print(f"\n{Order.objects.count()} orders, {on_hold} on hold; {n_requests} timed requests per page "
          f"({connection.vendor})\n")
    pages = [
        ("admin order list", manager, "/admin/orders/order/"),
        ("admin list, status filter", manager, "/admin/orders/order/?status__exact=awaiting_shipment"),
        ("admin search: order number", manager, f"/admin/orders/order/?q={some.number}"),
        ("admin search: external id", manager, f"/admin/orders/order/?q={some.external_id}"),
        ("admin search: phone", manager, f"/admin/orders/order/?q={some.phone}"),
        ("workbench queue", reviewer, "/workflow/review/"),
        ("workbench queue, 100/page", reviewer, "/workflow/review/?per_page=100"),
        ("workbench: reason + amount sort", reviewer, "/workflow/review/?reason=large_amount&sort=amount_desc"),
        ("admin timeline list", manager, "/admin/orders/orderevent/"),
    ]
    results = []
    for name, client, url in pages:
        for _ in range(2):  # warm caches
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        setup_test_environment()  # fills response.context, to count rows; off again while timing
        try:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            query_count = len(queries)  # now: the next request resets the query log
            context = response.context
            rows = len(context["cl"].result_list) if "cl" in context else len(context["page"])
        finally:
            teardown_test_environment()
        timings, cpu = [], []
        for _ in range(n_requests):
            started, started_cpu = time.perf_counter(), time.process_time()
            client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        timings.sort()
        p95 = timings[min(len(timings) - 1, int(round(0.95 * (len(timings) - 1))))]
        results.append((name, statistics.median(timings), p95, statistics.median(cpu), query_count, rows))
    return results


def main() -> None:
    warnings.filterwarnings("ignore", message="No directory at")
    args = parse_args()
    prepare_database(args.database_url, args.reuse)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.DEBUG = False  # no per-query logging while timing
    call_command("migrate", verbosity=0)
    from orders.models import Order

    if not Order.objects.exists():
        print(f"filling {args.orders} orders …")
        fill(args.orders)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # table statistics, as autovacuum would gather after a bulk load
    results = measure(args.requests)
    # CPU ms: this process's CPU time per request (SQLite runs in-process), which neighbours on a
    # shared machine disturb far less than the wall clock.
    print(f"{'page':<34} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>7} {'queries':>8} {'rows':>5}")
    for name, median, p95, cpu, queries, rows in results:
        print(f"{name:<34} {median:>10.1f} {p95:>8.1f} {cpu:>7.1f} {queries:>8} {rows:>5}")


if __name__ == "__main__":
    main()
