"""The QC queue on a 412 px handheld (fail with a note, then pass) and the public survey page on a
phone, in Chromium, in Chinese. Screenshots go to test-artifacts/."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest

from conftest import ARTIFACTS
from core.enums import Role
from logistics.models import QualityCheck
from logistics.tests.factories import ACTOR, product, released_order
from oms.workflow.automation.survey import survey_start, survey_token
from orders.models import Order

# The live server reads committed data; serialized_rollback restores the seeded rows (channels, rules).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing to scroll sideways


def test_qc_queue_on_a_handheld(browser_page, login, make_user):
    page = browser_page
    order = released_order([(product("SKU-QCB", stock=5, needs_qc=True, name="定制实木餐桌"), 1, Decimal("3999.00"))])
    make_user("qc-bench", Role.WAREHOUSE, is_staff=True)  # the login screen is the admin's: staff only
    page.set_viewport_size({"width": 412, "height": 900})
    login("qc-bench")
    page.goto("/logistics/qc/")
    card = page.locator(f"#qc-{QualityCheck.objects.get(order=order).pk}")
    assert order.number in card.inner_text() and "需质检" in card.inner_text()
    _fits(page, 412)
    page.screenshot(path=os.path.join(ARTIFACTS, "qc-queue-412.png"), full_page=True)

    card.locator("textarea").fill("桌面有划痕")
    card.get_by_role("button", name="不合格").click()
    page.wait_for_load_state("networkidle")
    assert "质检不合格，已转为异常待处理" in page.inner_text(".messages")
    assert "桌面有划痕" in page.locator(".qc-card").first.inner_text()
    _fits(page, 412)
    page.screenshot(path=os.path.join(ARTIFACTS, "qc-queue-failed-412.png"), full_page=True)
    assert Order.objects.get(pk=order.pk).hold_reasons == ["qc_failed"]

    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"/orders/{order.number}/")
    assert "质检不合格" in page.inner_text("#quality-check")
    page.screenshot(path=os.path.join(ARTIFACTS, "qc-order-page.png"), full_page=True)


def test_survey_page_on_a_phone(browser_page):
    page = browser_page
    order = released_order([(product("SKU-SVB", stock=5), 1, Decimal("199.00"))])
    survey, _created = survey_start(order=order, actor=ACTOR)
    page.set_viewport_size({"width": 412, "height": 860})
    page.goto(f"/survey/{survey_token(survey)}/")
    assert "您对本次购物满意吗？" in page.inner_text("h1")
    _fits(page, 412)
    page.screenshot(path=os.path.join(ARTIFACTS, "survey-412.png"), full_page=True)
    page.locator("input[name=score][value='4']").check()
    page.fill("#comment", "送货很快，包装很好")
    page.get_by_role("button", name="提交").click()
    page.wait_for_load_state("networkidle")
    assert "感谢您的反馈" in page.inner_text("main")
    page.screenshot(path=os.path.join(ARTIFACTS, "survey-answered-412.png"), full_page=True)
    survey.refresh_from_db()
    assert (survey.score, survey.comment) == (4, "送货很快，包装很好")
