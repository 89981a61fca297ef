"""One small, hand-computed world every report test reads (see `world`'s docstring for the figures)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection

from finance.models import JournalEntry
from finance.services import revenue_reverse
from finance.services.refunds import refund_request
from logistics.services.shipping import shipment_ship
from logistics.tests.factories import ACTOR, product, released_order, shipments_of, warehouse
from orders.models import Order

SH = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def move_posting(entry: JournalEntry, when: datetime) -> None:
    """Stand-in for a posting made at another moment: the journal is immutable through the ORM."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE finance_journalentry SET posted_at = %s WHERE id = %s",
                       [connection.ops.adapt_datetimefield_value(when), entry.pk])


def import_legacy(tmp_path, rows):
    from oms.imports.services import legacy_orders_import
    from oms.imports.tests.factories import row, table, write_csv

    path = write_csv(tmp_path / "legacy.csv", table([row(**r) for r in rows]))
    report = legacy_orders_import(path=path, file_name="legacy.csv", dry_run=False, actor=None)
    assert report.imported >= 1, report.as_contract()
    return report


def build_world(tmp_path, capture) -> dict:
    """
    Products TEE ¥199 and MUG ¥89, both 13% VAT included; warehouse SH01.

    A  tmall 浙江省, prepaid, ordered 2026-12-01 10:00: TEE×2 ¥398 + MUG×1 ¥89 + shipping ¥10 = ¥497.
       Shipped in two parts: S1 TEE×1 → net 176.11 (199/1.13) + shipping 8.85 (10/1.13) = 184.96,
       posted 2026-12-02 09:00; S2 TEE×1 + MUG×1 → 352.21−176.11 = 176.10 + 78.76 = 254.86, posted
       2026-12-03 09:00. One TEE returned (reversal −176.10) and ¥199 refunded, posted 2026-12-03 15:00.
       Net revenue 263.72.
    B  jd 北京市, cash on delivery, ordered 2026-12-01 23:59:59: MUG×1 ¥89, no shipping. Shipped, revenue
       78.76 posted 2026-12-02 23:59:59 (still the 2nd in Shanghai).
    C  tmall 浙江省, prepaid, ordered 2026-12-02 00:00:00: TEE×1 ¥199 + ¥10. Not shipped: no revenue.
    L  legacy import 天猫 上海市, completed, ordered 2026-11-15 10:00: TEE×2 @100 + shipping ¥10: revenue
       176.99 (200/1.13) + 8.85 = 185.84, units 2, on 2026-11-15.
    """
    sh01 = warehouse()
    tee = product("TEE", price=Decimal("199.00"), at=sh01)
    mug = product("MUG", price=Decimal("89.00"), at=sh01)

    a = released_order([(tee, 2, "199.00"), (mug, 1, "89.00")], ordered_at=at(2026, 12, 1, 10, 0))
    tee_a = a.lines.get(sku="TEE")
    s1 = shipments_of(a)[0]
    shipment_ship(shipment=s1, tracking_number="SF100001", actor=ACTOR, quantities={tee_a.pk: 1})
    move_posting(JournalEntry.objects.get(kind="revenue", reference=s1.number), at(2026, 12, 2, 9, 0))
    s2 = [s for s in shipments_of(a) if s.pk != s1.pk][0]
    shipment_ship(shipment=s2, tracking_number="SF100002", actor=ACTOR)
    move_posting(JournalEntry.objects.get(kind="revenue", reference=s2.number), at(2026, 12, 3, 9, 0))
    reversal = revenue_reverse(order=Order.objects.get(pk=a.pk), reference="RMA-TEST-1", actor=ACTOR,
                               lines={tee_a.pk: 1})
    move_posting(reversal, at(2026, 12, 3, 15, 0))
    with capture(execute=True):
        refunds = refund_request(order=Order.objects.get(pk=a.pk), reason="退货退款", actor=ACTOR,
                                 amount=Decimal("199.00"))

    b = released_order([(mug, 1, "89.00")], cod=True, channel_code="jd", province="北京市", city="北京市",
                       shipping_fee="0.00", ordered_at=at(2026, 12, 1, 23, 59, 59))
    sb = shipments_of(b)[0]
    shipment_ship(shipment=sb, tracking_number="SF100003", actor=ACTOR)
    move_posting(JournalEntry.objects.get(kind="revenue", reference=sb.number), at(2026, 12, 2, 23, 59, 59))

    c = released_order([(tee, 1, "199.00")], ordered_at=at(2026, 12, 2, 0, 0, 0))

    import_legacy(tmp_path, [dict(order_number="L0001", channel="天猫", ordered_at="2026-11-15 10:00",
                                  province="上海市", city="上海市", district="浦东新区", sku="TEE", quantity="2",
                                  unit_price="100.00", shipping_fee="10", status="已完成", carrier="顺丰速运",
                                  tracking_number="SF9000001", paid_amount="210.00", payment_method="支付宝")])
    legacy = Order.objects.get(source="import")
    return {"a": a, "b": b, "c": c, "legacy": legacy, "tee": tee, "mug": mug, "sh01": sh01, "refunds": refunds}
