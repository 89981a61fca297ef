"""The manual review workbench: on-hold queue, order page, decisions.

Each view parses input, calls one service (or selector) and renders. Domain errors come back as
messages on the page the clerk was on, never as a 500.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError, NotFound
from core.feedback import report_domain_error, report_form_errors
from core.models import Role
from core.money import format_cny
from core.pii import user_can_view_pii
from core.punctuation import is_chinese
from finance.selectors import refundable_payments
from oms.workflow import services
from oms.workflow.automation.approvals import open_levels
from oms.workflow.checks import HOLD_REASON_LABELS
from oms.workflow.filters import ReviewQueueFilter
from oms.workflow.forms import PAGE_SIZES, AddressForm, BulkApproveForm, CommentForm, page_size
from oms.workflow.selectors import hold_reason_details, order_for_review, order_history, order_list_for_review
from orders import services as order_services
from orders.models import Order, OrderStatus

REVIEW_PERMISSION = "orders.review_order"
ADDRESS_EDITABLE = (OrderStatus.PENDING_REVIEW, OrderStatus.ON_HOLD, OrderStatus.AWAITING_PAYMENT,
                    OrderStatus.AWAITING_SHIPMENT)


def reviewer_required(view):
    """Signed-in users with the review permission; others get 403 (anonymous: the login page)."""
    return login_required(permission_required(REVIEW_PERMISSION, raise_exception=True)(view))




def _get_order(number: str) -> Order:
    try:
        return order_for_review(number=number)
    except NotFound:
        raise Http404


@require_GET
@reviewer_required
def review_queue(request):
    return _render_queue(request, request.GET, BulkApproveForm())


def _render_queue(request, params, bulk_form, *, selected=(), status=200):
    filterset = ReviewQueueFilter(params or None, queryset=Order.objects.none(), user=request.user)
    orders = order_list_for_review(filters=params, user=request.user)
    per_page = page_size(params.get("per_page"))
    page = Paginator(orders, per_page).get_page(params.get("page"))
    query = params.copy()
    query.pop("page", None)
    return render(request, "workflow/review_queue.html", {
        "filter": filterset, "page": page, "per_page": per_page, "page_sizes": PAGE_SIZES,
        "query": query.urlencode(), "full_query": params.urlencode(), "reason_labels": HOLD_REASON_LABELS,
        "bulk_form": bulk_form, "selected": set(selected),
    }, status=status)


@require_GET
@reviewer_required
def review_detail(request, number):
    return _render_detail(request, number)


def _render_detail(request, number, **kept):
    """The order's workbench page; after a refused decision, with what the reviewer typed (`kept`)."""
    order = _get_order(number)
    can_view_pii = user_can_view_pii(request.user)
    return render(request, "workflow/review_detail.html", {
        "order": order,
        "lines": list(order.lines.all()),
        "events": list(order.events.all()),
        "history": order_history(order=order, user=request.user),
        "hold_reasons": hold_reason_details(order=order),
        "approval_roles": [Role(r).label for r in sorted(services.required_approval_roles(order=order))],
        "approval_levels": open_levels(order),
        "can_decide": order.status == OrderStatus.ON_HOLD,
        "reject_effect": reject_effect(order),
        "can_edit_address": order.status in ADDRESS_EDITABLE,
        "comment_form": CommentForm(),
        "address_form": AddressForm(order=order, can_view_pii=can_view_pii),
        "approve_comment": "", "reject_comment": "",
        **kept,
    })


def reject_effect(order) -> str:
    """What rejecting does to the money, said before the reviewer confirms."""
    payments = refundable_payments(order_id=order.pk)
    if not payments:
        return _("Rejecting cancels the order and releases its stock. Nothing was paid, so nothing is refunded.")
    refunds = ("、" if is_chinese() else ", ").join(
        _("%(amount)s (%(method)s)") % {"amount": format_cny(p.available), "method": p.get_method_display()}
        for p in payments)
    return _("Rejecting cancels the order, releases its stock and refunds %(refunds)s to the original payment "
             "at once.") % {"refunds": refunds}


def _detail(number):
    return redirect("workflow:review-detail", number=number)


@require_POST
@reviewer_required
def review_approve(request, number):
    order = _get_order(number)
    form = CommentForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
        return _render_detail(request, number, approve_comment=request.POST.get("comment", ""))
    try:
        order = services.approve_order(order=order, actor=request.user, comment=form.cleaned_data["comment"])
    except DomainError as exc:
        report_domain_error(request, exc)
        return _render_detail(request, number, approve_comment=form.cleaned_data["comment"])
    else:
        if order.status == OrderStatus.ON_HOLD:
            messages.warning(request, _("Approved, but the order is on hold again: %(reasons)s") % {
                "reasons": "、".join(str(HOLD_REASON_LABELS.get(c, c)) for c in order.hold_reasons)})
        else:
            messages.success(request, _("Order %(number)s approved; it is now “%(status)s”.") % {
                "number": order.number, "status": order.get_status_display()})
    return _detail(number)


@require_POST
@reviewer_required
def review_reject(request, number):
    order = _get_order(number)
    form = CommentForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
        return _render_detail(request, number, reject_comment=request.POST.get("comment", ""))
    try:
        order = order_services.order_reject(order=order, actor=request.user, comment=form.cleaned_data["comment"])
    except DomainError as exc:
        report_domain_error(request, exc)
        return _render_detail(request, number, reject_comment=form.cleaned_data["comment"])
    else:
        messages.success(request, _("Order %(number)s rejected and cancelled.") % {"number": order.number})
    return _detail(number)


@require_POST
@reviewer_required
def review_change_address(request, number):
    order = _get_order(number)
    form = AddressForm(request.POST, order=order, can_view_pii=user_can_view_pii(request.user))
    if not form.is_valid():
        report_form_errors(request, form)
        return _render_detail(request, number, address_form=form)
    try:
        order_services.order_change_address(order=order, actor=request.user, comment=form.cleaned_data["comment"],
                                            **form.changes)
    except DomainError as exc:
        report_domain_error(request, exc)
        return _render_detail(request, number, address_form=form)
    else:
        messages.success(request, _("Address of order %(number)s changed.") % {"number": order.number})
    return _detail(number)


@require_POST
@reviewer_required
def review_assign_to_me(request, number):
    order = _get_order(number)
    try:
        order_services.order_assign(order=order, assignee=request.user, actor=request.user)
    except DomainError as exc:
        report_domain_error(request, exc)
    else:
        messages.success(request, _("Order %(number)s is assigned to you.") % {"number": order.number})
    next_url = request.POST.get("next")
    if next_url == "queue":
        return redirect(reverse("workflow:review-queue") + _query_suffix(request.POST.get("query", "")))
    return _detail(number)


@require_POST
@reviewer_required
def review_bulk_approve(request):
    form = BulkApproveForm(request.POST)
    back = reverse("workflow:review-queue") + _query_suffix(request.POST.get("query", ""))
    if not form.is_valid():
        # The queue again with the clerk's ticks and comment kept, not a redirect that loses them.
        report_form_errors(request, form)
        params = QueryDict(_query_suffix(request.POST.get("query", "")).lstrip("?"))
        selected = [int(v) for v in request.POST.getlist("orders") if v.isdigit()]
        return _render_queue(request, params, form, selected=selected)
    orders = list(Order.objects.filter(pk__in=form.cleaned_data["orders"]))
    result = services.bulk_approve(orders=orders, actor=request.user, comment=form.cleaned_data["comment"])
    for number in result.succeeded:
        messages.success(request, _("%(number)s: approved.") % {"number": number})
    for number, reason in result.failed.items():
        messages.error(request, _("%(number)s: not approved — %(reason)s") % {"number": number, "reason": reason})
    return redirect(back)


def _query_suffix(query: str) -> str:
    # Only a query string of our own queue page goes back into the redirect.
    query = (query or "").lstrip("?")
    return f"?{query}" if query and "//" not in query and "\n" not in query else ""
