"""Drill: the worker running an import is killed with SIGKILL mid-import. The stalled check fails the
batch, Resume imports the rest: every order exactly once, stock and ledger clean."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from finance.invariants import ledger_problems
from inventory.tests.factories import stock_up
from oms.imports import services
from oms.imports.models import ImportBatch, ImportedOrder
from oms.imports.tests.factories import products, row, table, write_csv
from orders.models import Order
from tests.drills.helpers import kill_when, start_child

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ORDERS = 40

# The worker, as django-q2 runs it; a pause after each committed batch of five orders gives the
# drill time to kill it between two batches' commits.
WORKER = """
import time
from oms.imports.services import importer
from oms.imports.services.batches import import_batch_execute
merge = importer._Importer.merge
def slow_merge(self, outcome):
    merge(self, outcome)
    time.sleep(0.3)
importer._Importer.merge = slow_merge
import_batch_execute(batch_id=%d)
"""


@pytest.fixture
def private_root(settings, tmp_path):
    settings.OMS_PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"


def orders_upload(tmp_path):
    rows = []
    for i in range(ORDERS):
        rows.append(row(order_number=f"K{i:03d}", customer_name=f"客户{i % 7}", phone=f"1390000{i % 7:04d}",
                        sku="KILL-1", quantity="1", unit_price="10", shipping_fee="0", status="待发货",
                        paid_amount="10", ordered_at=f"2024-03-01 10:{i % 60:02d}"))
    path = write_csv(tmp_path / "orders.csv", table(rows))
    return SimpleUploadedFile("orders.csv", path.read_bytes())


def test_import_worker_killed_mid_import_is_failed_as_stalled_and_resumed_exactly_once(
        settings, tmp_path, private_root, manager, monkeypatch):
    (product,) = products("KILL-1")
    stock_up(product, 1000)
    settings.OMS_IMPORT_WORKERS = 1
    batch = services.import_batch_create(upload=orders_upload(tmp_path), actor=manager)
    services.import_batch_start(batch=batch, mode=ImportBatch.Mode.DRY_RUN, actor=manager)  # small: runs now
    batch.refresh_from_db()
    assert batch.can_import and batch.imported == ORDERS

    # The import goes to "the worker": queued here, run by a child process that is then killed.
    settings.OMS_IMPORT_INLINE_MAX_BYTES = 0
    queued = []
    monkeypatch.setattr(services.batches, "enqueue_import_job", queued.append)
    services.import_batch_start(batch=batch, mode=ImportBatch.Mode.IMPORT, actor=manager)
    assert queued == [batch.pk]
    child = start_child(WORKER % batch.pk, OMS_IMPORT_BATCH_ORDERS="5", OMS_IMPORT_WORKERS="1")
    written = ImportedOrder.objects.filter(batch=batch)
    kill_when(child, lambda: written.count() >= 10, what="two batches were committed")

    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.RUNNING  # what a dead worker leaves
    before = written.count()
    assert 10 <= before < ORDERS and Order.objects.count() == before

    assert services.import_batches_fail_stalled(now=batch.heartbeat_at + timedelta(minutes=16)) == [batch.pk]
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED and batch.can_resume

    services.import_batch_resume(batch=batch, actor=manager)
    assert queued == [batch.pk, batch.pk]
    services.import_batch_execute(batch_id=batch.pk)  # the next worker picks the job up
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE
    assert (batch.imported, batch.duplicates, batch.rejected_orders) == (ORDERS, 0, 0)
    numbers = list(Order.objects.values_list("external_id", flat=True))
    assert sorted(numbers) == [f"K{i:03d}" for i in range(ORDERS)]  # each exactly once
    assert written.count() == ORDERS
    call_command("check_stock")
    assert ledger_problems() == []
