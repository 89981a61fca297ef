"""Pulling platform orders: the connector's throughput against creating the same orders directly.

    .venv/bin/python bench/connector_pull.py [--orders 1000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python bench/connector_pull.py

Seeds the fake Douyin-shaped platform (served on a local port) with N paid orders, pulls them with
the reference connector (signed HTTP requests, 100 a page, keyset paging, rate limiter at 1000/s so
it does not pace the run) and prints orders per second; then creates N other orders from the same
mapped API bodies with `parse_order_payload` + `submit_order` in the same process (the bare
reference: what any channel order costs) and prints the ratio. Without DATABASE_URL it uses a
throw-away SQLite file in /tmp.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1000)
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench_connector.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")
    import django

    django.setup()
    from datetime import UTC, datetime, timedelta

    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    from catalog.models import Product
    from core.actors import SYSTEM
    from oms.api.parsing import parse_order_payload
    from oms.integrations.connectors.base import adapter_for
    from oms.integrations.connectors.fake_douyin import FakeDouyin, unix
    from oms.integrations.connectors.sync import connector_pull
    from oms.integrations.models import ChannelConnector
    from oms.workflow.services import submit_order
    from orders.models import Channel

    skus = [f"BENCH-DY-{i:02d}" for i in range(10)]
    for sku in skus:
        Product.objects.get_or_create(sku=sku, defaults={"name": f"商品 {sku}", "price": "199.00"})
    run_id = int(time.time())
    start = datetime(2026, 11, 1, tzinfo=UTC)
    platform = FakeDouyin()
    ids = platform.seed(args.orders, skus=skus, start=unix(start), step=3, prefix=f"7{run_id % 10**6:06d}")
    url = platform.serve()
    connector = ChannelConnector.objects.create(
        channel=Channel.objects.get(code="douyin"), code=f"bench-{run_id}", platform="douyin", base_url=url,
        app_key=platform.app_key, app_secret=platform.app_secret, requests_per_second=1000)
    until = start + timedelta(seconds=3 * args.orders + 10)
    began = time.perf_counter()
    run = connector_pull(connector=connector, since=start, until=until, adapter=adapter_for(connector))
    pulled = time.perf_counter() - began
    platform.stop()
    assert run.created == args.orders, (run.created, run.error)

    adapter = adapter_for(connector)
    bodies = []
    for order_id in ids:
        body = adapter.normalise(platform.orders[order_id], channel_code="douyin").api_order
        body["external_id"] = f"REF{body['external_id']}"
        bodies.append(body)
    began = time.perf_counter()
    for body in bodies:
        parsed = parse_order_payload(body)
        with transaction.atomic():
            submit_order(data=parsed.data, payment=parsed.payment, actor=SYSTEM)
    bare = time.perf_counter() - began

    print(f"database: {os.environ['DATABASE_URL'].split('://')[0]}; orders: {args.orders}; pages: {run.pages}")
    print(f"connector pull : {pulled:8.1f} s  {args.orders / pulled:8.1f} orders/s")
    print(f"bare submit    : {bare:8.1f} s  {args.orders / bare:8.1f} orders/s")
    print(f"ratio pull/bare: {pulled / bare:8.2f}")


if __name__ == "__main__":
    main()
