"""Admin: the rules (reasons, policies) are edited here; requests are read here and worked in the
workbench, whose services are the only writers."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.models import QcPhoto, ReturnLine, ReturnPolicy, ReturnReason, ReturnRequest
from aftersales.selectors import return_request_list
from orders.admin import ReadOnlyHistoryAdmin


@admin.register(ReturnReason)
class ReturnReasonAdmin(ReadOnlyHistoryAdmin):
    list_display = ["code", "name", "seller_fault", "window_days", "active", "position"]
    list_editable = ["active", "position"]
    list_filter = ["seller_fault", "active"]
    search_fields = ["code", "name"]

    def has_delete_permission(self, request, obj=None):
        return False  # requests keep pointing at their reason; switch it off instead


@admin.register(ReturnPolicy)
class ReturnPolicyAdmin(ReadOnlyHistoryAdmin):
    list_display = ["__str__", "return_window_days", "fault_window_days", "outside_window",
                    "refund_only_approval_threshold", "shipping_fee_refund", "auto_approve", "updated_at"]
    fieldsets = [
        (None, {"fields": ["channel"]}),
        (_("Return window"), {"fields": ["return_window_days", "fault_window_days", "outside_window"]}),
        (_("Refunds and exchanges"), {"fields": ["refund_only_approval_threshold", "shipping_fee_refund",
                                                 "exchange_same_price_only", "auto_approve"]}),
        (_("Service levels"), {"fields": ["sla_review_hours", "sla_ship_back_days", "sla_receive_days",
                                          "sla_inspect_hours", "sla_settle_hours"]}),
    ]


class ReturnLineInline(admin.TabularInline):
    model = ReturnLine
    extra = 0
    can_delete = False
    fields = ["order_line", "quantity", "exchange_product", "quantity_received", "quantity_passed",
              "quantity_damaged", "quantity_wrong", "qc_result", "qc_note", "quantity_restocked",
              "quantity_quarantined", "quantity_refunded", "refund_amount"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ReturnRequest)
class ReturnRequestAdmin(admin.ModelAdmin):
    list_display = ["number", "order", "kind", "status", "reason", "needs_approval", "refund_amount", "created_at",
                    "workbench"]
    list_filter = ["status", "kind", "reason", "needs_approval", "source"]
    search_fields = ["number", "order__number", "return_tracking_number", "channel_ref"]
    date_hierarchy = "created_at"
    inlines = [ReturnLineInline]
    list_select_related = ["order", "reason"]

    def get_queryset(self, request):
        return return_request_list()

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False  # raised in the workbench or over the API, checked by the rules

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Workbench"))
    def workbench(self, obj):
        url = reverse("aftersales:detail", args=[obj.number])
        return format_html('<a href="{}">{}</a>', url, pgettext_lazy("link", "Open"))


@admin.register(QcPhoto)
class QcPhotoAdmin(admin.ModelAdmin):
    list_display = ["line", "photo_link", "uploaded_at", "actor_name"]
    readonly_fields = ["line", "photo_link", "uploaded_at", "uploaded_by", "actor_name"]
    exclude = ["image"]

    @admin.display(description=_("photo"))
    def photo_link(self, obj):
        """The permission-checked view (photos are in private storage, not public media)."""
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', reverse("aftersales:photo",
                           args=[obj.pk]), obj.image.name.rsplit("/", 1)[-1])

    def has_add_permission(self, request):
        return False
