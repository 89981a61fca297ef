"""Demo data: a believable back office to click through. Idempotent: running it twice adds nothing twice.

Each stage contributes a `seed_*` function here; `demo_data` runs them in stage order.
"""

from __future__ import annotations

import random
import zlib
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from aftersales.demo import seed_aftersales
from catalog.demo import seed_categories
from catalog.models import Product
from core.actors import SystemActor
from core.enums import Role
from core.errors import DomainError
from core.roles import group_for, sync_roles
from finance.demo import seed_finance
from inventory.demo import seed_inventory
from oms.workflow.services import PaymentInput, ensure_review_rules, submit_order
from orders.models import Order
from orders.services import LineInput, OrderInput, order_cancel

DEMO_PASSWORD = "oms-demo-2026"
DEMO = SystemActor("demo_data")

PRODUCTS = [
    ("SKU-001", "纯棉圆领T恤 白色 L", "79.00", "0.250"), ("SKU-002", "纯棉圆领T恤 黑色 M", "79.00", "0.250"),
    ("SKU-003", "羊毛针织开衫 灰色", "399.00", "0.600"), ("SKU-004", "轻薄羽绒服 藏青 XL", "699.00", "0.900"),
    ("SKU-005", "高腰牛仔裤 浅蓝 27", "259.00", "0.700"), ("SKU-006", "真丝围巾 酒红", "329.00", "0.150"),
    ("SKU-007", "运动跑鞋 男款 42", "549.00", "1.100"), ("SKU-008", "帆布双肩包 卡其", "189.00", "0.800"),
    ("SKU-009", "不锈钢保温杯 500ml", "129.00", "0.450"), ("SKU-010", "陶瓷马克杯 两只装", "89.00", "0.900"),
    ("SKU-011", "蓝牙降噪耳机", "899.00", "0.350"), ("SKU-012", "智能手环 第五代", "249.00", "0.120"),
    ("SKU-013", "机械键盘 青轴", "459.00", "1.200"), ("SKU-014", "无线鼠标 静音款", "99.00", "0.150"),
    ("SKU-015", "有机绿茶 250g", "168.00", "0.300"), ("SKU-016", "手工红糖 500g", "45.00", "0.550"),
    ("SKU-017", "精华面霜 50ml", "588.00", "0.200"), ("SKU-018", "氨基酸洗面奶", "98.00", "0.180"),
    ("SKU-019", "定制刻字钢笔", "368.00", "0.100"), ("SKU-020", "儿童绘本套装(10册)", "199.00", "2.000"),
    ("SKU-021", "乳胶枕 一对", "459.00", "2.400"), ("SKU-022", "四件套 全棉 1.8m", "699.00", "2.800"),
]

CUSTOMERS = [
    ("张伟", "13812341234", "浙江省", "杭州市", "西湖区", "文三路100号"),
    ("王芳", "13923456789", "上海市", "上海市", "浦东新区", "世纪大道88号"),
    ("李娜", "13698765432", "北京市", "北京市", "朝阳区", "建国路77号"),
    ("刘洋", "15011112222", "广东省", "深圳市", "南山区", "科技园南路16号"),
    ("陈静", "18622223333", "四川省", "成都市", "武侯区", "人民南路四段9号"),
    ("杨磊", "13733334444", "湖北省", "武汉市", "洪山区", "珞喻路1037号"),
    ("赵敏", "15844445555", "江苏省", "南京市", "鼓楼区", "中山北路200号"),
    ("黄强", "13355556666", "陕西省", "西安市", "雁塔区", "长安南路58号"),
]

USERS = [
    ("cs", Role.CUSTOMER_SERVICE), ("reviewer", Role.REVIEWER), ("finance", Role.FINANCE),
    ("director", Role.FINANCE_DIRECTOR), ("warehouse", Role.WAREHOUSE), ("aftersales", Role.AFTERSALES),
    ("manager", Role.MANAGER), ("admin", Role.ADMIN),
]


def seed_catalog() -> int:
    created = 0
    for index, (sku, name, price, weight) in enumerate(PRODUCTS):
        _, was_created = Product.objects.get_or_create(
            sku=sku, defaults={"name": name, "price": Decimal(price), "weight_kg": Decimal(weight),
                               "barcode": f"69{index + 1:011d}", "needs_qc": sku == "SKU-019"},
        )
        created += was_created
    seed_categories()
    return created


def seed_users() -> list[tuple[str, str]]:
    sync_roles()
    User = get_user_model()
    logins = []
    for username, role in USERS:
        user, created = User.objects.get_or_create(username=username, defaults={"is_staff": True})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.is_superuser = role == Role.ADMIN
            user.save()
        user.groups.add(group_for(role))
        logins.append((username, str(role.label)))
    return logins


def seed_orders(count: int, *, seed: int = 2026) -> int:
    """Demo orders spread over the states: created through the real pipeline, then moved on."""
    existing = Order.objects.filter(external_id__startswith="DEMO-").count()
    rng = random.Random(seed)
    products = list(Product.objects.filter(active=True).order_by("sku"))
    channels = ["tmall", "jd", "douyin", "web", "wechat_mini", "store"]
    made = 0
    for n in range(existing, count):
        name, phone, province, city, district, street = rng.choice(CUSTOMERS)
        picked = rng.sample(products, rng.randint(1, 3))
        lines = [LineInput(sku=p.sku, quantity=rng.randint(1, 3), unit_price=p.price) for p in picked]
        kind = n % 6
        if kind == 5:
            lines[0].quantity = 80  # large amount → on hold for the finance director
            lines[0].unit_price = Decimal("899.00")
        shipping_fee = Decimal("0.00") if n % 3 else Decimal("10.00")
        total = sum(line.unit_price * line.quantity for line in lines) + shipping_fee
        data = OrderInput(
            channel=channels[n % len(channels)], external_id=f"DEMO-{n + 1:05d}", customer_name=name,
            customer_phone=phone, recipient=name, recipient_phone=phone, province=province, city=city,
            district=district, address_detail=f"{street}{rng.randint(1, 30)}栋", lines=lines,
            shipping_fee=shipping_fee, ordered_at=timezone.now() - timedelta(hours=rng.randint(1, 24 * 14)),
            payment_method={3: "cod", 4: "wechat"}.get(kind, "alipay"),
        )
        payment = None
        if kind in (0, 2, 5):
            payment = PaymentInput(method="alipay", paid_amount=total, transaction_id=f"2026{n:010d}")
        elif kind == 4:
            payment = PaymentInput(method="wechat", paid_amount=total - Decimal("1.00"), transaction_id=f"W{n:08d}")
        with transaction.atomic():
            order = submit_order(data=data, payment=payment, actor=DEMO)
            if kind == 2 and n % 12 == 2:
                try:
                    order_cancel(order=order, actor=DEMO, reason="客户要求取消")
                except DomainError:
                    pass
        made += 1
    return made


def seed_shipments() -> int:
    """Move demo orders released for shipment along the warehouse and the carrier, through the services.

    Untouched parcels only (still `created`), chosen by the order's id so a second run changes
    nothing: some stay to be picked, some are packed, some ship in part, the rest ship and then
    travel, are signed for (completing the order) or run into a carrier exception.
    """
    from logistics.models import Shipment, ShipmentStatus
    from logistics.services import shipment_pack, shipment_ship, shipment_track

    moved = 0
    touched = Shipment.objects.exclude(status__in=[ShipmentStatus.CREATED, ShipmentStatus.CANCELLED])
    parcels = (Shipment.objects.filter(status=ShipmentStatus.CREATED, order__external_id__startswith="DEMO-",
                                       order__status="awaiting_shipment")
               .exclude(order__in=touched.values("order"))  # an order moved on by an earlier run stays as it is
               .select_related("order").order_by("pk"))
    for shipment in parcels:
        step = zlib.crc32(shipment.order.external_id.encode()) % 6  # spread evenly, the same every run
        if step == 0:
            continue
        try:
            with transaction.atomic():
                shipment = shipment_pack(shipment=shipment, weight_kg="1.2", actor=DEMO, verify_scan=False)
                lines = list(shipment.lines.order_by("pk"))
                if step == 2 and len(lines) > 1:  # the warehouse sends what it has: partially shipped
                    shipment = shipment_ship(shipment=shipment, actor=DEMO,
                                             quantities={lines[0].order_line_id: lines[0].quantity}).shipment
                elif step >= 2:
                    shipment = shipment_ship(shipment=shipment, actor=DEMO).shipment
                when = timezone.now()
                if step == 3:
                    shipment_track(shipment=shipment, status="in_transit", occurred_at=when, location="转运中心",
                                   description="快件已到达转运中心", source=f"demo-{shipment.number}-1", actor=DEMO)
                elif step == 4:
                    shipment_track(shipment=shipment, status="delivered", occurred_at=when, location="",
                                   description="已签收", source=f"demo-{shipment.number}-2", actor=DEMO)
                elif step == 5:
                    shipment_track(shipment=shipment, status="exception", occurred_at=when, location="",
                                   description="收件人电话无法接通", source=f"demo-{shipment.number}-3", actor=DEMO)
        except DomainError:
            continue
        moved += 1
    return moved


def _follow_ups_now() -> int:
    """The orders' follow-ups (invoice, shipments), done inline: the demo's next steps need them."""
    from oms.workflow.follow_ups import run_overdue

    return run_overdue(grace=timedelta(0), limit=1_000_000)


def seed_all(*, orders: int) -> dict:
    ensure_review_rules()
    return {
        "products": seed_catalog(),
        "users": seed_users(),
        "inventory": seed_inventory(),  # before the orders, so that they reserve stock
        "orders": seed_orders(orders),
        "follow_ups": _follow_ups_now(),  # no cluster runs while seeding: invoices and shipments now
        "finance": seed_finance(),  # after the orders: bank transfers, printed invoices, a credit note
        "follow_ups_after_finance": _follow_ups_now(),  # orders paid by transfer: invoice, shipments
        "shipments": seed_shipments(),  # after finance: orders paid by transfer ship too
        "returns": seed_aftersales(),  # after shipments: returns of delivered orders
    }
