from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from oms.workflow.demo import DEMO_PASSWORD, seed_all


class Command(BaseCommand):
    help = "Load idempotent demo data: products, channels, one user per role and orders in every state."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=50, help="how many demo orders in total (default 50)")

    def handle(self, *args, orders, **options):
        if not settings.OMS_DEMO_DATA_ALLOWED:
            # Demo users share a published password (admin / oms-demo-2026): never on a production database.
            raise CommandError("demo_data is refused with DJANGO_DEBUG=0: it creates users with a published "
                               "password. Load demo data only in development.")
        result = seed_all(orders=orders)
        self.stdout.write(self.style.SUCCESS(
            f"Demo data ready: {result['products']} new products, {result['orders']} new orders."))
        self.stdout.write("Demo logins (password for all: %s):" % DEMO_PASSWORD)
        for username, role in result["users"]:
            self.stdout.write(f"  {username:<12} {role}")
