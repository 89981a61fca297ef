"""Reports at scale: 1,000,000 orders in PostgreSQL, the rollup rebuild, and an 8-widget dashboard.

1. Fills a scratch database with bulk SQL (`INSERT … SELECT generate_series`): N orders over the
   last two years across the seeded channels, 31 provinces, 4 warehouses, 200 products and 100k
   customers, one line each; 80 % shipped (a shipment, a revenue journal entry and its recognised
   revenue line); 5 % legacy imports (their shipped ones count without a journal).
2. `rollups_rebuild()` — prints its time and the rollup row counts.
3. An 8-widget dashboard through Django's test client (the whole page: view, queries, template),
   median of R requests, beside a bare reference query on the raw order table (revenue by channel
   this month, `SUM(total) … GROUP BY channel_id`) run in the same process, and their ratio.

    /work/main/.venv/bin/python bench/reports.py                     # 1,000,000 orders
    /work/main/.venv/bin/python bench/reports.py --orders 50000      # quick
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/reports_bench …   (the default)

The database is dropped and created first, and dropped again at the end unless --keep (only a database
whose name contains "bench" is ever dropped). `--reuse` takes the database as it is instead: migrates it,
fills it only if it holds no orders, and keeps it, so a second run skips the ten-minute fill:

    DATABASE=postgres://postgres@127.0.0.1:5432/oms_h20
    /work/main/.venv/bin/python bench/reports.py --database-url $DATABASE --reuse --fill-only   # once
    /work/main/.venv/bin/python bench/reports.py --database-url $DATABASE --reuse               # each measurement
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROVINCES = ["北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省", "上海市", "江苏省",
             "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "广西壮族自治区",
             "海南省", "重庆市", "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省", "青海省",
             "宁夏回族自治区", "新疆维吾尔自治区"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", action="store_true",
                        help="use the database as it is (migrate it; fill it only if it has no orders) and keep it")
    parser.add_argument("--fill-only", action="store_true", help="stop after migrating and filling")
    parser.add_argument("--no-rebuild", action="store_true",
                        help="with --reuse: keep the rollups already built, time only the pages")
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/reports_bench"))
    return parser.parse_args()


def _admin_connection(url):
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(url)
    if "bench" not in cfg["NAME"] or not cfg["ENGINE"].endswith("postgresql"):
        raise SystemExit("needs a PostgreSQL database whose name contains 'bench'")
    conn = psycopg.connect(host=cfg["HOST"] or "127.0.0.1", port=cfg["PORT"] or 5432, user=cfg["USER"],
                           dbname="postgres", autocommit=True)
    return conn, cfg["NAME"]


def orders_filled() -> int:
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM orders_order")
        return c.fetchone()[0]


def recreate(url: str) -> None:
    conn, name = _admin_connection(url)
    with conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop(url: str) -> None:
    from django.db import connections

    connections.close_all()
    conn, name = _admin_connection(url)
    with conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fill(n: int) -> float:
    from django.db import connection

    clock = time.monotonic()
    provinces = "ARRAY[" + ",".join(f"'{p}'" for p in PROVINCES) + "]"
    with connection.cursor() as c:
        c.execute("SELECT array_agg(id ORDER BY id) FROM orders_channel")
        channels = c.fetchone()[0]
        c.execute("""INSERT INTO catalog_product (sku, name, price, tax_rate, weight_kg, barcode, needs_qc, active,
                     created_at, updated_at)
                     SELECT 'SKU-' || lpad(i::text, 4, '0'), '商品' || i, (19 + i * 3)::numeric(14,2), 0.130, 0.5, '',
                            false, true, now(), now() FROM generate_series(1, 200) i""")
        c.execute("""INSERT INTO inventory_warehouse (code, name, kind, province, city, address, wms_code, allocatable,
                     active) VALUES ('SH01','上海仓','own','上海市','上海市','','',true,true),
                     ('GZ01','广州仓','own','广东省','广州市','','',true,true),
                     ('BJ01','北京仓','own','北京市','北京市','','',true,true),
                     ('CD01','成都仓','own','四川省','成都市','','',true,true)""")
        c.execute("SELECT min(id) FROM catalog_product")
        p0 = c.fetchone()[0]
        c.execute("SELECT array_agg(id ORDER BY id) FROM inventory_warehouse")
        warehouses = c.fetchone()[0]
        c.execute("""INSERT INTO orders_customer (name, phone, email, company_name, tax_id, company_address_phone,
                     company_bank_account, created_at)
                     SELECT '客户' || i, '138' || lpad(i::text, 8, '0'), '', '', '', '', '', now()
                     FROM generate_series(1, 100000) i""")
        c.execute("SELECT min(id) FROM orders_customer")
        c0 = c.fetchone()[0]
        # Orders: i spreads over the last 730 days; 80 % shipped/completed, 3 % cancelled, the rest open.
        c.execute(f"""CREATE TEMP TABLE gen AS SELECT i,
                        now() - ((i * 7919) % (730 * 86400)) * interval '1 second' AS at,
                        (ARRAY{channels})[1 + i % {len(channels)}] AS channel_id,
                        ({provinces})[1 + (i * 13) % 31] AS province,
                        {p0} + (i * 31) % 200 AS product_id,
                        1 + i % 3 AS qty,
                        (19 + ((i * 31) % 200 + 1) * 3)::numeric(14,2) AS price,
                        CASE WHEN i % 100 < 80 THEN (CASE WHEN i % 2 = 0 THEN 'completed' ELSE 'shipped' END)
                             WHEN i % 100 < 83 THEN 'cancelled'
                             WHEN i % 100 < 90 THEN 'awaiting_shipment' ELSE 'pending_review' END AS status,
                        (i % 20 = 0) AS legacy,
                        (ARRAY{warehouses})[1 + i % {len(warehouses)}] AS warehouse_id
                      FROM generate_series(1::bigint, {n}::bigint) i""")
        c.execute(f"""INSERT INTO orders_order (id, number, channel_id, external_id, customer_id, source, recipient,
                        phone, province, city, district, address_detail, postal_code, status, hold_reasons,
                        payment_method,
                        payment_status, subtotal, discount_total, shipping_fee, total, paid_amount, refunded_amount,
                        note, invoice_request, ordered_at, created_at, updated_at)
                      SELECT i, 'SO' || lpad(i::text, 12, '0'), channel_id, 'EXT' || i, {c0} + i % 100000,
                        CASE WHEN legacy THEN 'import' ELSE 'api' END, '收件人', '13800000000', province, '某市', '',
                        '某路1号', '', status, '[]'::jsonb, 'alipay', 'paid', qty * price, 0, 10, qty * price + 10,
                        qty * price + 10, 0, '', '{{}}'::jsonb, at, at, at FROM gen""")
        c.execute("""INSERT INTO orders_orderline (order_id, product_id, sku, name, quantity, unit_price, discount,
                        amount, tax_rate, quantity_reserved, quantity_shipped, quantity_returned)
                      SELECT i, product_id, 'SKU', '商品', qty, price, 0, qty * price, 0.130, 0,
                        CASE WHEN status IN ('shipped','completed') THEN qty ELSE 0 END, 0 FROM gen""")
        c.execute("""INSERT INTO logistics_shipment (number, order_id, warehouse_id, carrier, tracking_number, status,
                        packages, cod_amount, exception_reason, created_at, shipped_at, updated_at)
                      SELECT 'SH' || i, i, warehouse_id, 'sf', 'SF' || i, 'shipped', 1, 0, '', at,
                        at + interval '20 hours', at + interval '20 hours'
                      FROM gen WHERE status IN ('shipped','completed') AND NOT legacy""")
        c.execute("""INSERT INTO finance_journalentry (number, kind, order_id, reference, description, posted_at,
                        actor_name)
                      SELECT 'JV' || i, 'revenue', i, 'SH' || i, '收入', at + interval '20 hours', 'bench'
                      FROM gen WHERE status IN ('shipped','completed') AND NOT legacy""")
        c.execute("""INSERT INTO finance_recognisedline (entry_id, order_id, order_line_id, component, quantity, gross,
                        net, tax, tax_rate)
                      SELECT e.id, e.order_id, l.id, 'line', l.quantity, l.amount, round(l.amount / 1.13, 2),
                        l.amount - round(l.amount / 1.13, 2), 0.130
                      FROM finance_journalentry e JOIN orders_orderline l ON l.order_id = e.order_id""")
        c.execute("ANALYZE")
    return time.monotonic() - clock


def dashboard(user):
    from oms.reports import services

    board = services.dashboard_create(name="基准看板", actor=user)
    for measure, dimension, chart, period, columns in [
        ("revenue", "channel", "bar", "this_month", ""),
        ("orders", "day", "line", "last_30_days", ""),
        ("revenue", "province", "bar", "this_year", ""),
        ("aov", "", "number", "this_month", ""),
        ("revenue", "product", "table", "this_month", ""),
        ("orders", "channel", "pie", "this_year", ""),
        ("revenue", "month", "pivot", "this_year", "channel"),
        ("units", "warehouse", "bar", "last_month", ""),
    ]:
        services.widget_add(dashboard=board, measure=measure, dimension=dimension, chart=chart, period=period,
                            columns=columns, actor=user)
    return board


def pages(args) -> None:
    """The 8-widget dashboard and the customer report through Django's test client, each beside its bare
    reference query on the raw order table, run in the same process."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from core.enums import Role
    from core.roles import group_for, sync_roles
    from oms.reports.models import CustomerSummary

    sync_roles()
    user = (get_user_model().objects.filter(username="bench-manager").first()
            or get_user_model().objects.create_user("bench-manager", password="x", is_staff=True))
    user.groups.add(group_for(Role.MANAGER))
    board = dashboard(user)
    client = Client()
    client.force_login(user)
    url = reverse("reports:dashboard", args=[board.pk])
    samples = []
    for i in range(args.requests + 1):
        clock = time.monotonic()
        response = client.get(url)
        elapsed = (time.monotonic() - clock) * 1000
        assert response.status_code == 200, response.status_code
        if i:
            samples.append(elapsed)
    page_ms = statistics.median(samples)

    reference = []
    with connection.cursor() as c:
        for _ in range(args.requests):
            clock = time.monotonic()
            c.execute("""SELECT channel_id, SUM(total) FROM orders_order
                         WHERE ordered_at >= date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai')
                                            AT TIME ZONE 'Asia/Shanghai'
                         GROUP BY channel_id""")
            c.fetchall()
            reference.append((time.monotonic() - clock) * 1000)
    ref_ms = statistics.median(reference)
    print(f"8-widget dashboard page: median {page_ms:.0f} ms over {args.requests} requests "
          f"(min {min(samples):.0f}, max {max(samples):.0f})")
    print(f"bare reference query (revenue by channel this month on orders_order): median {ref_ms:.0f} ms")
    print(f"ratio dashboard / reference: {page_ms / ref_ms:.2f}")

    # The customer report (RFM, repeat rate, LTV, top customers, cohorts) from the customer rollups,
    # the whole page, beside the per-customer aggregate it used to run on the order table.
    url = reverse("reports:customers")
    samples = []
    for i in range(args.requests + 1):
        clock = time.monotonic()
        response = client.get(url)
        elapsed = (time.monotonic() - clock) * 1000
        assert response.status_code == 200, response.status_code
        if i:
            samples.append(elapsed)
    customers_ms = statistics.median(samples)
    reference = []
    with connection.cursor() as c:
        for _ in range(args.requests):
            clock = time.monotonic()
            c.execute("""SELECT customer_id, COUNT(*), SUM(total - refunded_amount), MIN(ordered_at),
                         MAX(ordered_at) FROM orders_order WHERE status <> 'cancelled' GROUP BY customer_id""")
            c.fetchall()
            reference.append((time.monotonic() - clock) * 1000)
    customers_ref = statistics.median(reference)
    print(f"customer report page: median {customers_ms:.0f} ms over {args.requests} requests "
          f"(min {min(samples):.0f}, max {max(samples):.0f}) for {CustomerSummary.objects.count():,} customers")
    print(f"bare reference (per-customer aggregate on orders_order): median {customers_ref:.0f} ms; "
          f"ratio customer report / reference: {customers_ms / customers_ref:.2f}")


def main():
    args = parse_args()
    if not args.reuse:
        recreate(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.ALLOWED_HOSTS = ["testserver", "localhost"]
    try:
        clock = time.monotonic()
        call_command("migrate", verbosity=0)
        print(f"migrate: {time.monotonic() - clock:.1f} s")
        filled = orders_filled() if args.reuse else 0
        if filled:
            print(f"reusing {filled:,} orders")
        else:
            print(f"fill {args.orders:,} orders: {fill(args.orders):.1f} s")
        if args.fill_only:
            return

        from oms.reports.models import (
            CustomerMonth,
            CustomerSummary,
            OrderChannelDaily,
            OrderDaily,
            ProductSalesDaily,
            RefundDaily,
            SalesChannelDaily,
            SalesDaily,
            StateDaily,
            StockDaily,
        )
        from oms.reports.rollups import rollups_rebuild

        if args.no_rebuild:
            return pages(args)
        run = rollups_rebuild()
        print(f"rollup rebuild: {run.seconds:.1f} s for {run.days} days; rows: "
              + ", ".join(f"{m.__name__} {m.objects.count():,}" for m in
                          (OrderDaily, OrderChannelDaily, SalesDaily, SalesChannelDaily, ProductSalesDaily,
                           RefundDaily, StockDaily, StateDaily, CustomerSummary, CustomerMonth)))
        # Bare reference for the rebuild: one set-based pass over the revenue postings (revenue by local
        # day and channel into a scratch table), the least any rebuild of the sales rollups must do.
        with connection.cursor() as c:
            clock = time.monotonic()
            c.execute("""CREATE TEMP TABLE bench_reference AS
                         SELECT (e.posted_at AT TIME ZONE 'Asia/Shanghai')::date AS d, o.channel_id, SUM(rl.net) AS net
                         FROM finance_recognisedline rl JOIN finance_journalentry e ON e.id = rl.entry_id
                         JOIN orders_order o ON o.id = rl.order_id GROUP BY 1, 2""")
            rebuild_ref = time.monotonic() - clock
            c.execute("DROP TABLE bench_reference")
        print(f"bare reference (revenue by day and channel into a table): {rebuild_ref:.1f} s; "
              f"ratio rebuild / reference: {run.seconds / rebuild_ref:.1f}")

        pages(args)
    finally:
        if not (args.keep or args.reuse):
            drop(args.database_url)


if __name__ == "__main__":
    main()
