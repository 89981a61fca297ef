"""Written from docs/webhooks-outbound.md alone: a receiver that follows the page accepts our requests.

Nothing of `oms.integrations.signing` is used here: the verification is the page's recipe, copied.
"""

import hashlib
import hmac
import json
import re
import time
from decimal import Decimal

import pytest

from core.actors import SYSTEM
from logistics.tests.factories import product
from oms.integrations import outbox
from oms.integrations.models import WebhookSubscription
from oms.integrations.tests.receivers import Receiver
from oms.workflow.services import PaymentInput, submit_order
from orders.tests.factories import order_input

pytestmark = pytest.mark.django_db


def verify(header: str, body: bytes, secret: str, tolerance: int = 300) -> bool:  # the page's recipe
    parts = [p.split("=", 1) for p in header.split(",")]
    t = next(v for k, v in parts if k.strip() == "t")
    signatures = [v for k, v in parts if k.strip() == "v1"]
    expected = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return abs(time.time() - int(t)) <= tolerance and any(hmac.compare_digest(expected, s) for s in signatures)


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


def test_a_receiver_built_from_the_docs_verifies_and_understands_the_events(receiver):
    WebhookSubscription.objects.create(name="ERP", url=receiver.url, secret="s3cr3t-从文档",
                                       events=["order.created", "order.paid"])
    data = order_input(lines=[(product(stock=5), 2, "199.00")], shipping_fee="10.00")
    submit_order(data=data, payment=PaymentInput(method="alipay", paid_amount=Decimal("408.00"),
                                                 transaction_id="T1"), actor=SYSTEM)
    outbox.deliver_due()
    assert [r["json"]["type"] for r in receiver.received] == ["order.created", "order.paid"]
    for request in receiver.received:
        headers, body, envelope = request["headers"], request["body"], json.loads(request["body"])
        assert verify(headers["X-OMS-Signature"], body, "s3cr3t-从文档")
        assert not verify(headers["X-OMS-Signature"], body.replace(b"408.00", b"1.00"), "s3cr3t-从文档")
        assert not verify(headers["X-OMS-Signature"], body, "another secret")
        assert headers["Content-Type"] == "application/json; charset=utf-8"
        assert headers["X-OMS-Event"] == envelope["type"] and headers["X-OMS-Event-Id"] == envelope["id"]
        assert headers["X-OMS-Message-Id"].startswith(envelope["id"]) and headers["X-OMS-Delivery-Attempt"] == "1"
        assert re.fullmatch(r"evt_[0-9a-f]{32}", envelope["id"]) and envelope["version"] == "1"
        assert set(envelope) == {"id", "type", "version", "occurred_at", "data"}
        order = envelope["data"]["order"]
        assert order["total"] == "408.00" and order["currency"] == "CNY" and order["channel"] == "tmall"
        assert order["lines"] == [{"sku": order["lines"][0]["sku"], "quantity": 2, "unit_price": "199.00"}]
        assert "*" in order["customer"]["phone"]
