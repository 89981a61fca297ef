"""Forms of the after-sales screens. They parse and check types; the rules live in the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.models import ReturnKind, ReturnReason, ReturnStatus
from inventory.models import Warehouse
from logistics.models import Carrier

COMMENT_MAX = 500


class CommentForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), max_length=COMMENT_MAX,
                              error_messages={"required": _("A comment is required.")})


class RefundForm(CommentForm):
    amount = forms.DecimalField(label=_("Refund amount"), max_digits=14, decimal_places=2, min_value=0,
                                required=False)


class ConfirmRefundForm(forms.Form):
    reference = forms.CharField(label=_("Bank reference of the transfer"), max_length=64)


class ParcelForm(forms.Form):
    carrier = forms.ChoiceField(label=_("Carrier"), choices=[("", "—"), *Carrier.choices], required=False)
    tracking_number = forms.CharField(label=_("Return tracking number"), max_length=64)


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All open")),
                                                                          *ReturnStatus.choices])
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *ReturnKind.choices])
    search = forms.CharField(label=_("RMA, order or tracking number"), required=False, max_length=64)
    sla = forms.ChoiceField(label=_("SLA"), required=False, choices=[
        ("", _("All")), ("due_soon", _("Due soon or overdue")), ("overdue", _("Overdue"))])
    awaiting_refund = forms.BooleanField(label=_("Waiting for finance's bank transfer"), required=False)


class ReceivingSearchForm(forms.Form):
    q = forms.CharField(label=_("Return tracking number, order number or RMA number"), max_length=64,
                        required=False)


class ReceiveForm(forms.Form):
    """One count field per return line (`count_<line id>`), the warehouse and a note."""

    warehouse = forms.ModelChoiceField(label=_("Warehouse"), queryset=Warehouse.objects.none(),
                                       to_field_name="code", empty_label=None)
    note = forms.CharField(label=_("Note"), max_length=COMMENT_MAX, required=False)

    def __init__(self, *args, request=None, default_warehouse=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = Warehouse.objects.filter(active=True).order_by("code")
        if default_warehouse is not None:
            self.fields["warehouse"].initial = default_warehouse.code
        self.lines = list(request.lines.all())
        for line in self.lines:
            self.fields[f"count_{line.pk}"] = forms.IntegerField(
                label=line.order_line.sku, min_value=0, max_value=line.quantity, initial=line.quantity)

    def counts(self) -> dict[int, int]:
        return {line.pk: self.cleaned_data[f"count_{line.pk}"] for line in self.lines}

    def line_fields(self):
        return [(line, self[f"count_{line.pk}"]) for line in self.lines]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.ImageField):
    """Several photos in one input; each is checked to be a real image."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*", "multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class InspectForm(forms.Form):
    """Per received line: passed / damaged / wrong-item counts, a note and photos."""

    comment = forms.CharField(label=_("Comment"), max_length=COMMENT_MAX, required=False)

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = [line for line in request.lines.all()]
        for line in self.lines:
            received = line.quantity_received
            self.fields[f"passed_{line.pk}"] = forms.IntegerField(label=_("Passed"), min_value=0, max_value=received,
                                                                  initial=received)
            self.fields[f"damaged_{line.pk}"] = forms.IntegerField(label=_("Damaged"), min_value=0,
                                                                   max_value=received, initial=0)
            self.fields[f"wrong_{line.pk}"] = forms.IntegerField(label=_("Wrong item"), min_value=0,
                                                                 max_value=received, initial=0)
            self.fields[f"note_{line.pk}"] = forms.CharField(label=_("QC notes"), max_length=COMMENT_MAX,
                                                             required=False)
            self.fields[f"photos_{line.pk}"] = MultipleImageField(label=_("Photos"), required=False)

    def line_fields(self):
        return [(line, {name: self[f"{name}_{line.pk}"] for name in ("passed", "damaged", "wrong", "note", "photos")})
                for line in self.lines]

    def results(self):
        from aftersales.services import LineInspection

        return {line.pk: LineInspection(
            passed=self.cleaned_data[f"passed_{line.pk}"], damaged=self.cleaned_data[f"damaged_{line.pk}"],
            wrong=self.cleaned_data[f"wrong_{line.pk}"], note=self.cleaned_data[f"note_{line.pk}"],
            photos=self.cleaned_data[f"photos_{line.pk}"]) for line in self.lines}


class CreateForm(forms.Form):
    """A request raised by customer service: kind, reason, description, units per order line."""

    kind = forms.ChoiceField(label=_("Kind"), choices=ReturnKind.choices)
    reason = forms.ModelChoiceField(label=_("Reason"), queryset=ReturnReason.objects.none(), to_field_name="code")
    description = forms.CharField(label=_("Customer's description"), max_length=1000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    return_tracking_number = forms.CharField(label=_("Return tracking number"), max_length=64, required=False)

    def __init__(self, *args, order=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].queryset = ReturnReason.objects.filter(active=True).order_by("position", "code")
        self.order_lines = list(order.lines.all().order_by("pk"))
        for line in self.order_lines:
            self.fields[f"qty_{line.pk}"] = forms.IntegerField(label=line.sku, min_value=0, initial=0, required=False)
            self.fields[f"exchange_{line.pk}"] = forms.CharField(label=_("Replacement SKU"), max_length=64,
                                                                 required=False)

    def line_fields(self):
        return [(line, self[f"qty_{line.pk}"], self[f"exchange_{line.pk}"]) for line in self.order_lines]

    def line_inputs(self):
        from aftersales.services import ReturnLineInput

        result = []
        for line in self.order_lines:
            quantity = self.cleaned_data.get(f"qty_{line.pk}") or 0
            if quantity:
                result.append(ReturnLineInput(sku=line.sku, quantity=quantity,
                                              exchange_sku=self.cleaned_data.get(f"exchange_{line.pk}") or ""))
        return result
