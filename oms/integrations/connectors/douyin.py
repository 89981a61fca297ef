"""The reference adapter: a Douyin-shop-shaped order API (docs/connectors-douyin.md).

Requests: `POST {base_url}/{method with dots as slashes}` with the common parameters in the query
string (`app_key`, `method`, `access_token`, `timestamp`, `v=2`, `sign_method=hmac-sha256`, `sign`)
and `param_json` as the body. The signature is
`HMAC-SHA256(app_secret, app_secret + "app_key" + app_key + "method" + method + "param_json" +
param_json + "timestamp" + timestamp + "v" + "2" + app_secret)` in lower-case hex, where
`param_json` is the parameters as JSON with sorted keys and no spaces. Answers are
`{"code": 10000, "msg": "success", "sub_code", "sub_msg", "data"}`; another code is an error, of which
90000 (throttled) and 50002 (busy) are worth retrying.

Orders are searched by update time (`update_time_start` inclusive, `update_time_end` exclusive, Unix
seconds), 0-based pages of at most 100, oldest change first. Money is integer fen.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from oms.integrations.connectors.base import (
    Adapter,
    Page,
    PlatformError,
    PlatformOrder,
    Throttled,
    fen_to_yuan,
    register,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
OK = 10000
RETRYABLE_CODES = {50002}
THROTTLED_CODE = 90000

# order_status → what OMS understands
STATUSES = {1: "unpaid", 105: "paid", 2: "paid", 101: "shipped", 3: "shipped", 5: "completed", 4: "cancelled"}
PAY_TYPES = {0: "cod", 1: "wechat", 2: "alipay", 3: "unionpay"}
CARRIER_CODES = {"sf": "shunfeng", "yto": "yuantong", "zto": "zhongtong", "sto": "shentong", "yunda": "yunda",
                 "jd": "jd", "ems": "ems"}
REFUND_OPEN = {1, 2, 3}  # after_sale_info.refund_status: 1 requested, 2 agreed, 3 refunding


def param_json(params: dict) -> str:
    return json.dumps(params, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def sign(*, app_key: str, app_secret: str, method: str, params_json: str, timestamp: str) -> str:
    text = (f"{app_secret}app_key{app_key}method{method}param_json{params_json}timestamp{timestamp}v2"
            f"{app_secret}")
    return hmac.new(app_secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def _time(value) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


@register
class DouyinAdapter(Adapter):
    platform = "douyin"
    label = "抖店 (Douyin)"

    def request(self, method: str, params: dict) -> dict:
        body = param_json(params)
        timestamp = str(int(time.time()))
        query = {"app_key": self.config.app_key, "method": method, "access_token": self.config.access_token,
                 "timestamp": timestamp, "v": "2", "sign_method": "hmac-sha256",
                 "sign": sign(app_key=self.config.app_key, app_secret=self.config.app_secret, method=method,
                              params_json=body, timestamp=timestamp)}
        url = f"{self.config.base_url.rstrip('/')}/{method.replace('.', '/')}?{urllib.parse.urlencode(query)}"
        request = urllib.request.Request(url, data=body.encode(), method="POST",
                                         headers={"Content-Type": "application/json; charset=utf-8"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (configured URL)
                answer = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            text = exc.read(500).decode("utf-8", "replace") if exc.fp else ""
            raise PlatformError(f"HTTP {exc.code} {text}".strip(), code=str(exc.code),
                                retryable=exc.code == 429 or exc.code >= 500) from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise PlatformError(f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}", retryable=True) from exc
        code = answer.get("code")
        if code == OK:
            return answer.get("data") or {}
        message = answer.get("sub_msg") or answer.get("msg") or ""
        if code == THROTTLED_CODE:
            raise Throttled(message, code=str(code))
        raise PlatformError(message, code=str(answer.get("sub_code") or code), retryable=code in RETRYABLE_CODES)

    def fetch_page(self, *, since: datetime, until: datetime, page: int) -> Page:
        size = min(self.config.page_size or 100, 100)
        data = self.call("order.searchList", {
            "update_time_start": int(since.timestamp()), "update_time_end": int(until.timestamp()),
            "page": page, "size": size, "order_by": "update_time", "order_asc": True})
        orders = data.get("shop_order_list") or []
        total = data.get("total")
        has_more = (page + 1) * size < total if total is not None else len(orders) == size
        return Page(orders=orders, has_more=has_more, total=total)

    def order_key(self, raw: dict) -> str:
        return str(raw["order_id"])

    def updated_at(self, raw: dict) -> datetime | None:
        return _time(raw.get("update_time"))

    def normalise(self, raw: dict, *, channel_code: str) -> PlatformOrder:
        address = raw.get("post_addr") or {}
        lines = []
        for sku in raw.get("sku_order_list") or []:
            quantity = int(sku["item_num"])
            origin = int(sku.get("origin_amount", int(sku["goods_price"]) * quantity))
            paid = int(sku.get("pay_amount", origin))
            lines.append({"sku": sku.get("code") or sku.get("out_sku_id") or "", "quantity": quantity,
                          "unit_price": fen_to_yuan(sku["goods_price"]), "discount": fen_to_yuan(origin - paid)})
        status = STATUSES.get(int(raw.get("order_status") or 0), "unknown")
        created = _time(raw.get("create_time"))
        pay_type = PAY_TYPES.get(int(raw.get("pay_type") or 0), "alipay")
        api_order = {
            "channel": channel_code,
            "external_id": str(raw["order_id"]),
            "ordered_at": created.astimezone(SHANGHAI).isoformat() if created else None,
            "customer": {"name": raw.get("post_receiver") or "", "phone": raw.get("post_tel") or ""},
            "shipping_address": {
                "recipient": raw.get("post_receiver") or "", "phone": raw.get("post_tel") or "",
                "province": (address.get("province") or {}).get("name", ""),
                "city": (address.get("city") or {}).get("name", ""),
                "district": (address.get("town") or {}).get("name", "") or None,
                "detail": "".join(filter(None, [(address.get("street") or {}).get("name", ""),
                                                address.get("detail", "")])),
            },
            "lines": lines,
            "shipping_fee": fen_to_yuan(raw.get("post_amount") or 0),
            "note": raw.get("buyer_words") or None,
        }
        if pay_type != "cod" and status != "unpaid" and int(raw.get("pay_amount") or 0) > 0:
            api_order["payment"] = {"method": pay_type, "paid_amount": fen_to_yuan(raw["pay_amount"]),
                                    "transaction_id": str(raw.get("channel_payment_no") or raw["order_id"])}
        refund = int((raw.get("after_sale_info") or {}).get("refund_status") or 0) in REFUND_OPEN
        return PlatformOrder(external_id=str(raw["order_id"]), status=status, updated_at=_time(raw.get("update_time")),
                             api_order=api_order, refund_requested=refund, raw=raw)

    def push_stock(self, *, sku: str, quantity: int) -> None:
        self.call("sku.syncStock", {"code": sku, "stock_num": int(quantity), "incremental": False})

    def push_tracking(self, *, external_id: str, carrier: str, tracking_number: str) -> None:
        self.call("order.logisticsAdd", {"order_id": external_id, "company_code": CARRIER_CODES.get(carrier, carrier),
                                         "logistics_code": tracking_number})
