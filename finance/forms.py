from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from finance.models import InvoiceStatus, InvoiceType, PrintFormat
from finance.selectors import InvoiceFilters
from orders.models import Channel


class InvoiceFilterForm(forms.Form):
    date_from = forms.DateField(label=_("Issued from"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[
        ("", _("All")), (InvoiceStatus.ISSUED, _("Issued")), (InvoiceStatus.VOIDED, _("Voided")),
        ("credit_note", _("Credit notes"))])
    printed = forms.ChoiceField(label=_("Printed"), required=False, choices=[
        ("", _("All")), ("no", _("Not printed")), ("yes", _("Printed"))])
    q = forms.CharField(label=_("Search"), required=False,
                        widget=forms.TextInput(attrs={"placeholder": _("Invoice, order or buyer")}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [("", _("All")), *Channel.objects.values_list("code", "name")]

    def filters(self) -> InvoiceFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return InvoiceFilters(date_from=data.get("date_from"), date_to=data.get("date_to"),
                              channel=data.get("channel") or "", status=data.get("status") or "",
                              printed=data.get("printed") or "", query=data.get("q") or "")


class PrintActionForm(forms.Form):
    ACTIONS = (("download", _("Download")), ("background", _("Run in background")), ("mark", _("Mark as printed")))

    action = forms.ChoiceField(choices=ACTIONS)
    output = forms.ChoiceField(choices=PrintFormat.choices, initial=PrintFormat.PDF)
    mark_printed = forms.BooleanField(required=False, initial=True)
    select_all = forms.BooleanField(required=False)
    ids = forms.TypedMultipleChoiceField(coerce=int, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any integer is a valid choice; the service ignores ids that are not invoices.
        self.fields["ids"].valid_value = lambda value: str(value).isdigit()


def _placeholder(text):
    return {"placeholder": text}


class AmountReferenceForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, min_value=Decimal("0.01"),
                                widget=forms.NumberInput(attrs={**_placeholder(_("Amount")), "step": "0.01"}))
    reference = forms.CharField(label=_("Reference"), max_length=100,
                                widget=forms.TextInput(attrs=_placeholder(_("Bank or remittance reference"))))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=255, widget=forms.TextInput(attrs=_placeholder(_("Reason"))))


class RefundForm(ReasonForm):
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, min_value=Decimal("0.01"),
                                required=False, help_text=_("Empty: everything held for the customer."),
                                widget=forms.NumberInput(attrs={**_placeholder(_("Amount (empty: all held)")),
                                                                "step": "0.01"}))


class RefundApproveForm(forms.Form):
    comment = forms.CharField(label=_("Approval note"), max_length=255, required=False,
                              widget=forms.TextInput(attrs=_placeholder(_("Note (optional)"))))


class InvoiceIssueForm(forms.Form):
    """The buyer details an invoice is issued with, pre-filled from the order's request or the customer."""

    invoice_type = forms.ChoiceField(label=_("Invoice type"), choices=InvoiceType.choices)
    title = forms.CharField(label=_("Invoice title"), max_length=200)
    tax_id = forms.CharField(label=_("Taxpayer ID"), max_length=32, required=False)
    address_phone = forms.CharField(label=_("Registered address and phone"), max_length=200, required=False)
    bank_account = forms.CharField(label=_("Bank and account"), max_length=200, required=False)

    def buyer(self):
        from finance.vat import Buyer, normalise_tax_id

        data = self.cleaned_data
        return Buyer(invoice_type=data["invoice_type"], title=data["title"].strip(),
                     tax_id=normalise_tax_id(data["tax_id"]), address_phone=data["address_phone"].strip(),
                     bank_account=data["bank_account"].strip())
