"""`python manage.py import_orders FILE [--dry-run] [--json]` (contract: import-template.md).

Prints a summary, or with `--json` exactly one JSON object on stdout with the contract's keys.
Exit status 0 when the file was read (even with rejected orders), 1 when it could not be read at
all. A real run is recorded as an import batch (the import centre's history shows it); a dry run
writes nothing at all.
"""

from __future__ import annotations

import json
import os

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from core.actors import SystemActor
from core.errors import ValidationFailed
from oms.imports.services import ImportReport, import_batch_run_file

COMMAND_ACTOR = SystemActor("import_orders")


class Command(BaseCommand):
    help = "Import legacy orders from an Excel (.xlsx, .xls) or CSV file; see the import template contract."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="Check everything, write nothing.")
        parser.add_argument("--json", action="store_true", help="Print exactly one JSON object on stdout.")
        parser.add_argument("--language", default="", help="Language of the messages (zh-hans, en); "
                                                           "default: the project's language.")

    def handle(self, *args, **options):
        language = options["language"] or translation.get_language()
        with translation.override(language):
            return self._run(options)

    def _run(self, options):
        path, dry_run, as_json = options["file"], options["dry_run"], options["json"]
        try:
            report = import_batch_run_file(path=path, dry_run=dry_run, actor=COMMAND_ACTOR,
                                           language=translation.get_language())
        except ValidationFailed as exc:
            if as_json:
                failed = ImportReport().as_contract()
                failed["errors"] = [{"row": None, "column": "", "value": os.path.basename(path),
                                     "message": str(exc)}]
                self.stdout.write(json.dumps(failed, ensure_ascii=False))
            raise CommandError(str(exc), returncode=1)
        for warning in report.warnings:
            self.stderr.write(warning.message)
        if as_json:
            self.stdout.write(json.dumps(report.as_contract(), ensure_ascii=False))
            return
        self._summary(report, dry_run)

    def _summary(self, report: ImportReport, dry_run: bool) -> None:
        out = self.stdout
        title = _("Dry run (nothing written)") if dry_run else _("Import")
        out.write(_("%(title)s: %(rows)s rows, %(orders)s orders")
                  % {"title": title, "rows": report.rows, "orders": report.orders})
        label = _("would be imported") if dry_run else _("imported")
        lines = [(label, report.imported), (_("duplicates (already there)"), report.duplicates),
                 (_("rejected orders"), report.rejected_orders), (_("rows with errors"), report.error_rows)]
        for name, count in lines:
            out.write(f"  {name}: {count}")
        for problem in report.errors[:200]:
            out.write("  " + _("row %(row)s · %(column)s · %(value)r: %(message)s")
                      % {"row": problem.row, "column": problem.column, "value": problem.value,
                         "message": problem.message})
        if len(report.errors) > 200:
            out.write("  … " + _("%(count)s more problems; use --json for all of them.")
                      % {"count": len(report.errors) - 200})
