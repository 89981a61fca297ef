"""Quantities as clerks read them: `1,200` in every language, like `core.money.format_cny` does for money.

(Django's zh-hans locale has no thousands separator, so `intcomma` would print `1200`.)
"""

from django import template

register = template.Library()


@register.filter
def qty(value):
    if value is None or value == "":
        return "—"
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return value
