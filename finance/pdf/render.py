"""Invoice PDFs with WeasyPrint, fast.

What makes it fast (figures in bench/README.md):

1. Fonts: the project's GB2312 TrueType subset (one face, one weight) instead of the 19 MB Noto
   CJK collection, plus a supplement for rare characters (see `finance.pdf.fonts`).
2. Few boxes: WeasyPrint spends its time per box and per line box, so the line table is one
   `<pre>` block laid out here as monospaced text (`TextTable`), and the page is a handful of
   blocks — about a quarter of the layout time of the same invoice as an HTML table.
3. One warm renderer per process: the `FontConfiguration` and the compiled stylesheet (with its
   @font-face rules, which copy the font files into fontconfig) are built once and reused.
4. Batches are laid out as one HTML document per chunk of invoices (one parse, one cascade) and
   written as one PDF, or split into one PDF per invoice by the pages each invoice starts on —
   the layout is never repeated.

WeasyPrint/Pango are not thread-safe with a shared font map, so rendering holds a process lock.
"""

from __future__ import annotations

import atexit
import threading
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from finance.models import Invoice
from finance.numerals import amount_in_capitals
from finance.pdf.fonts import FontLibrary, font_library

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
    (gettext_lazy("Unit price"), 14, True),
    (gettext_lazy("Discount"), 12, True),
    (gettext_lazy("Amount excl. tax"), 16, True),
    (gettext_lazy("Rate"), 8, True),
    (gettext_lazy("Tax"), 16, True),
)


class TextTable:
    """Lays out rows as monospaced text: CJK characters take two cells, the rest one."""

    def __init__(self, cells: dict[int, int]):
        self.cells = cells

    def width(self, text: str) -> int:
        cells = self.cells
        return sum(cells.get(ord(ch)) or (2 if unicodedata.east_asian_width(ch) in "WF" else 1) for ch in text)

    def fit(self, text: str, width: int, right: bool) -> str:
        gap = max(width - self.width(text), 0)
        return " " * gap + text if right else text + " " * gap

    def wrap(self, text: str, width: int) -> list[str]:
        parts, current, used = [], "", 0
        for ch in text:
            w = self.width(ch)
            if used + w > width and current:
                parts.append(current)
                current, used = "", 0
            current += ch
            used += w
        parts.append(current)
        return parts

    def row(self, values) -> str:
        """One table row; a long first column wraps onto continuation lines."""
        first, *rest = values
        name_width = COLUMNS[0][1]
        head, *more = self.wrap(str(first), name_width - 1)
        line = self.fit(head, name_width, False) + "".join(
            " " + self.fit(str(value), width - 1, right)
            for value, (_label, width, right) in zip(rest, COLUMNS[1:], strict=True))
        return "\n".join([line.rstrip(), *more])


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
        self._lock = threading.RLock()
        self._styles_key: str | None = None
        self._font_config = None
        self._stylesheet = None

    # -- set-up, once per process (and again when the rare-character supplement grows) ---------------
    def _styles(self):
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        key = self.fonts.version
        if key != self._styles_key:
            font_config = FontConfiguration()
            css = CSS_PATH.read_text().replace("FONT_STACK", self.fonts.font_stack())
            self._stylesheet = CSS(string=self.fonts.font_face_css() + "\n" + css, font_config=font_config)
            self._font_config = font_config
            self._styles_key = key
        return self._font_config, self._stylesheet

    def warm_up(self) -> None:
        with self._lock:
            self.fonts.ensure_built()
            self._styles()

    # -- rendering ------------------------------------------------------------------------------------
    def html(self, invoices: list[Invoice]) -> str:
        table = TextTable(self.fonts.cells)
        with translation.override("zh-hans"):
            documents = [invoice_document(invoice, table) for invoice in invoices]
            return render_to_string(TEMPLATE, {"documents": documents})

    def layout(self, invoices: list[Invoice]):
        """A laid-out WeasyPrint document of the invoices, one after the other."""
        from weasyprint import HTML

        markup = self.html(invoices)
        with self._lock:
            self.fonts.ensure_covered(markup)
            font_config, stylesheet = self._styles()
            return HTML(string=markup, base_url=str(CSS_PATH.parent)).render(
                font_config=font_config, stylesheets=[stylesheet])

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
        """Drop the font configuration (and its temporary font folder) while the interpreter is alive."""
        with self._lock:
            self._font_config = self._stylesheet = self._styles_key = None


_RENDERER: InvoicePdfRenderer | None = None
_RENDERER_LOCK = threading.Lock()


def invoice_renderer() -> InvoicePdfRenderer:
    """The process-wide warm renderer."""
    global _RENDERER
    with _RENDERER_LOCK:
        if _RENDERER is None or _RENDERER.fonts is not font_library():
            _RENDERER = InvoicePdfRenderer()
            atexit.register(_RENDERER.close)
        return _RENDERER
