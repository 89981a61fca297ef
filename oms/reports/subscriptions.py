"""E-mailing dashboards as xlsx: the hourly schedule sends each subscription once per day (daily) or
on Mondays (weekly). The e-mail backend is Django's, configured by `OMS_EMAIL_BACKEND` and friends."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from oms.reports.exports import dashboard_workbook
from oms.reports.models import Frequency, Subscription

log = logging.getLogger("oms.reports")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def is_due(subscription: Subscription, today) -> bool:
    if not subscription.active or subscription.last_sent_on == today:
        return False
    if subscription.frequency == Frequency.WEEKLY:
        return today.weekday() == 0
    return True


def subscription_send(*, subscription: Subscription, today=None) -> None:
    today = today or timezone.localdate()
    dashboard = subscription.dashboard
    with translation.override(settings.LANGUAGE_CODE):
        content = dashboard_workbook(dashboard)
        subject = _("Report: %(name)s (%(day)s)") % {"name": dashboard.name, "day": today.isoformat()}
        body = _("The dashboard “%(name)s” as of %(day)s is attached.") % {"name": dashboard.name,
                                                                           "day": today.isoformat()}
    message = EmailMessage(subject=subject, body=body, to=[subscription.email])
    message.attach(f"{dashboard.name}-{today.isoformat()}.xlsx", content, XLSX)
    message.send()
    with transaction.atomic():
        Subscription.objects.filter(pk=subscription.pk).update(last_sent_on=today)


def subscriptions_send_due(*, today=None) -> list[int]:
    """Send every subscription due today; one that fails is logged and retried at the next run."""
    today = today or timezone.localdate()
    sent = []
    for subscription in Subscription.objects.filter(active=True).select_related("dashboard"):
        if not is_due(subscription, today):
            continue
        try:
            subscription_send(subscription=subscription, today=today)
            sent.append(subscription.pk)
        except Exception:  # noqa: BLE001 (a broken mailbox must not stop the others)
            log.exception("report subscription %s failed", subscription.pk)
    return sent
