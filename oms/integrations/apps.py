from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.enums import Role

_VIEW = ["integrations.view_inboundevent", "integrations.view_inboundattempt"]
_VOUCHERS = ["integrations.view_voucherexport", "integrations.add_voucherexport", "integrations.view_exportedvoucher"]
_WEBHOOKS = ["integrations.view_webhooksubscription", "integrations.view_webhookdelivery",
             "integrations.view_deadletter", "integrations.replay_webhookdelivery", "integrations.view_outboxattempt"]


# Administrators configure the connections (credentials, receivers, gateways); others only watch them.
_CONFIGURE = [f"integrations.{action}_{model}" for model in (
    "channelconnector", "webhooksubscription", "crmendpoint", "smsgateway", "webhooksender", "outboundendpoint")
    for action in ("view", "add", "change", "delete")]


class IntegrationsConfig(AppConfig):
    name = "oms.integrations"
    label = "integrations"
    verbose_name = _("Integrations")
    role_permissions = {
        Role.FINANCE: [*_VIEW, *_VOUCHERS],
        Role.FINANCE_DIRECTOR: [*_VIEW, *_VOUCHERS],
        Role.MANAGER: [*_VIEW, "integrations.view_webhooksender", "integrations.retry_inboundevent",
                       "integrations.view_outboxmessage", "integrations.view_outboxattempt",
                       "integrations.view_outboundendpoint", "integrations.retry_outboxmessage",
                       "integrations.view_channelconnector", "integrations.run_channelconnector",
                       "integrations.view_syncrun", "integrations.view_syncitem",
                       "integrations.view_platformorderlink", *_WEBHOOKS],
        Role.WAREHOUSE: ["integrations.view_outboxmessage", "integrations.view_outboxattempt"],
        Role.ADMIN: _CONFIGURE,
    }

    def ready(self):
        # Each webhook kind registers its handler with the inbox: payments, warehouses and carriers.
        from core import hooks
        from oms.integrations import payments, shipping  # noqa: F401

        # Shipping instructions for WMS-run warehouses go to the outbox in the planning transaction.
        hooks.shipping_instruction.register(shipping.write_shipping_instruction)

        # Channel connectors: tracking numbers of pulled orders go back to their platform through the outbox.
        from oms.integrations import outbox
        from oms.integrations.connectors import douyin, pushback, sync  # noqa: F401  (douyin: registers its adapter)
        from oms.integrations.models import WebhookKind
        from oms.workflow.checks import HOLD_REASON_LABELS

        hooks.order_status_changed.register(pushback.write_tracking_messages)
        outbox.register_transport(WebhookKind.CHANNEL, pushback.send_platform_message)
        # Outbound webhooks: every order transition becomes the subscribed systems' events.
        from oms.integrations import webhooks

        hooks.order_submitted.register(webhooks.on_order_submitted)
        hooks.order_status_changed.register(webhooks.on_order_status_changed)
        hooks.shipment_delivered.register(webhooks.on_shipment_delivered)
        outbox.register_transport(WebhookKind.WEBHOOK, webhooks.send, max_attempts=webhooks.MAX_ATTEMPTS,
                                  after=webhooks.after_attempt)
        # CRM follow-ups and text messages: written to the outbox by whoever calls them, sent by their adapters.
        from oms.integrations import crm, sms

        outbox.register_transport(WebhookKind.CRM, crm.send_outbox_message)
        outbox.register_transport(WebhookKind.SMS, sms.send_outbox_message)
        HOLD_REASON_LABELS.setdefault(sync.PLATFORM_CHANGED, _("Changed on the platform"))
        HOLD_REASON_LABELS.setdefault(sync.PLATFORM_REFUND, _("Refund requested on the platform"))
