from django.core.management.base import BaseCommand

from oms.workflow.demo import DEMO_PASSWORD, seed_all


class Command(BaseCommand):
    help = "Load idempotent demo data: products, channels, one user per role and orders in every state."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=50, help="how many demo orders in total (default 50)")

    def handle(self, *args, orders, **options):
        result = seed_all(orders=orders)
        self.stdout.write(self.style.SUCCESS(
            f"Demo data ready: {result['products']} new products, {result['orders']} new orders."))
        self.stdout.write("Demo logins (password for all: %s):" % DEMO_PASSWORD)
        for username, role in result["users"]:
            self.stdout.write(f"  {username:<12} {role}")
