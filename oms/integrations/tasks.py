"""django-q2 entry points of the inbox (see the schedule created by migration 0002)."""

from oms.integrations.inbox import process_event, retry_due_events


def retry_inbound_events() -> int:
    return retry_due_events()


def process_inbound_event(event_id: int) -> str:
    return process_event(event_id=event_id).status


def deliver_outbox_message(message_pk: int) -> str:
    from oms.integrations.outbox import deliver

    return deliver(message_pk=message_pk).status


def deliver_outbox() -> int:
    from oms.integrations.outbox import deliver_due

    return deliver_due()


def relay_webhook_events() -> int:
    from oms.integrations.webhooks import relay_events

    return relay_events()
