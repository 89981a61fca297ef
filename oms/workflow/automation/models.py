"""Automation rules as data; every save is a `RuleVersion`; every firing a `RuleFiring`."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.models import OrderStatus


class Trigger(models.TextChoices):
    CREATED = "created", _("Order created")
    REVIEWED = "reviewed", _("Order reviewed")
    PAID = "paid", _("Order paid")
    SHIPMENT_PLANNED = "shipment_planned", _("Shipment planned")
    SHIPPED = "shipped", _("Order shipped")
    DELIVERED = "delivered", _("Order delivered")
    COMPLETED = "completed", _("Order completed")
    CANCELLED = "cancelled", _("Order cancelled")
    RETURN_REQUESTED = "return_requested", _("Return requested")
    REFUNDED = "refunded", _("Order refunded")
    # Time-based: checked by the schedule `automation.timed.run_stalled_rules`, not at a step.
    STALLED = "stalled", _("N hours in a state with no progress")


class AutomationRule(models.Model):
    """When `trigger` happens to an order and `condition` holds, run `actions` in order.

    `actions` is a JSON list of `{"type": ..., "params": {...}}` (see `automation.actions.ACTION_TYPES`).
    Written only by `automation.services.rule_save` (which keeps a version and clears the cache).
    """

    name = models.CharField(_("name"), max_length=120)
    trigger = models.CharField(_("trigger"), max_length=24, choices=Trigger.choices)
    condition = models.TextField(
        _("condition"), blank=True,
        help_text=_("An expression over the order, e.g. amount > 2000 and channel == \"douyin\"; "
                    "empty means every order."))
    actions = models.JSONField(_("actions"), default=list, blank=True,
                               help_text=_("A list of {\"type\": ..., \"params\": {...}}, run in order."))
    priority = models.PositiveSmallIntegerField(_("priority"), default=100,
                                                help_text=_("Lower numbers run first."))
    active_from = models.DateTimeField(_("active from"), null=True, blank=True)
    active_to = models.DateTimeField(_("active to"), null=True, blank=True)
    enabled = models.BooleanField(_("enabled"), default=False)
    # Trigger `stalled` only: the rule fires once per order per time it entered `stalled_state` and
    # stayed there `stalled_hours` (see `automation.timed`).
    stalled_state = models.CharField(_("state"), max_length=20, blank=True, choices=OrderStatus.choices,
                                     help_text=_("Time-based trigger: the state the order stays in."))
    stalled_hours = models.PositiveIntegerField(_("hours without progress"), null=True, blank=True,
                                                help_text=_("Time-based trigger: hours since the order "
                                                            "entered the state."))
    version = models.PositiveIntegerField(_("version"), default=0, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("automation rule")
        verbose_name_plural = _("automation rules")
        ordering = ["trigger", "priority", "pk"]

    def __str__(self) -> str:
        return self.name

    def is_active_at(self, moment) -> bool:
        return self.enabled and (self.active_from is None or self.active_from <= moment) \
            and (self.active_to is None or moment < self.active_to)


class RuleVersion(models.Model):
    rule = models.ForeignKey(AutomationRule, on_delete=models.CASCADE, related_name="versions",
                             verbose_name=_("automation rule"))
    number = models.PositiveIntegerField(_("version"))
    snapshot = models.JSONField(_("snapshot"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("changed by"))
    created_at = models.DateTimeField(_("changed at"), default=timezone.now)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("rule version")
        verbose_name_plural = _("rule versions")
        ordering = ["rule", "-number"]
        constraints = [models.UniqueConstraint(fields=["rule", "number"], name="automation_rule_version_once")]

    def __str__(self) -> str:
        return f"{self.rule} v{self.number}"


class RuleFiring(models.Model):
    rule = models.ForeignKey(AutomationRule, on_delete=models.CASCADE, related_name="firings",
                             verbose_name=_("automation rule"))
    version = models.PositiveIntegerField(_("version"))
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="automation_firings",
                              verbose_name=_("order"))
    trigger = models.CharField(_("trigger"), max_length=24, choices=Trigger.choices)
    actions = models.JSONField(_("actions done"), default=list)
    at = models.DateTimeField(_("at"), default=timezone.now)
    # Trigger `stalled`: when the order entered the state it stayed in; with the unique constraint
    # below, a rule fires once per (order, state entry) however many schedule runs race.
    state_entered_at = models.DateTimeField(_("entered the state at"), null=True, blank=True)

    class Meta:
        verbose_name = _("rule firing")
        verbose_name_plural = _("rule firings")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["order", "rule"], name="automation_firing_order_idx")]
        constraints = [models.UniqueConstraint(fields=["rule", "order", "state_entered_at"],
                                               condition=models.Q(state_entered_at__isnull=False),
                                               name="automation_firing_once_per_state_entry")]

    def __str__(self) -> str:
        return f"{self.rule} → {self.order_id}"


class SatisfactionSurvey(models.Model):
    """A satisfaction survey of one order (action `start_survey`): a link with a signed token, answered
    once on a public page (score 1–5 and a comment), shown on the order page."""

    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="satisfaction_survey",
                                 verbose_name=_("order"))
    rule = models.ForeignKey(AutomationRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("automation rule"))
    rule_version = models.PositiveIntegerField(_("rule version"), null=True, blank=True)
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=models.Q(score__isnull=True) | models.Q(score__gte=1,
                                                                                                 score__lte=5),
                                              name="workflow_survey_score_1_to_5")]

    def __str__(self) -> str:
        return f"survey {self.order_id}"
