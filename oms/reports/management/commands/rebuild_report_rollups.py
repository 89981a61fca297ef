from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from oms.reports.rollups import rollups_rebuild


class Command(BaseCommand):
    help = "Recompute every report rollup table from the stages' records."

    def handle(self, *args, **options):
        run = rollups_rebuild()
        self.stdout.write(_("Report rollups rebuilt: %(days)s days in %(seconds).1f s.")
                          % {"days": run.days, "seconds": run.seconds})
