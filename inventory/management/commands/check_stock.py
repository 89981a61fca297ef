from django.core.management.base import BaseCommand, CommandError

from inventory.selectors import stock_drift


class Command(BaseCommand):
    help = ("Check that stock levels equal the stock ledger sums, lots add up to their stock rows and "
            "reservations back every reserved unit. Exits non-zero when anything drifted.")

    def handle(self, *args, **options):
        drifts = stock_drift()
        if not drifts:
            self.stdout.write(self.style.SUCCESS("Stock levels agree with the ledger: no drift."))
            return
        for drift in drifts:
            self.stderr.write(str(drift))
        raise CommandError(f"{len(drifts)} drift(s) between stock levels and the ledger.", returncode=2)
