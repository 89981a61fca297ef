"""The invoice print centre: render many invoices as one PDF or a ZIP of PDFs, now or in the background.

Small selections are rendered in the request (`invoices_render_file`); larger ones become a
`PrintJob` run by a django-q2 worker (`print_job_run`), which stores its progress on the row so the
page can show a progress bar that survives a reload, and the file in private storage.
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ValidationFailed
from finance.models import Invoice, PrintFormat, PrintJob, PrintJobStatus
from finance.selectors import invoices_with_lines
from finance.services.invoices import invoices_mark_printed

logger = logging.getLogger("oms.finance")


@dataclass(frozen=True)
class RenderedFile:
    content: bytes
    filename: str
    content_type: str


def _ordered_ids(invoice_ids) -> list[int]:
    """Print in invoice-number order, whatever order the selection came in."""
    return list(Invoice.objects.filter(pk__in=list(invoice_ids)).order_by("number").values_list("pk", flat=True))


def invoices_render_file(*, invoice_ids, output: str, progress: Callable[[int], None] | None = None,
                         stamp: str | None = None) -> RenderedFile:
    from finance.pdf.render import invoice_renderer

    ids = _ordered_ids(invoice_ids)
    if not ids:
        raise ValidationFailed(errors={"invoices": [_("Select at least one invoice.")]})
    invoices = invoices_with_lines(ids)
    renderer = invoice_renderer()
    stamp = stamp or timezone.localtime().strftime("%Y%m%d-%H%M%S")
    if output == PrintFormat.ZIP:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
            for invoice, pdf in renderer.render_each(invoices, progress=progress):
                archive.writestr(f"{invoice.number}.pdf", pdf)  # PDFs are compressed already
        return RenderedFile(buffer.getvalue(), f"invoices-{stamp}.zip", "application/zip")
    if output != PrintFormat.PDF:
        raise ValidationFailed(errors={"output": [_("Unknown format.")]})
    if len(invoices) == 1:
        return RenderedFile(renderer.render(invoices), f"{invoices[0].number}.pdf", "application/pdf")
    return RenderedFile(renderer.render_merged(invoices, progress=progress), f"invoices-{stamp}.pdf",
                        "application/pdf")


@transaction.atomic
def print_job_create(*, invoice_ids, output: str, mark_printed: bool, actor) -> PrintJob:
    ids = _ordered_ids(invoice_ids)
    if not ids:
        raise ValidationFailed(errors={"invoices": [_("Select at least one invoice.")]})
    if output not in PrintFormat.values:
        raise ValidationFailed(errors={"output": [_("Unknown format.")]})
    job = PrintJob.objects.create(created_by=actor, output=output, invoice_ids=ids, mark_printed=mark_printed,
                                  total=len(ids))
    transaction.on_commit(partial(_enqueue, job.pk), robust=True)
    return job


def _enqueue(job_id: int) -> None:
    from django_q.tasks import async_task

    async_task("finance.tasks.run_print_job", job_id, task_name=f"print-job-{job_id}")


def print_job_run(*, job_id: int) -> PrintJob:
    """Render a print job (in a worker). Progress is saved every few invoices; safe to run twice."""
    # A job whose worker died mid-way (still "running" after the task timeout) may be claimed again
    # when django-q2 retries the task.
    stale = timezone.now() - timedelta(seconds=settings.Q_CLUSTER.get("timeout", 600) + 60)
    claimed = PrintJob.objects.filter(
        Q(status=PrintJobStatus.QUEUED) | Q(status=PrintJobStatus.RUNNING, started_at__lt=stale), pk=job_id,
    ).update(status=PrintJobStatus.RUNNING, started_at=timezone.now(), done=0)
    job = PrintJob.objects.get(pk=job_id)
    if not claimed:
        return job
    step = max(1, job.total // 50)

    def progress(done: int) -> None:
        if done == job.total or done % step == 0:
            PrintJob.objects.filter(pk=job_id).update(done=done)

    try:
        rendered = invoices_render_file(invoice_ids=job.invoice_ids, output=job.output, progress=progress,
                                        stamp=f"job{job.pk}")
        job.file.save(rendered.filename, ContentFile(rendered.content), save=False)
        if job.mark_printed:
            invoices_mark_printed(invoice_ids=job.invoice_ids, actor=job.created_by)
    except Exception as exc:  # noqa: BLE001 — the page shows the failure; the worker log has the traceback
        logger.exception("print job %s failed", job_id)
        PrintJob.objects.filter(pk=job_id).update(status=PrintJobStatus.FAILED, error=str(exc)[:2000],
                                                  finished_at=timezone.now())
    else:
        PrintJob.objects.filter(pk=job_id).update(status=PrintJobStatus.DONE, done=job.total, file=job.file.name,
                                                  finished_at=timezone.now())
    return PrintJob.objects.get(pk=job_id)
