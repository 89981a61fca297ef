"""A local stand-in for the Douyin-shaped platform API (docs/connectors-douyin.md).

A WSGI application holding shop orders in memory: it checks signatures, pages `order.searchList` by
update time, records `sku.syncStock` and `order.logisticsAdd`, and can misbehave on purpose —
answer every n-th request "throttled", fail given pages a given number of times — so tests and the
demo see what a real platform does on a bad day. `serve()` runs it on a port in a thread.
"""

from __future__ import annotations

import json
import random
import threading
import urllib.parse
from datetime import datetime
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from oms.integrations.connectors.douyin import OK, THROTTLED_CODE, sign

PROVINCES = [("浙江省", "杭州市", "西湖区"), ("广东省", "广州市", "天河区"), ("上海市", "上海市", "浦东新区"),
             ("北京市", "北京市", "朝阳区"), ("江苏省", "南京市", "鼓楼区")]
NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄磊"]


class FakeDouyin:
    def __init__(self, *, app_key="demo-app", app_secret="demo-secret"):
        self.app_key, self.app_secret = app_key, app_secret
        self.orders: dict[str, dict] = {}
        self.stock: dict[str, int] = {}
        self.logistics: list[dict] = []
        self.log: list[tuple[str, dict]] = []
        self.throttle_every = 0  # answer every n-th request with code 90000
        self.fail_pages: dict[int, int] = {}  # page → how many more times order.searchList fails on it
        self.fail_calls: dict[int, int] = {}  # n-th order.searchList call (from 1) → how many times it fails
        self._searches = 0
        self.after_search = None  # called with the call's number after each answered order.searchList
        self.down = False
        self._count = 0
        self._lock = threading.Lock()
        self._server = None

    # -- data ---------------------------------------------------------------------------------------
    def add_order(self, order_id: str, *, update_time: int, skus: list[tuple[str, int, int]], status: int = 2,
                  post_amount: int = 0, discount: int = 0, pay_type: int = 2, seed: int = 0) -> dict:
        """`skus`: (sku code, quantity, unit price in fen); `discount` (fen) comes off the first line."""
        rng = random.Random(seed or hash(order_id))
        province, city, town = PROVINCES[rng.randrange(len(PROVINCES))]
        name = NAMES[rng.randrange(len(NAMES))]
        lines, total = [], 0
        for i, (code, quantity, price) in enumerate(skus):
            origin = quantity * price
            paid = origin - (discount if i == 0 else 0)
            total += paid
            lines.append({"order_id": f"{order_id}{i + 1:02d}", "code": code, "product_name": f"商品{code}",
                          "sku_specs": [{"name": "规格", "value": "标准"}], "item_num": quantity,
                          "goods_price": price, "origin_amount": origin, "pay_amount": paid})
        order = {
            "order_id": order_id, "shop_id": 77001, "order_status": status, "create_time": update_time,
            "update_time": update_time, "pay_time": update_time, "pay_type": pay_type,
            "order_amount": total + post_amount, "pay_amount": total + post_amount, "post_amount": post_amount,
            "post_receiver": name, "post_tel": f"139{rng.randrange(10**8):08d}",
            "post_addr": {"province": {"name": province}, "city": {"name": city}, "town": {"name": town},
                          "street": {"name": ""}, "detail": f"幸福路{rng.randrange(1, 999)}号"},
            "buyer_words": "", "sku_order_list": lines, "after_sale_info": {"refund_status": 0},
            "channel_payment_no": f"PAY{order_id}",
        }
        self.orders[order_id] = order
        return order

    def seed(self, count: int, *, skus: list[str], start: int, step: int = 7, prefix: str = "69") -> list[str]:
        ids = []
        for n in range(count):
            order_id = f"{prefix}{n + 1:012d}"
            code = skus[n % len(skus)]
            extra = [(skus[(n + 1) % len(skus)], 1, 5900)] if n % 3 == 0 and len(skus) > 1 else []
            self.add_order(order_id, update_time=start + n * step, skus=[(code, 1 + n % 2, 19900), *extra],
                           post_amount=0 if n % 2 else 1000, discount=1000 if n % 5 == 0 else 0, seed=n + 1)
            ids.append(order_id)
        return ids

    def change(self, order_id: str, *, at: int, **fields) -> dict:
        order = self.orders[order_id]
        for key, value in fields.items():
            if key == "detail":
                order["post_addr"]["detail"] = value
            elif key == "refund_status":
                order["after_sale_info"]["refund_status"] = value
            else:
                order[key] = value
        order["update_time"] = at
        return order

    # -- the API ----------------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        query = {k: v[0] for k, v in urllib.parse.parse_qs(environ.get("QUERY_STRING", "")).items()}
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length).decode("utf-8") if length else "{}"
        answer = self.answer(query, body)
        data = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        start_response("200 OK", [("Content-Type", "application/json; charset=utf-8"),
                                  ("Content-Length", str(len(data)))])
        return [data]

    def answer(self, query: dict, body: str) -> dict:
        with self._lock:
            self._count += 1
            count = self._count
        method = query.get("method", "")
        if self.down:
            return self._error(50002, "isp.service-busy", "服务繁忙，请稍后重试")
        expected = sign(app_key=self.app_key, app_secret=self.app_secret, method=method, params_json=body,
                        timestamp=query.get("timestamp", ""))
        if query.get("app_key") != self.app_key or query.get("sign") != expected:
            return self._error(30001, "isv.invalid-sign", "签名错误")
        if self.throttle_every and count % self.throttle_every == 0:
            return self._error(THROTTLED_CODE, "isv.access-limit", "接口调用频率超限")
        params = json.loads(body or "{}")
        self.log.append((method, params))
        if method == "order.searchList":
            page = int(params.get("page", 0))
            if self.fail_calls.get(self._searches + 1):
                self.fail_calls[self._searches + 1] -= 1
                return self._error(50002, "isp.service-busy", f"第{self._searches + 1}次查询失败：服务繁忙")
            self._searches += 1
            if self.fail_pages.get(page):
                self.fail_pages[page] -= 1
                return self._error(50002, "isp.service-busy", f"第{page}页查询失败：服务繁忙")
            answer = self._ok(self.search(params))
            if self.after_search is not None:
                self.after_search(self._searches)
            return answer
        if method == "sku.syncStock":
            self.stock[params["code"]] = int(params["stock_num"])
            return self._ok({})
        if method == "order.logisticsAdd":
            if params.get("order_id") not in self.orders:
                return self._error(40004, "isv.order-not-found", "订单不存在")
            self.logistics.append(params)
            return self._ok({})
        return self._error(40001, "isv.method-not-found", f"未知接口 {method}")

    def search(self, params: dict) -> dict:
        start, end = int(params["update_time_start"]), int(params["update_time_end"])
        size = min(int(params.get("size", 20)), 100)
        page = int(params.get("page", 0))
        found = sorted((o for o in self.orders.values() if start <= o["update_time"] < end),
                       key=lambda o: (o["update_time"], o["order_id"]))
        return {"shop_order_list": [json.loads(json.dumps(o)) for o in found[page * size:(page + 1) * size]],
                "page": page, "size": size, "total": len(found)}

    @staticmethod
    def _ok(data):
        return {"code": OK, "msg": "success", "sub_code": "", "sub_msg": "", "data": data}

    @staticmethod
    def _error(code, sub_code, sub_msg):
        return {"code": code, "msg": "error", "sub_code": sub_code, "sub_msg": sub_msg, "data": None}

    # -- serving ----------------------------------------------------------------------------------------
    def serve(self, port: int = 0, host: str = "127.0.0.1") -> str:
        class Quiet(WSGIRequestHandler):
            def log_message(self, *args):
                pass

        class Threaded(WSGIServer):
            daemon_threads = True

        self._server = make_server(host, port, self, server_class=Threaded, handler_class=Quiet)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://{host}:{self._server.server_port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def unix(value: datetime) -> int:
    return int(value.timestamp())
