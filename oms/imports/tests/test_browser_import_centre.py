"""A migration clerk in Chromium: a file with errors, its report, the corrected file, the import with
its progress bar to 100%. Screenshots (Chinese UI) go to test-artifacts/."""

import os
import re
import threading

import pytest
from django.db import connection

from conftest import ARTIFACTS
from core.enums import Role
from oms.imports import services
from oms.imports.models import ImportBatch
from oms.imports.tests.factories import products, row, table, write_csv, write_xlsx
from orders.models import Order

# serialized_rollback: the live server needs committed data, and the channels the migrations seed
# must be there even when an earlier transactional test flushed the database.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def background_jobs(settings, monkeypatch):
    """Every run is a background job; the 'worker' is a thread that pauses half-way until released,
    so the test can see the bar between 0 and 100 %."""
    settings.OMS_IMPORT_INLINE_MAX_BYTES = 0
    settings.OMS_IMPORT_BATCH_ORDERS = 10
    # In this process: the test's threads (the live server, Playwright's loop) are no place to fork.
    settings.OMS_IMPORT_WORKERS = 1
    release = threading.Event()
    threads = []
    original = services._Importer.merge

    def merge(self, outcome):
        original(self, outcome)
        if not self.dry_run and self.rows_done * 2 >= self.report.rows and not release.is_set():
            self._report_progress(ImportBatch.Phase.CHECKING, self.rows_done, self.report.rows, force=True)
            release.wait(timeout=60)

    def run(batch_id):
        try:
            services.import_batch_execute(batch_id=batch_id)
        finally:
            connection.close()

    def enqueue(batch_id):
        thread = threading.Thread(target=run, args=(batch_id,), daemon=True)
        threads.append(thread)
        thread.start()

    monkeypatch.setattr(services._Importer, "merge", merge)
    monkeypatch.setattr(services.batches, "enqueue_import_job", enqueue)
    yield release
    release.set()
    for thread in threads:
        thread.join(timeout=60)


@pytest.fixture
def close_playwright_context_connection(browser_page):
    """Playwright's sync API runs an event loop in the test thread, and Django's connections are
    per context: the connection the test body opened must be closed there, or PostgreSQL keeps a
    session open and the test database cannot be dropped at the end of the run."""
    yield
    connection.close()


def shot(page, name):
    page.screenshot(path=os.path.join(ARTIFACTS, f"imports-{name}.png"), full_page=True)


def test_upload_with_errors_fix_and_import_with_progress(browser_page, login, make_user, tmp_path,
                                                          background_jobs, close_playwright_context_connection):
    page = browser_page
    products("SKU-001", "SKU-002")
    make_user("migrator", Role.MANAGER, is_staff=True)
    good = [row(order_number=f"OK-{i:03d}", customer_name=f"客户{i}", sku="SKU-001" if i % 2 else "SKU-002")
            for i in range(60)]
    bad = [row(order_number="BAD-1", sku="SKU-404"), row(order_number="BAD-2", phone="12345",
                                                         unit_price="¥12.345"),
           row(order_number="BAD-3", status="已发货", note="=HYPERLINK(\"http://x\")")]
    with_errors = write_xlsx(tmp_path / "历史订单.xlsx", table(good + bad))

    login("migrator")
    page.goto("/imports/")
    assert page.locator("h1").inner_text() == "导入中心"
    shot(page, "1-centre")

    # 1. upload a file with errors: the dry run (a job) shows its report
    page.set_input_files("#id_file", str(with_errors))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#result", timeout=30000)
    assert page.locator("#count-rows").inner_text() == "63"
    assert page.locator("#count-imported").inner_text() == "60"
    assert page.locator("#count-rejected").inner_text() == "3"
    table_text = page.locator("#errors").inner_text()
    assert "SKU-404" in table_text and "未知 SKU" in table_text and "运单号" in table_text
    assert "不是有效的大陆手机或固定电话号码" in table_text and "金额最多两位小数" in table_text
    assert Order.objects.count() == 0
    shot(page, "2-dry-run-with-errors")

    # the report downloads
    with page.expect_download() as download:
        page.click("#report-xlsx")
    assert download.value.suggested_filename.endswith("-report.xlsx")

    # 2. fix the file and upload it again
    fixed = [row(order_number="BAD-1", sku="SKU-001"), row(order_number="BAD-2", unit_price="12.35"),
             row(order_number="BAD-3", status="已发货", carrier="顺丰", tracking_number="SF100200300")]
    corrected = write_csv(tmp_path / "历史订单-修正.csv", table(good + fixed), encoding="gbk")
    page.goto("/imports/")
    page.set_input_files("#id_file", str(corrected))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#result", timeout=30000)
    assert page.locator("#count-imported").inner_text() == "63"
    assert page.locator("#count-rejected").inner_text() == "0"
    shot(page, "3-dry-run-clean")

    # 3. import: the progress bar moves, survives a reload, and reaches 100 %
    page.click("#start-import")
    page.wait_for_selector("#progress-card")
    page.wait_for_function(
        "() => { const p = parseInt(document.getElementById('progress-percent').textContent); "
        "return p > 0 && p < 100; }",
        timeout=30000)
    page.reload()
    halfway = page.locator("#progress-percent").inner_text()
    assert 0 < int(halfway.rstrip("%")) < 100
    assert re.search(r"已处理 \d+ / 63 行", page.locator("#progress-text").inner_text())
    shot(page, "4-import-progress")
    background_jobs.set()
    page.wait_for_selector("#result", timeout=30000)
    assert page.locator("h2").first.inner_text() == "导入完成"
    assert page.locator("#count-imported").inner_text() == "63"
    shot(page, "5-imported")
    assert Order.objects.filter(source="import").count() == 63
    batch = ImportBatch.objects.latest("id")
    assert (batch.status, batch.rows_done, batch.rows_total, batch.percent) == ("done", 63, 63, 100)

    page.goto("/imports/")
    history = page.locator("#history").inner_text()
    assert "历史订单-修正.csv" in history and "历史订单.xlsx" in history and "migrator" in history
    shot(page, "6-history")
