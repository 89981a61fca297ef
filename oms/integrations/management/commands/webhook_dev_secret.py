"""Print the development secret of a webhook sender without its own secret.

    python manage.py webhook_dev_secret wms GZ01     # what the test WMS of warehouse GZ01 signs with

In development (`OMS_WEBHOOK_REGISTERED_SENDERS_ONLY` off) a sender without its own secret signs with
hex HMAC-SHA256(OMS_WEBHOOK_SECRET, "<kind>/<sender>"): hand a test partner this value, never the
shared secret, and it can sign for that sender alone (docs/api.md, "Inbound webhooks").
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from oms.integrations import inbox
from oms.integrations.models import WebhookSender


class Command(BaseCommand):
    help = "Print the secret a webhook sender without its own secret signs with in development."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(inbox._HANDLERS))
        parser.add_argument("sender", help="the {provider}/{warehouse}/{carrier} of the webhook URL")

    def handle(self, *args, kind, sender, **options):
        if inbox.registered_senders_only():
            raise CommandError("Only senders registered with their own secret are accepted here: register the "
                               "sender in the admin (webhook senders) instead.")
        if inbox.handler_for(kind).moves_money and not inbox.unregistered_money_senders():
            raise CommandError(f"{kind}: payment and refund events come only from senders "
                               "registered with their own secret (or set OMS_WEBHOOK_UNREGISTERED_MONEY_SENDERS=1).")
        if WebhookSender.objects.filter(kind=kind, code=sender).exclude(secret_index="").exists():
            raise CommandError(f"{kind}/{sender} is registered with its own secret: that one is used, not this.")
        secret = inbox.development_secret(kind, sender)
        if not secret:
            raise CommandError("OMS_WEBHOOK_SECRET is empty: no development secret can be derived.")
        self.stdout.write(secret)
