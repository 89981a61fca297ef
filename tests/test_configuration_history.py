"""Issue 17: configuration changes (rules, policies, senders, token scopes, prices) were audited
without before/after values. Each configuration model now keeps its history (django-simple-history),
shown read-only in the admin."""

from decimal import Decimal

import pytest
from django.urls import reverse

from aftersales.models import ReturnPolicy
from catalog.tests.factories import ProductFactory
from core.enums import Role
from oms.integrations.models import WebhookSender
from oms.workflow.models import ReviewRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("cfg-admin", Role.ADMIN, is_staff=True, is_superuser=True))
    return client


def _diff(obj):
    new, old = obj.history.order_by("-history_id")[:2]
    return {change.field: (change.old, change.new) for change in new.diff_against(old).changes}


def test_a_price_change_keeps_before_and_after(admin_client):
    product = ProductFactory(price=Decimal("199.00"))
    product.price = Decimal("149.00")
    product.save()
    assert _diff(product) == {"price": (Decimal("199.00"), Decimal("149.00"))}
    page = admin_client.get(reverse("admin:catalog_product_history", args=[product.pk]))
    assert page.status_code == 200 and "149" in page.content.decode() and "199" in page.content.decode()


def test_rule_policy_token_and_sender_changes_are_kept():
    rule = ReviewRule.objects.create(code="large_amount_x", name="大额", params={"threshold": "5000"})
    rule.params = {"threshold": "50000"}
    rule.save()
    assert _diff(rule)["params"] == ({"threshold": "5000"}, {"threshold": "50000"})
    policy = ReturnPolicy.objects.create(return_window_days=7)
    policy.return_window_days = 30
    policy.save()
    assert _diff(policy)["return_window_days"] == (7, 30)
    sender = WebhookSender.objects.create(kind="payments", code="alipay", secret="s" * 40)
    sender.active = False
    sender.save()
    assert _diff(sender) == {"active": (True, False)}
    assert not hasattr(sender.history.first(), "secret")  # secrets never go into the history table


def test_token_scope_changes_are_kept():
    from oms.api.tests.factories import make_token

    token, _raw = make_token()
    token.scopes = ["orders:read"]
    token.save()
    before, after = _diff(token)["scopes"]
    assert "orders:write" in before and after == ["orders:read"]


def test_history_cannot_be_reverted(admin_client):
    rule = ReviewRule.objects.create(code="x_rule", name="规则", params={})
    rule.enabled = False
    rule.save()
    first = rule.history.order_by("history_id").first()
    url = reverse("admin:workflow_reviewrule_simple_history", args=[rule.pk, first.history_id])
    assert admin_client.post(url, {}).status_code == 403
    rule.refresh_from_db()
    assert rule.enabled is False
