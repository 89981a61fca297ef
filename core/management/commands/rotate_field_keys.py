"""Re-encrypt every encrypted field with the newest key and rebuild the blind indexes.

    python manage.py rotate_field_keys --new-key          # print a new key to put first in OMS_FIELD_ENCRYPTION_KEYS
    python manage.py rotate_field_keys                    # re-encrypt and re-index every table, in batches
    python manage.py rotate_field_keys --table orders_order --start-after 120000   # resume one table

Safe to run while the system works and to run again: rows already under the newest key with
up-to-date indexes are skipped, each batch commits on its own. The procedure (add the new key
first, rotate, then remove the old one) is in docs/security.md, "Personal data at rest".
"""

from __future__ import annotations

from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from core.fieldcrypto import UnknownKey, encrypted_table_specs, reseal_table


class Command(BaseCommand):
    help = "Re-encrypt personal data with the newest OMS_FIELD_ENCRYPTION_KEYS key and rebuild blind indexes."

    def add_arguments(self, parser):
        parser.add_argument("--new-key", action="store_true", help="print a new random key and exit")
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--table", action="append", default=[], help="only this table (repeatable)")
        parser.add_argument("--start-after", type=int, default=0,
                            help="resume: skip rows up to this primary key (with one --table)")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, new_key, batch_size, table, start_after, database, **options):
        if new_key:
            self.stdout.write(Fernet.generate_key().decode("ascii"))
            return
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        specs = encrypted_table_specs(apps.get_models())
        known = {spec["table"] for spec in specs}
        unknown = set(table) - known
        if unknown:
            raise CommandError(f"no encrypted fields in {', '.join(sorted(unknown))}; "
                               f"tables: {', '.join(sorted(known))}")
        if start_after and len(table) != 1:
            raise CommandError("--start-after needs exactly one --table")
        if table:
            specs = [spec for spec in specs if spec["table"] in table]
        connection = connections[database]
        total_read = total_rewritten = 0
        for spec in specs:
            name = spec["table"]

            def progress(last, read, rewritten, name=name):
                self.stdout.write(f"{name}: {read} rows read, {rewritten} rewritten (up to id {last})")

            try:
                read, rewritten = reseal_table(connection, **spec, batch_size=batch_size, start_after=start_after,
                                               progress=progress)
            except UnknownKey as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"{name}: done, {read} rows read, {rewritten} rewritten")
            total_read += read
            total_rewritten += rewritten
        self.stdout.write(self.style.SUCCESS(
            f"{len(specs)} tables, {total_read} rows read, {total_rewritten} rewritten: every encrypted value is "
            "under the newest key and every blind index under the current index key."))
