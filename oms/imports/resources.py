"""django-import-export resources: products and customers (import with dry run, export), orders (export).

The admin offers these on the product, customer and order lists (`oms.imports.admin`). Imports go
through django-import-export's own preview ("dry run") and confirm steps; every export uses the
`SafeCSV`/`SafeXLSX` formats, which escape formula-like text (`oms.imports.exports.escape_formula`),
and masks customer phones and e-mails for users without the PII permission.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources
from import_export.formats import base_formats

from catalog.models import Product
from catalog.selectors import normalise_sku
from core.phones import normalise_phone
from core.pii import mask_email, mask_phone, mask_street, user_can_view_pii
from oms.imports.exports import escape_formula
from oms.imports.values import SHANGHAI
from orders.models import Customer, Order


class _EscapedExport:
    def export_data(self, dataset, **kwargs):
        for index in range(len(dataset)):
            dataset[index] = [escape_formula(value) for value in dataset[index]]
        if dataset.headers:
            dataset.headers = [escape_formula(value) for value in dataset.headers]
        return super().export_data(dataset, **kwargs)


class SafeCSV(_EscapedExport, base_formats.CSV):
    pass


class SafeXLSX(_EscapedExport, base_formats.XLSX):
    pass


class SafeXLS(_EscapedExport, base_formats.XLS):
    pass


EXPORT_FORMATS = [SafeXLSX, SafeCSV]
IMPORT_FORMATS = [base_formats.XLSX, base_formats.CSV, base_formats.XLS]


class ProductResource(resources.ModelResource):
    """Products by SKU (trimmed, upper case, as the catalog stores them); unchanged rows are skipped."""

    class Meta:
        model = Product
        import_id_fields = ("sku",)
        fields = ("sku", "name", "price", "tax_rate", "weight_kg", "barcode", "needs_qc", "active")
        export_order = fields
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def before_import_row(self, row, **kwargs):
        if "sku" in row:
            row["sku"] = normalise_sku(str(row["sku"] or ""))


class CustomerResource(resources.ModelResource):
    """Customers by id (blank id: a new customer); phones are checked and stored in canonical form."""

    class Meta:
        model = Customer
        fields = ("id", "name", "phone", "email", "company_name", "tax_id")
        export_order = fields
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user

    def before_import_row(self, row, **kwargs):
        raw = row.get("phone")
        phone = normalise_phone(str(raw)) if raw not in (None, "") else None
        if phone is None:
            raise ValueError(_("Not a valid mainland mobile or landline number: %(value)s") % {"value": raw or ""})
        row["phone"] = phone

    def dehydrate_phone(self, customer):
        return customer.phone if self._pii() else mask_phone(customer.phone)

    def dehydrate_email(self, customer):
        return customer.email if self._pii() else mask_email(customer.email)

    def _pii(self) -> bool:
        return self.user is not None and user_can_view_pii(self.user)


class OrderExportResource(resources.ModelResource):
    """One line per order, as a clerk reads it: names instead of codes, Beijing time, masked phones."""

    number = fields.Field(attribute="number", column_name=gettext_lazy("order number"))
    channel = fields.Field(attribute="channel__name", column_name=gettext_lazy("channel"))
    external_id = fields.Field(attribute="external_id", column_name=gettext_lazy("channel order ID"))
    status = fields.Field(column_name=gettext_lazy("status"))
    customer = fields.Field(attribute="customer__name", column_name=gettext_lazy("customer"))
    recipient = fields.Field(attribute="recipient", column_name=gettext_lazy("recipient"))
    phone = fields.Field(column_name=gettext_lazy("recipient phone"))
    address = fields.Field(column_name=gettext_lazy("address"))
    subtotal = fields.Field(column_name=gettext_lazy("goods amount"))
    discount_total = fields.Field(column_name=gettext_lazy("discount"))
    shipping_fee = fields.Field(column_name=gettext_lazy("shipping fee"))
    total = fields.Field(column_name=gettext_lazy("total"))
    paid_amount = fields.Field(column_name=gettext_lazy("paid"))
    payment_method = fields.Field(column_name=gettext_lazy("payment method"))
    payment_status = fields.Field(column_name=gettext_lazy("payment status"))
    ordered_at = fields.Field(column_name=gettext_lazy("ordered at"))
    source = fields.Field(column_name=gettext_lazy("source"))
    note = fields.Field(attribute="note", column_name=gettext_lazy("note"))

    class Meta:
        model = Order
        fields = ("number", "channel", "external_id", "status", "customer", "recipient", "phone", "address",
                  "subtotal", "discount_total", "shipping_fee", "total", "paid_amount", "payment_method",
                  "payment_status", "ordered_at", "source", "note")
        export_order = fields

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        self.pii = user is not None and user_can_view_pii(user)

    def get_queryset(self):
        return Order.objects.select_related("channel", "customer").order_by("-created_at", "-id")

    def dehydrate_status(self, order):
        return str(order.get_status_display())

    def dehydrate_phone(self, order):
        return order.phone if self.pii else mask_phone(order.phone)

    def dehydrate_address(self, order):
        # A list of every order's door is a customer list: the street only with the PII permission.
        if self.pii:
            return order.full_address
        return f"{order.province}{order.city}{order.district}{mask_street(order.address_detail)}"

    def dehydrate_subtotal(self, order):
        return f"{order.subtotal:.2f}"

    def dehydrate_discount_total(self, order):
        return f"{order.discount_total:.2f}"

    def dehydrate_shipping_fee(self, order):
        return f"{order.shipping_fee:.2f}"

    def dehydrate_total(self, order):
        return f"{order.total:.2f}"

    def dehydrate_paid_amount(self, order):
        return f"{order.paid_amount:.2f}"

    def dehydrate_payment_method(self, order):
        return str(order.get_payment_method_display()) if order.payment_method else ""

    def dehydrate_payment_status(self, order):
        return str(order.get_payment_status_display())

    def dehydrate_ordered_at(self, order):
        return timezone.localtime(order.ordered_at, SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")

    def dehydrate_source(self, order):
        return str(order.get_source_display())
