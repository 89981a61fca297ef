"""The life cycle of an import batch (the import centre and `import_orders`): upload, start, run, report."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from core.actors import SYSTEM, actor_user
from core.errors import InvalidTransition, ValidationFailed
from oms.imports.models import ImportBatch, ImportIssue
from oms.imports.readers import check_size
from oms.imports.services.importer import legacy_orders_import
from oms.imports.services.reading import legacy_file_inspect
from oms.imports.services.report import ImportReport, _setting

logger = logging.getLogger(__name__)

DEFAULT_INLINE_MAX_BYTES = 256 * 1024


def import_batch_create(*, upload, actor, language: str = "") -> ImportBatch:
    """Store an uploaded file as a new import after checking it can be read; a bad file stores nothing."""
    name = os.path.basename(upload.name or "upload")
    if upload.size is not None:
        check_size(upload.size, name)  # refused before it is copied anywhere
    suffix = Path(name).suffix.lower()[:8]
    with tempfile.NamedTemporaryFile(prefix="oms-upload-", suffix=suffix, delete=False) as tmp:
        for chunk in upload.chunks():
            tmp.write(chunk)
        tmp_path = tmp.name
    try:
        kind = legacy_file_inspect(path=tmp_path, file_name=name)
        batch = ImportBatch(file_name=name[:255], file_size=os.path.getsize(tmp_path), file_kind=kind,
                            created_by=actor_user(actor), run_by=actor_user(actor),
                            language=language or translation.get_language() or settings.LANGUAGE_CODE)
        stored_name = f"{timezone.localdate():%Y%m%d}-{get_random_string(12).lower()}{suffix}"
        with open(tmp_path, "rb") as handle:
            batch.file.save(stored_name, File(handle), save=False)
        batch.save()
    finally:
        os.unlink(tmp_path)
    return batch


def import_batch_start(*, batch: ImportBatch, mode: str, actor, language: str = "") -> ImportBatch:
    """Queue a dry run or the import of an uploaded file; small files run at once, large ones in a job."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.is_active:
            raise InvalidTransition(_("This file is being processed already; wait until it has finished."))
        if batch.mode == ImportBatch.Mode.IMPORT and batch.status == ImportBatch.Status.DONE:
            raise InvalidTransition(_("This file has been imported already."))
        if mode == ImportBatch.Mode.IMPORT and not batch.can_import:
            raise InvalidTransition(_("Run a dry run first; the import starts from a dry run that found orders to "
                                      "import."))
        batch.mode = mode
        batch.status = ImportBatch.Status.QUEUED
        batch.phase = ""
        batch.rows_done = 0
        batch.failure = ""
        batch.started_at = batch.finished_at = None
        batch.run_by = actor_user(actor)
        if language:
            batch.language = language
        batch.save()
        inline = batch.file_size <= int(_setting("OMS_IMPORT_INLINE_MAX_BYTES", DEFAULT_INLINE_MAX_BYTES))
        pk = batch.pk
        transaction.on_commit(lambda: import_batch_execute(batch_id=pk) if inline else enqueue_import_job(pk))
    return batch


def enqueue_import_job(batch_id: int) -> None:
    from django_q.tasks import async_task

    async_task("oms.imports.tasks.run_import_batch", batch_id, task_name=f"import-{batch_id}", group="imports")


def import_batch_execute(*, batch_id: int) -> ImportBatch | None:
    """Run a queued batch (in the request for small files, in a django-q2 worker for large ones)."""
    claimed = ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.QUEUED).update(
        status=ImportBatch.Status.RUNNING, started_at=timezone.now(), phase=ImportBatch.Phase.READING)
    if not claimed:
        return None  # already run (a retried job) or deleted
    batch = ImportBatch.objects.select_related("run_by").get(pk=batch_id)
    dry_run = batch.mode == ImportBatch.Mode.DRY_RUN

    def progress(phase: str, done: int, total: int) -> None:
        ImportBatch.objects.filter(pk=batch_id).update(phase=phase, rows_done=done, rows_total=total)

    with translation.override(batch.language or settings.LANGUAGE_CODE):
        try:
            with _local_path(batch) as path:
                report = legacy_orders_import(path=path, file_name=batch.file_name, dry_run=dry_run,
                                              actor=batch.run_by or SYSTEM, batch=batch, progress=progress)
        except ValidationFailed as exc:
            ImportBatch.objects.filter(pk=batch_id).update(status=ImportBatch.Status.FAILED, failure=str(exc),
                                                           finished_at=timezone.now(), phase="")
            return ImportBatch.objects.get(pk=batch_id)
        except Exception:
            logger.exception("import batch %s failed", batch_id)
            ImportBatch.objects.filter(pk=batch_id).update(
                status=ImportBatch.Status.FAILED, finished_at=timezone.now(), phase="",
                failure=_("The import stopped because of an internal error; orders of batches written before it "
                          "stay imported. Run it again: imported orders count as duplicates."))
            return ImportBatch.objects.get(pk=batch_id)
    import_batch_store_report(batch=batch, report=report)
    return ImportBatch.objects.get(pk=batch_id)


def import_batch_store_report(*, batch: ImportBatch, report: ImportReport) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(phase=ImportBatch.Phase.WRITING_REPORT)
    counts = {"rows": report.rows, "orders": report.orders, "imported": report.imported,
              "duplicates": report.duplicates, "rejected_orders": report.rejected_orders,
              "error_rows": report.error_rows}
    with transaction.atomic():
        ImportIssue.objects.filter(batch=batch).delete()
        issues = [ImportIssue(batch=batch, kind=ImportIssue.Kind.WARNING, row=p.row, column=p.column[:100],
                              value=p.value, message=p.message, order_number=p.order_number[:100])
                  for p in report.warnings]
        issues += [ImportIssue(batch=batch, kind=ImportIssue.Kind.ERROR, row=p.row, column=p.column[:100],
                               value=p.value, message=p.message, order_number=p.order_number[:100])
                   for p in report.errors]
        ImportIssue.objects.bulk_create(issues, batch_size=2000)
        update = dict(counts, status=ImportBatch.Status.DONE, phase="", finished_at=timezone.now(),
                      rows_total=report.rows, rows_done=report.rows, file_kind=report.file_kind)
        if report.dry_run:
            update["dry_run_summary"] = counts
        ImportBatch.objects.filter(pk=batch.pk).update(**update)


@contextmanager
def _local_path(batch: ImportBatch):
    """The stored file as a local path (a temporary copy when the storage has no paths)."""
    try:
        path = batch.file.path
    except NotImplementedError:
        path = None
    if path is not None:
        yield path
        return
    suffix = Path(batch.file_name).suffix
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        with batch.file.open("rb") as source:
            shutil.copyfileobj(source, tmp)
        tmp.flush()
        yield tmp.name
