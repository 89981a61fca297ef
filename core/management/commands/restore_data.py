"""`manage.py restore_data FOLDER --into TARGET`: restore a `backup_data` folder into a new database
and an empty private-files folder, then check every table against the backup's manifest.

PostgreSQL: TARGET is an empty database on the same server (`createdb` it first); point
DATABASE_URL at it afterwards. SQLite: TARGET is the path of a new database file. Exits 2 when
any table's rows or the files differ from what was saved. See docs/backup.md.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backup import restore
from core.errors import ValidationFailed


class Command(BaseCommand):
    help = "Restore a backup_data folder into a new database and check it against the manifest."

    def add_arguments(self, parser):
        parser.add_argument("folder")
        parser.add_argument("--into", required=True, help="PostgreSQL: an empty database's name; SQLite: a new file")
        parser.add_argument("--private-root", help="where the private files go (default: OMS_PRIVATE_MEDIA_ROOT)")

    def handle(self, *args, folder, into, private_root=None, **options):
        try:
            result = restore(folder=Path(folder), target=into,
                             private_root=Path(private_root) if private_root else None)
        except ValidationFailed as exc:
            raise CommandError(str(exc.message)) from exc
        for problem in result.mismatches:
            self.stderr.write(problem)
        if result.mismatches:
            raise CommandError(f"{len(result.mismatches)} difference(s) between the backup and the restored copy",
                               returncode=2)
        self.stdout.write(f"restored into {result.target}: {result.tables} tables, {result.rows} rows, "
                          f"{result.files} private files; every table matches the backup")
