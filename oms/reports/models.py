"""Reports' own tables: daily rollups (rebuilt from the stages' records, never edited by hand),
dashboards with their widgets, and e-mail subscriptions.

Every rollup row is keyed by a calendar day in Asia/Shanghai (`settings.TIME_ZONE`): an order placed
at 23:59 on the 1st belongs to the 1st, one at 00:01 on the 2nd to the 2nd. Only `oms.reports.rollups`
writes the rollup tables; it recomputes whole days, so a row is always the full truth of its day.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.enums import Role
from core.money import MoneyField


def _fk(model: str, verbose_name, **kwargs):
    # No database constraint: a rollup must never block deleting or renaming what it summarises.
    return models.ForeignKey(model, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+",
                             verbose_name=verbose_name, null=True, blank=True, **kwargs)


class OrderDaily(models.Model):
    """Orders placed per day: counts and order value at the time of ordering (legacy imports included)."""

    day = models.DateField(_("day"))
    channel = _fk("orders.Channel", _("channel"))
    province = models.CharField(_("province"), max_length=32, blank=True)
    warehouse = _fk("inventory.Warehouse", _("warehouse"))
    legacy = models.BooleanField(_("legacy import"), default=False)
    orders = models.PositiveIntegerField(pgettext_lazy("measure", "orders"), default=0)
    units = models.PositiveIntegerField(_("units"), default=0)
    order_value = MoneyField(_("order value"))
    cancelled = models.PositiveIntegerField(_("cancelled"), default=0)
    cod_orders = models.PositiveIntegerField(_("cash-on-delivery orders"), default=0)

    class Meta:
        verbose_name = _("daily orders")
        verbose_name_plural = _("daily orders")
        indexes = [models.Index(fields=["day"], name="reports_orderdaily_day_idx")]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.day}"


class SalesFields(models.Model):
    """Revenue per day as the journal has it (recognised at shipment, reversed on return or allowance),
    plus legacy imported orders that never went through the journal (dated by their order day)."""

    day = models.DateField(_("day"))
    channel = _fk("orders.Channel", _("channel"))
    warehouse = _fk("inventory.Warehouse", _("warehouse"))
    legacy = models.BooleanField(_("legacy import"), default=False)
    units = models.IntegerField(_("units"), default=0)
    units_returned = models.IntegerField(_("units returned"), default=0)
    revenue = MoneyField(_("revenue excl. VAT"))
    revenue_gross = MoneyField(_("revenue incl. VAT"))
    returns = MoneyField(_("returns and allowances excl. VAT"))

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.day}"


class SalesDaily(SalesFields):
    """Revenue by day, channel, province and warehouse (the order's shipping province)."""

    province = models.CharField(_("province"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("daily sales")
        verbose_name_plural = _("daily sales")
        indexes = [models.Index(fields=["day"], name="reports_salesdaily_day_idx")]


class ProductSalesDaily(SalesFields):
    """Revenue by day, channel, warehouse and product (kept apart from provinces so the table stays small)."""

    product = _fk("catalog.Product", _("product"), help_text=_("Empty for the shipping fee and allowances."))

    class Meta:
        verbose_name = _("daily product sales")
        verbose_name_plural = _("daily product sales")
        indexes = [models.Index(fields=["day"], name="reports_productdaily_day_idx")]


class OrderChannelDaily(models.Model):
    """`OrderDaily` without province and warehouse: the small table most widgets read (a few rows a day)."""

    day = models.DateField(_("day"))
    channel = _fk("orders.Channel", _("channel"))
    legacy = models.BooleanField(_("legacy import"), default=False)
    orders = models.PositiveIntegerField(pgettext_lazy("measure", "orders"), default=0)
    units = models.PositiveIntegerField(_("units"), default=0)
    order_value = MoneyField(_("order value"))
    cancelled = models.PositiveIntegerField(_("cancelled"), default=0)
    cod_orders = models.PositiveIntegerField(_("cash-on-delivery orders"), default=0)

    class Meta:
        verbose_name = _("daily orders by channel")
        verbose_name_plural = _("daily orders by channel")
        indexes = [models.Index(fields=["day"], name="reports_orderchannel_day_idx")]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.day}"


class SalesChannelDaily(models.Model):
    """`SalesDaily` without province and warehouse: the small table most widgets read."""

    day = models.DateField(_("day"))
    channel = _fk("orders.Channel", _("channel"))
    legacy = models.BooleanField(_("legacy import"), default=False)
    units = models.IntegerField(_("units"), default=0)
    units_returned = models.IntegerField(_("units returned"), default=0)
    revenue = MoneyField(_("revenue excl. VAT"))
    revenue_gross = MoneyField(_("revenue incl. VAT"))
    returns = MoneyField(_("returns and allowances excl. VAT"))

    class Meta:
        verbose_name = _("daily sales by channel")
        verbose_name_plural = _("daily sales by channel")
        indexes = [models.Index(fields=["day"], name="reports_saleschannel_day_idx")]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.day}"


class RefundDaily(models.Model):
    """Money paid back to customers per day (refunds that succeeded)."""

    day = models.DateField(_("day"))
    channel = _fk("orders.Channel", _("channel"))
    province = models.CharField(_("province"), max_length=32, blank=True)
    refunds = models.PositiveIntegerField(pgettext_lazy("measure", "refunds"), default=0)
    amount = MoneyField(pgettext_lazy("measure", "refunded"))

    class Meta:
        verbose_name = _("daily refunds")
        verbose_name_plural = _("daily refunds")
        indexes = [models.Index(fields=["day"], name="reports_refunddaily_day_idx")]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.day}"


class StockDaily(models.Model):
    """The stock ledger per day, SKU and warehouse: units received and issued, and the closing level."""

    day = models.DateField(_("day"))
    warehouse = _fk("inventory.Warehouse", _("warehouse"))
    product = _fk("catalog.Product", _("product"))
    received = models.IntegerField(pgettext_lazy("measure", "received"), default=0)
    issued = models.IntegerField(pgettext_lazy("measure", "issued"), default=0)
    other = models.IntegerField(_("other movements"), default=0)
    closing = models.IntegerField(_("closing on hand"), default=0)
    # The same movements valued at cost: each at its lot's unit cost (FIFO by lot), the product's
    # standard cost where the lot has none, zero where neither is known.
    received_value = MoneyField(_("received at cost"))
    issued_value = MoneyField(_("cost of goods issued"))
    closing_value = MoneyField(_("closing stock at cost"))

    class Meta:
        verbose_name = _("daily stock")
        verbose_name_plural = _("daily stock")
        indexes = [models.Index(fields=["day"], name="reports_stockdaily_day_idx"),
                   models.Index(fields=["warehouse", "product", "day"], name="reports_stockdaily_key_idx")]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.day}"


class StateDaily(models.Model):
    """Time orders spent in each state, counted on the day they left it."""

    day = models.DateField(_("day"))
    channel = _fk("orders.Channel", _("channel"))
    state = models.CharField(_("state"), max_length=20)
    count = models.PositiveIntegerField(_("times left"), default=0)
    seconds = models.BigIntegerField(_("seconds spent"), default=0)

    class Meta:
        verbose_name = _("daily state durations")
        verbose_name_plural = _("daily state durations")
        indexes = [models.Index(fields=["day"], name="reports_statedaily_day_idx")]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.day}"


class CustomerSummary(models.Model):
    """Per customer, over every order that was not cancelled (legacy imports included): first and last
    order day (Asia/Shanghai), number of orders, and revenue net (order totals less refunds)."""

    customer = _fk("orders.Customer", _("customer"))
    first_day = models.DateField(_("first order"))
    last_day = models.DateField(_("last order"))
    orders = models.PositiveIntegerField(pgettext_lazy("measure", "orders"), default=0)
    revenue = MoneyField(_("spend"))

    class Meta:
        verbose_name = _("customer summary")
        verbose_name_plural = _("customer summaries")
        indexes = [models.Index(fields=["customer"], name="reports_custsummary_cust_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.orders}"


class CustomerMonth(models.Model):
    """Months a customer ordered in (as year × 12 + month − 1), beside the month of their first order:
    the cohort table counts these rows."""

    customer = _fk("orders.Customer", _("customer"))
    month_index = models.PositiveIntegerField(_("month"))
    cohort_index = models.PositiveIntegerField(_("first-order month"))
    orders = models.PositiveIntegerField(pgettext_lazy("measure", "orders"), default=0)

    class Meta:
        verbose_name = _("customer month")
        verbose_name_plural = _("customer months")
        indexes = [models.Index(fields=["customer"], name="reports_custmonth_cust_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.month_index}"


class RollupRun(models.Model):
    """One run of the rollup job: the watermarks the next incremental run starts from."""

    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    full = models.BooleanField(_("full rebuild"), default=False)
    days = models.PositiveIntegerField(_("days recomputed"), default=0)
    seconds = models.FloatField(_("duration (s)"), default=0)
    # High-water marks of the append-only records read (ids) and of the order rows (updated_at).
    last_entry_id = models.BigIntegerField(default=0)
    last_movement_id = models.BigIntegerField(default=0)
    last_event_id = models.BigIntegerField(default=0)
    orders_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("rollup run")
        verbose_name_plural = _("rollup runs")
        ordering = ["-started_at", "-id"]
        permissions = [("view_reports", _("Can view reports"))]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} ({self.days})"


class ChartType(models.TextChoices):
    NUMBER = "number", pgettext_lazy("chart", "Number")
    LINE = "line", _("Line")
    BAR = "bar", _("Bar")
    PIE = "pie", _("Pie")
    TABLE = "table", _("Table")
    PIVOT = "pivot", _("Pivot table")


class Dashboard(models.Model):
    name = models.CharField(_("name"), max_length=100)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dashboards",
                              verbose_name=_("owner"))
    shared_with = models.CharField(_("shared with role"), max_length=20, choices=Role.choices, blank=True)
    on_home = models.BooleanField(_("show on the role's home page"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("dashboard")
        verbose_name_plural = _("dashboards")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Widget(models.Model):
    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="widgets",
                                  verbose_name=_("dashboard"))
    title = models.CharField(_("title"), max_length=100, blank=True)
    measure = models.CharField(_("measure"), max_length=20)
    dimension = models.CharField(_("dimension"), max_length=20, blank=True)
    columns = models.CharField(_("pivot columns"), max_length=20, blank=True)
    period = models.CharField(_("period"), max_length=20, default="this_month")
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    chart = models.CharField(_("chart type"), max_length=10, choices=ChartType.choices, default=ChartType.BAR)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("widget")
        verbose_name_plural = _("widgets")
        ordering = ["dashboard", "position", "id"]

    def __str__(self) -> str:
        return self.title or f"{self.measure}/{self.dimension}"


class Frequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly (Mondays)")


class Subscription(models.Model):
    """A dashboard sent as an xlsx attachment every day or week."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions",
                             verbose_name=_("user"))
    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="subscriptions",
                                  verbose_name=_("dashboard"))
    email = models.EmailField(_("e-mail"))
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.DAILY)
    active = models.BooleanField(_("active"), default=True)
    last_sent_on = models.DateField(_("last sent on"), null=True, blank=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["dashboard", "email"]

    def __str__(self) -> str:
        return f"{self.dashboard} → {self.email}"
