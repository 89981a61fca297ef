"""Invoice PDFs with WeasyPrint, fast.

What makes it fast (figures in bench/README.md):

1. Fonts: the project's GB2312 TrueType subset (one face, one weight) instead of the 19 MB Noto
   CJK collection, plus a supplement for rare characters (see `documents.fonts`).
2. Few boxes: WeasyPrint spends its time per box and per line box, so the line table is one
   `<pre>` block laid out here as monospaced text (`TextTable`), and the page is a handful of
   blocks — about a quarter of the layout time of the same invoice as an HTML table.
3. One warm renderer per process (`documents.render.WarmRenderer`): the `FontConfiguration` and
   the compiled stylesheet (with its @font-face rules) are built once and reused.
4. Batches are laid out as one HTML document per chunk of invoices (one parse, one cascade) and
   written as one PDF, or split into one PDF per invoice by the pages each invoice starts on —
   the layout is never repeated.

WeasyPrint/Pango are not thread-safe with a shared font map, so rendering holds a process lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from documents.fonts import FontLibrary, font_library
from documents.render import TextTable, WarmRenderer
from finance.models import Invoice
from finance.numerals import amount_in_capitals

CSS_PATH = Path(__file__).with_name("invoice.css")
TEMPLATE = "finance/pdf/invoices.html"
Progress = Callable[[int], None]


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _rate(value: Decimal) -> str:
    return f"{(value * 100).normalize():f}%"


#: Columns of the line table: (label, width in cells, right-aligned). One cell = half an em of
#: OMS Mono (1.5 mm at 8.5 pt); 128 cells fill 192 of the 194 mm between the margins.
COLUMNS = (
    (gettext_lazy("Item"), 54, False),
    (gettext_lazy("Qty"), 8, True),
    (gettext_lazy("Unit price (incl. tax)"), 14, True),
    (gettext_lazy("Discount"), 12, True),
    (gettext_lazy("Amount excl. tax"), 16, True),
    (gettext_lazy("Rate"), 8, True),
    (gettext_lazy("Tax"), 16, True),
)


@dataclass
class InvoiceDocument:
    """What the template prints for one invoice, formatted once here."""

    invoice: Invoice
    date: str
    table: str
    table_total: str
    total: str
    capitals: str
    indent: str = "\u3000" * 4


def invoice_document(invoice: Invoice, table: TextTable) -> InvoiceDocument:
    """Call with the zh-hans translation active (labels of the line table)."""
    issued = timezone.localtime(invoice.issued_at)
    rows = [table.row([str(label) for label, _width, _right in COLUMNS])]
    for line in invoice.lines.all():
        rows.append(table.row([line.name, line.quantity, _money(line.unit_price), _money(line.discount),
                               _money(line.net), _rate(line.tax_rate), _money(line.tax)]))
    total = table.row([str(gettext_lazy("Total")), "", "", "", "¥" + _money(invoice.net_total), "",
                       "¥" + _money(invoice.tax_total)])
    return InvoiceDocument(invoice=invoice, date=f"{issued.year}年{issued.month:02d}月{issued.day:02d}日",
                           table="\n".join(rows), table_total=total, total=_money(invoice.total),
                           capitals=amount_in_capitals(invoice.total))


class InvoicePdfRenderer:
    def __init__(self, fonts: FontLibrary | None = None):
        self.fonts = fonts or font_library()
        self._renderer = WarmRenderer(extra_css=CSS_PATH.read_text(), fonts=self.fonts)
        self._lock = self._renderer.lock

    def warm_up(self) -> None:
        self._renderer.warm_up()

    # -- rendering ------------------------------------------------------------------------------------
    def html(self, invoices: list[Invoice]) -> str:
        table = TextTable(self.fonts.cells, COLUMNS)
        with translation.override("zh-hans"):
            documents = [invoice_document(invoice, table) for invoice in invoices]
            return render_to_string(TEMPLATE, {"documents": documents})

    def layout(self, invoices: list[Invoice]):
        """A laid-out WeasyPrint document of the invoices, one after the other."""
        return self._renderer.layout(self.html(invoices), base_url=str(CSS_PATH.parent))

    def render(self, invoices: list[Invoice]) -> bytes:
        """One PDF with all the invoices (for one invoice: its PDF)."""
        with self._lock:
            return self.layout(invoices).write_pdf()

    def _chunks(self, invoices: list[Invoice], chunk: int):
        for start in range(0, len(invoices), chunk):
            yield invoices[start:start + chunk]

    def render_merged(self, invoices: list[Invoice], *, chunk: int = 100, progress: Progress | None = None) -> bytes:
        """One PDF for a large batch, laid out chunk by chunk so that progress can be reported."""
        with self._lock:
            documents, done = [], 0
            for part in self._chunks(invoices, chunk):
                documents.append(self.layout(part))
                done += len(part)
                if progress:
                    progress(done)
            if not documents:
                return b""
            pages = [page for document in documents for page in document.pages]
            return documents[0].copy(pages).write_pdf()

    def render_each(self, invoices: list[Invoice], *, chunk: int = 100,
                    progress: Progress | None = None) -> Iterator[tuple[Invoice, bytes]]:
        """One PDF per invoice, from a single layout per chunk split at each invoice's first page."""
        done = 0
        for part in self._chunks(invoices, chunk):
            with self._lock:
                document = self.layout(part)
                anchors = {f"inv-{invoice.pk}": invoice.pk for invoice in part}
                starts = {}
                for index, page in enumerate(document.pages):
                    for anchor in page.anchors:
                        if anchor in anchors:  # a section continued on the next page repeats its id
                            starts.setdefault(anchors[anchor], index)
                bounds = [starts[inv.pk] for inv in part] + [len(document.pages)]
                outputs = [(invoice, document.copy(document.pages[bounds[i]:bounds[i + 1]]).write_pdf())
                           for i, invoice in enumerate(part)]
            for item in outputs:
                done += 1
                if progress:
                    progress(done)
                yield item

    def close(self) -> None:
        self._renderer.close()


_RENDERER: InvoicePdfRenderer | None = None
_RENDERER_LOCK = threading.Lock()


def invoice_renderer() -> InvoicePdfRenderer:
    """The process-wide warm renderer."""
    global _RENDERER
    with _RENDERER_LOCK:
        if _RENDERER is None or _RENDERER.fonts is not font_library():
            _RENDERER = InvoicePdfRenderer()
        return _RENDERER
