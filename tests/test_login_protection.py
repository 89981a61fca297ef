"""Issue 17, medium: login protection, second factor, security headers, redirects, PII in searches and logs."""

import io

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.enums import Role
from logistics.models import Shipment
from logistics.services import shipment_pack
from logistics.tests.factories import ACTOR, product, released_order, shipments_of

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-Enough-pass-2026"


def _login(client, username, password):
    return client.post(reverse("admin:login"), {"username": username, "password": password,
                                                "next": "/admin/"})


def test_repeated_wrong_passwords_lock_the_login_out(client, make_user):
    make_user("clerk", Role.CUSTOMER_SERVICE, password=PASSWORD, is_staff=True)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "clerk", "wrong-password")
    response = _login(client, "clerk", PASSWORD)  # the right one no longer helps
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_right_password_before_the_limit_still_works(client, make_user):
    make_user("clerk2", Role.CUSTOMER_SERVICE, password=PASSWORD, is_staff=True)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "clerk2", "wrong-password")
    response = _login(client, "clerk2", PASSWORD)
    assert response.status_code == 302 and "_auth_user_id" in client.session


@pytest.mark.parametrize("password", ["short-Pw1", "password1234", "123456789012"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_sessions_end_after_an_idle_hour(client, make_user):
    from unittest import mock

    from django.contrib.sessions.models import Session

    assert settings.SESSION_COOKIE_AGE <= 3600 and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    client.force_login(make_user("idle", Role.WAREHOUSE))
    client.get("/logistics/shipments/")
    key = client.session.session_key
    first = Session.objects.get(session_key=key).expire_date
    with mock.patch("time.time", return_value=__import__("time").time() + 600):
        client.get("/logistics/shipments/")  # active ten minutes later: the deadline moves
    assert Session.objects.get(session_key=key).expire_date > first


def test_finance_needs_a_second_factor(client, make_user, settings):
    settings.OMS_REQUIRE_SECOND_FACTOR = True
    user = make_user("fin", Role.FINANCE)
    client.force_login(user)
    response = client.get("/finance/receivables/")
    assert response.status_code == 302 and response["Location"].startswith("/account/second-factor/")
    page = client.get(response["Location"])
    assert page.status_code == 200 and "data:image/svg+xml" in page.content.decode()  # enrolment QR code
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    wrong = client.post("/account/second-factor/", {"token": "000000", "next": "/finance/receivables/"})
    assert wrong.status_code == 200 and not TOTPDevice.objects.get(pk=device.pk).confirmed
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0,  # django-otp throttles retries
                                                   throttling_failure_timestamp=None)
    device.refresh_from_db()
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    done = client.post("/account/second-factor/", {"token": code, "next": "https://evil.example/"})
    assert done.status_code == 302 and not done["Location"].startswith("https://evil")
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get("/finance/receivables/").status_code == 200


def test_warehouse_does_not_need_a_second_factor(client, make_user, settings):
    settings.OMS_REQUIRE_SECOND_FACTOR = True
    client.force_login(make_user("wh", Role.WAREHOUSE))
    assert client.get("/logistics/shipments/").status_code == 200


def test_pages_carry_a_content_security_policy_and_security_headers(client, make_user):
    client.force_login(make_user("wh2", Role.WAREHOUSE))
    response = client.get("/logistics/shipments/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    scripts = policy.split("script-src")[1].split(";")[0]
    assert "unsafe-inline" not in scripts and "unsafe-eval" not in scripts
    assert response["X-Frame-Options"] == "DENY" and response["X-Content-Type-Options"] == "nosniff"
    assert "onclick=" not in response.content.decode()


def test_handover_does_not_redirect_off_site(client, make_user):
    client.force_login(make_user("wh3", Role.WAREHOUSE))
    response = client.post(reverse("logistics:handover"), {"next": "https://evil.example/phish"})
    assert response.status_code == 302 and response["Location"] == reverse("logistics:shipments")
    inside = client.post(reverse("logistics:handover"), {"next": "/logistics/shipments/?carrier=sf"})
    assert inside["Location"] == "/logistics/shipments/?carrier=sf"


def test_view_only_roles_do_not_print_labels(client, make_user):
    order = released_order([(product("SKU-L1"), 1, "10.00")])
    shipment = shipments_of(order)[0]
    shipment_pack(shipment=shipment, weight_kg="1", actor=ACTOR, verify_scan=False)
    client.force_login(make_user("cs", Role.CUSTOMER_SERVICE))
    assert client.post(reverse("logistics:labels-batch"), {"shipment": [shipment.pk]}).status_code == 403
    label = client.get(reverse("logistics:shipment-label", args=[shipment.number]))
    assert Shipment.objects.get(pk=shipment.pk).label_printed_at is None
    # The packing bench frames the label: this one response may be framed by our own pages.
    assert label["X-Frame-Options"] == "SAMEORIGIN" and "frame-ancestors 'self'" in label["Content-Security-Policy"]


def test_phone_search_without_pii_permission_is_exact_and_rate_limited(client, make_user, settings):
    # A fresh private cache (never clear() a shared Redis from a test).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "phone-search-test"}}
    order = released_order([(product("SKU-P1"), 1, "10.00")])
    client.force_login(make_user("cs2", Role.CUSTOMER_SERVICE, is_staff=True))
    url = reverse("admin:orders_order_changelist")
    assert order.number in client.get(url, {"q": order.phone}).content.decode()
    assert order.number not in client.get(url, {"q": order.phone[:7]}).content.decode()  # no partial match
    for n in range(20):
        candidate = f"{order.phone[:3]}{n:04d}{order.phone[-4:]}"
        response = client.get(url, {"q": candidate})
    assert "手机号搜索过于频繁" in response.content.decode() or "Too many phone searches" in response.content.decode()
    assert order.number not in client.get(url, {"q": order.phone}).content.decode()  # still limited


def test_outbox_admin_and_console_log_mask_phones(client, make_user):
    from logistics.notifications import ConsoleBackend, Notification
    from oms.integrations.models import OutboxMessage

    message = OutboxMessage.objects.create(kind="wms", destination="GZ01", topic="shipping_instruction",
                                           message_id="m-1", payload={"recipient": {"phone": "13812345678"}})
    from django.contrib.auth.models import Permission

    viewer = make_user("viewer", Role.WAREHOUSE, is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_outboxmessage"))
    client.force_login(viewer)
    page = client.get(reverse("admin:integrations_outboxmessage_change", args=[message.pk])).content.decode()
    assert "13812345678" not in page and "138****5678" in page

    backend = ConsoleBackend()
    backend.stream = io.StringIO()
    backend.send(Notification(kind="shipped", order_number="SO1", phone="13812345678", email="", subject="",
                              body="您的订单已发货"))
    assert "13812345678" not in backend.stream.getvalue() and "138****5678" in backend.stream.getvalue()
