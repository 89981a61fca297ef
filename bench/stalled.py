"""The stalled-order trigger's query at 100,000 orders (PostgreSQL), against a bare status count.

    DATABASE_URL=postgres://…/scratch .venv/bin/python bench/stalled.py [--orders 100000]

Needs a migrated, disposable PostgreSQL database: it inserts `--orders` orders (SQL generate_series:
90 % awaiting payment, 10 % completed, entered over the last 10 days) with one status event each,
then times, for one rule ("24 hours in awaiting payment", nothing fired yet, so every due order is
a candidate), the candidate query `timed.stalled_orders` as the schedule reads it (the first page
of 500) and a run with nothing due, against the bare reference `SELECT count(*) … WHERE status = …`
in the same run, and prints them and the ratios. Deletes what it inserted at the end.
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
os.environ["DJANGO_SETTINGS_MODULE"] = "oms.settings"
os.environ.setdefault("DJANGO_DEBUG", "1")


def timed(fn, repeat=5):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    args = parser.parse_args()
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from oms.workflow.automation.engine import CompiledRule
    from oms.workflow.automation.timed import BATCH, stalled_orders

    if connection.vendor != "postgresql":
        sys.exit("needs PostgreSQL (DATABASE_URL)")
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM orders_channel ORDER BY id LIMIT 1")
        channel = cur.fetchone()[0]
        cur.execute("INSERT INTO orders_customer (name, phone, email, company_name, tax_id, company_address_phone, "
                    "company_bank_account, created_at) "
                    "VALUES ('压测', '13800000000', '', '', '', '', '', now()) RETURNING id")
        customer = cur.fetchone()[0]
        cur.execute("""
            INSERT INTO orders_order (number, channel_id, external_id, customer_id, source, recipient, phone,
                province, city, district, address_detail, postal_code, status, hold_reasons, payment_method,
                payment_status, subtotal, discount_total, shipping_fee, total, paid_amount, refunded_amount,
                note, invoice_request, ordered_at, created_at, updated_at)
            SELECT 'BENCH' || g, %s, 'BENCH' || g, %s, 'api', '张三', '13800000000', '浙江省', '杭州市', '',
                '文三路', '', CASE WHEN g %% 10 = 0 THEN 'completed' ELSE 'awaiting_payment' END, '[]', '',
                'unpaid', 100, 0, 0, 100, 0, 0, '', '{}',
                now() - (g %% 14400) * interval '1 minute', now() - (g %% 14400) * interval '1 minute', now()
            FROM generate_series(1, %s) g""", [channel, customer, args.orders])
        cur.execute("""
            INSERT INTO orders_orderevent (order_id, kind, message, data, actor_name, at)
            SELECT id, 'review_passed', 'bench', jsonb_build_object('from', 'pending_review', 'to', status),
                   'system', created_at
            FROM orders_order WHERE number LIKE 'BENCH%%'""")
        cur.execute("ANALYZE orders_order; ANALYZE orders_orderevent")
    try:
        rule = CompiledRule(pk=0, name="bench", trigger="stalled", version=1, priority=1, condition=None,
                            actions=[], enabled=True, stalled_state="awaiting_payment", stalled_hours=24)
        now = timezone.now()
        query = stalled_orders(rule=rule, state="awaiting_payment", hours=24, now=now)

        def candidates():
            return list(query.values_list("pk", "state_entered_at")[:BATCH])

        def bare():
            with connection.cursor() as cur:
                cur.execute("SELECT count(*) FROM orders_order WHERE status = 'awaiting_payment'")
                return cur.fetchone()

        # Nothing due (every order entered within the hours): the query reads the whole state to say so.
        idle = stalled_orders(rule=rule, state="awaiting_payment", hours=24 * 11, now=now)

        def nothing_due():
            return list(idle.values_list("pk", "state_entered_at")[:BATCH])

        found = len(candidates())
        ms, ref, idle_ms = timed(candidates), timed(bare), timed(nothing_due)
        due = query.count()
        print(f"{args.orders:,} orders; {due:,} due (24 h in awaiting payment, within the 7-day look-back)")
        print(f"first page of {found} candidates: {ms:.1f} ms (median of 5)")
        print(f"bare count of the state:        {ref:.1f} ms")
        print(f"a run with nothing due:         {idle_ms:.1f} ms")
        print(f"ratio: {ms / ref:.1f}× the bare count (page), {idle_ms / ref:.1f}× (nothing due)")
    finally:
        with connection.cursor() as cur:
            cur.execute("DELETE FROM orders_orderevent WHERE order_id IN "
                        "(SELECT id FROM orders_order WHERE number LIKE 'BENCH%%')")
            cur.execute("DELETE FROM orders_order WHERE number LIKE 'BENCH%%'")
            cur.execute("DELETE FROM orders_customer WHERE name = '压测'")


if __name__ == "__main__":
    main()
