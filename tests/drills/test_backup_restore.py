"""Backup and restore round trip (`backup_data` / `restore_data`): a populated database — orders
through the whole lifecycle, returns and refunds, imports with their stored file — is backed up,
restored into a scratch database, and every table's rows and checksum match; the restored copy
passes `check_stock` and `ledger_problems()`, and the private files come back."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from core.backup import MANIFEST, table_fingerprints
from finance.models import Refund
from oms.imports import services as imports
from oms.imports.models import ImportBatch
from oms.imports.tests.factories import row, table, write_csv
from orders.models import Order, OrderStatus
from tests.drills.helpers import ROOT, child_environment


@pytest.fixture
def private_root(settings, tmp_path):
    settings.OMS_PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.OMS_PRIVATE_MEDIA_ROOT


def populate(tmp_path, manager):
    call_command("demo_data", orders=30, stdout=open(os.devnull, "w"))
    path = write_csv(tmp_path / "legacy.csv", table([row(order_number="BK1", sku="DEMO-TEE-M")]))
    batch = imports.import_batch_create(upload=SimpleUploadedFile("legacy.csv", path.read_bytes()), actor=manager)
    imports.import_batch_start(batch=batch, mode=ImportBatch.Mode.DRY_RUN, actor=manager)
    statuses = set(Order.objects.values_list("status", flat=True))
    assert {OrderStatus.SHIPPED, OrderStatus.COMPLETED, OrderStatus.CANCELLED} <= statuses
    assert Refund.objects.exists() and ImportBatch.objects.exists()
    return batch


def files_under(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def run_in_copy(code: str, database_url: str) -> subprocess.CompletedProcess:
    script = "import django\ndjango.setup()\n" + code
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                          env=child_environment(DATABASE_URL=database_url))


CHECKS = """
from django.core.management import call_command
from finance.invariants import ledger_problems
from orders.models import Order
call_command("check_stock")
problems = ledger_problems()
assert problems == [], problems
print("orders", Order.objects.count())
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_postgres_backup_restores_every_table_and_the_private_files(tmp_path, private_root, manager, capsys):
    batch = populate(tmp_path, manager)
    saved_files = files_under(private_root)
    assert batch.file.name in saved_files
    with connection.cursor() as cursor:
        tables = [t.name for t in connection.introspection.get_table_list(cursor) if t.type == "t"]
        source = table_fingerprints(cursor, "postgresql", tables)

    call_command("backup_data", str(tmp_path / "backup"))
    manifest = json.loads((tmp_path / "backup" / MANIFEST).read_text())
    assert manifest["tables"] == source

    scratch = f"oms_h17r_restore_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        cursor.execute(f'CREATE DATABASE "{scratch}"')
    try:
        restored_root = tmp_path / "restored-private"
        call_command("restore_data", str(tmp_path / "backup"), into=scratch, private_root=str(restored_root))
        assert "every table matches the backup" in capsys.readouterr().out
        assert files_under(restored_root) == saved_files

        db = connection.settings_dict
        url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{scratch}"
        checked = run_in_copy(CHECKS, url)
        assert checked.returncode == 0, checked.stderr
        assert f"orders {Order.objects.count()}" in checked.stdout

        # A restore that differs from the manifest is refused with exit code 2.
        manifest["tables"]["orders_order"]["rows"] += 1
        (tmp_path / "backup" / MANIFEST).write_text(json.dumps(manifest))
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE "{scratch}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{scratch}"')
        with pytest.raises(CommandError) as refused:
            call_command("restore_data", str(tmp_path / "backup"), into=scratch,
                         private_root=str(tmp_path / "again"))
        assert refused.value.returncode == 2
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sqlite_backup_through_the_online_backup_api_round_trips(tmp_path, private_root, manager, capsys):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite round trip; PostgreSQL has its own test above")
    batch = populate(tmp_path, manager)
    saved_files = files_under(private_root)
    call_command("backup_data", str(tmp_path / "backup"))
    target = tmp_path / "restored.sqlite3"
    call_command("restore_data", str(tmp_path / "backup"), into=str(target),
                 private_root=str(tmp_path / "restored-private"))
    assert "every table matches the backup" in capsys.readouterr().out
    assert files_under(tmp_path / "restored-private") == saved_files and batch.file.name in saved_files

    import sqlite3

    copy = sqlite3.connect(target)
    try:
        for model in apps.get_models():
            if not model._meta.managed or model._meta.proxy:
                continue
            count = copy.execute(f'SELECT count(*) FROM "{model._meta.db_table}"').fetchone()[0]
            assert count == model._base_manager.count(), model._meta.db_table
    finally:
        copy.close()
    checked = run_in_copy(CHECKS, f"sqlite:///{target}")
    assert checked.returncode == 0, checked.stderr
    assert f"orders {Order.objects.count()}" in checked.stdout
