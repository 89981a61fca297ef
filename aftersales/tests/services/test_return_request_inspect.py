import pytest

from aftersales.models import QcPhoto, QcResult, ReturnStatus
from aftersales.services import LineInspection, return_request_inspect
from aftersales.tests.factories import approve, delivered_order, png_upload, receive_all, request_for
from catalog.tests.factories import ProductFactory
from core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from orders.models import OrderEvent, OrderLine

pytestmark = pytest.mark.django_db


@pytest.fixture
def received(aftersales_clerk, warehouse_clerk):
    order = delivered_order(lines=[(ProductFactory(sku="A-1"), 3, "100.00"), (ProductFactory(sku="B-1"), 1, "50.00")])
    return receive_all(approve(request_for(order), aftersales_clerk), warehouse_clerk)


def test_qc_per_line_books_passed_and_damaged_units_back_and_keeps_notes_and_photos(received, warehouse_clerk):
    from inventory.models import Stock, StockMovement
    from inventory.selectors import stock_drift

    a, b = received.lines.order_by("pk")
    stock_a = Stock.objects.get(product=a.order_line.product, warehouse__code="SH01")
    request = return_request_inspect(request=received, actor=warehouse_clerk, results={
        a.pk: LineInspection(passed=1, damaged=1, wrong=1, note="一件有污渍，一件不是本店商品",
                             photos=[png_upload("a1.png"), png_upload("a2.png")]),
        b.pk: LineInspection(passed=1),
    })
    assert request.status == ReturnStatus.INSPECTED and request.inspected_at is not None
    a, b = request.lines.order_by("pk")
    assert (a.quantity_passed, a.quantity_damaged, a.quantity_wrong, a.qc_result) == (1, 1, 1, QcResult.MIXED)
    assert (a.quantity_restocked, a.quantity_quarantined) == (1, 1)
    assert (b.qc_result, b.quantity_restocked) == (QcResult.PASSED, 1)
    assert a.qc_note == "一件有污渍，一件不是本店商品"
    # Wrong items are not this SKU: they do not count as returned goods.
    assert OrderLine.objects.get(pk=a.order_line_id).quantity_returned == 2
    assert OrderLine.objects.get(pk=b.order_line_id).quantity_returned == 1
    photos = list(QcPhoto.objects.filter(line=a))
    assert len(photos) == 2 and all(p.image.name.startswith("aftersales/qc/") for p in photos)
    assert photos[0].image.storage.exists(photos[0].image.name)
    # Through the inventory ledger: one sellable unit back, one in quarantine, the wrong item nowhere.
    before = (stock_a.on_hand, stock_a.quarantined)
    stock_a.refresh_from_db()
    assert (stock_a.on_hand - before[0], stock_a.quarantined - before[1]) == (1, 1)
    moves = StockMovement.objects.filter(reference=request.number, order_line=a.order_line)
    assert sorted((m.kind, m.on_hand_delta, m.quarantined_delta) for m in moves) == [
        ("return", 0, 1), ("return", 1, 0)]
    quarantine_lot = moves.get(quarantined_delta=1).lot
    assert quarantine_lot.quarantined and quarantine_lot.bin.code == "QC-01"
    assert stock_drift() == []
    event = OrderEvent.objects.filter(order=request.order).last()
    assert event.kind == "return_inspected" and event.data["photos"] == 2
    assert event.data["lines"][0] == {"sku": "A-1", "passed": 1, "damaged": 1, "wrong_item": 1, "restocked": 1,
                                      "quarantined": 1, "note": "一件有污渍，一件不是本店商品"}


def test_counts_must_add_up_to_what_was_received(received, warehouse_clerk):
    a, b = received.lines.order_by("pk")
    with pytest.raises(ValidationFailed) as exc:
        return_request_inspect(request=received, actor=warehouse_clerk, results={
            a.pk: LineInspection(passed=2), b.pk: LineInspection(passed=1)})
    assert list(exc.value.errors) == [f"lines.{a.pk}"]
    received.refresh_from_db()
    assert received.status == ReturnStatus.RECEIVED


def test_failed_units_need_a_note(received, warehouse_clerk):
    a, b = received.lines.order_by("pk")
    with pytest.raises(ValidationFailed) as exc:
        return_request_inspect(request=received, actor=warehouse_clerk, results={
            a.pk: LineInspection(passed=2, damaged=1), b.pk: LineInspection(passed=1)})
    assert f"lines.{a.pk}.note" in exc.value.errors


def test_a_photo_must_be_an_image(received, warehouse_clerk):
    from django.core.files.uploadedfile import SimpleUploadedFile

    a, b = received.lines.order_by("pk")
    fake = SimpleUploadedFile("evil.jpg", b"not an image", content_type="image/jpeg")
    with pytest.raises(ValidationFailed) as exc:
        return_request_inspect(request=received, actor=warehouse_clerk, results={
            a.pk: LineInspection(passed=3, photos=[fake]), b.pk: LineInspection(passed=1)})
    assert f"lines.{a.pk}.photos.0" in exc.value.errors
    assert not QcPhoto.objects.exists()


def test_results_by_result_kind():
    from aftersales.services.receiving import qc_result_for

    assert qc_result_for(2, 0, 0) == QcResult.PASSED
    assert qc_result_for(0, 2, 0) == QcResult.DAMAGED
    assert qc_result_for(0, 0, 1) == QcResult.WRONG_ITEM
    assert qc_result_for(0, 1, 1) == QcResult.MIXED
    assert qc_result_for(1, 1, 0) == QcResult.MIXED


def test_customer_service_cannot_inspect(received, cs_clerk):
    with pytest.raises(PermissionDenied):
        return_request_inspect(request=received, actor=cs_clerk, results={
            line.pk: LineInspection(passed=line.quantity_received) for line in received.lines.all()})


def test_only_received_requests_are_inspected(aftersales_clerk, warehouse_clerk):
    request = approve(request_for(delivered_order()), aftersales_clerk)
    with pytest.raises(InvalidTransition):
        return_request_inspect(request=request, actor=warehouse_clerk, results={})
