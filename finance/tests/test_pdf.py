"""Invoice PDFs: Chinese text extracted back from the PDF, embedded project fonts only (no tofu)."""

import io

import pytest
from pypdf import PdfReader

from catalog.tests.factories import ProductFactory
from core.actors import SYSTEM
from finance.numerals import amount_in_capitals
from finance.pdf.render import invoice_renderer
from finance.selectors import invoices_with_lines
from finance.services import invoice_issue, invoice_void
from finance.tests.factories import paid_order

pytestmark = pytest.mark.django_db


def fonts_of(pdf: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in (page.get("/Resources", {}).get("/Font") or {}).values():
            names.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    return names


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def render(*invoices) -> bytes:
    return invoice_renderer().render(invoices_with_lines([invoice.pk for invoice in invoices]))


def test_invoice_shows_buyer_amount_in_capitals_and_number():
    order = paid_order(customer_name="李娜", customer_phone="13900000011")
    invoice = invoice_issue(order=order, actor=SYSTEM)
    text = text_of(render(invoice))
    for expected in ("李娜", "肆佰零捌元整", "¥408.00", invoice.number, order.number, "增值税", "352.21", "45.79",
                     "13%", "运费"):
        assert expected in text, expected
    assert fonts_of(render(invoice)) == {"OMS-Mono"}


def test_company_buyer_with_tax_id():
    order = paid_order(customer_name="王芳", customer_phone="13900000012", company_name="杭州西湖科技有限公司",
                       tax_id="91330100MA2B3C4D5N")
    text = text_of(render(invoice_issue(order=order, actor=SYSTEM)))
    assert "杭州西湖科技有限公司" in text and "91330100MA2B3C4D5N" in text


def test_rare_name_outside_gb2312_renders_from_the_supplement():
    order = paid_order(customer_name="王堃喆𠮷", customer_phone="13900000013")
    pdf = render(invoice_issue(order=order, actor=SYSTEM))
    assert "王堃喆𠮷" in text_of(pdf)
    assert fonts_of(pdf) == {"OMS-Mono", "OMS-Mono-Extra"}


def test_credit_note_pdf_is_negative_and_names_the_invoice(manager):
    invoice = invoice_issue(order=paid_order(), actor=SYSTEM)
    credit = invoice_void(invoice=invoice, reason="抬头错误", actor=manager)
    text = text_of(render(credit))
    assert amount_in_capitals(credit.total) == "负肆佰零捌元整"
    assert "负肆佰零捌元整" in text and "红字" in text and invoice.number in text and credit.number in text


def test_merged_and_separate_pdfs_split_at_each_invoice():
    long_order = paid_order(lines=[(ProductFactory(name=f"长清单商品{i}号"), 1, "10.00") for i in range(40)])
    long_invoice = invoice_issue(order=long_order, actor=SYSTEM)
    short_invoice = invoice_issue(order=paid_order(), actor=SYSTEM)
    invoices = invoices_with_lines([long_invoice.pk, short_invoice.pk])
    merged = PdfReader(io.BytesIO(invoice_renderer().render_merged(invoices, chunk=1)))
    assert len(merged.pages) >= 3
    separate = {invoice.number: PdfReader(io.BytesIO(pdf)) for invoice, pdf in invoice_renderer().render_each(invoices)}
    assert len(separate[long_invoice.number].pages) == len(merged.pages) - 1
    assert len(separate[short_invoice.number].pages) == 1
    assert "长清单商品39号" in text_of(invoice_renderer().render([invoices[0]]))
    assert short_invoice.number in separate[short_invoice.number].pages[0].extract_text()
