"""The approvals inbox: the approval levels waiting for me (my role's, my name's, escalated to me or
delegated to me), approve / reject with a required comment; and my delegation while I am away.

Each view parses input, calls one service and renders; domain errors come back as messages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError
from core.feedback import report_domain_error, report_form_errors
from oms.workflow.automation import approvals
from oms.workflow.automation.approval_models import ApprovalDelegation, ApprovalTask
from oms.workflow.forms import CommentForm, DelegationForm
from oms.workflow.selectors import held_for_my_approval
from oms.workflow.views import reject_effect


@require_GET
@login_required
def approvals_inbox(request):
    return _render_inbox(request)


def _render_inbox(request, *, kept=None, delegation_form=None, status=200):
    user = request.user
    items = approvals.approvals_waiting_for(user)
    for item in items:
        item.reject_effect = reject_effect(item.order)
        item.comment = (kept or {}).get(item.task.pk, "")
    today = timezone.localdate()
    mine = ApprovalDelegation.objects.filter(delegator=user, ends_on__gte=today).select_related("delegate")
    to_me = ApprovalDelegation.objects.filter(delegate=user, ends_on__gte=today).select_related("delegator")
    return render(request, "workflow/approvals_inbox.html", {
        "items": items, "comment_form": CommentForm(), "today": today,
        "delegation_form": delegation_form or DelegationForm(user=user, initial={"starts_on": today, "ends_on": today}),
        "my_delegations": list(mine), "delegated_to_me": list(to_me),
        "held_for_role": held_for_my_approval(user) if user.has_perm("orders.review_order") else [],
    }, status=status)


@require_POST
@login_required
def approvals_decide(request, pk: int):
    task = ApprovalTask.objects.select_related("request__order").filter(pk=pk).first()
    if task is None:
        raise Http404
    decision = request.POST.get("decision")
    if decision not in ("approve", "reject"):
        messages.error(request, _("Choose approve or reject."))
        return redirect("workflow:approvals")
    form = CommentForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
        return _render_inbox(request, kept={task.pk: request.POST.get("comment", "")})
    number = task.request.order.number
    try:
        approvals.approval_decide(task=task, actor=request.user, approve=decision == "approve",
                                  comment=form.cleaned_data["comment"])
    except DomainError as exc:
        report_domain_error(request, exc)
        return _render_inbox(request, kept={task.pk: form.cleaned_data["comment"]})
    if decision == "approve":
        messages.success(request, _("Order %(number)s: your approval is recorded.") % {"number": number})
    else:
        messages.success(request, _("Order %(number)s rejected and cancelled.") % {"number": number})
    return redirect("workflow:approvals")


@require_POST
@login_required
def delegation_add(request):
    form = DelegationForm(request.POST, user=request.user)
    if not form.is_valid():
        report_form_errors(request, form)
        return _render_inbox(request, delegation_form=form)
    try:
        approvals.delegation_create(delegator=request.user, **form.cleaned_data)
    except DomainError as exc:
        report_domain_error(request, exc)
        return _render_inbox(request, delegation_form=form)
    messages.success(request, _("Your approvals go to %(user)s from %(start)s to %(end)s.") % {
        "user": form.cleaned_data["delegate"].get_username(), "start": form.cleaned_data["starts_on"],
        "end": form.cleaned_data["ends_on"]})
    return redirect("workflow:approvals")


@require_POST
@login_required
def delegation_end(request, pk: int):
    delegation = ApprovalDelegation.objects.filter(pk=pk).first()
    if delegation is None:
        raise Http404
    try:
        approvals.delegation_end(delegation=delegation, actor=request.user)
    except DomainError as exc:
        report_domain_error(request, exc)
    else:
        messages.success(request, _("Delegation ended."))
    return redirect("workflow:approvals")
