import io
import os
import subprocess
import tempfile
from decimal import Decimal

import pytest
from pypdf import PdfReader

from conftest import ARTIFACTS
from core.enums import Role
from core.errors import DocumentNotAvailable
from inventory.tests.factories import BinFactory, stock_up
from logistics.documents import (
    code128_modules,
    code128_svg,
    labels_pdf,
    order_labels_pdf,
    order_packing_slip_pdf,
    picking_list_pdf,
)
from logistics.models import ShipmentStatus
from logistics.selectors import picking_list, shipments_with_lines
from logistics.services import shipment_pack, wave_create
from logistics.tests.factories import ACTOR, product, released_order, shipments_of, warehouse
from orders.tests.factories import create_order

pytestmark = pytest.mark.django_db


def text_of(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def keep(name: str, pdf: bytes) -> None:
    os.makedirs(ARTIFACTS, exist_ok=True)
    with open(os.path.join(ARTIFACTS, name), "wb") as out:
        out.write(pdf)


def test_code128_svg_draws_bars_for_the_text():
    svg = code128_svg("SF000000000001")
    assert svg.startswith("<svg") and 'aria-label="SF000000000001"' in svg
    assert svg.count("z") == code128_modules("SF000000000001").count("01") + 1  # one rectangle per bar


def read_barcode(pdf: bytes, expected_modules: int, *, dpi: int = 600) -> str:
    """Rasterise the label's first page and read the widest barcode back as 1/0 modules."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as folder:
        source = os.path.join(folder, "label.pdf")
        with open(source, "wb") as out:
            out.write(pdf)
        subprocess.run(["pdftoppm", "-gray", "-r", str(dpi), "-f", "1", "-l", "1", source,
                        os.path.join(folder, "page")], check=True)
        [name] = [n for n in os.listdir(folder) if n.startswith("page")]
        image = Image.open(os.path.join(folder, name))
        width, height = image.size
        pixels = image.load()
        best = []
        for y in range(0, height // 3, 4):  # the tracking barcode sits in the top third
            row = [pixels[x, y] < 128 for x in range(width)]
            runs, current, length = [], row[0], 0
            for dark in row:
                if dark == current:
                    length += 1
                else:
                    runs.append((current, length))
                    current, length = dark, 1
            runs.append((current, length))
            if len(runs) > len(best):
                best = runs
    # Split the row at white gaps wider than any space inside a Code128 symbol (4 modules): the
    # barcode is the group with the most bars (the label's border lines are groups of one).
    gap = 1.9 / 25.4 * dpi
    groups, current = [], []
    for dark, length in best:
        if not dark and length > gap:
            groups.append(current)
            current = []
        elif dark or current:
            current.append((dark, length))
    groups.append(current)
    inner = max(groups, key=lambda runs: sum(1 for dark, _length in runs if dark))
    while inner and not inner[-1][0]:
        inner = inner[:-1]
    span = sum(length for _dark, length in inner)
    module = span / expected_modules
    return "".join(("1" if dark else "0") * round(length / module) for dark, length in inner)


@pytest.fixture
def clerk(make_user):
    return make_user("packer", Role.WAREHOUSE)


def test_picking_list_groups_by_bin_and_sku(clerk):
    sh = warehouse()
    for code in ("A-01", "B-07"):
        BinFactory(warehouse=sh, code=code)
    tee = product("SKU-TEE", stock=0, name="纯棉圆领T恤 白色 L")
    stock_up(tee, 2, sh, batch_number="L1", bin_code="A-01")
    stock_up(tee, 10, sh, batch_number="L2", bin_code="B-07")
    cup = product("SKU-CUP", stock=0, name="陶瓷马克杯")
    stock_up(cup, 5, sh, bin_code="A-01")
    orders = [released_order([(tee, 2, "79.00"), (cup, 1, "89.00")]), released_order([(tee, 3, "79.00")])]
    wave = wave_create(warehouse=sh, shipment_ids=[shipments_of(o)[0].pk for o in orders], actor=clerk)
    listing = picking_list(shipments=shipments_with_lines(wave.shipments.values_list("pk", flat=True)))
    assert [(r.bin, r.sku, r.quantity, len(r.shipments)) for r in listing.rows] == [
        ("A-01", "SKU-CUP", 1, 1), ("A-01", "SKU-TEE", 2, 1), ("B-07", "SKU-TEE", 3, 1)]
    pdf = picking_list_pdf(wave=wave)
    keep("picking-list.pdf", pdf)
    pages, text = text_of(pdf)
    assert pages == 1 and wave.number in text and "拣货单" in text and "纯棉圆领T恤" in text and "B-07" in text


def test_label_exists_once_a_shipment_has_a_waybill_number(clerk):
    order = released_order([(product(name="蓝牙降噪耳机"), 2, "899.00")], cod=True, recipient="欧阳喆堃",
                           province="浙江省", city="杭州市", district="西湖区", address_detail="文三路100号")
    with pytest.raises(DocumentNotAvailable):
        order_labels_pdf(order=order)
    [shipment] = shipments_of(order)
    shipment_pack(shipment=shipment, weight_kg="0.8", actor=clerk, verify_scan=False)
    shipment.refresh_from_db()
    pdf = order_labels_pdf(order=order)
    keep("shipping-label.pdf", pdf)
    pages, text = text_of(pdf)
    assert pages == 1
    assert shipment.tracking_number in text and "顺丰速运" in text and "欧阳喆堃" in text
    assert "138****1234" in text and "13812341234" not in text  # privacy label
    assert "代收货款" in text and "¥1,808.00" in text and "浙江省杭州市西湖区文三路100号" in text
    expected = code128_modules(shipment.tracking_number)
    assert read_barcode(pdf, len(expected)) == expected  # the bars printed are the tracking number


def test_packing_slip_for_each_shipment_of_the_order():
    with pytest.raises(DocumentNotAvailable):
        order_packing_slip_pdf(order=create_order(actor=ACTOR, lines=[(product(), 1, "1.00")]))  # not released
    order = released_order([(product(name="有机绿茶 250g"), 1, "168.00")], note="请勿放在门口")
    pdf = order_packing_slip_pdf(order=order)
    keep("packing-slip.pdf", pdf)
    pages, text = text_of(pdf)
    assert pages == 1 and order.number in text and "有机绿茶" in text and "请勿放在门口" in text


def test_batch_of_labels_is_one_page_each_and_skips_parcels_without_waybill(clerk):
    p = product()
    orders = [released_order([(p, 1, "10.00")]) for _ in range(3)]
    shipments = [shipments_of(o)[0] for o in orders]
    for shipment in shipments[:2]:
        shipment_pack(shipment=shipment, weight_kg="1", actor=clerk, verify_scan=False)
    pdf = labels_pdf(shipments=shipments_with_lines([s.pk for s in shipments]))
    pages, text = text_of(pdf)
    assert pages == 2
    assert {s.status for s in shipments_with_lines([s.pk for s in shipments])} == {
        ShipmentStatus.PACKED, ShipmentStatus.CREATED}
    assert Decimal("1") == shipments_with_lines([shipments[0].pk])[0].weight_kg
