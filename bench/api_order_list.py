"""Benchmark: `GET /api/v1/orders` against 100k orders.

    /work/main/.venv/bin/python bench/api_order_list.py [--orders 100000] [--runs 30]

Fills a separate database (SQLite `var/bench_api.sqlite3` unless DATABASE_URL is set) with orders
written by bulk inserts (benchmark data, not the services: 100k orders through the review pipeline
would take most of an hour), then times the list endpoint in-process through the whole Django
stack (middleware, token authentication, filters, keyset pagination, serialization): the first
page, a page deep into the walk, and filtered pages. Prints the median and 95th percentile
latency and the queries per request. Running it again reuses the filled database. Connections
persist (DB_CONN_MAX_AGE=60 unless set), as in a deployment.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
(ROOT / "var").mkdir(exist_ok=True)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench_api.sqlite3'}")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
# Persistent connections, as a deployment would run; with 0, PostgreSQL pays a new connection per request.
os.environ.setdefault("DB_CONN_MAX_AGE", "60")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from catalog.models import Product  # noqa: E402
from oms.api.models import ApiToken  # noqa: E402
from oms.api.services import api_token_create  # noqa: E402
from orders.models import Channel, Customer, Order, OrderLine, OrderStatus, PaymentStatus  # noqa: E402

BATCH = 5000


def fill(target: int) -> None:
    have = Order.objects.count()
    if have >= target:
        print(f"database has {have:,} orders already")
        return
    rng = random.Random(2026)
    products = list(Product.objects.all()[:50])
    if len(products) < 50:
        Product.objects.bulk_create([Product(sku=f"BENCH-{n:03d}", name=f"压测商品{n}",
                                             price=Decimal(rng.randint(10, 999))) for n in range(50)],
                                    ignore_conflicts=True)
        products = list(Product.objects.filter(sku__startswith="BENCH-"))
    customers = list(Customer.objects.all()[:2000])
    if len(customers) < 2000:
        Customer.objects.bulk_create([Customer(name=f"客户{n}", phone=f"139{n:08d}", email=f"c{n}@example.com")
                                      for n in range(2000)])
        customers = list(Customer.objects.all()[:2000])
    channels = list(Channel.objects.all())
    statuses = list(OrderStatus.values)
    now = timezone.now()
    started = time.perf_counter()
    n = have
    while n < target:
        size = min(BATCH, target - n)
        orders = []
        for i in range(n, n + size):
            created = now - timedelta(minutes=(target - i))
            total = Decimal(rng.randint(20, 5000))
            orders.append(Order(
                number=f"SOBENCH{i:09d}", channel=rng.choice(channels), external_id=f"BENCH-{i:09d}",
                customer=rng.choice(customers), recipient="张三", phone="13812341234", province="浙江省",
                city="杭州市", district="西湖区", address_detail=f"文三路{i % 500}号", status=rng.choice(statuses),
                payment_status=PaymentStatus.UNPAID, subtotal=total, total=total, ordered_at=created,
                created_at=created,
            ))
        with transaction.atomic():
            Order.objects.bulk_create(orders)
            saved = Order.objects.filter(number__in=[o.number for o in orders]).values_list("pk", flat=True)
            lines = []
            for pk in saved:
                for product in rng.sample(products, rng.randint(1, 3)):
                    lines.append(OrderLine(order_id=pk, product=product, sku=product.sku, name=product.name,
                                           quantity=1, unit_price=product.price, amount=product.price))
            OrderLine.objects.bulk_create(lines)
        n += size
        print(f"  {n:,} orders …", end="\r", flush=True)
    print(f"filled {target - have:,} orders in {time.perf_counter() - started:.0f} s" + " " * 10)


def measure(client: Client, url: str, runs: int) -> tuple[float, float, float, int, int]:
    client.get(url)  # warm caches and last_used_at
    timings, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, response.content[:300]
    with CaptureQueriesContext(connection) as queries:
        rows = len(client.get(url).json()["results"])
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1], statistics.median(cpu), len(queries), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    fill(args.orders)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh planner statistics, as autovacuum keeps them in a deployment
    ApiToken.objects.filter(name="bench").delete()
    _token, raw = api_token_create(name="bench", actor=None)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    deep = client.get("/api/v1/orders")
    for _ in range(200):  # 20,000 orders into the walk
        deep = client.get(deep.json()["next"])
    cases = [
        ("first page (100 orders)", "/api/v1/orders"),
        ("page 201 (cursor 20,000 deep)", deep.request["PATH_INFO"] + "?" + deep.request["QUERY_STRING"]),
        ("status=on_hold", "/api/v1/orders?status=on_hold"),
        ("channel=jd&status=shipped", "/api/v1/orders?channel=jd&status=shipped"),
        ("updated_since (all match)", "/api/v1/orders?updated_since=2000-01-01T00:00:00%2B08:00"),
    ]
    print(f"\n{connection.vendor}, {Order.objects.count():,} orders, "
          f"{OrderLine.objects.count():,} lines, {args.runs} runs each")
    # CPU ms: this process's CPU time per request (with SQLite, the database's too): less disturbed
    # by neighbours on a shared machine than the wall clock.
    print(f"{'case':34} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>7} {'queries':>8} {'rows':>5}")
    for label, url in cases:
        median, p95, cpu, queries, rows = measure(client, url, args.runs)
        print(f"{label:34} {median:10.1f} {p95:8.1f} {cpu:7.1f} {queries:8d} {rows:5d}")
    ApiToken.objects.filter(name="bench").delete()


if __name__ == "__main__":
    main()
