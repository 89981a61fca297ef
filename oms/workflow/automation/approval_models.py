"""Approval chains of automation rules: a request per order and firing rule, a task per level, each
decision, and delegation while away. Written only by `automation.approvals`."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords


class ApprovalRequest(models.Model):
    """The chain a `require_approval` action opened on an order: its levels are `tasks`, decided in
    sequence. The rule and its version are recorded as they were when the rule fired."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("approval", "Waiting")
        APPROVED = "approved", pgettext_lazy("approval", "Approved")
        REJECTED = "rejected", pgettext_lazy("approval", "Rejected")

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="approval_requests",
                              verbose_name=_("order"))
    rule = models.ForeignKey("workflow.AutomationRule", on_delete=models.PROTECT, related_name="approval_requests",
                             verbose_name=_("automation rule"))
    rule_version = models.PositiveIntegerField(_("rule version"))
    rule_name = models.CharField(_("rule name"), max_length=120)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("submitted by"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.rule_name} v{self.rule_version} → {self.order_id}"


class ApprovalTask(models.Model):
    """One level of a chain: who may decide (a role, named users, or both), whether any one of them
    or all of them must approve, and when it is reminded and escalated."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for an earlier level")
        OPEN = "open", pgettext_lazy("approval", "Open")
        APPROVED = "approved", pgettext_lazy("approval", "Approved")
        REJECTED = "rejected", pgettext_lazy("approval", "Rejected")
        CLOSED = "closed", pgettext_lazy("approval", "Closed")

    class Mode(models.TextChoices):
        ANY = "any", _("Any one of them")
        ALL = "all", _("All of them")

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="tasks",
                                verbose_name=_("approval request"))
    level = models.PositiveSmallIntegerField(pgettext_lazy("approval", "level"))
    role = models.CharField(_("role"), max_length=40, blank=True)
    user_ids = models.JSONField(_("named users"), default=list, blank=True)
    mode = models.CharField(_("mode"), max_length=3, choices=Mode.choices, default=Mode.ANY)
    # For "all": who must approve, fixed when the level opens (the named users, or the role's members).
    required_user_ids = models.JSONField(_("required approvers"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.WAITING)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    remind_after_hours = models.PositiveIntegerField(_("remind after (hours)"), null=True, blank=True)
    escalate_after_hours = models.PositiveIntegerField(_("escalate after (hours)"), null=True, blank=True)
    escalate_to_role = models.CharField(_("escalate to role"), max_length=40, blank=True)
    escalate_to_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                         related_name="+", verbose_name=_("escalate to user"))
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("approval task")
        verbose_name_plural = _("approval tasks")
        ordering = ["request", "level"]
        constraints = [models.UniqueConstraint(fields=["request", "level"], name="approval_task_level_once")]
        indexes = [models.Index(fields=["status", "opened_at"], name="approval_task_open_idx")]

    def __str__(self) -> str:
        return f"{self.request} #{self.level}"


class ApprovalDecision(models.Model):
    class Outcome(models.TextChoices):
        APPROVED = "approved", pgettext_lazy("approval", "Approved")
        REJECTED = "rejected", pgettext_lazy("approval", "Rejected")

    task = models.ForeignKey(ApprovalTask, on_delete=models.CASCADE, related_name="decisions",
                             verbose_name=_("approval task"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("decided by"))
    on_behalf_of = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("on behalf of"))
    outcome = models.CharField(pgettext_lazy("approval", "decision"), max_length=10, choices=Outcome.choices)
    comment = models.TextField(_("comment"))
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("approval decision")
        verbose_name_plural = _("approval decisions")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.task} {self.outcome}"

    @property
    def principal_id(self) -> int:
        return self.on_behalf_of_id or self.decided_by_id


class ApprovalDelegation(models.Model):
    """While `delegator` is away (from `starts_on` to `ends_on`, both included), `delegate` sees and
    decides the approvals waiting for the delegator; decisions say "delegate for delegator"."""

    delegator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("away"))
    delegate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("delegate"))
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("approval delegation")
        verbose_name_plural = _("approval delegations")
        ordering = ["-starts_on", "-pk"]
        constraints = [models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")),
                                              name="approval_delegation_period"),
                       models.CheckConstraint(condition=~models.Q(delegate=models.F("delegator")),
                                              name="approval_delegation_not_self")]

    def __str__(self) -> str:
        return f"{self.delegator_id} → {self.delegate_id}"
