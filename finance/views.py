"""Finance screens: the invoice print centre, the receivables aging report and an order's funds.

Views parse input, call one service and render; domain errors become messages.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError
from core.feedback import report_domain_error, report_form_errors
from finance import services
from finance.forms import (
    AmountReferenceForm,
    InvoiceFilterForm,
    InvoiceIssueForm,
    PrintActionForm,
    ReasonForm,
    RefundApproveForm,
    RefundForm,
)
from finance.models import Account, Invoice, PrintJob, PrintJobStatus, Refund, RefundApproval
from finance.selectors import (
    invoice_list,
    order_funds,
    print_centre_counts,
    receivables_aging,
    refund_approvals_decided,
    refund_approvals_pending,
    refundable_payments,
)
from finance.services.printing import invoices_render_file, print_job_create
from finance.vat import buyer_for
from orders.models import Order, OrderStatus

PAGE_SIZE = 50


# How a service's error names the field it is about, in the clerk's words (never the raw name).
FIELD_LABELS = {"amount": _lazy("Amount"), "reference": _lazy("Reference"), "reason": _lazy("Reason"),
                "buyer_name": _lazy("Invoice title"), "buyer_tax_id": _lazy("Taxpayer ID"),
                "buyer_address_phone": _lazy("Registered address and phone"),
                "buyer_bank_account": _lazy("Bank and account")}


def _attachment(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@permission_required("finance.print_invoice", raise_exception=True)
def print_centre(request):
    form = InvoiceFilterForm(request.GET or None)
    queryset = invoice_list(filters=form.filters())
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    jobs = PrintJob.objects.filter(created_by=request.user).order_by("-created_at")[:8]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "finance/print_centre.html", {
        "form": form, "page": page, "matching": page.paginator.count, "jobs": jobs, "query": query.urlencode(),
        "sync_limit": settings.OMS_PRINT_SYNC_LIMIT, "counts": print_centre_counts(),
    })


@login_required
@permission_required("finance.print_invoice", raise_exception=True)
@require_POST
def print_centre_action(request):
    filters = InvoiceFilterForm(request.GET or None)
    back = f"{reverse('finance:print-centre')}?{request.GET.urlencode()}"
    form = PrintActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an action and a format."))
        return redirect(back)
    data = form.cleaned_data
    if data["select_all"]:
        ids = list(invoice_list(filters=filters.filters()).values_list("pk", flat=True))
    else:
        ids = data["ids"]
    if not ids:
        messages.error(request, _("Select at least one invoice."))
        return redirect(back)
    try:
        if data["action"] == "mark":
            count = services.invoices_mark_printed(invoice_ids=ids, actor=request.user)
            messages.success(request, ngettext("%(n)d invoice marked as printed.",
                                               "%(n)d invoices marked as printed.", count) % {"n": count})
            return redirect(back)
        if data["action"] == "background" or len(ids) > settings.OMS_PRINT_SYNC_LIMIT:
            job = print_job_create(invoice_ids=ids, output=data["output"], mark_printed=data["mark_printed"],
                                   actor=request.user)
            messages.info(request, _("Print job %(id)s started for %(n)d invoices; the file appears below when "
                                     "it is ready.") % {"id": job.pk, "n": job.total})
            return redirect(back)
        rendered = invoices_render_file(invoice_ids=ids, output=data["output"])
        if data["mark_printed"]:
            services.invoices_mark_printed(invoice_ids=ids, actor=request.user)
    except DomainError as exc:
        report_domain_error(request, exc)
        return redirect(back)
    return _attachment(rendered.content, rendered.filename, rendered.content_type)


@login_required
@permission_required("finance.print_invoice", raise_exception=True)
@require_GET
def print_job_status(request, pk: int):
    job = get_object_or_404(PrintJob, pk=pk, created_by=request.user)
    return JsonResponse({
        "id": job.pk, "status": job.status, "status_display": job.get_status_display(), "done": job.done,
        "total": job.total, "percent": job.percent, "error": job.error,
        "download": reverse("finance:print-job-download", args=[job.pk]) if job.status == PrintJobStatus.DONE
        else None,
    })


@login_required
@permission_required("finance.print_invoice", raise_exception=True)
@require_GET
def print_job_download(request, pk: int):
    job = get_object_or_404(PrintJob, pk=pk, created_by=request.user, status=PrintJobStatus.DONE)
    if not job.file:
        raise Http404
    content_type = "application/zip" if job.file.name.endswith(".zip") else "application/pdf"
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.file.name.rsplit("/", 1)[-1],
                        content_type=content_type)


@login_required
@permission_required("finance.view_invoice", raise_exception=True)
@require_GET
def invoice_pdf(request, pk: int):
    invoice = get_object_or_404(Invoice, pk=pk)
    rendered = invoices_render_file(invoice_ids=[invoice.pk], output="pdf")
    response = HttpResponse(rendered.content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{rendered.filename}"'
    return response


@login_required
@permission_required("finance.view_receivables", raise_exception=True)
@require_GET
def receivables(request):
    rows, totals = receivables_aging()
    return render(request, "finance/receivables.html", {"rows": rows, "totals": totals, "grand": sum(totals)})


@login_required
@permission_required("finance.view_payment", raise_exception=True)
@require_GET
def order_funds_view(request, number: str):
    return render_order_funds(request, number)


def _invoice_initial(order) -> dict:
    buyer = buyer_for(order)
    return {"invoice_type": buyer.invoice_type, "title": buyer.title, "tax_id": buyer.tax_id,
            "address_phone": buyer.address_phone, "bank_account": buyer.bank_account}


def render_order_funds(request, number: str, *, status: int = 200, **forms):
    """The funds page; after a refused form, with that form bound so what the clerk typed stays."""
    order = get_object_or_404(Order.objects.select_related("channel", "customer"), number=number)
    context = order_funds(order_id=order.pk)
    context["balances"] = {Account(code).label: value for code, value in context["balances"].items()}
    context["has_active_invoice"] = any(inv.kind == "invoice" and inv.status == "issued" for inv in context["invoices"])
    context.update(order=order, amount_form=AmountReferenceForm(), cod_form=AmountReferenceForm(),
                   refund_form=RefundForm(), reason_form=ReasonForm(), approve_form=RefundApproveForm(),
                   pending_approval=next((a for a in context["approvals"] if a.status == "pending"), None),
                   can_refund=bool(refundable_payments(order_id=order.pk)),
                   # a transfer is registered only against money still owed, never for a cancelled order
                   can_register_transfer=(order.status != OrderStatus.CANCELLED and order.outstanding_amount > 0),
                   invoice_form=InvoiceIssueForm(initial=_invoice_initial(order)),
                   events=order.events.filter(kind__in=FUNDS_EVENT_KINDS).order_by("at", "id"))
    context.update(forms)
    return render(request, "finance/order_funds.html", context, status=status)


FUNDS_EVENT_KINDS = ("payment_recorded", "payment_failed", "refund_requested", "refund_completed", "refund_failed",
                     "refund_withdrawn", "refund_approval_requested", "refund_approved", "refund_rejected",
                     "revenue_recognised", "revenue_reversed", "invoice_issued", "invoice_voided")


def _order_action(request, number: str, call, **forms):
    order = get_object_or_404(Order, number=number)
    try:
        message = call(order)
    except DomainError as exc:
        report_domain_error(request, exc, labels=FIELD_LABELS)
        if forms:  # the page again with what was typed
            return render_order_funds(request, order.number, **forms)
    else:
        messages.success(request, message)
    return redirect("finance:order-funds", number=order.number)


def _form_or_error(request, form) -> dict | None:
    if form.is_valid():
        return form.cleaned_data
    report_form_errors(request, form)
    return None


@login_required
@permission_required("finance.issue_invoice", raise_exception=True)
@require_POST
def order_issue_invoice(request, number: str):
    form = InvoiceIssueForm(request.POST)
    data = _form_or_error(request, form)
    if data is None:
        return render_order_funds(request, number, invoice_form=form)

    def call(order):
        invoice = services.invoice_issue(order=order, actor=request.user, buyer=form.buyer())
        return _("Invoice %(number)s issued.") % {"number": invoice.number}

    return _order_action(request, number, call, invoice_form=form)


@login_required
@permission_required("finance.void_invoice", raise_exception=True)
@require_POST
def invoice_void(request, pk: int):
    invoice = get_object_or_404(Invoice, pk=pk)
    data = _form_or_error(request, ReasonForm(request.POST))
    if data is not None:
        try:
            credit = services.invoice_void(invoice=invoice, reason=data["reason"], actor=request.user)
        except DomainError as exc:
            report_domain_error(request, exc)
        else:
            messages.success(request, _("Invoice %(number)s voided; credit note %(credit)s issued.")
                             % {"number": invoice.number, "credit": credit.number})
    return redirect("finance:order-funds", number=invoice.order.number)


@login_required
@permission_required("finance.request_refund", raise_exception=True)
@require_POST
def order_refund(request, number: str):
    form = RefundForm(request.POST)
    data = _form_or_error(request, form)
    if data is None:
        return render_order_funds(request, number, refund_form=form)

    def call(order):
        done = services.refund_request_manual(order=order, amount=data["amount"], reason=data["reason"],
                                              actor=request.user)
        if done.approval is not None:
            return _("Refund of ¥%(amount)s is above the approval limit: it now awaits the finance director's "
                     "approval; nothing has been paid.") % {"amount": f"{done.amount:,.2f}"}
        return _("Refund of ¥%(amount)s requested.") % {"amount": f"{done.amount:,.2f}"}

    return _order_action(request, number, call, refund_form=form)


@login_required
@permission_required("finance.approve_refund", raise_exception=True)
@require_GET
def refund_approvals(request):
    """The finance director's queue: refunds outside a return waiting for approval, their own left out."""
    waiting = list(refund_approvals_pending(user=request.user))
    own = refund_approvals_pending().filter(requested_by=request.user).count()
    return render(request, "finance/refund_approvals.html", {
        "waiting": waiting, "own": own, "decided": refund_approvals_decided(),
        "approve_form": RefundApproveForm(), "reason_form": ReasonForm()})


def _decided_redirect(request, approval: RefundApproval):
    # Back to the screen the decision was taken on: the order's funds page or the queue.
    if request.POST.get("back") == "funds":
        return redirect("finance:order-funds", number=approval.order.number)
    return redirect("finance:refund-approvals")


@login_required
@permission_required("finance.approve_refund", raise_exception=True)
@require_POST
def refund_approval_approve(request, pk: int):
    approval = get_object_or_404(RefundApproval.objects.select_related("order"), pk=pk)
    form = RefundApproveForm(request.POST)
    if _form_or_error(request, form) is not None:
        try:
            refunds = services.refund_approval_approve(approval=approval, actor=request.user,
                                                       comment=form.cleaned_data["comment"])
        except DomainError as exc:
            report_domain_error(request, exc, labels=FIELD_LABELS)
        else:
            messages.success(request, _("Refund of ¥%(amount)s for order %(number)s approved and sent.")
                             % {"amount": f"{sum(r.amount for r in refunds):,.2f}", "number": approval.order.number})
    return _decided_redirect(request, approval)


@login_required
@permission_required("finance.approve_refund", raise_exception=True)
@require_POST
def refund_approval_reject(request, pk: int):
    approval = get_object_or_404(RefundApproval.objects.select_related("order"), pk=pk)
    data = _form_or_error(request, ReasonForm(request.POST))
    if data is not None:
        try:
            services.refund_approval_reject(approval=approval, actor=request.user, reason=data["reason"])
        except DomainError as exc:
            report_domain_error(request, exc, labels=FIELD_LABELS)
        else:
            messages.success(request, _("Refund request for order %(number)s rejected; nothing was paid.")
                             % {"number": approval.order.number})
    return _decided_redirect(request, approval)


@login_required
@permission_required("finance.request_refund", raise_exception=True)
@require_POST
def refund_withdraw(request, pk: int):
    refund = get_object_or_404(Refund, pk=pk)
    data = _form_or_error(request, ReasonForm(request.POST))
    if data is not None:
        try:
            services.refund_withdraw(refund=refund, reason=data["reason"], actor=request.user)
        except DomainError as exc:
            report_domain_error(request, exc)
        else:
            messages.success(request, _("Refund withdrawn; the amount is held for the customer again."))
    return redirect("finance:order-funds", number=refund.order.number)


@login_required
@permission_required("finance.record_payment", raise_exception=True)
@require_POST
def order_cod_collect(request, number: str):
    form = AmountReferenceForm(request.POST)
    data = _form_or_error(request, form)
    if data is None:
        return render_order_funds(request, number, cod_form=form)

    def call(order):
        services.cod_collect(order=order, amount=data["amount"], reference=data["reference"], actor=request.user)
        return _("Cash on delivery of ¥%(amount)s recorded.") % {"amount": f"{data['amount']:,.2f}"}

    return _order_action(request, number, call, cod_form=form)
