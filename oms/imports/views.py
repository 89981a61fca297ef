"""Import centre: template, upload → dry run → report → import, with progress and history.

Views parse the request, call one service and render; the work is in `oms.imports.services`.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError
from core.feedback import report_domain_error
from core.storage import private_file_response
from oms.imports.exports import (
    CSV_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    report_filename,
    report_table,
    template_workbook,
    write_csv,
    write_xlsx,
)
from oms.imports.forms import UploadForm
from oms.imports.models import ImportBatch, ImportIssue
from oms.imports.selectors import import_batch_list, import_issue_list
from oms.imports.services import import_batch_create, import_batch_resume, import_batch_start

ERRORS_PER_PAGE = 100


def migration_staff(view):
    """Logged in (else the login page) and allowed to import (else 403)."""

    @login_required
    @permission_required("imports.run_import", raise_exception=True)
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        return view(request, *args, **kwargs)

    return wrapped


@require_GET
@migration_staff
def import_centre(request):
    page = Paginator(import_batch_list(), 20).get_page(request.GET.get("page"))
    return render(request, "imports/centre.html", {"form": UploadForm(), "page": page})


@require_POST
@migration_staff
def import_upload(request):
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _centre_with_errors(request, form)
    language = translation.get_language()
    try:
        batch = import_batch_create(upload=form.cleaned_data["file"], actor=request.user, language=language)
        import_batch_start(batch=batch, mode=ImportBatch.Mode.DRY_RUN, actor=request.user, language=language)
    except DomainError as exc:
        form.add_error("file", str(exc))
        return _centre_with_errors(request, form)
    return redirect("imports:detail", pk=batch.pk)


def _centre_with_errors(request, form):
    page = Paginator(import_batch_list(), 20).get_page(1)
    return render(request, "imports/centre.html", {"form": form, "page": page}, status=400)


@require_GET
@migration_staff
def import_template(request):
    response = HttpResponse(template_workbook(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="oms-legacy-orders-template.xlsx"'
    return response


@require_GET
@migration_staff
def import_detail(request, pk: int):
    batch = get_object_or_404(import_batch_list(), pk=pk)
    errors = Paginator(import_issue_list(batch=batch, kind=ImportIssue.Kind.ERROR), ERRORS_PER_PAGE)
    context = {
        "batch": batch,
        "errors": errors.get_page(request.GET.get("page")),
        "warnings": import_issue_list(batch=batch, kind=ImportIssue.Kind.WARNING),
        "progress_url": reverse("imports:progress", args=[batch.pk]),
        "progress_template": _("%(done)s of %(total)s rows"),
        # A failed import's counts are the dry run's until a run finishes: count what it really wrote.
        "written_before_failure": (batch.imported_orders.count() if batch.mode == ImportBatch.Mode.IMPORT
                                   and batch.status == ImportBatch.Status.FAILED else 0),
    }
    return render(request, "imports/detail.html", context)


@require_POST
@migration_staff
def import_run(request, pk: int):
    batch = get_object_or_404(ImportBatch, pk=pk)
    mode = request.POST.get("mode")
    if mode not in ImportBatch.Mode.values:
        messages.error(request, _("Unknown action."))
        return redirect("imports:detail", pk=pk)
    try:
        import_batch_start(batch=batch, mode=mode, actor=request.user, language=translation.get_language())
    except DomainError as exc:
        report_domain_error(request, exc)
    return redirect("imports:detail", pk=pk)


@require_POST
@migration_staff
def import_resume(request, pk: int):
    batch = get_object_or_404(ImportBatch, pk=pk)
    try:
        import_batch_resume(batch=batch, actor=request.user, language=translation.get_language())
    except DomainError as exc:
        report_domain_error(request, exc)
    return redirect("imports:detail", pk=pk)


@require_GET
@migration_staff
def import_file(request, pk: int):
    """The uploaded file, to importers only: it is a customer list, kept in private storage."""
    batch = get_object_or_404(ImportBatch, pk=pk)
    return private_file_response(batch.file, as_attachment=True, filename=batch.file_name)


@require_GET
@migration_staff
def import_progress(request, pk: int):
    batch = get_object_or_404(ImportBatch, pk=pk)
    return JsonResponse({
        "status": batch.status,
        "status_label": str(batch.get_status_display()),
        "phase": batch.phase,
        "phase_label": str(batch.get_phase_display()) if batch.phase else "",
        "rows_done": batch.rows_done,
        "rows_total": batch.rows_total,
        "percent": batch.percent,
        "active": batch.is_active,
    })


@require_GET
@migration_staff
def import_report(request, pk: int, fmt: str):
    batch = get_object_or_404(ImportBatch, pk=pk)
    headers, rows = report_table(batch)
    if fmt == "xlsx":
        response = HttpResponse(write_xlsx(headers, rows, title=_("Import report")), content_type=XLSX_CONTENT_TYPE)
    elif fmt == "csv":
        response = HttpResponse(write_csv(headers, rows), content_type=CSV_CONTENT_TYPE)
    else:
        return HttpResponse(_("Unknown format."), status=404, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{report_filename(batch, fmt)}"'
    return response
