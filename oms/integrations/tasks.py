"""django-q2 entry points of the inbox (see the schedule created by migration 0002)."""

from oms.integrations.inbox import process_event, retry_due_events


def retry_inbound_events() -> int:
    return retry_due_events()


def process_inbound_event(event_id: int) -> str:
    return process_event(event_id=event_id).status
