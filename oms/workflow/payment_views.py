"""Finance registers a bank transfer: a workflow screen action because the payment may move the
order on (`oms.workflow.payments.receive_payment`); the form lives on finance's order-funds page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.feedback import report_domain_error, report_form_errors
from finance.events import SOURCE_MESSAGES
from finance.forms import AmountReferenceForm
from finance.models import PaymentSource
from finance.views import FIELD_LABELS, render_order_funds
from oms.workflow.payments import receive_payment
from orders.models import Order, PaymentMethod


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
            order = receive_payment(order=order, amount=form.cleaned_data["amount"],
                                    method=PaymentMethod.BANK_TRANSFER, source=PaymentSource.MANUAL,
                                    reference=form.cleaned_data["reference"], allow_partial=True, actor=request.user)
        except DomainError as exc:
            # Fields named by their labels (never "reference: …"); the page keeps what was typed.
            report_domain_error(request, exc, form=form, labels=FIELD_LABELS)
            return render_order_funds(request, number, amount_form=form)
        else:
            text = SOURCE_MESSAGES[PaymentSource.MANUAL] % {"amount": f"{form.cleaned_data['amount']:,.2f}",
                                                           "reference": form.cleaned_data["reference"]}
            messages.success(request, f"{text} {order.get_status_display()}")
    return redirect("finance:order-funds", number=number)
