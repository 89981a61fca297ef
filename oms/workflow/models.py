from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

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
