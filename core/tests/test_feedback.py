"""`core.feedback.report_domain_error`: the one way screens and admin actions show a domain error."""

from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory

from core.errors import InvalidTransition, ValidationFailed
from core.feedback import domain_error_problems, domain_error_text, report_domain_error


class WeightForm(forms.Form):
    weight_kg = forms.DecimalField(label="重量（千克）")


def _request():
    request = RequestFactory().post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def _shown(request) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(request)]


def test_field_errors_are_shown_with_the_forms_labels_and_nothing_is_dropped():
    exc = ValidationFailed("无法打包。", errors={"weight_kg": ["请填写重量。"], "lines.0.sku": ["未扫描。"]})
    request = _request()
    report_domain_error(request, exc, form=WeightForm())
    assert _shown(request) == [("error", "无法打包。"), ("error", "重量（千克）：请填写重量。"), ("error", "未扫描。")]


def test_the_generic_message_gives_way_to_the_field_problems():
    exc = ValidationFailed(errors={"amount": ["必须大于零。"]})
    assert domain_error_problems(exc, labels={"amount": "金额"}) == ["金额：必须大于零。"]


def test_an_error_without_fields_shows_its_text():
    request = _request()
    report_domain_error(request, InvalidTransition("订单已发货，不能取消。"))
    assert _shown(request) == [("error", "订单已发货，不能取消。")]


def test_a_batch_refusal_is_one_line_naming_its_row():
    exc = ValidationFailed("无法交接。", errors={"tracking_number": ["没有运单号。"]})
    request = _request()
    report_domain_error(request, exc, subject="SH20261204000001")
    assert _shown(request) == [("error", "SH20261204000001：无法交接。；没有运单号。")]
    assert domain_error_text(exc) == "无法交接。；没有运单号。"


def test_the_admin_and_the_screens_use_it():
    """No back-office module formats a domain error by hand (`messages.error(request, str(exc))`)."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2]
    offenders = []
    for path in [*root.glob("*/views.py"), *root.glob("*/admin.py"), *root.glob("oms/*/views.py"),
                 *root.glob("oms/*/admin.py"), *root.glob("oms/*/*_views.py"), *root.glob("*/*_views.py")]:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"(messages\.error|message_user)\([^)]*\bexc\b", text):
            offenders.append(f"{path.relative_to(root)}: {match.group(0)}")
    assert offenders == [], offenders
