import json
import time

from django.conf import settings
from django.urls import reverse

from oms.integrations import signing


def post_signed(client, name: str, sender: str, payload: dict, *, secret: str | None = None, at: int | None = None):
    """POST a webhook body signed as the contract says (`X-OMS-Signature: t=…,v1=…`)."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    header = signing.sign(body, secret or settings.OMS_WEBHOOK_SECRET, timestamp=at or int(time.time()))
    kwarg = {"webhook-wms": "warehouse", "webhook-carriers": "carrier", "webhook-payments": "provider"}[name]
    return client.post(reverse(f"api:{name}", kwargs={kwarg: sender}), data=body, content_type="application/json",
                       HTTP_X_OMS_SIGNATURE=header)
