"""Administrators see dashboards, subscriptions and rollup runs; dashboards are built on /reports/."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from oms.reports.models import Dashboard, RollupRun, Subscription, Widget


class WidgetInline(ReadOnlyInline):
    model = Widget
    fields = ["position", "title", "measure", "dimension", "columns", "chart", "period", "filters"]


@admin.register(Dashboard)
class DashboardAdmin(ReadOnlyAdmin):
    list_display = ["name", "owner", "shared_with", "on_home", "created_at"]
    list_filter = ["shared_with", "on_home"]
    inlines = [WidgetInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("owner")


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["dashboard", "email", "frequency", "active", "last_sent_on"]
    list_filter = ["frequency", "active"]
    list_editable = ["active"]
    readonly_fields = ["user", "dashboard", "last_sent_on"]
    fields = ["user", "dashboard", "email", "frequency", "active", "last_sent_on"]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("dashboard")


@admin.register(RollupRun)
class RollupRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "finished_at", "full", "days", "seconds"]
    list_filter = ["full"]
