"""Read-only admin of approval chains for administrators: each request with its levels and decisions,
and each level's audit history (simple_history: who changed it, why, with the rule and its version)."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.models import Role
from core.roles import user_has_role
from oms.workflow.automation.approval_models import ApprovalDecision, ApprovalRequest, ApprovalTask


class _AdministratorsRead:
    def has_module_permission(self, request):
        return user_has_role(request.user, Role.ADMIN)

    def has_view_permission(self, request, obj=None):
        return user_has_role(request.user, Role.ADMIN)

    def has_add_permission(self, request, obj=None):
        return False  # written only by `automation.approvals`

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ApprovalTaskInline(_AdministratorsRead, admin.TabularInline):
    model = ApprovalTask
    extra = 0
    fields = ["level", "role", "user_ids", "mode", "status", "opened_at", "reminded_at", "escalated_at", "decided_at"]
    readonly_fields = fields
    show_change_link = True


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(_AdministratorsRead, admin.ModelAdmin):
    list_display = ["created_at", "order", "rule_name", "rule_version", "status", "submitted_by", "decided_at"]
    list_filter = ["status"]
    search_fields = ["order__number", "rule_name"]
    list_select_related = ["order", "submitted_by"]
    readonly_fields = ["order", "rule", "rule_version", "rule_name", "reason", "submitted_by", "status", "created_at",
                       "decided_at"]
    fields = readonly_fields
    inlines = [ApprovalTaskInline]


class ApprovalDecisionInline(_AdministratorsRead, admin.TabularInline):
    model = ApprovalDecision
    extra = 0
    fields = ["at", "decided_by", "on_behalf_of", "outcome", "comment"]
    readonly_fields = fields


@admin.register(ApprovalTask)
class ApprovalTaskAdmin(_AdministratorsRead, SimpleHistoryAdmin):
    list_display = ["request", "level", "role", "mode", "status", "opened_at", "escalated_at"]
    list_filter = ["status"]
    search_fields = ["request__order__number", "request__rule_name"]
    readonly_fields = ["request", "level", "role", "user_ids", "mode", "required_user_ids", "status", "opened_at",
                       "remind_after_hours", "escalate_after_hours", "escalate_to_role", "escalate_to_user",
                       "reminded_at", "escalated_at", "decided_at"]
    fields = readonly_fields
    inlines = [ApprovalDecisionInline]
