"""`manage.py close_settled_returns`: close return requests whose refund was paid out or whose
exchange replacement shipped (the django-q2 schedule runs the same job every 10 minutes)."""

from django.core.management.base import BaseCommand

from aftersales.tasks import close_settled_returns


class Command(BaseCommand):
    help = "Close return requests that are settled: refunds paid out, exchange replacements shipped."

    def handle(self, *args, **options):
        self.stdout.write(f"{close_settled_returns()}")
