"""Warehouse documents as PDF (WeasyPrint): picking lists, packing slips and shipping labels.

Fast for the same reasons as the invoices (see `finance.pdf.render` and bench/README.md):

- the project's GB2312 subset of Noto Sans CJK (`documents.fonts`, one face, one weight), with
  the on-demand supplement for rare characters in names and addresses, instead of the 19 MB system
  collection; the system fonts stay last in the stack;
- one warm `FontConfiguration` and compiled font stylesheet per process (`documents.render`);
- each document is one HTML template rendered once however many shipments it holds, laid out with
  fixed heights and fixed tables (WeasyPrint spends its time in flexbox and automatic tables);
- barcodes are Code128 drawn as inline SVG: the encoding comes from python-barcode, the bars are
  drawn here as one `<path>` per barcode, sharp at any printer resolution and cheap to lay out.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import mark_safe

from core.errors import DocumentNotAvailable
from core.pii import mask_phone
from documents.render import WarmRenderer
from logistics.models import Shipment
from logistics.selectors import picking_list, shipments_with_lines


def code128_modules(text: str) -> str:
    """The bars of a Code128 barcode as a string of 1 (bar) and 0 (space) modules, from python-barcode."""
    import barcode

    return barcode.Code128(text).build()[0]


def code128_svg(text: str, *, height_mm: float = 18, module_mm: float = 0.33, quiet_modules: int = 10) -> str:
    """A Code128 barcode of `text` as inline SVG, sized in millimetres (no human-readable text)."""
    modules = code128_modules(text)
    width = len(modules) + 2 * quiet_modules
    runs, start = [], None
    for index, bit in enumerate(modules + "0"):
        if bit == "1" and start is None:
            start = index
        elif bit != "1" and start is not None:
            runs.append(f"M{quiet_modules + start} 0h{index - start}v1h-{index - start}z")
            start = None
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="barcode" viewBox="0 0 {width} 1" preserveAspectRatio="none" '
        f'width="{width * module_mm:.2f}mm" height="{height_mm}mm" role="img" aria-label="{escape(text)}">'
        f'<path d="{"".join(runs)}" fill="#000"/></svg>'
    )


def code128_img(text: str, *, height_mm: float = 18, module_mm: float = 0.33, quiet_modules: int = 10) -> str:
    """The same barcode as a one-pixel-high, one-bit PNG stretched without smoothing.

    Each module is one pixel, scaled to whole modules with `image-rendering: pixelated` (no
    interpolation in the PDF), so the bars stay exact; WeasyPrint draws an image far faster than it
    parses and paints an SVG, which matters in a 500-label batch.
    """
    import base64
    import io

    from PIL import Image

    modules = "0" * quiet_modules + code128_modules(text) + "0" * quiet_modules
    image = Image.new("1", (len(modules), 1), 1)
    image.putdata([0 if bit == "1" else 1 for bit in modules])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    data = base64.b64encode(buffer.getvalue()).decode()
    return mark_safe(
        f'<img class="barcode" alt="{escape(text)}" src="data:image/png;base64,{data}" '
        f'style="width:{len(modules) * module_mm:.2f}mm;height:{height_mm}mm;image-rendering:pixelated">'
    )


_RENDERER = WarmRenderer()


def render_pdf(template: str, context: dict) -> bytes:
    """Render a PDF template in Chinese (documents go to warehouse staff, couriers and customers)."""
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(template, {"printed_at": timezone.localtime(), **context})
    return _RENDERER.render(html, base_url=str(settings.BASE_DIR))


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
        shipment.label_barcode = code128_img(shipment.tracking_number, height_mm=18, module_mm=min(
            0.38, 88 / (len(code128_modules(shipment.tracking_number)) + 20)))
        shipment.order_barcode = code128_img(shipment.order.number, height_mm=8, module_mm=0.22)
        shipment.masked_phone = mask_phone(shipment.order.phone)
    return render_pdf("logistics/pdf/labels.html", {"shipments": labels, "shipper": settings.OMS_SHIPPER})


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
