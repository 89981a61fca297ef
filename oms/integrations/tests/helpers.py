import json
import time

from django.urls import reverse

from oms.integrations import inbox, signing

KIND_OF = {"webhook-wms": "wms", "webhook-carriers": "carriers", "webhook-payments": "payments"}


def development_signature(kind: str, sender: str, body: bytes, *, at: int | None = None) -> str:
    """The `X-OMS-Signature` an unregistered sender sends in development: signed with the secret
    derived for it from `OMS_WEBHOOK_SECRET` (`inbox.development_secret`), never the shared one."""
    return signing.sign(body, inbox.development_secret(kind, sender), timestamp=at or int(time.time()))


def post_signed(client, name: str, sender: str, payload: dict, *, secret: str | None = None, at: int | None = None):
    """POST a webhook body signed as the contract says (`X-OMS-Signature: t=…,v1=…`): with `secret`
    when given (a registered sender's own), else with the sender's development secret. Payment
    webhooks from unregistered senders also need `OMS_WEBHOOK_UNREGISTERED_MONEY_SENDERS` on."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    if secret is None:
        header = development_signature(KIND_OF[name], sender, body, at=at)
    else:
        header = signing.sign(body, secret, timestamp=at or int(time.time()))
    kwarg = {"webhook-wms": "warehouse", "webhook-carriers": "carrier", "webhook-payments": "provider"}[name]
    return client.post(reverse(f"api:{name}", kwargs={kwarg: sender}), data=body, content_type="application/json",
                       HTTP_X_OMS_SIGNATURE=header)
