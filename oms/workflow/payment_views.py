"""Finance registers a bank transfer: a workflow screen action because the payment may move the
order on (`oms.workflow.payments.register_bank_transfer`); the form lives on finance's order-funds page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.feedback import report_form_errors
from finance.forms import AmountReferenceForm
from finance.models import PaymentSource
from finance.services.payments import SOURCE_MESSAGES
from finance.views import _error_text as funds_error_text
from finance.views import render_order_funds
from oms.workflow.payments import register_bank_transfer
from orders.models import Order


@login_required
@permission_required("finance.record_payment", raise_exception=True)
@require_POST
def bank_transfer(request, number: str):
    order = get_object_or_404(Order, number=number)
    form = AmountReferenceForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
        return render_order_funds(request, number, amount_form=form)
    else:
        try:
            order = register_bank_transfer(order=order, amount=form.cleaned_data["amount"],
                                           reference=form.cleaned_data["reference"], actor=request.user)
        except DomainError as exc:
            # The message names the field by its label (never "reference: …"); the page keeps what was typed.
            messages.error(request, funds_error_text(exc))
            return render_order_funds(request, number, amount_form=form)
        else:
            text = SOURCE_MESSAGES[PaymentSource.MANUAL] % {"amount": f"{form.cleaned_data['amount']:,.2f}",
                                                           "reference": form.cleaned_data["reference"]}
            messages.success(request, f"{text} {order.get_status_display()}")
    return redirect("finance:order-funds", number=number)
