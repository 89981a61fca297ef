"""The funds flow: payments, refunds, the double-entry journal, revenue recognition, invoices.

Everything here points back to the order. `finance.services` is the only writer. Journal entries,
their lines and recognised-revenue rows are immutable: there is no update or delete path (the
model and queryset refuse it, the admin is read-only); a correction is a new, reversing entry.
Invoices are never deleted: voiding one issues a credit note (红字发票) with its own number.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from core.fieldcrypto import EncryptedCharField
from core.money import ZERO, MoneyField
from orders.models import PaymentMethod


class ImmutableRecord(Exception):
    """Programming error: someone tried to change or delete an immutable finance record."""


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableRecord(f"{self.model.__name__} rows are immutable; post a correcting entry instead")

    def delete(self):
        raise ImmutableRecord(f"{self.model.__name__} rows are immutable; post a correcting entry instead")


class ImmutableModel(models.Model):
    """Rows are written once. Saving an existing row or deleting one raises `ImmutableRecord`."""

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableRecord(f"{type(self).__name__} {self.pk} is immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecord(f"{type(self).__name__} {self.pk} is immutable")


class Account(models.TextChoices):
    """The chart of accounts (a small subset of the Chinese standard chart, 企业会计准则科目)."""

    BANK = "1002", _("1002 Bank deposits")
    RECEIVABLE = "1122", _("1122 Accounts receivable")
    ADVANCE = "2203", _("2203 Advance receipts")
    OUTPUT_VAT = "2221", _("2221 Output VAT payable")
    REFUNDS_PAYABLE = "2241", _("2241 Refunds payable")
    REVENUE = "6001", _("6001 Sales revenue")


#: Accounts whose balance is normally on the debit side (assets); the rest are credit-normal.
DEBIT_NORMAL = frozenset({Account.BANK, Account.RECEIVABLE})


class EntryKind(models.TextChoices):
    PAYMENT = "payment", _("Payment received")
    REFUND_REQUESTED = "refund_requested", _("Refund requested")
    REFUND_PAID = "refund_paid", _("Refund paid out")
    REFUND_WITHDRAWN = "refund_withdrawn", _("Refund withdrawn")
    REVENUE = "revenue", _("Revenue recognised")
    REVENUE_REVERSAL = "revenue_reversal", _("Revenue reversed")
    OPENING = "opening", _("Opening balance (legacy import)")


class JournalEntry(ImmutableModel):
    number = models.CharField(_("voucher number"), max_length=24, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="journal_entries", verbose_name=_("order"))
    # What caused the entry (payment id, refund id, shipment number): unique per kind and order, so
    # a repeated call (a webhook retried, a shipment reported twice) cannot post twice.
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    description = models.CharField(pgettext_lazy("journal", "description"), max_length=255)
    posted_at = models.DateTimeField(_("posted at"), default=timezone.now, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    actor_name = models.CharField(_("actor"), max_length=150)
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="reversed_by", verbose_name=_("reverses"))
    payment = models.ForeignKey("finance.Payment", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="journal_entries", verbose_name=_("payment"))
    refund = models.ForeignKey("finance.Refund", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="journal_entries", verbose_name=_("refund"))

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        ordering = ["-posted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "order", "reference"], condition=~Q(reference=""),
                                    name="finance_entry_kind_order_reference_uniq"),
        ]
        permissions = [("view_receivables", _("Can view the receivables aging report"))]

    def __str__(self) -> str:
        return self.number


class JournalLine(ImmutableModel):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines",
                              verbose_name=_("journal entry"))
    account = models.CharField(_("account"), max_length=8, choices=Account.choices, db_index=True)
    debit = MoneyField(_("debit"))
    credit = MoneyField(_("credit"))

    class Meta:
        verbose_name = _("journal line")
        verbose_name_plural = _("journal lines")
        ordering = ["entry", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(debit__gte=0) & Q(credit__gte=0), name="finance_line_not_negative"),
            models.CheckConstraint(condition=(Q(debit=0) & Q(credit__gt=0)) | (Q(debit__gt=0) & Q(credit=0)),
                                   name="finance_line_one_side"),
        ]

    def __str__(self) -> str:
        side = f"Dr {self.debit}" if self.debit else f"Cr {self.credit}"
        return f"{self.account} {side}"


class RevenueComponent(models.TextChoices):
    LINE = "line", _("Order line")
    SHIPPING = "shipping", _("Shipping fee")
    ALLOWANCE = "allowance", _("Price allowance")


class RecognisedLine(ImmutableModel):
    """Revenue recognised (or reversed, negative) for part of an order line, its shipping fee, or an
    allowance (a refund after shipment without goods coming back)."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="recognised_lines",
                              verbose_name=_("journal entry"))
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="recognised_lines",
                              verbose_name=_("order"))
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="recognised_lines", verbose_name=_("order line"),
                                   help_text=_("Empty for the shipping fee and allowances."))
    component = models.CharField(_("component"), max_length=10, choices=RevenueComponent.choices,
                                 default=RevenueComponent.LINE)
    quantity = models.IntegerField(_("quantity"))
    gross = MoneyField(_("amount incl. tax"))
    net = MoneyField(_("amount excl. tax"))
    tax = MoneyField(_("tax"))
    tax_rate = models.DecimalField(_("tax rate"), max_digits=4, decimal_places=3)

    class Meta:
        verbose_name = _("recognised revenue line")
        verbose_name_plural = _("recognised revenue lines")
        ordering = ["entry", "id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.order_line_id or self.component} {self.gross}"


class PaymentState(models.TextChoices):
    """Where one payment attempt stands (`Payment.status`); not the order's payment status, which is
    `orders.models.PaymentStatus` (unpaid, partially paid, paid, …)."""

    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class PaymentSource(models.TextChoices):
    CHANNEL = "channel", _("Reported by the channel")
    WEBHOOK = "webhook", _("Payment provider notification")
    MANUAL = "manual", _("Registered by finance")
    COD = "cod", _("Cash on delivery collection")
    OPENING = "opening", _("Opening balance (legacy import)")


class Payment(ConcurrentTransitionMixin, models.Model):
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payments",
                              verbose_name=_("order"))
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod.choices)
    source = models.CharField(_("source"), max_length=10, choices=PaymentSource.choices)
    provider = models.CharField(_("provider"), max_length=32, blank=True,
                                help_text=_("Payment provider or channel that holds the money."))
    transaction_id = models.CharField(_("transaction ID"), max_length=64, blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True,
                                 help_text=_("Bank transfer reference or COD remittance number."))
    amount = MoneyField(_("amount"))
    refunded_amount = MoneyField(_("refunded"))
    status = FSMField(_("status"), max_length=10, choices=PaymentState.choices, default=PaymentState.PENDING,
                      protected=True)
    failure_reason = models.CharField(_("failure reason"), max_length=255, blank=True)
    paid_at = models.DateTimeField(_("paid at"), default=timezone.now)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("recorded by"))
    actor_name = models.CharField(_("actor"), max_length=150)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        permissions = [("record_payment", _("Can register bank transfers and cash-on-delivery collections"))]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="finance_payment_amount_gt_0"),
            models.CheckConstraint(condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=models.F("amount")),
                                   name="finance_payment_refunded_within_amount"),
            # The same money cannot be counted twice, whether the channel or the provider reports it.
            models.UniqueConstraint(fields=["order", "transaction_id"],
                                    condition=Q(status="succeeded") & ~Q(transaction_id=""),
                                    name="finance_payment_order_txn_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.method} {self.amount}"

    @property
    def refundable_amount(self):
        return self.amount - self.refunded_amount if self.status == PaymentState.SUCCEEDED else ZERO

    @transition(field=status, source=PaymentState.PENDING, target=PaymentState.SUCCEEDED)
    def succeed(self):
        pass

    @transition(field=status, source=PaymentState.PENDING, target=PaymentState.FAILED)
    def fail(self):
        pass


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Refunded")
    FAILED = "failed", _("Failed, will be retried")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Refund(ConcurrentTransitionMixin, models.Model):
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="refunds",
                              verbose_name=_("order"))
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds",
                                verbose_name=_("payment"))
    amount = MoneyField(_("amount"))
    reason = models.CharField(_("reason"), max_length=255)
    status = FSMField(_("status"), max_length=10, choices=RefundStatus.choices, default=RefundStatus.PENDING,
                      protected=True)
    external = models.BooleanField(_("initiated at the provider"), default=False)
    provider_refund_id = models.CharField(_("provider refund ID"), max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed by the provider at"), null=True, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("requested by"))
    actor_name = models.CharField(_("actor"), max_length=150)
    # Made from the funds page (`refund_request_manual`): the approval limit counts these together, so
    # splitting a refund into parts below the limit does not avoid the approval.
    outside_return = models.BooleanField(_("refund outside a return"), default=False)
    # Set when the refund was paid on an approved request (the request names the clerk who asked).
    approval = models.ForeignKey("finance.RefundApproval", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="refunds", verbose_name=_("refund approval"))

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-requested_at", "-id"]
        permissions = [("request_refund", _("Can refund payments")),
                       ("approve_refund", _("Can approve large refunds outside a return"))]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="finance_refund_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} refund {self.amount}"

    @transition(field=status, source=[RefundStatus.PENDING, RefundStatus.FAILED], target=RefundStatus.SUCCEEDED)
    def succeed(self):
        pass

    @transition(field=status, source=[RefundStatus.PENDING, RefundStatus.FAILED], target=RefundStatus.FAILED)
    def fail(self):
        pass

    @transition(field=status, source=[RefundStatus.PENDING, RefundStatus.FAILED], target=RefundStatus.WITHDRAWN)
    def withdraw(self):
        pass


class RefundApprovalStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("refund approval", "Awaiting approval")
    APPROVED = "approved", pgettext_lazy("refund approval", "Approved")
    REJECTED = "rejected", pgettext_lazy("refund approval", "Rejected")


class RefundApproval(ConcurrentTransitionMixin, models.Model):
    """A clerk's refund outside a return above `OMS_REFUND_APPROVAL_LIMIT`, waiting for someone with
    `finance.approve_refund`. While pending nothing is paid or booked; approving runs the manual
    refund's rules then (`finance.services.refund_approvals`). At most one pending per order."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="refund_approvals",
                              verbose_name=_("order"))
    amount = MoneyField(_("amount"))
    reason = models.CharField(_("reason"), max_length=255)
    status = FSMField(_("status"), max_length=10, choices=RefundApprovalStatus.choices,
                      default=RefundApprovalStatus.PENDING, protected=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("requested by"))
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.CharField(_("decision comment"), max_length=255, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("refund approval")
        verbose_name_plural = _("refund approvals")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="finance_refund_approval_amount_gt_0"),
            models.UniqueConstraint(fields=["order"], condition=Q(status="pending"),
                                    name="finance_refund_approval_one_pending"),
        ]
        indexes = [models.Index(fields=["status", "requested_at"], name="finance_refund_approval_queue")]

    def __str__(self) -> str:
        return f"{self.order_id} refund approval {self.amount}"

    @transition(field=status, source=RefundApprovalStatus.PENDING, target=RefundApprovalStatus.APPROVED,
                custom={"label": pgettext_lazy("refund approval", "approve")})
    def approve(self):
        pass

    @transition(field=status, source=RefundApprovalStatus.PENDING, target=RefundApprovalStatus.REJECTED,
                custom={"label": pgettext_lazy("refund approval", "reject")})
    def reject(self):
        pass


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note (红字)")


class InvoiceType(models.TextChoices):
    """The two VAT invoices Chinese buyers ask for: the ordinary one, and the special one a
    VAT-registered company needs to deduct input tax (it must carry the buyer's full details)."""

    NORMAL = "normal", _("Ordinary VAT invoice (普通发票)")
    SPECIAL = "special", _("Special VAT invoice (专用发票)")


class InvoiceStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    VOIDED = "voided", _("Voided")


class Invoice(ConcurrentTransitionMixin, models.Model):
    """An issued VAT invoice or credit note: a snapshot of buyer, seller and lines; never deleted."""

    number = models.CharField(pgettext_lazy("invoice", "number"), max_length=24, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="invoices",
                              verbose_name=_("order"))
    original = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="credit_note", verbose_name=_("credited invoice"))
    status = FSMField(_("status"), max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.ISSUED,
                      protected=True, db_index=True)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now, db_index=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("issued by"))
    actor_name = models.CharField(_("actor"), max_length=150)

    buyer_name = models.CharField(_("buyer"), max_length=200)
    buyer_tax_id = models.CharField(_("buyer tax ID"), max_length=32, blank=True)
    buyer_is_company = models.BooleanField(_("company buyer"), default=False)
    invoice_type = models.CharField(_("invoice type"), max_length=8, choices=InvoiceType.choices,
                                    default=InvoiceType.NORMAL)
    # Encrypted: for a sole trader or an individual these are a home address, a phone and a bank
    # account. The tax ID stays clear: only companies carry one (finance.vat.Buyer.is_company), it
    # is public registration data, and finance searches invoices by it.
    buyer_address_phone = EncryptedCharField(_("buyer address and phone"), max_length=200, blank=True)
    buyer_bank_account = EncryptedCharField(_("buyer bank and account"), max_length=200, blank=True)
    seller = models.JSONField(_("seller"), default=dict, help_text=_("Seller details at the time of issue."))

    total = MoneyField(_("total incl. tax"))
    net_total = MoneyField(_("total excl. tax"))
    tax_total = MoneyField(_("tax"))

    void_reason = models.CharField(_("void reason"), max_length=255, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)

    printed_at = models.DateTimeField(_("printed at"), null=True, blank=True, db_index=True)
    printed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("printed by"))
    print_count = models.PositiveIntegerField(_("times printed"), default=0)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issued_at", "-id"]
        permissions = [
            ("issue_invoice", _("Can issue invoices by hand")),
            ("void_invoice", _("Can void invoices (issues a credit note)")),
            ("print_invoice", _("Can use the invoice print centre")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["order"], condition=Q(kind="invoice") & Q(status="issued"),
                                    name="finance_invoice_one_active_per_order"),
            models.CheckConstraint(condition=Q(kind="invoice", original__isnull=True)
                                   | Q(kind="credit_note", original__isnull=False),
                                   name="finance_invoice_credit_note_has_original"),
        ]
        indexes = [models.Index(fields=["kind", "status", "-issued_at"], name="finance_inv_kind_status_idx")]

    def __str__(self) -> str:
        return self.number

    def delete(self, *args, **kwargs):
        raise ImmutableRecord("invoices are never deleted; void them (a credit note is issued)")

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE

    @transition(field=status, source=InvoiceStatus.ISSUED, target=InvoiceStatus.VOIDED,
                conditions=[lambda invoice: invoice.kind == InvoiceKind.INVOICE])
    def void(self):
        pass


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines", verbose_name=_("invoice"))
    position = models.PositiveSmallIntegerField(pgettext_lazy("line", "position"))
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    name = models.CharField(_("name"), max_length=200)
    quantity = models.IntegerField(_("quantity"))
    unit_price = MoneyField(_("unit price incl. tax"))
    discount = MoneyField(_("discount"))
    gross = MoneyField(_("amount incl. tax"))
    net = MoneyField(_("amount excl. tax"))
    tax_rate = models.DecimalField(_("tax rate"), max_digits=4, decimal_places=3)
    tax = MoneyField(_("tax"))

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "position"]

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.name}"


class PrintJobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class PrintFormat(models.TextChoices):
    PDF = "pdf", _("One merged PDF")
    ZIP = "zip", _("ZIP of separate PDFs")


def _private_storage():
    from finance.storage import private_storage

    return private_storage()


class PrintJob(models.Model):
    """A batch of invoices rendered in the background; the page polls its progress."""

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=PrintJobStatus.choices,
                              default=PrintJobStatus.QUEUED)
    output = models.CharField(_("format"), max_length=4, choices=PrintFormat.choices, default=PrintFormat.PDF)
    invoice_ids = models.JSONField(_("invoices"), default=list)
    mark_printed = models.BooleanField(_("mark as printed"), default=True)
    total = models.PositiveIntegerField(_("invoices"), default=0)
    done = models.PositiveIntegerField(_("rendered"), default=0)
    file = models.FileField(_("file"), storage=_private_storage, upload_to="print-jobs/%Y/%m/", blank=True)
    error = models.TextField(_("error"), blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("print job")
        verbose_name_plural = _("print jobs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"print job {self.pk}"

    @property
    def percent(self) -> int:
        if self.status == PrintJobStatus.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0
