import io

import pytest
from pypdf import PdfReader

from finance.pdf.render import invoice_renderer
from finance.services import invoice_issue
from finance.tests.factories import make_order
from oms.core.actors import SYSTEM

pytestmark = pytest.mark.django_db


def test_smoke(tmp_path):
    order = make_order(customer_name="李堃喆𠮷", company_name="杭州西湖科技有限公司", tax_id="91330100MA2B3C4D5E",
                       customer_phone="13900001111")
    invoice = invoice_issue(order=order, actor=SYSTEM)
    pdf = invoice_renderer().render([invoice])
    (tmp_path / "x.pdf").write_bytes(pdf)
    open("/tmp/fin/smoke.pdf", "wb").write(pdf)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    print(text)
    assert "肆佰零捌元整" in text
