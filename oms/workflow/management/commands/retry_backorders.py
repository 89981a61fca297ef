from django.core.management.base import BaseCommand

from oms.workflow.jobs import BACKORDER_ACTOR
from oms.workflow.services import backorder_queue, retry_backorders


class Command(BaseCommand):
    help = ("Retry stock allocation for orders waiting only for stock, oldest first (the background job "
            "does this after every receipt; this is for operators and schedules).")

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="try at most this many waiting orders")

    def handle(self, *args, limit=None, **options):
        waiting = backorder_queue().count()
        result = retry_backorders(actor=BACKORDER_ACTOR, limit=limit)
        self.stdout.write(f"{waiting} waiting; released {len(result.released)}, still waiting "
                          f"{len(result.still_waiting)}, held for another reason {len(result.held)}.")
        for number in result.released:
            self.stdout.write(f"  released {number}")
