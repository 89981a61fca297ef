"""Tokens and request bodies for API tests."""

from __future__ import annotations

import copy
import itertools

from catalog.tests.factories import ProductFactory
from oms.api.models import ApiToken
from oms.api.services import api_token_create

_names = itertools.count(1)
_external_ids = itertools.count(1)


def make_token(*, scopes=None, channel=None, name=None) -> tuple[ApiToken, str]:
    return api_token_create(name=name or f"connector-{next(_names)}", scopes=scopes, channel=channel, actor=None)


def bearer(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def order_payload(*, channel="tmall", products=None, paid=True, **overrides) -> dict:
    """The contract's example body with a fresh external_id; two lines when `products` has two."""
    products = products or [ProductFactory(price="199.00")]
    lines = [{"sku": p.sku, "quantity": 2, "unit_price": "199.00", "discount": "0.00"} for p in products]
    total = f"{398 * len(products) + 10}.00"
    body = {
        "channel": channel,
        "external_id": f"TM{next(_external_ids):014d}",
        "ordered_at": "2026-11-24T10:15:00+08:00",
        "customer": {"name": "张三", "phone": "13812341234", "email": "zs@example.com"},
        "shipping_address": {"recipient": "张三", "phone": "13812341234", "province": "浙江省", "city": "杭州市",
                             "district": "西湖区", "detail": "文三路100号", "postal_code": "310000"},
        "lines": lines,
        "shipping_fee": "10.00",
        "payment": {"method": "alipay", "paid_amount": total, "transaction_id": "2026112422001"},
        "note": "请尽快发货",
    }
    if not paid:
        del body["payment"]
    body.update(overrides)
    return copy.deepcopy(body)


def walk(client, url):
    """Every page of a list, following `next`; returns the results and the number of pages."""
    results, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.json()
        body = response.json()
        assert set(body) == {"results", "next"}
        results.extend(body["results"])
        url, pages = body["next"], pages + 1
    return results, pages
