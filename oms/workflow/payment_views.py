"""Finance registers a bank transfer: a workflow screen action because the payment may move the
order on (`oms.workflow.payments.receive_payment`); the form lives on finance's order-funds page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.feedback import report_domain_error
from finance.events import SOURCE_MESSAGES
from finance.forms import AmountReferenceForm
from finance.models import PaymentSource
from oms.workflow.payments import receive_payment
from orders.models import Order, PaymentMethod


@login_required
@permission_required("finance.record_payment", raise_exception=True)
@require_POST
def bank_transfer(request, number: str):
    order = get_object_or_404(Order, number=number)
    form = AmountReferenceForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(f"{form.fields[f].label}: {'、'.join(e)}" for f, e in form.errors.items()))
    else:
        try:
            order = receive_payment(order=order, amount=form.cleaned_data["amount"],
                                    method=PaymentMethod.BANK_TRANSFER, source=PaymentSource.MANUAL,
                                    reference=form.cleaned_data["reference"], allow_partial=True, actor=request.user)
        except DomainError as exc:
            report_domain_error(request, exc, form=form)
        else:
            text = SOURCE_MESSAGES[PaymentSource.MANUAL] % {"amount": f"{form.cleaned_data['amount']:,.2f}",
                                                           "reference": form.cleaned_data["reference"]}
            messages.success(request, f"{text} {order.get_status_display()}")
    return redirect("finance:order-funds", number=number)
