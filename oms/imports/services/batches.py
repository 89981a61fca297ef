"""The life cycle of an import batch (the import centre and `import_orders`): upload, start, run, report."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q
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
DEFAULT_STALLED_MINUTES = 15
DEFAULT_RETENTION_DAYS = 30


def import_batch_create(*, upload, actor, language: str = "") -> ImportBatch:
    """Store an uploaded file in private storage as a new import; the worker reads it.

    The request only copies the upload: opening a workbook costs memory and time that a web
    process should not spend on a stranger's file. A file small enough to be checked in the request
    anyway (`OMS_IMPORT_INLINE_MAX_BYTES`, the dry run then runs at once) has its header checked here,
    so the clerk sees a bad file on the upload form and nothing is stored. A larger file's problems
    (damaged, wrong header) fail its batch with the same message when the job reads it.
    """
    name = os.path.basename(upload.name or "upload")
    if upload.size is not None:
        check_size(upload.size, name)  # refused before it is copied anywhere
    suffix = Path(name).suffix.lower()[:8]
    batch = ImportBatch(file_name=name[:255], created_by=actor_user(actor), run_by=actor_user(actor),
                        language=language or translation.get_language() or settings.LANGUAGE_CODE)
    stored_name = f"{timezone.localdate():%Y%m%d}-{get_random_string(12).lower()}{suffix}"
    batch.file.save(stored_name, upload, save=False)
    try:
        batch.file_size = batch.file.size
        check_size(batch.file_size, name)
        if _runs_inline(batch):
            with _local_path(batch) as path:
                batch.file_kind = legacy_file_inspect(path=path, file_name=name)
        batch.save()
    except BaseException:
        batch.file.delete(save=False)  # a refused file is not kept
        raise
    return batch


def _runs_inline(batch: ImportBatch) -> bool:
    return batch.file_size <= int(_setting("OMS_IMPORT_INLINE_MAX_BYTES", DEFAULT_INLINE_MAX_BYTES))


def _file_gone(batch: ImportBatch) -> InvalidTransition:
    if batch.file_deleted_at is not None:
        return InvalidTransition(
            _("The file of this import was deleted on %(date)s (files are kept %(days)s days); upload it again.")
            % {"date": timezone.localtime(batch.file_deleted_at).strftime("%Y-%m-%d"), "days": retention_days()})
    return InvalidTransition(_("This import has no stored file (it was run from the command line); run the "
                               "command again: orders already imported count as duplicates."))


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
        if not batch.file or batch.file_deleted_at is not None:
            raise _file_gone(batch)
        _queue(batch, mode=mode, actor=actor, language=language)
    return batch


def import_batch_resume(*, batch: ImportBatch, actor, language: str = "") -> ImportBatch:
    """Continue a failed (stalled or stopped) import: what it wrote stays, the rest is imported.

    The run reads the file again; orders this batch wrote before it stopped are recognised by their
    import record and counted as imported, so nothing is written twice.
    """
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if not batch.can_resume:
            if batch.mode == ImportBatch.Mode.IMPORT and batch.status == ImportBatch.Status.FAILED:
                raise _file_gone(batch)
            raise InvalidTransition(_("Only an import that stopped can be resumed."))
        _queue(batch, mode=ImportBatch.Mode.IMPORT, actor=actor, language=language)
    return batch


def _queue(batch: ImportBatch, *, mode: str, actor, language: str) -> None:
    batch.mode = mode
    batch.status = ImportBatch.Status.QUEUED
    batch.phase = ""
    batch.rows_done = 0
    batch.failure = ""
    batch.started_at = batch.finished_at = batch.heartbeat_at = None
    batch.run_by = actor_user(actor)
    if language:
        batch.language = language
    batch.save()
    inline = _runs_inline(batch)
    pk = batch.pk
    transaction.on_commit(lambda: import_batch_execute(batch_id=pk) if inline else enqueue_import_job(pk))


def enqueue_import_job(batch_id: int) -> None:
    from django_q.tasks import async_task

    async_task("oms.imports.tasks.run_import_batch", batch_id, task_name=f"import-{batch_id}", group="imports")


def import_batch_execute(*, batch_id: int) -> ImportBatch | None:
    """Run a queued batch (in the request for small files, in a django-q2 worker for large ones)."""
    now = timezone.now()
    claimed = ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.QUEUED).update(
        status=ImportBatch.Status.RUNNING, started_at=now, heartbeat_at=now, phase=ImportBatch.Phase.READING)
    if not claimed:
        return None  # already run (a retried job) or deleted
    batch = ImportBatch.objects.select_related("run_by").get(pk=batch_id)
    dry_run = batch.mode == ImportBatch.Mode.DRY_RUN

    progress = _progress_recorder(batch_id)
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


def import_batch_run_file(*, path, dry_run: bool, actor, language: str = "") -> ImportReport:
    """Import (or check) a file already on this machine: the `import_orders` command's batch.

    A real run is recorded as an import batch, like an upload to the import centre, so that the
    centre's history shows it; a dry run writes nothing at all. Raises `ValidationFailed` when the
    file cannot be read: then no batch is kept either.
    """
    name = os.path.basename(path)
    batch = None
    if not dry_run and os.path.isfile(path):
        now = timezone.now()
        batch = ImportBatch.objects.create(
            file_name=name[:255], file_size=os.path.getsize(path), mode=ImportBatch.Mode.IMPORT,
            status=ImportBatch.Status.RUNNING, started_at=now, heartbeat_at=now, created_by=actor_user(actor),
            run_by=actor_user(actor), language=language or translation.get_language() or settings.LANGUAGE_CODE,
        )
    try:
        report = legacy_orders_import(path=path, file_name=name, dry_run=dry_run, actor=actor, batch=batch,
                                      progress=None if batch is None else _progress_recorder(batch.pk))
    except ValidationFailed:
        if batch is not None:
            batch.delete()  # nothing was read, nothing to keep
        raise
    if batch is not None:
        import_batch_store_report(batch=batch, report=report)
    return report


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


def _progress_recorder(batch_id: int):
    """Progress of a running batch, and its heartbeat: each report says the run is alive."""

    def progress(phase: str, done: int, total: int) -> None:
        ImportBatch.objects.filter(pk=batch_id).update(phase=phase, rows_done=done, rows_total=total,
                                                       heartbeat_at=timezone.now())

    return progress


def stalled_after_minutes() -> int:
    return int(_setting("OMS_IMPORT_STALLED_MINUTES", DEFAULT_STALLED_MINUTES))


def retention_days() -> int:
    return int(_setting("OMS_IMPORT_FILE_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))


def import_batches_fail_stalled(*, now=None) -> list[int]:
    """Mark running batches that showed no sign of life for `OMS_IMPORT_STALLED_MINUTES` as failed.

    Their worker was killed or the machine stopped: the batch would say "running" for ever and
    refuse every run. Orders written before stay; an uploaded import can then be resumed.
    Returns the ids of the batches marked (the django-q2 schedule runs it every five minutes).
    """
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=stalled_after_minutes())
    running = ImportBatch.objects.filter(status=ImportBatch.Status.RUNNING)
    stalled = running.filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff))
    ids = list(stalled.values_list("pk", flat=True))
    for pk in ids:
        with transaction.atomic():
            batch = ImportBatch.objects.select_for_update().filter(pk=pk, status=ImportBatch.Status.RUNNING).first()
            if batch is None:
                continue
            with translation.override(batch.language or settings.LANGUAGE_CODE):
                failure = _("The import stopped making progress (no sign of life for %(minutes)s minutes: its worker "
                            "was probably stopped). Orders written before stay imported; resume it to import the "
                            "rest.") % {"minutes": stalled_after_minutes()}
            ImportBatch.objects.filter(pk=pk).update(status=ImportBatch.Status.FAILED, failure=failure, phase="",
                                                     finished_at=now)
            logger.warning("import batch %s stalled: marked failed", pk)
    return ids


def import_files_purge(*, now=None) -> int:
    """Delete uploaded files older than `OMS_IMPORT_FILE_RETENTION_DAYS`; each batch keeps its report.

    Files of batches still queued or running are kept. Returns how many files were deleted.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=retention_days())
    old = (ImportBatch.objects.filter(created_at__lt=cutoff, file_deleted_at__isnull=True).exclude(file="")
           .exclude(status__in=[ImportBatch.Status.QUEUED, ImportBatch.Status.RUNNING]))
    deleted = 0
    for batch in old.iterator():
        batch.file.delete(save=False)  # no error when the file is already gone
        ImportBatch.objects.filter(pk=batch.pk).update(file="", file_deleted_at=now)
        deleted += 1
    return deleted


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
