"""The after-sales workbench: queue by state and age with SLA warnings, a request's page with its
actions (each with a required comment), receiving by tracking or order number, QC per line, and a
form for customer service to raise a request.

Each view parses input, calls one service (or selector) and renders; domain errors come back as
messages on the page the clerk was on.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aftersales import goods, services
from aftersales.forms import (
    CommentForm,
    ConfirmRefundForm,
    CreateForm,
    InspectForm,
    ParcelForm,
    QueueFilterForm,
    ReceiveForm,
    ReceivingSearchForm,
    RefundForm,
)
from aftersales.models import QcPhoto, ReturnKind, ReturnSource, ReturnStatus
from aftersales.rules import refund_quote, returnable_quantities
from aftersales.selectors import (
    QueueFilters,
    attach_sla,
    awaiting_refund_count,
    order_for_return,
    orders_for_return,
    parcels_to_receive,
    queue_counts,
    return_request_detail,
    return_request_queue,
    return_request_timeline,
    sla_filter,
)
from core.errors import DomainError, NotFound
from core.feedback import report_domain_error, report_form_errors
from core.storage import private_file_response

PAGE_SIZE = 50


def _perm(name: str):
    def decorator(view):
        return login_required(permission_required(name, raise_exception=True)(view))

    return decorator




def _get(number: str):
    try:
        return return_request_detail(number=number)
    except NotFound:
        raise Http404


def _detail(number: str):
    return redirect("aftersales:detail", number=number)


@require_GET
@_perm("aftersales.view_returnrequest")
def queue(request):
    form = QueueFilterForm(request.GET or None)
    filters = QueueFilters()
    if form.is_valid():
        filters = QueueFilters(status=form.cleaned_data["status"], kind=form.cleaned_data["kind"],
                               search=form.cleaned_data["search"], sla=form.cleaned_data["sla"],
                               awaiting_refund=form.cleaned_data["awaiting_refund"])
    rows = sla_filter(return_request_queue(filters=filters), filters.sla)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = attach_sla(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    counts = queue_counts()
    return render(request, "aftersales/queue.html", {
        "form": form, "page": page, "query": query.urlencode(),
        "tabs": [(status, ReturnStatus(status).label, counts[status]) for status in counts],
        "current_status": filters.status, "awaiting_refund": filters.awaiting_refund,
        "awaiting_refund_count": awaiting_refund_count(),
    })


@require_GET
@_perm("aftersales.view_returnrequest")
def detail(request, number):
    rma = _get(number)
    user = request.user
    quote = refund_quote(rma, lines=list(rma.lines.all())) if rma.status in (
        ReturnStatus.INSPECTED, ReturnStatus.APPROVED) and rma.kind != ReturnKind.EXCHANGE else None
    status = rma.status
    can = {
        "decide": status == ReturnStatus.REQUESTED and user.has_perm("aftersales.approve_returnrequest"),
        "parcel": status in (ReturnStatus.APPROVED, ReturnStatus.AWAITING_RETURN) and rma.takes_goods_back
        and user.has_perm("aftersales.change_returnrequest"),
        "receive": status in (ReturnStatus.APPROVED, ReturnStatus.AWAITING_RETURN) and rma.takes_goods_back
        and user.has_perm("aftersales.receive_returnrequest"),
        "inspect": status == ReturnStatus.RECEIVED and user.has_perm("aftersales.inspect_returnrequest"),
        "refund": user.has_perm("aftersales.refund_returnrequest") and (
            (status == ReturnStatus.INSPECTED and rma.kind == ReturnKind.RETURN)
            or (status == ReturnStatus.APPROVED and rma.kind == ReturnKind.REFUND_ONLY)),
        "exchange": status == ReturnStatus.INSPECTED and rma.kind == ReturnKind.EXCHANGE
        and user.has_perm("aftersales.exchange_returnrequest"),
        "close": status in (ReturnStatus.APPROVED, ReturnStatus.AWAITING_RETURN, ReturnStatus.INSPECTED,
                            ReturnStatus.REFUNDED, ReturnStatus.EXCHANGED)
        and not rma.awaiting_manual_refund and user.has_perm("aftersales.close_returnrequest"),
        "confirm": status == ReturnStatus.REFUNDED and rma.awaiting_manual_refund
        and user.has_perm("aftersales.confirm_refund"),
    }
    return render(request, "aftersales/detail.html", {
        "rma": rma, "lines": list(rma.lines.all()), "events": list(return_request_timeline(request=rma)),
        "quote": quote, "can": can,
        "comment_form": CommentForm(), "parcel_form": ParcelForm(initial={
            "carrier": rma.return_carrier, "tracking_number": rma.return_tracking_number}),
        "refund_form": RefundForm(initial={"amount": quote.total if quote else None}),
        "confirm_form": ConfirmRefundForm(),
        "exception_needed": rma.needs_approval and not user.has_perm("aftersales.approve_exception"),
    })


def _comment_action(request, number, service, success):
    rma = _get(number)
    form = CommentForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
        return _detail(number)
    try:
        rma = service(request=rma, actor=request.user, comment=form.cleaned_data["comment"])
    except DomainError as exc:
        report_domain_error(request, exc)
    else:
        messages.success(request, success % {"number": rma.number, "status": rma.get_status_display()})
    return _detail(number)


@require_POST
@_perm("aftersales.approve_returnrequest")
def approve(request, number):
    return _comment_action(request, number, services.return_request_approve,
                           _("%(number)s approved; it is now “%(status)s”."))


@require_POST
@_perm("aftersales.approve_returnrequest")
def reject(request, number):
    return _comment_action(request, number, services.return_request_reject, _("%(number)s rejected."))


@require_POST
@_perm("aftersales.exchange_returnrequest")
def exchange(request, number):
    return _comment_action(request, number, services.return_request_exchange,
                           _("%(number)s exchanged; the replacement order is on its way through the warehouse."))


@require_POST
@_perm("aftersales.close_returnrequest")
def close(request, number):
    return _comment_action(request, number, services.return_request_close, _("%(number)s closed."))


@require_POST
@_perm("aftersales.refund_returnrequest")
def refund(request, number):
    rma = _get(number)
    form = RefundForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
        return _detail(number)
    try:
        rma = services.return_request_refund(request=rma, actor=request.user, comment=form.cleaned_data["comment"],
                                             amount=form.cleaned_data["amount"])
    except DomainError as exc:
        report_domain_error(request, exc)
    else:
        messages.success(request, _("%(number)s refunded %(amount)s.") % {
            "number": rma.number, "amount": f"¥{rma.refund_amount:,.2f}"})
    return _detail(number)


@require_POST
@_perm("aftersales.confirm_refund")
def confirm_refund(request, number):
    rma = _get(number)
    form = ConfirmRefundForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
        return _detail(number)
    try:
        rma = services.return_request_confirm_refund(request=rma, actor=request.user,
                                                     reference=form.cleaned_data["reference"])
    except DomainError as exc:
        report_domain_error(request, exc)
    else:
        messages.success(request, _("Bank transfer of %(number)s confirmed; the request is closed.")
                         % {"number": rma.number})
    return _detail(number)


@require_POST
@_perm("aftersales.change_returnrequest")
def register_parcel(request, number):
    rma = _get(number)
    form = ParcelForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
        return _detail(number)
    try:
        services.return_request_register_parcel(request=rma, actor=request.user, carrier=form.cleaned_data["carrier"],
                                                tracking_number=form.cleaned_data["tracking_number"])
    except DomainError as exc:
        report_domain_error(request, exc)
    else:
        messages.success(request, _("Return parcel noted."))
    return _detail(number)


@require_GET
@_perm("aftersales.receive_returnrequest")
def receiving(request):
    form = ReceivingSearchForm(request.GET or None)
    term = form.cleaned_data["q"] if form.is_valid() else ""
    rows = list(parcels_to_receive(search=term)[:PAGE_SIZE]) if term else []
    if term and len(rows) == 1:
        return redirect("aftersales:receive", number=rows[0].number)
    return render(request, "aftersales/receiving.html", {"form": form, "rows": rows, "term": term,
                                                         "waiting": parcels_to_receive(search="").count()})


@require_http_methods(["GET", "POST"])
@_perm("aftersales.receive_returnrequest")
def receive(request, number):
    rma = _get(number)
    if rma.status not in (ReturnStatus.APPROVED, ReturnStatus.AWAITING_RETURN) or not rma.takes_goods_back:
        messages.error(request, _("%(number)s is “%(status)s”: there is nothing to receive.") % {
            "number": rma.number, "status": rma.get_status_display()})
        return _detail(rma.number)
    form = ReceiveForm(request.POST or None, request=rma, default_warehouse=goods.shipped_from(rma))
    if request.method == "POST":
        if form.is_valid():
            try:
                services.return_request_receive(request=rma, counts=form.counts(), actor=request.user,
                                                warehouse=form.cleaned_data["warehouse"],
                                                note=form.cleaned_data["note"])
            except DomainError as exc:
                report_domain_error(request, exc)
            else:
                messages.success(request, _("%(number)s received; now inspect the goods.") % {"number": rma.number})
                if request.user.has_perm("aftersales.inspect_returnrequest"):
                    return redirect("aftersales:inspect", number=rma.number)
                return redirect("aftersales:receiving")
        else:
            report_form_errors(request, form)
    return render(request, "aftersales/receive.html", {"rma": rma, "form": form})


@require_http_methods(["GET", "POST"])
@_perm("aftersales.inspect_returnrequest")
def inspect(request, number):
    rma = _get(number)
    if rma.status != ReturnStatus.RECEIVED:
        messages.error(request, _("%(number)s is “%(status)s”: only received goods are inspected.") % {
            "number": rma.number, "status": rma.get_status_display()})
        return _detail(rma.number)
    form = InspectForm(request.POST or None, request.FILES or None, request=rma)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.return_request_inspect(request=rma, results=form.results(), actor=request.user,
                                                comment=form.cleaned_data["comment"])
            except DomainError as exc:
                report_domain_error(request, exc)
            else:
                messages.success(request, _("QC of %(number)s recorded.") % {"number": rma.number})
                return _detail(rma.number)
        else:
            report_form_errors(request, form)
    return render(request, "aftersales/inspect.html", {"rma": rma, "form": form})


@require_http_methods(["GET", "POST"])
@_perm("aftersales.add_returnrequest")
def create(request):
    number = (request.GET.get("order") or request.POST.get("order") or "").strip()
    if not number:
        return render(request, "aftersales/create.html", {"order": None, "number": ""})
    try:
        order = order_for_return(number=number)
    except NotFound:
        # Not an exact order number: the same things the global search understands.
        candidates = orders_for_return(term=number)
        if len(candidates) == 1:
            order = candidates[0]
        elif candidates:
            return render(request, "aftersales/create.html", {"order": None, "number": number,
                                                              "candidates": candidates})
        else:
            messages.error(request, _("Order %(number)s not found.") % {"number": number})
            return render(request, "aftersales/create.html", {"order": None, "number": number})
    form = CreateForm(request.POST or None, order=order)
    if request.method == "POST":
        if form.is_valid():
            try:
                rma = services.return_request_create(
                    order=order, kind=form.cleaned_data["kind"], reason=form.cleaned_data["reason"].code,
                    lines=form.line_inputs(), description=form.cleaned_data["description"],
                    return_tracking_number=form.cleaned_data["return_tracking_number"],
                    source=ReturnSource.BACK_OFFICE, actor=request.user)
            except DomainError as exc:
                report_domain_error(request, exc)
            else:
                messages.success(request, _("%(number)s created.") % {"number": rma.number})
                return _detail(rma.number)
        else:
            report_form_errors(request, form)
    lines = list(order.lines.all())
    returnable = returnable_quantities(order, lines)
    return render(request, "aftersales/create.html", {
        "order": order, "number": order.number, "form": form,
        "rows": [(line, qty, exchange, returnable[line.pk]) for line, qty, exchange in form.line_fields()],
    })


@require_GET
@_perm("aftersales.view_qcphoto")
def photo(request, pk: int):
    """A QC photo, to signed-in staff who may see them (photos are not public media)."""
    found = QcPhoto.objects.filter(pk=pk).first()
    if found is None:
        raise Http404
    return private_file_response(found.image)
