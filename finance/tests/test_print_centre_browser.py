"""The print centre in Chromium: selection, a background job whose progress bar follows the worker."""

import os

import pytest

from conftest import ARTIFACTS
from core.actors import SYSTEM
from core.enums import Role
from finance.models import PrintJob, PrintJobStatus
from finance.services import invoice_issue
from finance.services.printing import print_job_run
from finance.tests.factories import paid_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_print_centre_background_job_progress(make_user, browser_page, login):
    user = make_user("caiwu", Role.FINANCE, is_staff=True)
    names = ["杭州西湖科技有限公司", "王堃", "李娜", "赵喆", "上海浦江贸易有限公司", "陈静"]
    invoices = []
    for index, name in enumerate(names):
        company = name.endswith("公司")
        order = paid_order(customer_name=name if not company else "联系人", customer_phone=f"1390000{index:04d}",
                           company_name=name if company else "", tax_id="91330100MA2B3C4D5N" if company else "")
        invoices.append(invoice_issue(order=order, actor=SYSTEM))
    PrintJob.objects.create(created_by=user, invoice_ids=[i.pk for i in invoices], total=6, done=6,
                            status=PrintJobStatus.DONE, file="print-jobs/demo.pdf")
    login("caiwu")
    page = browser_page
    page.goto("/finance/invoices/print/")
    page.wait_for_selector("#invoices")
    assert page.locator("#invoices tbody tr").count() == 6
    page.locator(".row-check").nth(0).check()
    page.locator(".row-check").nth(1).check()
    page.click("button[value=background]")
    page.wait_for_selector(".msg-info")
    job = PrintJob.objects.order_by("-pk").first()
    assert (job.status, job.total) == (PrintJobStatus.QUEUED, 2)
    row = page.locator(f"tr.job[data-status-url$='/jobs/{job.pk}/']")
    assert "0/2" in row.locator(".progress em").inner_text()
    PrintJob.objects.filter(pk=job.pk).update(status=PrintJobStatus.RUNNING, done=1)
    page.wait_for_function(f"document.querySelector(\"tr.job[data-status-url$='/jobs/{job.pk}/'] .progress em\")"
                           ".textContent.includes('1/2')")
    page.wait_for_timeout(600)  # the bar's width transition
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, "finance-print-centre.png"), full_page=True)
    PrintJob.objects.filter(pk=job.pk).update(status=PrintJobStatus.QUEUED, done=0)
    print_job_run(job_id=job.pk)  # the worker finishes; the page shows the download without a reload
    page.wait_for_selector(f"tr.job[data-status-url$='/jobs/{job.pk}/'] a.btn-primary")
    with page.expect_download() as download:
        row.locator("a.btn-primary").click()
    assert download.value.suggested_filename.endswith(".pdf")
    page.reload()  # the job list survives a reload
    assert "2/2" in page.locator(f"tr.job[data-status-url$='/jobs/{job.pk}/'] .progress em").inner_text()


def test_order_funds_and_receivables_pages(make_user, browser_page, login, django_capture_on_commit_callbacks):
    from finance.services import cod_collect, refund_request, revenue_recognise
    from finance.tests.factories import make_order

    make_user("caiwu", Role.FINANCE, is_staff=True)
    order = paid_order(customer_name="王堃", customer_phone="13900000021")
    invoice_issue(order=order, actor=SYSTEM)
    refund_request(order=order, amount="8.00", reason="运费补偿", actor=SYSTEM)
    cod = make_order(cod=True, customer_name="李娜", customer_phone="13900000022")
    revenue_recognise(order=cod, reference="SF1234567890", actor=SYSTEM)
    cod_collect(order=cod, amount="100.00", reference="SF-COD-20261124", actor=SYSTEM)
    login("caiwu")
    page = browser_page
    page.goto(f"/finance/orders/{order.number}/")
    assert "JE-" in page.inner_text("main")
    page.screenshot(path=os.path.join(ARTIFACTS, "finance-order-funds.png"), full_page=True)
    page.goto("/finance/receivables/")
    assert "¥308.00" in page.inner_text("main")
    page.screenshot(path=os.path.join(ARTIFACTS, "finance-receivables.png"), full_page=True)
