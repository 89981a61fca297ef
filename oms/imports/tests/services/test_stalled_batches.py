"""A batch whose worker dies: its heartbeat stops, the scheduled check fails it, Resume imports the rest
and every order of the file is in OMS exactly once."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.errors import InvalidTransition
from oms.imports import services
from oms.imports.models import ImportBatch, ImportedOrder
from oms.imports.services.importer import _Importer
from oms.imports.tests.factories import products, row, table, write_csv
from orders.models import Order

pytestmark = pytest.mark.django_db

NUMBERS = [f"R{i}" for i in range(1, 8)]


class WorkerKilled(BaseException):
    """Stands for SIGKILL: nothing in the importer catches it, the batch stays "running"."""


@pytest.fixture(autouse=True)
def setup(settings):
    products("SKU-001")
    settings.OMS_IMPORT_BATCH_ORDERS = 2
    settings.OMS_IMPORT_WORKERS = 1
    settings.OMS_IMPORT_STALLED_MINUTES = 15


def dry_run_batch(tmp_path, manager, django_capture_on_commit_callbacks):
    path = write_csv(tmp_path / "orders.csv", table([row(order_number=n) for n in NUMBERS]))
    batch = services.import_batch_create(upload=SimpleUploadedFile("orders.csv", path.read_bytes()), actor=manager)
    with django_capture_on_commit_callbacks(execute=True):
        services.import_batch_start(batch=batch, mode=ImportBatch.Mode.DRY_RUN, actor=manager)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE and batch.imported == len(NUMBERS)
    return batch


def killed_after_first_batch(monkeypatch):
    real = _Importer.process
    calls = []

    def process(self, complete):
        if calls:
            raise WorkerKilled
        calls.append(1)
        return real(self, complete)

    monkeypatch.setattr(_Importer, "process", process)
    return lambda: monkeypatch.setattr(_Importer, "process", real)


def test_a_running_batch_writes_a_heartbeat_with_its_progress(tmp_path, manager, django_capture_on_commit_callbacks):
    batch = dry_run_batch(tmp_path, manager, django_capture_on_commit_callbacks)
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        services.import_batch_start(batch=batch, mode=ImportBatch.Mode.IMPORT, actor=manager)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE
    assert batch.heartbeat_at is not None and batch.heartbeat_at >= before


def test_a_killed_import_is_failed_as_stalled_and_resumed_without_doubling(
        tmp_path, manager, monkeypatch, django_capture_on_commit_callbacks):
    batch = dry_run_batch(tmp_path, manager, django_capture_on_commit_callbacks)
    restore = killed_after_first_batch(monkeypatch)
    with pytest.raises(WorkerKilled), django_capture_on_commit_callbacks(execute=True):
        services.import_batch_start(batch=batch, mode=ImportBatch.Mode.IMPORT, actor=manager)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.RUNNING
    written_before = set(Order.objects.values_list("external_id", flat=True))
    assert len(written_before) == 2  # the first batch of two orders was committed
    with pytest.raises(InvalidTransition):  # the old dead end: "being processed already"
        services.import_batch_start(batch=batch, mode=ImportBatch.Mode.IMPORT, actor=manager)

    heartbeat = batch.heartbeat_at
    assert services.import_batches_fail_stalled(now=heartbeat + timedelta(minutes=14)) == []
    assert services.import_batches_fail_stalled(now=heartbeat + timedelta(minutes=16)) == [batch.pk]
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED and batch.can_resume
    assert "stopped making progress" in batch.failure

    restore()
    with django_capture_on_commit_callbacks(execute=True):
        services.import_batch_resume(batch=batch, actor=manager)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE
    assert (batch.imported, batch.duplicates, batch.rejected_orders) == (len(NUMBERS), 0, 0)
    assert sorted(Order.objects.values_list("external_id", flat=True)) == sorted(NUMBERS)  # each exactly once
    assert ImportedOrder.objects.filter(batch=batch).count() == len(NUMBERS)
    from django.core.management import call_command

    call_command("check_stock")  # raises on drift
    from finance.invariants import ledger_problems

    assert ledger_problems() == []


def test_a_recent_heartbeat_or_a_finished_batch_is_left_alone(tmp_path, manager, django_capture_on_commit_callbacks):
    batch = dry_run_batch(tmp_path, manager, django_capture_on_commit_callbacks)
    assert services.import_batches_fail_stalled(now=timezone.now() + timedelta(days=1)) == []
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE


def test_a_dry_run_or_a_finished_import_cannot_be_resumed(tmp_path, manager, django_capture_on_commit_callbacks):
    batch = dry_run_batch(tmp_path, manager, django_capture_on_commit_callbacks)
    with pytest.raises(InvalidTransition):
        services.import_batch_resume(batch=batch, actor=manager)


def test_the_import_centre_offers_resume_for_a_stalled_batch(client, tmp_path, manager, monkeypatch,
                                                             django_capture_on_commit_callbacks):
    batch = dry_run_batch(tmp_path, manager, django_capture_on_commit_callbacks)
    ImportBatch.objects.filter(pk=batch.pk).update(mode=ImportBatch.Mode.IMPORT, status=ImportBatch.Status.RUNNING,
                                                   heartbeat_at=timezone.now() - timedelta(hours=1))
    services.import_batches_fail_stalled()
    client.force_login(manager)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(reverse("imports:detail", args=[batch.pk])).content.decode()
    assert 'id="resume-import"' in page and "stopped making progress" in page
    assert 'id="written-before"' not in page  # nothing was written: the dry run's count is not shown as imported
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("imports:resume", args=[batch.pk]))
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE and batch.imported == len(NUMBERS)
    assert Order.objects.count() == len(NUMBERS)
