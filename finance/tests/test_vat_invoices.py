"""VAT invoices as Chinese businesses use them: ordinary or special, with the buyer's full details
from the order's invoice request or the customer, checked before a number is taken, on the PDF."""

import io

import pytest
from django.db import connection
from django.urls import reverse
from pypdf import PdfReader

from core.actors import SYSTEM
from core.enums import Role
from core.errors import ValidationFailed
from core.fieldcrypto import looks_encrypted
from finance.models import Invoice, InvoiceType
from finance.pdf.render import invoice_renderer
from finance.selectors import invoices_with_lines
from finance.services import invoice_issue, invoice_issue_if_due
from finance.tests.factories import make_order, paid_order
from finance.vat import Buyer, tax_id_is_valid

pytestmark = pytest.mark.django_db

VALID_ID = "91330100MA2B3C4D5N"
REQUEST = {"type": "special", "title": "杭州西湖科技有限公司", "tax_id": VALID_ID,
           "address_phone": "杭州市西湖区文三路 1 号 0571-88881234",
           "bank_account": "工商银行杭州分行 1202020209000012345"}


def text_of(invoice) -> str:
    pdf = invoice_renderer().render(invoices_with_lines([invoice.pk]))
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("value, valid", [
    ("91350100M000100Y43", True), (VALID_ID, True), ("91330100ma2b3c4d5n", True), ("9133 0100 MA2B 3C4D 5N", True),
    ("91330100MA2B3C4D5E", False), ("12345", False), ("913301OOMA2B3C4D5N", False),
    ("330100123456789", True),  # 15-character registration before 2015
])
def test_tax_id_format(value, valid):
    assert tax_id_is_valid(value) is valid


def test_special_invoice_from_the_channels_request_carries_every_detail_on_the_pdf():
    order = paid_order(invoice_request=REQUEST)
    invoice = invoice_issue_if_due(order=order, actor=SYSTEM)  # the request is complete: issued on payment
    assert invoice.invoice_type == InvoiceType.SPECIAL
    assert (invoice.buyer_name, invoice.buyer_tax_id) == ("杭州西湖科技有限公司", VALID_ID)
    assert invoice.buyer_address_phone.startswith("杭州市西湖区")
    assert "1202020209000012345" in invoice.buyer_bank_account
    text = text_of(invoice)
    for expected in ("增值税专用发票", "杭州西湖科技有限公司", VALID_ID, "0571-88881234", "1202020209000012345"):
        assert expected in text, expected


def test_buyer_contact_details_and_the_invoice_request_are_encrypted_at_rest():
    order = paid_order(invoice_request=REQUEST)
    invoice = invoice_issue_if_due(order=order, actor=SYSTEM)
    with connection.cursor() as cursor:
        cursor.execute("SELECT buyer_address_phone, buyer_bank_account, buyer_tax_id FROM finance_invoice "
                       "WHERE id = %s", [invoice.pk])
        address_phone, bank_account, tax_id = cursor.fetchone()
        cursor.execute("SELECT invoice_request FROM orders_order WHERE id = %s", [order.pk])
        request = cursor.fetchone()[0]
        cursor.execute("SELECT invoice_request FROM orders_historicalorder WHERE id = %s", [order.pk])
        history = [r[0] for r in cursor.fetchall()]
    assert looks_encrypted(address_phone) and looks_encrypted(bank_account) and looks_encrypted(request)
    assert all(looks_encrypted(h) for h in history)
    for stored in (address_phone, bank_account, request, *history):
        assert "88881234" not in stored and "1202020209000012345" not in stored
    assert tax_id == VALID_ID  # a company's public registration, searched by finance
    order.refresh_from_db()
    assert order.invoice_request == REQUEST
    assert Invoice.objects.filter(buyer_tax_id=VALID_ID).get() == invoice


def test_an_order_without_invoice_request_stores_no_token_for_it():
    order = make_order()
    with connection.cursor() as cursor:
        cursor.execute("SELECT invoice_request FROM orders_order WHERE id = %s", [order.pk])
        assert cursor.fetchone()[0] == "{}"
    order.refresh_from_db()
    assert order.invoice_request == {}


def test_a_note_asking_for_a_special_invoice_gets_no_ordinary_one_automatically():
    order = paid_order(note="请开专票，抬头稍后提供")
    assert invoice_issue_if_due(order=order, actor=SYSTEM) is None
    assert not Invoice.objects.filter(order=order).exists()
    with pytest.raises(ValidationFailed) as refused:
        invoice_issue(order=order, actor=SYSTEM)
    assert {"buyer_tax_id", "buyer_address_phone", "buyer_bank_account"} <= set(refused.value.errors)
    invoice = invoice_issue(order=order, actor=SYSTEM, buyer=Buyer(invoice_type=InvoiceType.SPECIAL, **{
        k: v for k, v in REQUEST.items() if k != "type"}))
    assert invoice.invoice_type == InvoiceType.SPECIAL


def test_a_bad_tax_id_is_refused_before_a_number_is_taken():
    order = make_order(company_name="某某有限公司", tax_id="91330100MA2B3C4D5E")
    paid = paid_order(company_name="某某有限公司", tax_id="91330100MA2B3C4D5E")
    assert invoice_issue_if_due(order=paid, actor=SYSTEM) is None  # not issued automatically with a bad ID
    with pytest.raises(ValidationFailed) as refused:
        invoice_issue(order=order, actor=SYSTEM)
    assert "buyer_tax_id" in refused.value.errors
    assert not Invoice.objects.exists()


def test_ordinary_invoice_for_a_person_is_unchanged():
    order = paid_order(customer_name="李娜", customer_phone="13900000011")
    invoice = invoice_issue_if_due(order=order, actor=SYSTEM)
    assert invoice.invoice_type == InvoiceType.NORMAL and not invoice.buyer_is_company
    assert "增值税普通发票" in text_of(invoice)


def test_finance_issues_a_special_invoice_from_the_funds_page_and_keeps_input_on_error(client, make_user):
    order = paid_order(note="要专票")
    client.force_login(make_user("fin", Role.FINANCE))
    url = reverse("finance:order-issue-invoice", args=[order.number])
    page = client.get(reverse("finance:order-funds", args=[order.number])).content.decode()
    assert 'name="invoice_type"' in page and '<option value="special" selected>' in page
    bad = client.post(url, {"invoice_type": "special", "title": "杭州西湖科技有限公司", "tax_id": "123",
                            "address_phone": "", "bank_account": "工行 123"})
    assert bad.status_code == 200
    html = bad.content.decode()
    assert 'value="杭州西湖科技有限公司"' in html and 'value="工行 123"' in html
    assert "buyer_tax_id" not in html and "纳税人识别号" in html
    assert not Invoice.objects.filter(order=order).exists()
    ok = client.post(url, {"invoice_type": "special", **{k: v for k, v in REQUEST.items() if k != "type"}})
    assert ok.status_code == 302
    assert Invoice.objects.get(order=order).invoice_type == InvoiceType.SPECIAL
