"""`manage.py connector_demo`: a fake Douyin-shaped platform on a local port, seeded, and one pull from it."""

import time
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from catalog.models import Product
from oms.integrations.connectors.fake_douyin import FakeDouyin, unix
from oms.integrations.connectors.sync import connector_pull
from oms.integrations.models import ChannelConnector
from orders.models import Channel


class Command(BaseCommand):
    help = "Start the fake Douyin-shaped platform, seed it with orders and pull them into OMS once."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8210)
        parser.add_argument("--orders", type=int, default=200)
        parser.add_argument("--serve", action="store_true", help="keep the fake platform running (Ctrl-C stops)")

    def handle(self, *args, port, orders, serve, **options):
        skus = list(Product.objects.filter(active=True).order_by("sku").values_list("sku", flat=True)[:10])
        if not skus:
            self.stderr.write("No products: run `manage.py demo_data` first.")
            return
        platform = FakeDouyin()
        start = timezone.now() - timedelta(hours=2)
        platform.seed(orders, skus=skus, start=unix(start), step=max(1, 3600 // max(orders, 1)),
                      prefix=f"69{int(time.time()) % 100000:05d}")
        platform.throttle_every = 7  # so the log shows the rate limit at work
        url = platform.serve(port=port)
        connector, _ = ChannelConnector.objects.update_or_create(
            code="demo-douyin", defaults={
                "channel": Channel.objects.get(code="douyin"), "name": "抖店演示店铺", "platform": "douyin",
                "base_url": url, "app_key": platform.app_key, "app_secret": platform.app_secret,
                "access_token": "demo-token", "requests_per_second": 10, "page_size": 50})
        try:
            run = connector_pull(connector=connector, since=start - timedelta(minutes=1), until=timezone.now())
            self.stdout.write(f"{url}: fetched {run.fetched}, created {run.created}, updated {run.updated}, "
                              f"skipped {run.skipped}, failed {run.failed}; {run.pages} pages, {run.requests} "
                              f"requests, {run.throttled} throttled. {run.error}")
            if serve:
                self.stdout.write(f"Fake platform at {url}; pull again from the admin. Ctrl-C stops.")
                while True:
                    time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            platform.stop()
