"""Uploaded import files: private storage, a permission-checked download, no public media URL, the
file read by the worker (not the request), and deletion after the retention period."""

import importlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from core.enums import Role
from core.errors import InvalidTransition
from oms.imports import services
from oms.imports.models import ImportBatch, ImportIssue
from oms.imports.tests.factories import products, row, table, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def catalog():
    return products("SKU-001")


def csv_upload(tmp_path, rows, name="客户订单.csv"):
    path = write_csv(tmp_path / "source.csv", table(rows))
    return SimpleUploadedFile(name, path.read_bytes(), content_type="text/csv")


def stored(tmp_path, manager, rows=None, **kwargs):
    return services.import_batch_create(upload=csv_upload(tmp_path, rows or [row(order_number="P1")], **kwargs),
                                        actor=manager)


def test_an_upload_is_stored_under_the_private_root_and_nothing_under_public_media(settings, tmp_path, manager):
    batch = stored(tmp_path, manager)
    private_file = Path(settings.OMS_PRIVATE_MEDIA_ROOT) / batch.file.name
    assert private_file.is_file()
    assert private_file.read_bytes() == write_csv(tmp_path / "again.csv", table([row(order_number="P1")])).read_bytes()
    public = Path(settings.MEDIA_ROOT)
    assert not public.exists() or not any(p.is_file() for p in public.rglob("*"))
    assert batch.file.url == ""  # no public address at all


def test_the_download_is_for_importers_only(client, settings, tmp_path, manager, make_user):
    batch = stored(tmp_path, manager)
    url = reverse("imports:file", args=[batch.pk])
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(make_user("cs-nobody", Role.CUSTOMER_SERVICE))
    assert client.get(url).status_code == 403
    client.force_login(manager)
    response = client.get(url)
    assert response.status_code == 200
    stored_bytes = (Path(settings.OMS_PRIVATE_MEDIA_ROOT) / batch.file.name).read_bytes()
    assert b"".join(response.streaming_content) == stored_bytes
    assert "attachment" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_no_public_media_url_even_with_debug(settings):
    """`static(MEDIA_URL, ...)` served every upload to anyone under DJANGO_DEBUG=1."""
    import oms.urls

    settings.DEBUG = True
    try:
        importlib.reload(oms.urls)
        with pytest.raises(Resolver404):
            resolve(f"/{settings.MEDIA_URL}imports/2026/12/orders.csv", urlconf=oms.urls)
    finally:
        settings.DEBUG = False
        importlib.reload(oms.urls)


def test_a_large_upload_is_stored_without_opening_it_and_the_worker_reports_the_bad_file(settings, tmp_path,
                                                                                          manager, monkeypatch):
    """The request copies the file; reading it (here: a damaged workbook) is the job's work."""
    settings.OMS_IMPORT_INLINE_MAX_BYTES = 10
    opened = []
    monkeypatch.setattr(services.batches, "legacy_file_inspect", lambda **kw: opened.append(kw) or "xlsx")
    damaged = SimpleUploadedFile("订单.xlsx", b"PK\x03\x04" + b"\x00" * 200)
    batch = services.import_batch_create(upload=damaged, actor=manager)
    assert opened == []
    assert batch.pk and batch.status == ImportBatch.Status.UPLOADED and batch.file_size == 204
    queued = []
    monkeypatch.setattr(services.batches, "enqueue_import_job", queued.append)
    from django.db import transaction

    with transaction.atomic():
        services.import_batch_start(batch=batch, mode=ImportBatch.Mode.DRY_RUN, actor=manager)
    # pytest-django's transaction never commits; run the on-commit job by hand, as the worker would.
    services.import_batch_execute(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    assert "damaged" in batch.failure.lower() or "订单.xlsx" in batch.failure


def test_a_small_bad_upload_is_still_refused_on_the_form_and_not_kept(settings, tmp_path, manager):
    from core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        services.import_batch_create(upload=SimpleUploadedFile("x.xlsx", b"PK\x03\x04" + b"\x00" * 200),
                                     actor=manager)
    assert ImportBatch.objects.count() == 0
    root = Path(settings.OMS_PRIVATE_MEDIA_ROOT)
    assert not root.exists() or not any(p.is_file() for p in root.rglob("*"))


def test_files_past_the_retention_period_are_deleted_and_the_report_stays(settings, tmp_path, manager):
    settings.OMS_IMPORT_FILE_RETENTION_DAYS = 30
    old, recent, running = (stored(tmp_path, manager) for _ in range(3))
    now = timezone.now()
    ImportBatch.objects.filter(pk__in=[old.pk, running.pk]).update(created_at=now - timedelta(days=31))
    ImportBatch.objects.filter(pk=recent.pk).update(created_at=now - timedelta(days=29))
    ImportBatch.objects.filter(pk=running.pk).update(status=ImportBatch.Status.RUNNING)
    ImportIssue.objects.create(batch=old, row=2, column="SKU", value="X", message="unknown SKU")
    old_path = Path(old.file.path)

    assert services.import_files_purge(now=now) == 1

    old.refresh_from_db()
    assert not old_path.exists() and not old.file and old.file_deleted_at == now
    assert old.issues.count() == 1  # the report is kept
    for batch in (recent, running):
        batch.refresh_from_db()
        assert batch.file and Path(batch.file.path).is_file()
    with pytest.raises(InvalidTransition, match="deleted"):
        services.import_batch_start(batch=old, mode=ImportBatch.Mode.DRY_RUN, actor=manager)
    assert services.import_files_purge(now=now) == 0  # nothing left to delete


def test_the_schedules_are_registered():
    from django_q.models import Schedule

    funcs = set(Schedule.objects.values_list("func", flat=True))
    assert {"oms.imports.tasks.purge_import_files", "oms.imports.tasks.fail_stalled_import_batches"} <= funcs


def test_the_admin_links_the_file_through_the_permission_checked_view(client, tmp_path, manager, django_user_model):
    batch = stored(tmp_path, manager)
    client.force_login(django_user_model.objects.create_superuser("root", password="x-Pass-123"))
    page = client.get(reverse("admin:imports_importbatch_change", args=[batch.pk])).content.decode()
    assert reverse("imports:file", args=[batch.pk]) in page and "/media/" not in page
