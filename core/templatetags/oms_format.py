"""Display helpers every back-office template needs: money in yuan and PII masked per user.

`{% load oms_format %}` then `{{ order.total|cny }}` → `¥1,234.00`, `{{ order.phone|phone_for:user }}`
→ `138****1234` unless the user may see customer PII.
"""

from django import template
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from core.money import format_cny
from core.pii import mask_email, mask_phone, user_can_view_pii

register = template.Library()


@register.filter
def cny(value):
    if value is None or value == "":
        return ""
    return format_cny(value)


@register.filter
def phone_for(phone, user):
    return phone if user_can_view_pii(user) else mask_phone(phone)


@register.filter
def email_for(email, user):
    return email if user_can_view_pii(user) else mask_email(email)


@register.filter
def since(value):
    """How long ago, to the largest unit: `3 小时` / `3 hours`; `刚刚` under a minute."""
    if not value:
        return ""
    if (timezone.now() - value).total_seconds() < 60:
        return _("just now")
    return timesince(value, depth=1)


@register.filter
def order_link(number):
    """An order number as a link to its order page (`{{ order.number|order_link }}`); plain text
    where the back office that serves that page is not installed."""
    from django.urls import NoReverseMatch, reverse
    from django.utils.html import format_html

    if not number:
        return ""
    try:
        url = reverse("backoffice:order", args=[number])
    except NoReverseMatch:
        return number
    return format_html('<a class="order-link mono" href="{}">{}</a>', url, number)


@register.simple_tag
def colon():
    """`{% colon %}` after a label: `：` in Chinese, `: ` in English."""
    from core.punctuation import colon as language_colon

    return language_colon()
