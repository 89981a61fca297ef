"""Warehouse documents as PDF (WeasyPrint): picking lists, packing slips and shipping labels.

Each document is one HTML template rendered once, however many shipments it holds, so a batch of
500 labels pays for fonts and layout set-up once. Barcodes are Code128 drawn as inline SVG: the
encoding comes from python-barcode, the bars are drawn here as one `<path>` per barcode, which
keeps them sharp at any printer resolution and cheap to lay out.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import mark_safe

from logistics.models import Shipment
from logistics.selectors import picking_list, shipments_with_lines
from oms.core.errors import DocumentNotAvailable
from oms.core.pii import mask_phone


def code128_svg(text: str, *, height_mm: float = 18, module_mm: float = 0.33, quiet_modules: int = 10) -> str:
    """A Code128 barcode of `text` as inline SVG, sized in millimetres (no human-readable text)."""
    import barcode

    modules = barcode.Code128(text).build()[0]
    width = len(modules) + 2 * quiet_modules
    runs, x, start = [], quiet_modules, None
    for index, bit in enumerate(modules + "0"):
        if bit == "1" and start is None:
            start = index
        elif bit != "1" and start is not None:
            runs.append(f"M{x + start} 0h{index - start}v1h-{index - start}z")
            start = None
    path = "".join(runs)
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="barcode" viewBox="0 0 {width} 1" preserveAspectRatio="none" '
        f'width="{width * module_mm:.2f}mm" height="{height_mm}mm" role="img" aria-label="{escape(text)}">'
        f'<path d="{path}" fill="#000"/></svg>'
    )


def render_pdf(template: str, context: dict) -> bytes:
    """Render a PDF template in Chinese (documents go to warehouse staff, couriers and customers)."""
    from weasyprint import HTML

    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(template, {"printed_at": timezone.localtime(), **context})
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def picking_list_pdf(*, wave) -> bytes:
    shipments = shipments_with_lines(wave.shipments.values_list("pk", flat=True))
    return render_pdf("logistics/pdf/picking_list.html", {"wave": wave, "picking": picking_list(shipments=shipments)})


def packing_slips_pdf(*, shipments: list[Shipment]) -> bytes:
    for shipment in shipments:
        shipment.slip_barcode = code128_svg(shipment.number, height_mm=12)
        shipment.masked_phone = mask_phone(shipment.order.phone)
    return render_pdf("logistics/pdf/packing_slip.html", {"shipments": shipments})


def labels_pdf(*, shipments: list[Shipment]) -> bytes:
    """One 100 × 150 mm label per shipment that has a waybill number."""
    labels = [s for s in shipments if s.tracking_number]
    if not labels:
        raise DocumentNotAvailable()
    for shipment in labels:
        shipment.label_barcode = code128_svg(shipment.tracking_number, height_mm=18,
                                             module_mm=min(0.38, 88 / (len(_modules(shipment.tracking_number)) + 20)))
        shipment.order_barcode = code128_svg(shipment.order.number, height_mm=8, module_mm=0.22)
        shipment.masked_phone = mask_phone(shipment.order.phone)
    return render_pdf("logistics/pdf/labels.html", {"shipments": labels, "shipper": settings.OMS_SHIPPER})


def _modules(text: str) -> str:
    import barcode

    return barcode.Code128(text).build()[0]


def order_packing_slip_pdf(*, order) -> bytes:
    """The packing slips of an order's shipments (not cancelled); 404 before any shipment exists."""
    ids = order.shipments.exclude(status="cancelled").values_list("pk", flat=True)
    shipments = shipments_with_lines(ids)
    if not shipments:
        raise DocumentNotAvailable()
    return packing_slips_pdf(shipments=shipments)


def order_labels_pdf(*, order) -> bytes:
    """The labels of an order's shipments that have a waybill number; 404 before one has."""
    ids = order.shipments.exclude(status="cancelled").exclude(tracking_number="").values_list("pk", flat=True)
    return labels_pdf(shipments=shipments_with_lines(ids))
