"""Forms of the warehouse screens: they parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from inventory.models import Warehouse
from logistics.models import Carrier, ShipmentStatus


def own_warehouses():
    return Warehouse.objects.filter(active=True).exclude(kind=Warehouse.Kind.EXTERNAL_WMS).order_by("code")


class WaveFilterForm(forms.Form):
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), queryset=Warehouse.objects.none(), empty_label=None)
    carrier = forms.ChoiceField(label=_("Carrier"), required=False,
                                choices=[("", _("All carriers")), *Carrier.choices])
    cutoff = forms.DateTimeField(label=_("Cut-off time"), required=False,
                                 widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                            format="%Y-%m-%dT%H:%M"),
                                 input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = own_warehouses()


class ShipmentFilterForm(forms.Form):
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), queryset=Warehouse.objects.none(), required=False,
                                       empty_label=_("All warehouses"))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All statuses")),
                                                                          *ShipmentStatus.choices])
    carrier = forms.ChoiceField(label=_("Carrier"), required=False, choices=[("", _("All carriers")), *Carrier.choices])
    printed = forms.ChoiceField(label=_("Label"), required=False, choices=[
        ("", _("Printed or not")), ("no", _("Not printed yet")), ("yes", _("Printed"))])
    q = forms.CharField(label=_("Search"), required=False,
                        widget=forms.TextInput(attrs={"placeholder": _("Shipment, order or tracking number")}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = Warehouse.objects.filter(active=True).order_by("code")

    def printed_value(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.cleaned_data.get("printed") or "")
