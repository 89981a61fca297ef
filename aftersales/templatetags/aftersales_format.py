"""Display helpers of the after-sales screens: `{{ amount|cny }}` and SLA badges."""

from django import template
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from aftersales.rules import SlaLevel
from logistics.carriers import carrier_label
from oms.core.money import format_cny

register = template.Library()


@register.filter
def cny(value):
    if value is None or value == "":
        return ""
    return format_cny(value)


@register.filter
def carrier(code):
    return carrier_label(code) if code else ""


@register.filter
def age(value):
    """How long ago, to the largest unit (`3 小时`)."""
    if not value:
        return ""
    if (timezone.now() - value).total_seconds() < 60:
        return _("just now")
    return timesince(value, depth=1)


@register.inclusion_tag("aftersales/_sla.html")
def sla_badge(sla):
    labels = {SlaLevel.OK: _("On time"), SlaLevel.DUE_SOON: _("Due soon"), SlaLevel.OVERDUE: _("Overdue")}
    css = {SlaLevel.OK: "badge-ok", SlaLevel.DUE_SOON: "badge-warn", SlaLevel.OVERDUE: "badge-bad"}
    return {"sla": sla, "label": labels.get(sla.level, ""), "css": css.get(sla.level, "")}
