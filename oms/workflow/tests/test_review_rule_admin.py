"""Review rules are data an administrator edits: parameters are checked against the check's schema."""

import pytest
from django.urls import reverse

from core.enums import Role
from core.errors import ValidationFailed
from oms.workflow.models import ReviewRule
from oms.workflow.rules import clean_rule_params

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("code, params, cleaned", [
    ("large_amount", {"threshold": "80000"}, {"threshold": "80000.00"}),
    ("large_amount", {"threshold": 80000}, {"threshold": "80000.00"}),
    ("large_amount", {}, {}),
    ("invalid_address", {"min_detail_length": 6, "blocked_keywords": [" 测试 ", "假"]},
     {"min_detail_length": 6, "blocked_keywords": ["测试", "假"]}),
    ("duplicate_suspected", {"window_hours": 48}, {"window_hours": 48}),
    ("customer_incomplete", {"require_email": True}, {"require_email": True}),
])
def test_valid_params_are_cleaned(code, params, cleaned):
    assert clean_rule_params(code, params) == cleaned


@pytest.mark.parametrize("code, params", [
    ("large_amount", {"treshold": "1"}),  # typo: would silently use the default
    ("large_amount", {"threshold": "lots"}),
    ("large_amount", {"threshold": "-5"}),
    ("large_amount", {"threshold": 1.5}),  # floats lie about money
    ("invalid_address", {"min_detail_length": "4"}),
    ("invalid_address", {"min_detail_length": -1}),
    ("invalid_address", {"blocked_keywords": "测试"}),
    ("invalid_address", {"blocked_keywords": ["", "x"]}),
    ("customer_incomplete", {"require_email": "yes"}),
    ("payment_mismatch", {"anything": 1}),
    ("large_amount", ["threshold"]),
    ("no_such_check", {}),
])
def test_invalid_params_are_refused(code, params):
    with pytest.raises(ValidationFailed):
        clean_rule_params(code, params)


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("boss", Role.MANAGER, is_staff=True))
    return client


def change(rule, **data):
    form = {"name": rule.name, "enabled": "on", "params": '{"threshold": "50000.00"}',
            "approval_role": rule.approval_role, "position": rule.position, "description": "", "channels": []}
    form.update(data)
    return form


def test_admin_saves_cleaned_params(admin_client):
    rule = ReviewRule.objects.get(code="large_amount")
    response = admin_client.post(reverse("admin:workflow_reviewrule_change", args=[rule.pk]),
                                 change(rule, params='{"threshold": 100000}'))
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.params == {"threshold": "100000.00"}


def test_admin_refuses_bad_params_with_a_form_error(admin_client):
    rule = ReviewRule.objects.get(code="large_amount")
    response = admin_client.post(reverse("admin:workflow_reviewrule_change", args=[rule.pk]),
                                 change(rule, params='{"treshold": 1}'))
    assert response.status_code == 200
    assert "treshold" in str(response.context["adminform"].form.errors["params"])
    rule.refresh_from_db()
    assert rule.params == {"threshold": "50000.00"}


def test_admin_shows_the_known_params(admin_client):
    rule = ReviewRule.objects.get(code="invalid_address")
    html = admin_client.get(reverse("admin:workflow_reviewrule_change", args=[rule.pk])).content.decode()
    assert "min_detail_length" in html and "blocked_keywords" in html


def test_reviewers_may_read_rules_but_not_change_them(client, make_user):
    client.force_login(make_user("r", Role.REVIEWER, is_staff=True))
    rule = ReviewRule.objects.get(code="large_amount")
    assert client.get(reverse("admin:workflow_reviewrule_changelist")).status_code == 200
    client.post(reverse("admin:workflow_reviewrule_change", args=[rule.pk]), change(rule, params="{}", enabled=""))
    rule.refresh_from_db()
    assert rule.enabled and rule.params == {"threshold": "50000.00"}
