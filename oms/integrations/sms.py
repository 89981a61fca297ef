"""Sending text messages: one call for everybody, pluggable providers, delivered through the outbox.

    from oms.integrations.sms import sms_send
    sms_send(phone="13812341234", template_code="SMS_ORDER_SHIPPED",
             params={"order": "SO20261204000001", "carrier": "顺丰", "tracking": "SF123"},
             order_number="SO20261204000001")

Chinese SMS gateways send only pre-approved templates: the caller names the template code and its
parameters, the gateway fills them in under the approved signature (签名). `sms_send` writes the
message to the outbox in the caller's transaction (kind `sms`), so it is sent only if the step
commits, retried with back-off when the gateway is down or throttles, and logged per attempt. The
provider is the active `SmsGateway` row (admin); without one, the console provider prints it.

`AliyunStyleProvider` speaks the Aliyun Dysmsapi `SendSms` shape: GET with `Action=SendSms`,
`PhoneNumbers`, `SignName`, `TemplateCode`, `TemplateParam` (JSON), `AccessKeyId`, `Timestamp`
(UTC), `SignatureNonce`, `SignatureMethod=HMAC-SHA1`, `SignatureVersion=1.0`, `Version=2017-05-25`,
`Format=JSON`, signed with `Signature = base64(HMAC-SHA1(secret + "&", "GET&%2F&" +
percent(canonical query)))`; the answer `{"Code": "OK", "BizId": …}` is success, throttling codes
are retried, others (bad number, unknown template) are not.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from oms.integrations import outbox
from oms.integrations.models import OutboxMessage, SmsGateway, WebhookKind

logger = logging.getLogger("oms.sms")
TOPIC = "sms.send"
RETRYABLE = {"isv.BUSINESS_LIMIT_CONTROL", "isp.SYSTEM_ERROR", "isv.DAY_LIMIT_CONTROL", "Throttling.User"}


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    template_code: str
    params: dict
    order_number: str = ""


class SmsError(Exception):
    def __init__(self, message: str, *, code: str = "", retryable: bool = False):
        super().__init__(f"[{code}] {message}" if code else message)
        self.code, self.retryable = code, retryable


class SmsProvider:
    def send(self, message: SmsMessage, *, sign_name: str = "") -> str:
        """Send; return the provider's message id, or raise SmsError."""
        raise NotImplementedError


class ConsoleProvider(SmsProvider):
    stream = None

    def send(self, message: SmsMessage, *, sign_name: str = "") -> str:
        stream = self.stream or sys.stdout
        stream.write(f"[sms {message.template_code}] to {message.phone}: "
                     f"{json.dumps(message.params, ensure_ascii=False)}\n")
        stream.flush()
        return f"console-{uuid.uuid4().hex[:12]}"


def percent(value: str) -> str:
    return urllib.parse.quote(value, safe="-_.~")


def aliyun_signature(params: dict, secret: str, method: str = "GET") -> str:
    canonical = "&".join(f"{percent(k)}={percent(str(v))}" for k, v in sorted(params.items()))
    string_to_sign = f"{method}&{percent('/')}&{percent(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunStyleProvider(SmsProvider):
    def __init__(self, gateway: SmsGateway, *, timeout: float = 10):
        self.gateway, self.timeout = gateway, timeout

    def send(self, message: SmsMessage, *, sign_name: str = "") -> str:
        params = {
            "Action": "SendSms", "Version": "2017-05-25", "Format": "JSON", "RegionId": "cn-hangzhou",
            "PhoneNumbers": message.phone, "SignName": sign_name or self.gateway.sign_name,
            "TemplateCode": message.template_code,
            "TemplateParam": json.dumps(message.params, ensure_ascii=False, separators=(",", ":")),
            "AccessKeyId": self.gateway.access_key_id, "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
            "SignatureNonce": uuid.uuid4().hex, "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if message.order_number:
            params["OutId"] = message.order_number
        params["Signature"] = aliyun_signature(params, self.gateway.access_key_secret)
        url = f"{self.gateway.endpoint.rstrip('/')}/?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:  # noqa: S310 (configured URL)
                answer = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            try:
                answer = json.loads(exc.read().decode("utf-8"))
            except ValueError:
                raise SmsError(f"HTTP {exc.code}", retryable=exc.code >= 500) from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise SmsError(f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}", retryable=True) from exc
        if answer.get("Code") != "OK":
            code = str(answer.get("Code", ""))
            raise SmsError(str(answer.get("Message", "")), code=code, retryable=code in RETRYABLE)
        return str(answer.get("BizId", ""))


def provider_for(gateway: SmsGateway | None) -> SmsProvider:
    if gateway is None or gateway.provider == SmsGateway.Provider.CONSOLE:
        return ConsoleProvider()
    return AliyunStyleProvider(gateway)


def sms_send(*, phone: str, template_code: str, params: dict, order_number: str = "",
             gateway: str = "default") -> OutboxMessage:
    """Queue a templated text message; it is sent after the caller's transaction commits."""
    message_id = f"sms:{uuid.uuid4().hex}"
    return outbox.outbox_write(kind=WebhookKind.SMS, destination=gateway, topic=TOPIC, message_id=message_id,
                               key=order_number or phone, order_number=order_number,
                               payload={"phone": phone, "template_code": template_code,
                                        "params": {k: str(v) for k, v in params.items()}})


def send_outbox_message(message: OutboxMessage) -> outbox.Sent:
    """Outbox transport of kind `sms`."""
    gateway = SmsGateway.objects.filter(code=message.destination, active=True).first()
    sms = SmsMessage(phone=message.payload["phone"], template_code=message.payload["template_code"],
                     params=message.payload.get("params") or {}, order_number=message.order_number)
    request = json.dumps(message.payload, ensure_ascii=False)
    url = gateway.endpoint if gateway and gateway.provider != SmsGateway.Provider.CONSOLE else "console"
    try:
        biz_id = provider_for(gateway).send(sms)
    except SmsError as exc:
        return outbox.Sent(None, str(exc), request=request, url=url, permanent=not exc.retryable)
    return outbox.Sent(200, "", biz_id, request=request, url=url)
