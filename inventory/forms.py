"""Forms of the warehouse clerk screens: they parse and check types; the services check the business."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from inventory.models import Warehouse

MAX_SHEET_BYTES = 2 * 1024 * 1024


WAREHOUSE_LABEL = _("Warehouse")


def warehouse_field(label=WAREHOUSE_LABEL, **kwargs):
    return forms.ModelChoiceField(queryset=Warehouse.objects.filter(active=True).order_by("code"), label=label,
                                  to_field_name="code", **kwargs)


class StockFilterForm(forms.Form):
    q = forms.CharField(label=_("SKU, name or barcode"), required=False)
    warehouse = warehouse_field(required=False, empty_label=_("All warehouses"))
    low = forms.BooleanField(label=_("Low stock only"), required=False)


class ReceiptForm(forms.Form):
    warehouse = warehouse_field()
    reference = forms.CharField(label=_("Supplier delivery note / PO"), max_length=64, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class ReceiptLineForm(forms.Form):
    sku = forms.CharField(label=_("SKU"), max_length=64)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1)
    batch_number = forms.CharField(label=_("Batch number"), max_length=64, required=False)
    expiry_date = forms.DateField(label=_("Expiry date"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    bin_code = forms.CharField(label=_("Bin"), max_length=32, required=False)
    unit_cost = forms.DecimalField(label=_("Unit cost"), required=False, min_value=0, max_digits=14, decimal_places=2,
                                   help_text=_("Empty: the product's standard cost."))


ReceiptLineFormSet = forms.formset_factory(ReceiptLineForm, extra=5, max_num=50, min_num=1, validate_min=True)


class AdjustmentForm(forms.Form):
    warehouse = warehouse_field()
    sku = forms.CharField(label=_("SKU"), max_length=64)
    quantity_change = forms.IntegerField(label=_("Change (+/−)"),
                                         help_text=_("Positive adds stock, negative removes it."))
    reason = forms.CharField(label=_("Reason"), max_length=200,
                             help_text=_("Required: damage, loss, goods found, correction …"))


class TransferForm(forms.Form):
    source = warehouse_field(label=_("From warehouse"))
    destination = warehouse_field(label=_("To warehouse"))
    sku = forms.CharField(label=_("SKU"), max_length=64)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1)
    reason = forms.CharField(label=_("Reason"), max_length=200)


class StocktakeUploadForm(forms.Form):
    warehouse = warehouse_field()
    file = forms.FileField(label=_("Count sheet (.xlsx or .csv)"),
                           help_text=_("Columns: sku, counted (or 商品编码, 盘点数量). One row per SKU."))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not name.endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("Upload an .xlsx or .csv file."))
        if upload.size > MAX_SHEET_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        return upload


def apply_domain_errors(form, exc, *, field_map: dict[str, str] | None = None) -> None:
    """Show a service's `ValidationFailed.errors` on the form's fields (or on top when no field fits)."""
    field_map = field_map or {}
    if not exc.errors:
        form.add_error(None, str(exc))
        return
    for path, messages in exc.errors.items():
        name = field_map.get(path, path)
        for message in messages:
            form.add_error(name if name in form.fields else None, message)
