"""Issue 19: the seeded rule sends orders with a `needs_qc` product to QC when their shipments are
planned; packing and hand-over are refused until QC passed; a failure holds the order with the
inspector's note; everything on the timeline; the three flows clean after."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command

from core.enums import Role
from core.errors import InvalidTransition
from finance.tests.factories import assert_ledger_ok
from logistics.models import QualityCheck, QualityCheckStatus
from logistics.services import qc_fail, qc_pass, shipment_pack, shipment_scan, shipment_ship
from logistics.tests.factories import ACTOR, product, released_order, shipments_of
from oms.workflow.automation.models import AutomationRule, RuleFiring
from oms.workflow.services import approve_order
from orders.models import Order, OrderStatus

pytestmark = pytest.mark.django_db

SEEDED = "需质检商品发货前质检"


@pytest.fixture
def qc_order():
    return released_order([(product("SKU-QC1", stock=10, needs_qc=True), 1, Decimal("899.00")),
                           (product("SKU-N1", stock=10), 1, Decimal("99.00"))])


def test_the_seeded_rules_are_there_and_editable():
    rules = {r.name: r for r in AutomationRule.objects.filter(version__gte=1)}
    assert rules[SEEDED].enabled and rules[SEEDED].trigger == "shipment_planned"
    assert rules[SEEDED].condition == "needs_qc"
    big = rules["金额超过 ¥50,000 需财务总监审批"]
    # the review rule `large_amount` already gates these orders: the automation rule waits switched off
    assert not big.enabled and big.actions[0]["params"]["role"] == "finance_director"
    assert rules["发货短信（承运商与运单号）"].actions[0]["params"]["channel"] == "sms"
    assert rules["完成后满意度调查"].actions[0]["type"] == "start_survey"
    for rule in rules.values():
        assert rule.versions.get(number=1).snapshot["actions"] == rule.actions


def test_an_order_without_qc_products_is_not_sent_to_qc():
    order = released_order([(product("SKU-N2", stock=10), 1, Decimal("99.00"))])
    assert not QualityCheck.objects.filter(order=order).exists()
    shipment = shipment_pack(shipment=shipments_of(order)[0], actor=ACTOR, weight_kg="1.0", verify_scan=False)
    assert shipment.status == "packed"


def test_qc_pass_and_fail_end_to_end(qc_order, client, make_user, capsys):
    order = qc_order
    check = QualityCheck.objects.get(order=order)
    assert check.status == QualityCheckStatus.PENDING
    firing = RuleFiring.objects.get(order=order, rule__name=SEEDED)
    assert firing.trigger == "shipment_planned" and firing.version == 1
    assert firing.actions[0]["outcome"] == "requested"
    assert order.events.filter(kind="qc_requested").exists()
    assert order.events.filter(kind="automation", data__rule_version=1).exists()

    shipment = shipments_of(order)[0]
    with pytest.raises(InvalidTransition, match="质检"):
        shipment_pack(shipment=shipment, actor=ACTOR, weight_kg="1.0", verify_scan=False)
    with pytest.raises(InvalidTransition, match="质检"):
        shipment_scan(shipment=shipment, code="SKU-QC1", actor=ACTOR)
    with pytest.raises(InvalidTransition, match="质检"):
        shipment_ship(shipment=shipment, actor=ACTOR, tracking_number="SF0000000001")

    # the QC queue screen, 412 px wide in the warehouse: the order waits there
    inspector = make_user("qc01", Role.WAREHOUSE)
    client.force_login(inspector)
    queue = client.get("/logistics/qc/")
    assert queue.status_code == 200 and order.number in queue.content.decode()

    # fail with a note: the order goes on hold with the note as its reason
    response = client.post(f"/logistics/qc/{check.pk}/decide/", {"decision": "fail", "note": "外壳划痕"})
    assert response.status_code == 302
    order = Order.objects.get(pk=order.pk)
    assert order.status == OrderStatus.ON_HOLD and order.hold_reasons == ["qc_failed"]
    held = order.events.filter(kind="held").order_by("-pk").first() or order.events.filter(
        kind="status_changed").order_by("-pk").first()
    assert "外壳划痕" in held.message
    assert order.events.get(kind="qc_failed").data["note"] == "外壳划痕"
    assert client.post(f"/logistics/qc/{check.pk}/decide/", {"decision": "fail", "note": ""}).status_code == 302
    assert QualityCheck.objects.get(pk=check.pk).note == "外壳划痕"  # a failure without a note is refused

    # a reviewer releases the hold once the goods were replaced: still no packing before QC passes
    reviewer = make_user("rev01", Role.REVIEWER)
    order = approve_order(order=order, actor=reviewer, comment="已更换商品，重新质检")
    assert order.status == OrderStatus.AWAITING_SHIPMENT
    shipment = shipments_of(order)[0]
    with pytest.raises(InvalidTransition, match="质检"):
        shipment_pack(shipment=shipment, actor=ACTOR, weight_kg="1.0", verify_scan=False)
    assert f'id="qc-{check.pk}"' in client.get("/logistics/qc/").content.decode()  # failed: inspected again

    from aftersales.tests.factories import png_upload

    response = client.post(f"/logistics/qc/{check.pk}/decide/",
                           {"decision": "pass", "note": "复检合格", "photo": png_upload()})
    assert response.status_code == 302
    check.refresh_from_db()
    assert check.status == QualityCheckStatus.PASSED and check.decided_by == inspector
    assert check.photo.name.startswith(f"qc/{order.pk}/")
    assert check.photo.storage.__class__.__name__ == "PrivateStorage"  # never under the public MEDIA URL
    assert client.get(f"/logistics/qc/{check.pk}/photo/").status_code == 200
    assert f'id="qc-{check.pk}"' not in client.get("/logistics/qc/").content.decode()

    shipment = shipment_pack(shipment=shipment, actor=ACTOR, weight_kg="1.0", verify_scan=False)
    outcome = shipment_ship(shipment=shipment, actor=ACTOR, tracking_number="SF0000000002")
    assert outcome.shipment.status == "shipped"
    order = Order.objects.get(pk=order.pk)
    assert order.status == OrderStatus.SHIPPED
    kinds = list(order.events.order_by("pk").values_list("kind", flat=True))
    assert kinds.index("qc_requested") < kinds.index("qc_failed") < kinds.index("qc_passed") \
        < kinds.index("shipment_packed")

    # the order page shows it
    client.force_login(make_user("kf", Role.CUSTOMER_SERVICE))
    assert 'data-qc="passed"' in client.get(f"/orders/{order.number}/").content.decode()

    call_command("check_stock")
    assert "no drift" in capsys.readouterr().out
    assert_ledger_ok()


def test_only_inspectors_see_the_queue(client, make_user):
    client.force_login(make_user("fin", Role.FINANCE))
    assert client.get("/logistics/qc/").status_code == 403


def test_a_passed_check_cannot_be_failed_afterwards(qc_order):
    check = QualityCheck.objects.get(order=qc_order)
    qc_pass(check=check, actor=ACTOR, note="")
    with pytest.raises(InvalidTransition):
        qc_fail(check=check, actor=ACTOR, note="晚了")


def test_a_second_planning_does_not_ask_twice(qc_order):
    from logistics.services import qc_request

    check, created = qc_request(order=qc_order, reason="again", actor=ACTOR)
    assert not created and check.pk == QualityCheck.objects.get(order=qc_order).pk
