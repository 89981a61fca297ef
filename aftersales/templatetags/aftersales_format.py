"""Display helpers of the after-sales screens: carrier names and SLA badges.

Money and ages come from the project's `oms_format` (`cny`, `since`).
"""

from django import template
from django.utils.translation import gettext as _

from aftersales.rules import SlaLevel
from logistics.carriers import carrier_label

register = template.Library()


@register.filter
def carrier(code):
    return carrier_label(code) if code else ""


@register.inclusion_tag("aftersales/_sla.html")
def sla_badge(sla):
    labels = {SlaLevel.OK: _("On time"), SlaLevel.DUE_SOON: _("Due soon"), SlaLevel.OVERDUE: _("Overdue")}
    css = {SlaLevel.OK: "badge-ok", SlaLevel.DUE_SOON: "badge-warn", SlaLevel.OVERDUE: "badge-bad"}
    return {"sla": sla, "label": labels.get(sla.level, ""), "css": css.get(sla.level, "")}
