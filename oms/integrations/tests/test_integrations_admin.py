"""The integration screens open, keep secrets write-only, and their actions call the services."""

import pytest
from django.urls import reverse

from core.actors import SYSTEM
from oms.integrations.connectors.fake_douyin import FakeDouyin
from oms.integrations.models import ChannelConnector, SyncRun, VoucherExport, WebhookSubscription
from orders.models import Channel
from orders.tests.factories import create_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client, make_user):
    client.force_login(make_user("boss", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def platform():
    fake = FakeDouyin()
    fake.url = fake.serve()
    yield fake
    fake.stop()


PAGES = ["channelconnector", "syncrun", "platformorderlink", "webhooksubscription", "webhookdelivery", "deadletter",
         "crmendpoint", "smsgateway", "voucherexport"]


@pytest.mark.parametrize("model", PAGES)
def test_lists_and_add_forms_open(admin_client_, model):
    assert admin_client_.get(reverse(f"admin:integrations_{model}_changelist")).status_code == 200


def test_secrets_are_never_sent_back(admin_client_):
    subscription = WebhookSubscription.objects.create(name="CRM", url="https://crm.example.com/h",
                                                      secret="very-secret-1234", events=["order.created"])
    page = admin_client_.get(reverse("admin:integrations_webhooksubscription_change", args=[subscription.pk]))
    text = page.content.decode()
    assert "very-secret-1234" not in text and "1234" in text
    response = admin_client_.post(reverse("admin:integrations_webhooksubscription_change", args=[subscription.pk]), {
        "name": "CRM", "url": "https://crm.example.com/h2", "secret": "", "events": ["order.created", "order.paid"],
        "version": "1", "timeout_seconds": "10", "active": "on"})
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.secret == "very-secret-1234" and subscription.events == ["order.created", "order.paid"]


def test_pull_action_and_retry_button(admin_client_, platform):
    connector = ChannelConnector.objects.create(
        channel=Channel.objects.get(code="douyin"), code="dy", platform="douyin", base_url=platform.url,
        app_key=platform.app_key, app_secret=platform.app_secret, requests_per_second=50)
    page = admin_client_.get(reverse("admin:integrations_channelconnector_change", args=[connector.pk]))
    assert platform.app_secret not in page.content.decode() and 'value="douyin"' in page.content.decode()
    response = admin_client_.post(reverse("admin:integrations_channelconnector_changelist"),
                                  {"action": "pull_now", "_selected_action": [connector.pk]}, follow=True)
    assert response.status_code == 200 and SyncRun.objects.count() == 1
    run = SyncRun.objects.get()
    admin_client_.post(reverse("admin:integrations_syncrun_changelist"),
                       {"action": "retry", "_selected_action": [run.pk]}, follow=True)
    assert SyncRun.objects.filter(retry_of=run).count() == 1
    assert admin_client_.get(reverse("admin:integrations_syncrun_change", args=[run.pk])).status_code == 200


def test_voucher_export_from_the_admin_and_download(admin_client_):
    create_order(actor=SYSTEM)
    from django.utils import timezone

    response = admin_client_.post(reverse("admin:integrations_voucherexport_add"), {
        "period": "month", "day": timezone.localdate().isoformat(), "file_format": "csv"}, follow=True)
    assert response.status_code == 200
    export = VoucherExport.objects.get()
    download = admin_client_.get(reverse("admin:integrations_voucherexport_download", args=[export.pk]))
    assert download.status_code == 200 and download.content.decode("utf-8-sig").startswith("日期,凭证字,凭证号")
