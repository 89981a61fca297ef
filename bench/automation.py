"""Automation rules: what evaluating 200 active rules adds per order, against a bare loop.

    /work/main/.venv/bin/python bench/automation.py [--orders 200] [--rules 200] [--repeat 5]

Builds a throwaway SQLite database in /tmp, creates `--orders` orders through `order_create` (three
lines each, products with weights and QC flags, several channels and provinces) and `--rules`
enabled rules of trigger `created` through `rule_save` (conditions mixing comparison, equality,
regular expressions, membership and boolean logic; none matches, so nothing is written and the
figure is pure evaluation). Then, per order (lines and products prefetched as the review has them):

- bare: a loop that reads the order's fields the conditions read and compares them in plain Python
  (one hand-written condition) — the reference;
- automation_fire: the call the workflow makes at a trigger: the cache generation check, the
  compiled rules, the typed context (built once), 200 conditions;
- context only: `order_context(order)`.

Prints the median and p95 microseconds per order and the ratio to the bare loop.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = Path("/tmp/oms_automation_bench.sqlite3")
os.environ["DJANGO_SETTINGS_MODULE"] = "oms.settings"
os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
os.environ.setdefault("DJANGO_DEBUG", "1")


def stats(samples_us):
    ordered = sorted(samples_us)
    return statistics.median(ordered), ordered[max(int(len(ordered) * 0.95) - 1, 0)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5, help="timed passes over the orders")
    args = parser.parse_args()
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{DB}{suffix}").unlink(missing_ok=True)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from catalog.models import Product
    from core.actors import SYSTEM
    from oms.workflow.automation.conditions import order_context
    from oms.workflow.automation.engine import automation_fire, enabled_rules
    from oms.workflow.automation.models import AutomationRule, RuleFiring
    from oms.workflow.automation.services import rule_save
    from orders.models import Order
    from orders.services import LineInput, OrderInput, order_create

    channels = ["tmall", "jd", "douyin", "web"]
    provinces = ["浙江省", "新疆", "广东省", "四川省", "北京市"]
    products = [Product.objects.create(sku=f"BENCH-{i:03d}", name=f"商品{i}", price=Decimal("99.00"),
                                       weight_kg=Decimal("0.350"), needs_qc=i % 7 == 0) for i in range(30)]
    from datetime import datetime

    for n in range(args.orders):
        lines = [LineInput(sku=products[(n + k) % 30].sku, quantity=1 + k, unit_price=Decimal("99.00"))
                 for k in range(3)]
        order_create(data=OrderInput(
            channel=channels[n % 4], external_id=f"B{n:06d}", customer_name="张三", customer_phone="13812341234",
            recipient="张三", recipient_phone="13812341234", province=provinces[n % 5], city="某市",
            district="某区", address_detail=f"某路{n}号", postal_code="310000", lines=lines,
            shipping_fee=Decimal("10.00"), ordered_at=datetime(2026, 11, 24, 2, 0, tzinfo=UTC)), actor=SYSTEM)

    templates = [
        'channel == "ch{i}" and amount > {i}00',
        'province =~ "^省{i}" or amount > 1{i}00000',
        '"NO-SKU-{i}" in skus',
        "weight > {i}000 and needs_qc",
        'payment_method == "m{i}" and not is_cod',
        "line_count > {i}0 or quantity > {i}000",
        '"tag{i}" in customer_tags',
        'channel in ["x{i}", "y{i}"] and amount - paid_amount > {i}',
    ]
    for i in range(args.rules):
        rule_save(rule=AutomationRule(name=f"规则{i}", trigger="created", enabled=True, priority=i,
                                      condition=templates[i % len(templates)].format(i=i + 1),
                                      actions=[{"type": "hold", "params": {"reason": "bench"}}]), actor=None)

    orders = list(Order.objects.select_related("channel", "customer").prefetch_related("lines__product"))
    assert len(enabled_rules("created")) == args.rules

    def bare(order):
        lines = list(order.lines.all())
        return order.channel.code == "douyin" and order.total > 2000 and any(line.product.needs_qc for line in lines)

    def fire(order):
        automation_fire(order=order, trigger="created", actor=SYSTEM)

    def context(order):
        order_context(order)

    results = {}
    for name, fn in (("bare loop", bare), ("automation_fire, 200 rules", fire), ("order_context only", context)):
        for order in orders[:10]:  # warm up
            fn(order)
        samples = []
        for _ in range(args.repeat):
            for order in orders:
                start = time.perf_counter()
                fn(order)
                samples.append((time.perf_counter() - start) * 1e6)
        results[name] = stats(samples)
    assert not RuleFiring.objects.exists(), "no rule should match: the bench measures evaluation only"

    base = results["bare loop"][0]
    print(f"{args.orders} orders × {args.repeat} passes, {args.rules} enabled rules (trigger created)")
    print(f"{'':30} {'median µs':>10} {'p95 µs':>10} {'× bare':>8}")
    for name, (median, p95) in results.items():
        print(f"{name:30} {median:10.1f} {p95:10.1f} {median / base:8.1f}")
    added = results["automation_fire, 200 rules"][0] - base
    print(f"rule evaluation adds {added / 1000:.3f} ms per order (median)")


if __name__ == "__main__":
    main()
