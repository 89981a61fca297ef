"""Receiving and QC of a returned parcel in the browser (Chinese UI), with screenshots to look at."""

import os
from decimal import Decimal

import pytest

from aftersales.models import QcPhoto, ReturnRequest, ReturnStatus
from aftersales.services import return_request_register_parcel
from aftersales.tests.factories import approve, delivered_order, request_for
from catalog.tests.factories import ProductFactory
from conftest import ARTIFACTS
from core.enums import Role
from inventory.models import Stock

# The live server reads committed data; serialized_rollback restores the seeded rows (channels,
# return reasons, the default policy) that flushing between transactional tests would remove.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def shot(page, name):
    page.screenshot(path=os.path.join(ARTIFACTS, f"aftersales-{name}.png"), full_page=True)


@pytest.fixture
def returned_parcel(make_user):
    # The login screen is the admin's, which lets only staff in.
    clerk = make_user("shouhou", Role.AFTERSALES, is_staff=True)
    make_user("cangku", Role.WAREHOUSE, is_staff=True)
    order = delivered_order(lines=[(ProductFactory(sku="TEE-001", name="纯棉圆领T恤 白色 L"), 3, "79.00"),
                                   (ProductFactory(sku="CUP-500", name="不锈钢保温杯 500ml"), 1, "129.00")])
    rma = request_for(order, reason_code="quality", description="T恤洗后褪色，保温杯不保温",
                      lines=[("TEE-001", 2), ("CUP-500", 1)])
    rma = approve(rma, clerk, comment="质量问题，同意退货")
    return return_request_register_parcel(request=rma, carrier="sf", tracking_number="SF1357924680",
                                          actor=clerk)


def test_warehouse_receives_and_inspects_a_parcel(browser_page, login, returned_parcel, tmp_path):
    page = browser_page
    rma = returned_parcel
    tee = Stock.objects.get(product__sku="TEE-001", warehouse__code="SH01")
    before = (tee.on_hand, tee.quarantined)

    login("cangku")
    page.goto("/aftersales/receiving/")
    assert page.locator("h1").inner_text() == "退货收货"
    page.fill("input[name=q]", "SF1357924680")
    shot(page, "1-receiving-search")
    page.click("button[type=submit].btn-primary")
    page.wait_for_url(f"**/aftersales/{rma.number}/receive/")
    assert page.locator("select[name=warehouse]").input_value() == "SH01"
    tee_line, cup_line = rma.lines.order_by("pk")
    page.fill(f"input[name=count_{tee_line.pk}]", "2")
    page.fill(f"input[name=count_{cup_line.pk}]", "1")
    page.fill("input[name=note]", "外箱轻微破损")
    shot(page, "2-receive-count")
    page.click("text=确认收货")

    page.wait_for_url(f"**/aftersales/{rma.number}/inspect/")
    assert "已收货，请进行质检" in page.locator(".messages").inner_text()
    photo = tmp_path / "stain.png"
    _write_png(photo)
    row = page.locator("tr[data-sku='TEE-001']")
    row.locator(f"input[name=passed_{tee_line.pk}]").fill("1")
    row.locator(f"input[name=damaged_{tee_line.pk}]").fill("1")
    row.locator(f"input[name=note_{tee_line.pk}]").fill("一件领口有明显污渍")
    row.locator("input[type=file]").set_input_files([str(photo)])
    cup = page.locator("tr[data-sku='CUP-500']")
    cup.locator(f"input[name=passed_{cup_line.pk}]").fill("0")
    cup.locator(f"input[name=wrong_{cup_line.pk}]").fill("1")
    cup.locator(f"input[name=note_{cup_line.pk}]").fill("寄回的是其他品牌的杯子")
    shot(page, "3-qc-form")
    page.click("text=提交质检结果")

    page.wait_for_url(f"**/aftersales/{rma.number}/")
    assert "质检结果已登记" in page.locator(".messages").inner_text()
    assert page.locator(".badge").first.inner_text() == "已质检"
    assert page.locator(".as-photos img").count() == 1
    assert page.locator(".as-photos img").evaluate("img => img.naturalWidth") > 0  # the photo really loads
    body = page.locator("main").inner_text()
    assert "一件领口有明显污渍" in body and "部分合格" in body and "非原商品" in body
    assert "Traceback" not in page.content()
    shot(page, "4-detail-after-qc")

    rma = ReturnRequest.objects.get(pk=rma.pk)
    assert rma.status == ReturnStatus.INSPECTED and rma.warehouse.code == "SH01"
    tee.refresh_from_db()
    assert (tee.on_hand - before[0], tee.quarantined - before[1]) == (1, 1)
    assert QcPhoto.objects.count() == 1


def test_after_sales_queue_and_refund_in_the_browser(browser_page, login, returned_parcel, make_user):
    from aftersales.tests.factories import inspect_all, receive_all

    page = browser_page
    wh = make_user("cangku2", Role.WAREHOUSE)
    rma = inspect_all(receive_all(returned_parcel, wh), wh)
    late = request_for(delivered_order(days_ago=12), reason_code="no_reason")
    login("shouhou")
    page.goto("/aftersales/")
    assert page.locator("h1").inner_text() == "售后"
    assert page.locator(f"text={late.number}").count() == 1
    assert page.locator("text=需经理审批").count() >= 1
    shot(page, "5-queue")
    page.click(f"text={rma.number}")
    page.wait_for_url(f"**/aftersales/{rma.number}/")
    assert page.locator("#refund-form").count() == 1
    assert page.locator("#id_amount").input_value() == "297.00"  # 2 × 79 + 129 + shipping fee 10 (seller fault)
    page.fill("#refund-comment", "质量问题，退两件T恤及运费")
    shot(page, "6-refund-form")
    page.click("#refund-form button")
    page.wait_for_url(f"**/aftersales/{rma.number}/")
    assert "已退款" in page.locator(".messages").inner_text()
    rma.refresh_from_db()
    from finance.models import Invoice

    # One T-shirt stays with the customer: the invoice is credited and issued again for it.
    assert sorted(Invoice.objects.filter(order=rma.order).values_list("kind", "status", "total")) == [
        ("credit_note", "issued", Decimal("-376.00")), ("invoice", "issued", Decimal("79.00")),
        ("invoice", "voided", Decimal("376.00"))]
    assert rma.refund_amount == Decimal("297.00") and rma.credit_note_number
    assert "红字发票" in page.locator("main").inner_text()
    shot(page, "7-refunded")


def _write_png(path):
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), (245, 245, 240))
    draw = ImageDraw.Draw(image)
    draw.ellipse((120, 80, 200, 150), fill=(150, 110, 60))
    image.save(path, format="PNG")
