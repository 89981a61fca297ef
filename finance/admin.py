"""Finance in the admin: read-only. Journal entries, payments and invoices are written by services
only (the order-funds page and the print centre call them); the admin shows them and links there."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from core.admin import ReadOnlyAdmin, ReadOnlyAdminMixin, ReadOnlyInline
from finance.models import (
    Invoice,
    InvoiceLine,
    JournalEntry,
    JournalLine,
    Payment,
    PrintJob,
    Refund,
    RefundApproval,
    RefundStatus,
)
from finance.services import refund_execute


def funds_link(order) -> str:
    return format_html('<a href="{}">{}</a>', reverse("finance:order-funds", args=[order.number]), order.number)


class JournalLineInline(ReadOnlyInline):
    model = JournalLine
    fields = ["account", "debit", "credit"]
    readonly_fields = fields


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ["number", "posted_at", "kind", "order_link", "description", "actor_name"]
    list_filter = ["kind"]
    search_fields = ["number", "order__number", "reference", "description"]
    date_hierarchy = "posted_at"
    list_select_related = ["order"]
    inlines = [JournalLineInline]
    readonly_fields = ["number", "kind", "order", "reference", "description", "posted_at", "actor_name", "reverses",
                       "payment", "refund"]
    exclude = ["created_by"]

    @admin.display(description=_("order"))
    def order_link(self, obj):
        return funds_link(obj.order) if obj.order_id else "-"


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["order_link", "paid_at", "method", "source", "provider", "transaction_id", "amount",
                    "refunded_amount", "status"]
    list_filter = ["status", "method", "source"]
    search_fields = ["order__number", "transaction_id", "reference"]
    list_select_related = ["order"]
    date_hierarchy = "paid_at"

    @admin.display(description=_("order"))
    def order_link(self, obj):
        return funds_link(obj.order)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["order_link", "requested_at", "amount", "status", "attempts", "last_error", "external"]
    list_filter = ["status", "external"]
    search_fields = ["order__number", "provider_refund_id"]
    list_select_related = ["order"]
    actions = ["retry"]

    @admin.display(description=_("order"))
    def order_link(self, obj):
        return funds_link(obj.order)

    @admin.action(description=_("Send to the payment provider again now"), permissions=["retry"])
    def retry(self, request, queryset):
        done = 0
        for refund in queryset.filter(status__in=[RefundStatus.PENDING, RefundStatus.FAILED]).order_by("pk"):
            done += refund_execute(refund_id=refund.pk).status == RefundStatus.SUCCEEDED
        self.message_user(request, ngettext("%(n)d refund paid out.", "%(n)d refunds paid out.", done) % {"n": done},
                          messages.SUCCESS if done else messages.WARNING)

    def has_retry_permission(self, request):
        return request.user.has_perm("finance.request_refund")


@admin.register(RefundApproval)
class RefundApprovalAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Refunds that waited for approval; decided on the queue screen, audited here (history: who, when, why)."""

    list_display = ["order_link", "requested_at", "amount", "status", "requested_by", "decided_by", "decided_at"]
    list_filter = ["status"]
    search_fields = ["order__number", "reason", "decision_comment"]
    list_select_related = ["order", "requested_by", "decided_by"]
    readonly_fields = ["order", "amount", "reason", "status", "requested_by", "requested_at", "decided_by",
                       "decided_at", "decision_comment"]

    @admin.display(description=_("order"))
    def order_link(self, obj):
        return funds_link(obj.order)


class InvoiceLineInline(ReadOnlyInline):
    model = InvoiceLine
    fields = ["position", "name", "quantity", "unit_price", "discount", "gross", "net", "tax_rate", "tax"]
    readonly_fields = fields


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["number", "kind", "status", "issued_at", "order_link", "buyer_name", "total", "printed_at", "pdf"]
    list_filter = ["kind", "status", ("printed_at", admin.EmptyFieldListFilter)]
    search_fields = ["number", "order__number", "buyer_name", "buyer_tax_id"]
    list_select_related = ["order"]
    date_hierarchy = "issued_at"
    inlines = [InvoiceLineInline]
    exclude = ["issued_by", "printed_by"]
    readonly_fields = ["number", "kind", "order", "original", "status", "issued_at", "actor_name", "buyer_name",
                       "buyer_tax_id", "buyer_is_company", "seller", "total", "net_total", "tax_total", "void_reason",
                       "voided_at", "printed_at", "print_count"]

    @admin.display(description=_("order"))
    def order_link(self, obj):
        return funds_link(obj.order)

    @admin.display(description="PDF")
    def pdf(self, obj):
        return format_html('<a href="{}" target="_blank">PDF</a>', reverse("finance:invoice-pdf", args=[obj.pk]))


@admin.register(PrintJob)
class PrintJobAdmin(ReadOnlyAdmin):
    list_display = ["pk", "created_at", "created_by", "output", "total", "done", "status", "finished_at"]
    list_filter = ["status", "output"]
    exclude = ["invoice_ids"]
    readonly_fields = ["created_by", "created_at", "status", "output", "mark_printed", "total", "done", "file",
                       "error", "started_at", "finished_at"]
