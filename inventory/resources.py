"""django-import-export resources: the stocktake sheet (one row per SKU with the counted quantity)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from catalog.models import Product
from catalog.selectors import normalise_sku
from inventory.models import StocktakeLine

#: Column names a clerk may use, mapped to the resource's columns (Chinese sheets are common).
HEADER_ALIASES = {
    "sku": "sku", "商品编码": "sku", "货号": "sku", "sku编码": "sku",
    "counted": "counted", "count": "counted", "quantity": "counted", "盘点数量": "counted", "实盘数量": "counted",
    "数量": "counted",
}


class SkuWidget(widgets.ForeignKeyWidget):
    def __init__(self):
        super().__init__(Product, field="sku")

    def clean(self, value, row=None, **kwargs):
        sku = normalise_sku(str(value) if value is not None else "")
        if not sku:
            raise ValueError(_("SKU is missing."))
        product = Product.objects.filter(sku=sku).first()
        if product is None:
            raise ValueError(_("Unknown SKU “%(sku)s”.") % {"sku": value})
        return product


class WholeNumberWidget(widgets.IntegerWidget):
    """A count: a whole number of zero or more. `2.5`, `-1` or text are row errors, never rounded."""

    def clean(self, value, row=None, **kwargs):
        if self.is_empty(value):
            raise ValueError(_("The counted quantity is missing."))
        try:
            number = Decimal(str(value).strip().replace(",", ""))
        except InvalidOperation:
            raise ValueError(_("“%(value)s” is not a number.") % {"value": value})
        if not number.is_finite() or number != number.to_integral_value() or number < 0:
            raise ValueError(_("The counted quantity must be a whole number of zero or more."))
        if number > 10**9:
            raise ValueError(_("The counted quantity is too large."))
        return int(number)


class StocktakeLineResource(resources.ModelResource):
    sku = fields.Field(attribute="product", column_name="sku", widget=SkuWidget())
    counted = fields.Field(attribute="counted", column_name="counted", widget=WholeNumberWidget())

    class Meta:
        model = StocktakeLine
        fields = ("sku", "counted")
        import_id_fields = ()
        store_instance = True
        skip_diff = True
        clean_model_instances = True

    def __init__(self, *, stocktake, **kwargs):
        super().__init__(**kwargs)
        self.stocktake = stocktake
        self.seen: set[int] = set()

    def get_or_init_instance(self, instance_loader, row):
        # Every row is a new line of this stocktake; never look up (or update) earlier stocktakes.
        return StocktakeLine(stocktake=self.stocktake), True

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if "product" not in errors and instance.product_id in self.seen:
            errors["product"] = [ValidationError(_("This SKU appears twice in the sheet."))]
        try:
            # The sheet's own checks above replace the generic unique-constraint message.
            instance.full_clean(exclude=[*errors, "stocktake"], validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)
        self.seen.add(instance.product_id)


def normalise_headers(dataset):
    """Map known header aliases (`盘点数量`) onto the resource's columns; unknown columns are ignored."""
    if dataset.headers:
        dataset.headers = [HEADER_ALIASES.get(str(h or "").strip().lower(), str(h or "").strip())
                           for h in dataset.headers]
    return dataset
