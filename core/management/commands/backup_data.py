"""`manage.py backup_data FOLDER`: the database (pg_dump -Fc, or SQLite's online backup) and the
private files, with a manifest of every table's row count and checksum. See docs/backup.md."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.backup import backup
from core.errors import ValidationFailed


class Command(BaseCommand):
    help = "Back up the database and the private files into a new folder (see docs/backup.md)."

    def add_arguments(self, parser):
        parser.add_argument("folder", nargs="?", help="new folder to write (default: var/backups/oms-<time>)")

    def handle(self, *args, folder=None, **options):
        from django.conf import settings

        target = Path(folder) if folder else Path(settings.BASE_DIR) / "var" / "backups" / (
            f"oms-{timezone.localtime():%Y%m%d-%H%M%S}")
        try:
            result = backup(folder=target)
        except (ValidationFailed, FileExistsError) as exc:
            raise CommandError(str(getattr(exc, "message", exc))) from exc
        self.stdout.write(f"backup written to {result.folder}: {result.tables} tables, {result.rows} rows, "
                          f"{result.files} private files")
