from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.money import MoneyField


class Category(models.Model):
    """A node of the product category tree (e.g. 服装 › 上装). Reports group sales by it."""

    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
                               verbose_name=_("parent category"))
    code = models.SlugField(_("code"), max_length=32, unique=True, help_text=_("Short code, e.g. APPAREL."))
    name = models.CharField(_("name"), max_length=64)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.path

    @property
    def path(self) -> str:
        names, node, seen = [], self, set()
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            names.append(node.name)
            node = node.parent
        return " › ".join(reversed(names))

    def clean(self):
        node, seen = self.parent, set()
        while node is not None:
            if (self.pk is not None and node.pk == self.pk) or node.pk in seen:
                raise ValidationError({"parent": _("A category cannot be its own ancestor.")})
            seen.add(node.pk)
            node = node.parent


class Product(models.Model):
    """A sellable SKU. SKUs compare case-insensitively, so `sku-001` and `SKU-001` cannot both exist."""

    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    price = MoneyField(_("price"), validators=[MinValueValidator(Decimal("0"))])
    tax_rate = models.DecimalField(
        _("tax rate"), max_digits=4, decimal_places=3, default=Decimal("0.130"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("VAT rate included in the price, e.g. 0.13 for 13%."),
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True, related_name="products",
                                 verbose_name=_("category"))
    standard_cost = MoneyField(
        _("standard cost"), null=True, blank=True, default=None, validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Unit cost used to value stock whose receipt carried no cost."),
    )
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=8, decimal_places=3, default=Decimal("0"))
    barcode = models.CharField(_("barcode"), max_length=64, blank=True, db_index=True)
    needs_qc = models.BooleanField(_("needs QC"), default=False,
                                   help_text=_("Custom-made or fragile goods that go to QC before shipping."))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # Configuration: every change kept with its before/after values (issue 17), read-only in the admin.
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["sku"]
        constraints = [
            models.UniqueConstraint(Upper("sku"), name="catalog_product_sku_ci_unique"),
            models.CheckConstraint(condition=models.Q(price__gte=0), name="catalog_product_price_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"

    def save(self, *args, **kwargs):
        self.sku = self.sku.strip().upper()
        super().save(*args, **kwargs)
