"""Telling a CRM about a customer's follow-up: generic JSON with the CRM's own field names.

    from oms.integrations.crm import crm_follow_up_update
    crm_follow_up_update(customer=order.customer, status="pending", note="大额订单请回访", order=order)

Writes one outbox message per active `CrmEndpoint` (or only `endpoint="code"`) in the caller's
transaction (kind `crm`), so the CRM hears it only if the step commits, with retries and a
delivery log. The JSON body is built from our fields — `customer.id`, `customer.name`,
`customer.phone`, `customer.email`, `status`, `note`, `order.number`, `order.total`,
`order.channel`, `updated_at` — through the endpoint's `field_map` (our field → the CRM's field,
dots in the CRM's name make nested objects), `value_map` (our status → the CRM's code) and
`static_fields`. Sent with `Authorization: Bearer <token>` when configured and signed with
`X-OMS-Signature` (as our webhooks) when a secret is set.
"""

from __future__ import annotations

import json
import uuid

from django.utils import timezone

from oms.integrations import outbox, signing
from oms.integrations.models import CrmEndpoint, OutboxMessage, WebhookKind

TOPIC = "crm.follow_up"


def our_fields(*, customer, status: str, note: str = "", order=None) -> dict:
    fields = {"customer.id": customer.pk, "customer.name": customer.name, "customer.phone": customer.phone,
              "customer.email": customer.email, "status": status, "note": note,
              "updated_at": timezone.now().isoformat()}
    if order is not None:
        fields.update({"order.number": order.number, "order.total": f"{order.total:.2f}",
                       "order.channel": order.channel.code})
    return fields


def map_fields(endpoint: CrmEndpoint, fields: dict) -> dict:
    """Our flat fields → the CRM's (nested) JSON, as the endpoint's mapping says."""
    body = json.loads(json.dumps(endpoint.static_fields or {}))
    for ours, theirs in (endpoint.field_map or {}).items():
        if ours not in fields:
            continue
        value = fields[ours]
        if ours == "status":
            value = (endpoint.value_map or {}).get(value, value)
        target = body
        *parents, leaf = str(theirs).split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    return body


def crm_follow_up_update(*, customer, status: str, note: str = "", order=None,
                         endpoint: str | None = None) -> list[OutboxMessage]:
    """Queue the follow-up status of `customer` for every active CRM (or the one named)."""
    endpoints = CrmEndpoint.objects.filter(active=True)
    if endpoint:
        endpoints = endpoints.filter(code=endpoint)
    fields = our_fields(customer=customer, status=status, note=note, order=order)
    messages = []
    for crm in endpoints:
        messages.append(outbox.outbox_write(
            kind=WebhookKind.CRM, destination=crm.code, topic=TOPIC, message_id=f"crm:{uuid.uuid4().hex}",
            key=f"customer:{customer.pk}", order_number=order.number if order is not None else "",
            payload=map_fields(crm, fields)))
    return messages


def send_outbox_message(message: OutboxMessage) -> outbox.Sent:
    """Outbox transport of kind `crm`."""
    crm = CrmEndpoint.objects.filter(code=message.destination, active=True).first()
    if crm is None:
        return outbox.Sent(None, f"no active CRM endpoint {message.destination}", waiting=True)
    body = json.dumps(message.payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", outbox.MESSAGE_ID_HEADER: message.message_id,
               "User-Agent": "OMS-crm/1"}
    if crm.token:
        headers["Authorization"] = f"Bearer {crm.token}"
    if crm.secret:
        headers[signing.HEADER] = signing.sign(body, crm.secret)
    if crm.method == "POST":
        return outbox.http_post(crm.url, body, headers, timeout=crm.timeout_seconds)
    return outbox.http_send(crm.method, crm.url, body, headers, timeout=crm.timeout_seconds)
