"""Admin of automation rules, for administrators: edit (each save a version), restore a version,
try the rules on an order (dry run) and replay one over the last N days — all in Chinese."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError, ValidationFailed
from core.feedback import report_domain_error
from core.models import Role
from core.roles import user_has_role
from oms.workflow.automation import engine
from oms.workflow.automation.actions import ACTION_TYPES
from oms.workflow.automation.builder import ConditionBuilderWidget
from oms.workflow.automation.conditions import FIELDS
from oms.workflow.automation.models import AutomationRule, RuleFiring, RuleVersion, Trigger
from oms.workflow.automation.process_map import process_map
from oms.workflow.automation.replay_basis import BASIS_LABELS
from oms.workflow.automation.services import rule_restore, rule_save, rule_validate
from oms.workflow.automation.versions import rule_version_diffs
from orders.models import Order


def _is_admin(request) -> bool:
    return user_has_role(request.user, Role.ADMIN)


class AutomationRuleForm(forms.ModelForm):
    class Meta:
        model = AutomationRule
        fields = ["name", "trigger", "condition", "actions", "priority", "active_from", "active_to", "enabled"]
        widgets = {"condition": ConditionBuilderWidget()}  # rows of field / operator / value (static JS)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        probe = AutomationRule(**{name: cleaned.get(name) for name in self.Meta.fields})
        try:
            rule_validate(probe)  # the same check as the service: the position of a mistake, unknown fields
        except ValidationFailed as exc:
            for name, problems in exc.errors.items():
                for problem in problems:
                    self.add_error(name if name in self.fields else None, problem)
        else:
            cleaned["actions"] = probe.actions
        return cleaned


class RuleVersionInline(admin.TabularInline):
    model = RuleVersion
    extra = 0
    can_delete = False
    fields = ["number", "created_at", "created_by", "note", "snapshot_display", "restore_link"]
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("versions")

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("snapshot"))
    def snapshot_display(self, obj):
        return format_html('<code class="rule-snapshot">{}</code>',
                           json.dumps(obj.snapshot, ensure_ascii=False, indent=1))

    @admin.display(description=gettext_lazy("restore"))
    def restore_link(self, obj):
        if obj.number == obj.rule.version:
            return _("current")
        url = reverse("admin:workflow_automationrule_restore", args=[obj.rule_id, obj.pk])
        return format_html("<a class='button' href='{}'>{}</a>", url, _("Restore this version"))


@admin.register(AutomationRule)
class AutomationRuleAdmin(admin.ModelAdmin):
    form = AutomationRuleForm
    list_display = ["priority", "name", "trigger", "condition", "enabled", "active_from", "active_to", "version",
                    "replay_link"]
    list_display_links = ["name"]
    list_filter = ["trigger", "enabled"]
    search_fields = ["name", "condition"]
    inlines = [RuleVersionInline]
    change_list_template = "admin/workflow/automationrule/change_list.html"
    change_form_template = "admin/workflow/automationrule/change_form.html"

    def has_module_permission(self, request):
        return _is_admin(request)

    def has_view_permission(self, request, obj=None):
        return _is_admin(request)

    has_change_permission = has_add_permission = has_view_permission

    def has_delete_permission(self, request, obj=None):
        return False  # switch a rule off instead: its firings and versions stay

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        fields = "、".join(f"{name}（{label}）" for name, (_type, label) in FIELDS.items())
        form.base_fields["condition"].help_text = _(
            "Operators: == != > >= < <= and or not, =~ (regular expression), in. Fields: %(fields)s.") % {
            "fields": fields}
        kinds = "、".join(f"{code}（{label}）" for code, label in ACTION_TYPES.items())
        form.base_fields["actions"].help_text = _(
            'A list run in order, e.g. [{"type": "require_approval", "params": {"role": "manager"}}]. '
            "Types: %(kinds)s.") % {"kinds": kinds}
        return form

    def save_model(self, request, obj, form, change):
        rule_save(rule=obj, actor=request.user)  # validated again, a new version, the cache cleared

    @admin.display(description=gettext_lazy("replay"))
    def replay_link(self, obj):
        url = reverse("admin:workflow_automationrule_replay", args=[obj.pk])
        return format_html("<a href='{}'>{}</a>", url, _("Replay"))

    def get_urls(self):
        own = [
            path("dry-run/", self.admin_site.admin_view(self.dry_run_view), name="workflow_automationrule_dry_run"),
            path("<int:pk>/replay/", self.admin_site.admin_view(self.replay_view),
                 name="workflow_automationrule_replay"),
            path("process/", self.admin_site.admin_view(self.process_view), name="workflow_automationrule_process"),
            path("<int:pk>/versions/", self.admin_site.admin_view(self.versions_view),
                 name="workflow_automationrule_versions"),
            path("<int:pk>/restore/<int:version_pk>/", self.admin_site.admin_view(self.restore_view),
                 name="workflow_automationrule_restore"),
        ]
        return own + super().get_urls()

    def _context(self, request, title, **extra):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title, **extra}

    def dry_run_view(self, request):
        if not _is_admin(request):
            raise Http404
        number = (request.GET.get("order") or "").strip()
        trigger = request.GET.get("trigger") or ""
        order, results = None, None
        if number:
            order = Order.objects.select_related("channel", "customer").filter(number=number).first()
            if order is None:
                messages.error(request, _("No order with the number %(number)s.") % {"number": number})
            else:
                results = engine.dry_run(order=order, trigger=trigger or None)
        return TemplateResponse(request, "admin/workflow/automationrule/dry_run.html", self._context(
            request, _("Dry run on an order"), number=number, order=order, results=results,
            triggers=Trigger.choices, trigger=trigger))

    def replay_view(self, request, pk):
        if not _is_admin(request):
            raise Http404
        rule = get_object_or_404(AutomationRule, pk=pk)
        try:
            days = max(1, min(int(request.GET.get("days") or 30), 366))
        except ValueError:
            days = 30
        result = engine.replay(rule=rule, days=days)
        return TemplateResponse(request, "admin/workflow/automationrule/replay.html", self._context(
            request, _("Replay “%(rule)s”") % {"rule": rule.name}, rule=rule, result=result, days=days,
            basis=[(name, FIELDS[name][1], BASIS_LABELS[how]) for name, how in result.basis if name in FIELDS]))

    def process_view(self, request):
        if not _is_admin(request):
            raise Http404
        return TemplateResponse(request, "admin/workflow/automationrule/process.html", self._context(
            request, _("Process map"), graph=process_map()))

    def versions_view(self, request, pk):
        if not _is_admin(request):
            raise Http404
        rule = get_object_or_404(AutomationRule, pk=pk)
        return TemplateResponse(request, "admin/workflow/automationrule/versions.html", self._context(
            request, _("Versions of “%(rule)s”") % {"rule": rule.name}, rule=rule,
            diffs=rule_version_diffs(rule)))

    def restore_view(self, request, pk, version_pk):
        if not _is_admin(request):
            raise Http404
        version = get_object_or_404(RuleVersion, pk=version_pk, rule_id=pk)
        if request.method == "POST":
            try:
                rule = rule_restore(version=version, actor=request.user)
            except DomainError as exc:
                report_domain_error(request, exc)
            else:
                messages.success(request, _("Version %(old)d restored as version %(new)d.") % {
                    "old": version.number, "new": rule.version})
            return HttpResponseRedirect(reverse("admin:workflow_automationrule_versions", args=[pk]))
        return TemplateResponse(request, "admin/workflow/automationrule/restore.html", self._context(
            request, _("Restore version %(n)d") % {"n": version.number}, version=version,
            snapshot=json.dumps(version.snapshot, ensure_ascii=False, indent=2)))


@admin.register(RuleFiring)
class RuleFiringAdmin(admin.ModelAdmin):
    list_display = ["at", "rule", "version_link", "order", "trigger", "actions_display"]
    list_filter = ["trigger"]
    search_fields = ["order__number", "rule__name"]
    list_select_related = ["rule", "order"]

    def has_module_permission(self, request):
        return _is_admin(request)

    def has_view_permission(self, request, obj=None):
        return _is_admin(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("version"), ordering="version")
    def version_link(self, obj):
        url = reverse("admin:workflow_automationrule_versions", args=[obj.rule_id])
        return format_html("<a href='{}#version-{}'>{}</a>", url, obj.version,
                           _("version %(n)d") % {"n": obj.version})

    @admin.display(description=gettext_lazy("actions done"))
    def actions_display(self, obj):
        return "；".join(f"{ACTION_TYPES.get(a.get('type'), a.get('type'))}：{a.get('outcome', '')}"
                        for a in obj.actions)

from oms.workflow.automation import approval_admin  # noqa: E402, F401  (approval chains, read-only)
