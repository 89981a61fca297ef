"""CRM follow-up updates with field mapping, and templated SMS through a Chinese-gateway-shaped provider."""

import json
import threading
import urllib.parse
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone

from oms.integrations import outbox, signing
from oms.integrations.crm import crm_follow_up_update
from oms.integrations.models import CrmEndpoint, OutboxStatus, SmsGateway
from oms.integrations.sms import aliyun_signature, sms_send
from oms.integrations.tests.receivers import Receiver
from orders.tests.factories import create_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


def test_follow_up_status_reaches_the_crm_in_its_own_field_names(receiver):
    CrmEndpoint.objects.create(
        code="crm", url=receiver.url, token="tok-123", secret="crm-sig",
        field_map={"customer.phone": "mobile", "customer.name": "contact.name", "status": "follow.status",
                   "note": "follow.remark", "order.number": "bizNo"},
        value_map={"pending": "1", "done": "2"}, static_fields={"source": "OMS"})
    order = create_order()
    [message] = crm_follow_up_update(customer=order.customer, status="pending", note="大额订单请回访", order=order)
    assert outbox.deliver(message_pk=message.pk).status == OutboxStatus.DELIVERED
    [request] = receiver.received
    assert request["json"] == {"source": "OMS", "mobile": order.customer.phone,
                               "contact": {"name": order.customer.name},
                               "follow": {"status": "1", "remark": "大额订单请回访"}, "bizNo": order.number}
    assert request["headers"]["Authorization"] == "Bearer tok-123"
    signing.verify(header=request["headers"]["X-OMS-Signature"], body=request["body"], secrets=["crm-sig"],
                   tolerance=300)
    assert "tok-123" not in message.attempt_log.get().request  # the log keeps no credentials


class FakeSmsGateway:
    """Answers like Aliyun's SendSms; checks the signature with the documented recipe."""

    def __init__(self, secret):
        self.secret, self.sent, self.code = secret, [], "OK"
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
                signature = params.pop("Signature")
                if signature != aliyun_signature(params, gateway.secret):
                    answer = {"Code": "SignatureDoesNotMatch", "Message": "签名不匹配"}
                elif gateway.code != "OK":
                    answer = {"Code": gateway.code, "Message": "触发流控"}
                else:
                    gateway.sent.append(params)
                    answer = {"Code": "OK", "Message": "OK", "BizId": "9001^0", "RequestId": "R1"}
                data = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sms_gateway():
    fake = FakeSmsGateway("ak-secret")
    yield fake
    fake.stop()


def test_templated_sms_through_the_gateway_with_signature_and_retry_on_throttling(sms_gateway):
    SmsGateway.objects.create(code="default", provider="aliyun", endpoint=sms_gateway.url, access_key_id="AK1",
                              access_key_secret="ak-secret", sign_name="某某商城")
    sms_gateway.code = "isv.BUSINESS_LIMIT_CONTROL"
    message = sms_send(phone="13812341234", template_code="SMS_1001", params={"order": "SO1", "amount": 12},
                       order_number="SO1")
    message = outbox.deliver(message_pk=message.pk)
    assert message.status == OutboxStatus.FAILED and "BUSINESS_LIMIT_CONTROL" in message.last_error
    sms_gateway.code = "OK"
    outbox.deliver_due(now=timezone.now() + timedelta(minutes=2))
    message.refresh_from_db()
    assert message.status == OutboxStatus.DELIVERED
    [sent] = sms_gateway.sent
    assert (sent["PhoneNumbers"], sent["SignName"], sent["TemplateCode"], sent["OutId"]) == (
        "13812341234", "某某商城", "SMS_1001", "SO1")
    assert json.loads(sent["TemplateParam"]) == {"order": "SO1", "amount": "12"}


def test_a_bad_number_is_not_retried(sms_gateway):
    SmsGateway.objects.create(code="default", provider="aliyun", endpoint=sms_gateway.url, access_key_id="AK1",
                              access_key_secret="ak-secret", sign_name="某某商城")
    sms_gateway.code = "isv.MOBILE_NUMBER_ILLEGAL"
    message = outbox.deliver(message_pk=sms_send(phone="1", template_code="SMS_1", params={}).pk)
    assert message.status == OutboxStatus.DEAD


def test_console_is_the_default(capsys):
    message = sms_send(phone="13812341234", template_code="SMS_1001", params={"order": "SO1"})
    assert outbox.deliver(message_pk=message.pk).status == OutboxStatus.DELIVERED
    assert "[sms SMS_1001] to 13812341234" in capsys.readouterr().out
