from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from core.fieldcrypto import EncryptedSparseJSONField
from core.models import Role


class ReviewRule(models.Model):
    """One automatic review check as data: on/off, thresholds, channels and who may approve.

    `code` names a check registered in `oms.workflow.registry`; `params` are its thresholds.
    An administrator edits these in the admin; the next order reviewed uses the new values.
    """

    code = models.CharField(_("check"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    enabled = models.BooleanField(_("enabled"), default=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    channels = models.ManyToManyField("orders.Channel", blank=True, verbose_name=_("channels"),
                                      help_text=_("Only orders of these channels; empty means every channel."))
    approval_role = models.CharField(
        _("approval role"), max_length=32, choices=Role.choices, blank=True,
        help_text=_("Orders held by this rule can only be approved by this role; empty means any reviewer."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    description = models.TextField(_("description"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # Configuration: every change kept with its before/after values (issue 17), read-only in the admin.
    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=["channels"])

    class Meta:
        verbose_name = _("review rule")
        verbose_name_plural = _("review rules")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

        from core.errors import ValidationFailed
        from oms.workflow.rules import clean_rule_params

        try:
            self.params = clean_rule_params(self.code, self.params)
        except ValidationFailed as exc:
            errors = dict(exc.errors)
            if "code" in errors:  # the code is read-only once saved: report it for the whole form
                errors[NON_FIELD_ERRORS] = errors.pop("code")
            raise ValidationError(errors)


class FollowUp(models.Model):
    """Work that follows an order's release after it committed: issue the invoice, plan shipments,
    tell the customer.

    Written in the same transaction as the order, so a follow-up exists exactly when its order does;
    a django-q2 job runs it after commit, and the schedule `oms.workflow.follow_ups.run_overdue`
    runs whatever is still pending after a grace period (the worker died, the broker lost the job).
    Running one twice does nothing twice: each kind calls an idempotent service.
    """

    class Kind(models.TextChoices):
        ISSUE_INVOICE = "issue_invoice", _("Issue the invoice")
        PLAN_SHIPMENTS = "plan_shipments", _("Plan shipments and instruct the warehouse")
        NOTIFY_CUSTOMER = "notify_customer", _("Notify the customer")

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("follow-up", "Pending")
        DONE = "done", pgettext_lazy("follow-up", "Done")
        FAILED = "failed", pgettext_lazy("follow-up", "Failed")

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="follow_ups",
                              verbose_name=_("order"))
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    # Tells apart follow-ups of one kind for one order (a notification per shipment: its kind and
    # shipment number); empty for the once-per-order kinds.
    key = models.CharField(_("key"), max_length=100, blank=True, default="")
    # What a notification says and to whom (the customer's phone and e-mail): encrypted at rest.
    payload = EncryptedSparseJSONField(_("payload"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=255, blank=True)
    # Who caused it (the intake's actor): the follow-up's timeline entries name them, as before.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("actor"))
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("created at"))
    attempted_at = models.DateTimeField(_("attempted at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["order", "kind", "key"],
                                               name="follow_up_once_per_order_kind_key")]
        indexes = [models.Index(fields=["status", "created_at"], name="follow_up_pending_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.get_status_display()}"


# Automation rules (issue 19) live in `oms.workflow.automation`; imported here so Django finds them.
from oms.workflow.automation.approval_models import (  # noqa: E402, F401
    ApprovalDecision,
    ApprovalDelegation,
    ApprovalRequest,
    ApprovalTask,
)
from oms.workflow.automation.models import AutomationRule, RuleFiring, RuleVersion  # noqa: E402, F401
