"""Issue 17, finding 2 follow-up: webhook secrets bind their sender in development too, and are
encrypted at rest (senders' and outbound subscriptions'), rotated, and never shown back whole."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from core.fieldcrypto import blind_index, encrypted_table_specs, looks_encrypted, reseal_table, unseal_table
from finance.tests.factories import make_order
from oms.integrations import inbox
from oms.integrations.models import InboundEvent, WebhookSender, WebhookSubscription
from oms.integrations.signing import sign
from oms.integrations.tests.helpers import development_signature

pytestmark = pytest.mark.django_db

SHARED = "shared-development-webhook-secret-0123456789"
ALIPAY = "alipay-own-secret-0123456789abcdefghijklmn"
HOOK = "subscriber-secret-0123456789abcdefghijklmnop"
DEV_KEY = "n7c-9cXa8q1YUhvPKQmDqitEjbCKl9MqkcUG7y7EOdw="  # oms/settings.py, under DEBUG
NEW_KEY = Fernet.generate_key().decode()
NEW_INDEX_KEY = "a-new-blind-index-key-for-the-rotation-test-0123456789"


@pytest.fixture(autouse=True)
def development(settings):
    """`DJANGO_DEBUG=1` as `make run` has it: unregistered senders allowed, money from them not."""
    settings.DEBUG = True
    settings.OMS_WEBHOOK_SECRET = SHARED
    settings.OMS_WEBHOOK_REGISTERED_SENDERS_ONLY = False
    settings.OMS_WEBHOOK_UNREGISTERED_MONEY_SENDERS = False


def payment(order, event_id="evt_dev_1") -> bytes:
    return json.dumps({"event_id": event_id, "order_number": order.number, "status": "succeeded",
                       "amount": f"{order.total:.2f}", "transaction_id": f"T-{event_id}"}).encode()


def post(client, path: str, body: bytes, header: str):
    return client.post(f"/api/v1/webhooks/{path}", data=body, content_type="application/json",
                       HTTP_X_OMS_SIGNATURE=header)


def raw(table: str, column: str, pk):
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote(column)} FROM {quote(table)} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


# -- 1. the signature binds the sender in development too --------------------------------------------------------
def test_the_settings_refuse_money_from_unregistered_senders_by_default():
    from django.conf import settings

    from oms import settings as module

    assert module.OMS_WEBHOOK_UNREGISTERED_MONEY_SENDERS is False
    assert settings.OMS_WEBHOOK_UNREGISTERED_MONEY_SENDERS is False


def test_a_wms_senders_signature_is_refused_for_the_payment_endpoint_in_development(client, settings):
    order = make_order()
    body = payment(order)
    wms = development_signature("wms", "GZ01", body)
    shared = sign(body, SHARED)  # what every development partner used to hold
    for header in (wms, shared):
        assert post(client, "payments/alipay", body, header).status_code == 401
    # Even with money from unregistered senders allowed, only alipay's own derived secret pays as alipay.
    settings.OMS_WEBHOOK_UNREGISTERED_MONEY_SENDERS = True
    for header in (wms, shared, development_signature("payments", "wechat", body)):
        assert post(client, "payments/alipay", body, header).status_code == 401
    assert not InboundEvent.objects.exists()
    assert post(client, "payments/alipay", body, development_signature("payments", "alipay", body)).status_code == 200
    assert InboundEvent.objects.get().sender == "alipay"


def test_money_from_an_unregistered_sender_is_refused_in_development_unless_allowed(client, settings):
    order = make_order()
    body = payment(order)
    header = development_signature("payments", "alipay", body)
    assert post(client, "payments/alipay", body, header).status_code == 401
    WebhookSender.objects.create(kind="payments", code="alipay")  # registered, but without its own secret
    assert post(client, "payments/alipay", body, header).status_code == 401
    WebhookSender.objects.filter(code="alipay").update(active=False)
    settings.OMS_WEBHOOK_UNREGISTERED_MONEY_SENDERS = True
    assert post(client, "payments/alipay", body, header).status_code == 401  # disabled stays disabled
    WebhookSender.objects.all().delete()
    # A registered sender with its own secret is what pays, development or not.
    WebhookSender.objects.create(kind="payments", code="alipay", secret=ALIPAY)
    settings.OMS_WEBHOOK_UNREGISTERED_MONEY_SENDERS = False
    assert post(client, "payments/alipay", body, header).status_code == 401  # its own secret replaced the derived one
    assert post(client, "payments/alipay", body, sign(body, ALIPAY)).status_code == 200


def test_a_wms_senders_secret_verifies_for_that_warehouse_alone(client):
    from logistics.tests.factories import wms_warehouse

    wms_warehouse("GZ01")
    wms_warehouse("BJ01")
    body = b'{"event_id": "w1", "order_number": "SO-NONE", "event": "picked"}'
    gz = development_signature("wms", "GZ01", body)
    assert post(client, "wms/GZ01", body, gz).status_code == 404  # signature good: on to the unknown order
    assert post(client, "wms/BJ01", body, gz).status_code == 401
    assert post(client, "carriers/sf", body, gz).status_code == 401
    assert post(client, "wms/GZ01", body, sign(body, SHARED)).status_code == 401


def test_the_development_secret_is_the_documented_recipe():
    import hashlib
    import hmac

    expected = hmac.new(SHARED.encode(), b"wms/GZ01", hashlib.sha256).hexdigest()
    assert inbox.development_secret("wms", "GZ01") == expected
    assert len({inbox.development_secret(k, s) for k, s in [("wms", "GZ01"), ("payments", "GZ01"),
                                                             ("wms", "BJ01"), ("carriers", "sf")]}) == 4


def test_the_command_prints_a_senders_development_secret_and_refuses_in_production(settings):
    out = StringIO()
    call_command("webhook_dev_secret", "wms", "GZ01", stdout=out)
    assert out.getvalue().strip() == inbox.development_secret("wms", "GZ01")
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="payment"):
        call_command("webhook_dev_secret", "payments", "alipay", stdout=StringIO())
    settings.OMS_WEBHOOK_REGISTERED_SENDERS_ONLY = True
    with pytest.raises(CommandError, match="registered"):
        call_command("webhook_dev_secret", "wms", "GZ01", stdout=StringIO())


# -- 2. secrets encrypted at rest ---------------------------------------------------------------------------------
def test_sender_and_subscription_secrets_are_ciphertext_in_the_tables():
    sender = WebhookSender.objects.create(kind="payments", code="alipay", secret=ALIPAY)
    hook = WebhookSubscription.objects.create(name="ERP", url="https://erp.example.com/hook", secret=HOOK,
                                              events=["order.paid"])
    stored_sender = raw("integrations_webhooksender", "secret", sender.pk)
    stored_hook = raw("integrations_webhooksubscription", "secret", hook.pk)
    for stored, secret in ((stored_sender, ALIPAY), (stored_hook, HOOK)):
        assert looks_encrypted(stored) and secret not in stored
    index = raw("integrations_webhooksender", "secret_index", sender.pk)
    assert index == blind_index("secret", ALIPAY) and ALIPAY not in index
    assert WebhookSender.objects.get(pk=sender.pk).secret == ALIPAY
    assert WebhookSubscription.objects.get(pk=hook.pk).secret == HOOK
    # The history of a sender keeps neither the secret nor its hash.
    history_columns = {f.name for f in WebhookSender.history.model._meta.fields}
    assert not {"secret", "secret_index"} & history_columns


def test_two_senders_still_cannot_share_a_secret_through_the_index():
    from django.db import IntegrityError, transaction

    WebhookSender.objects.create(kind="payments", code="alipay", secret=ALIPAY)
    WebhookSender.objects.create(kind="payments", code="wechat")
    WebhookSender.objects.create(kind="wms", code="BJ01")  # several without a secret are fine
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookSender.objects.create(kind="wms", code="GZ01", secret=ALIPAY)


def test_rotation_re_encrypts_the_secrets_and_rebuilds_their_index():
    sender = WebhookSender.objects.create(kind="payments", code="alipay", secret=ALIPAY)
    hook = WebhookSubscription.objects.create(name="ERP", url="https://erp.example.com/hook", secret=HOOK)
    out = StringIO()
    with override_settings(OMS_FIELD_ENCRYPTION_KEYS=[NEW_KEY, DEV_KEY], OMS_BLIND_INDEX_KEY=NEW_INDEX_KEY):
        call_command("rotate_field_keys", stdout=out)
        assert raw("integrations_webhooksender", "secret_index", sender.pk) == blind_index("secret", ALIPAY)
    assert "integrations_webhooksender: done, 1 rows read, 1 rewritten" in out.getvalue()
    assert "integrations_webhooksubscription: done, 1 rows read, 1 rewritten" in out.getvalue()
    with override_settings(OMS_FIELD_ENCRYPTION_KEYS=[NEW_KEY]):  # the old key is gone
        new = Fernet(NEW_KEY.encode())
        assert new.decrypt(raw("integrations_webhooksender", "secret", sender.pk).encode()).decode() == ALIPAY
        assert new.decrypt(raw("integrations_webhooksubscription", "secret", hook.pk).encode()).decode() == HOOK
        assert WebhookSender.objects.get(pk=sender.pk).secret == ALIPAY


def test_the_data_migration_encrypts_plain_secrets_and_reverses():
    sender = WebhookSender.objects.create(kind="payments", code="alipay", secret=ALIPAY)
    hook = WebhookSubscription.objects.create(name="ERP", url="https://erp.example.com/hook", secret=HOOK)
    specs = encrypted_table_specs([WebhookSender, WebhookSubscription])
    for spec in specs:  # backwards: the plain columns the schema before 0013 had
        unseal_table(connection, **spec)
    assert raw("integrations_webhooksender", "secret", sender.pk) == ALIPAY
    assert raw("integrations_webhooksubscription", "secret", hook.pk) == HOOK
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {quote('integrations_webhooksender')} SET secret_index = ''")
    for spec in specs:  # forwards again
        reseal_table(connection, **spec)
    assert looks_encrypted(raw("integrations_webhooksender", "secret", sender.pk))
    assert looks_encrypted(raw("integrations_webhooksubscription", "secret", hook.pk))
    assert raw("integrations_webhooksender", "secret_index", sender.pk) == blind_index("secret", ALIPAY)


def test_the_data_migration_walks_the_same_tables_as_the_rotation():
    from django.apps import apps
    from django.db.migrations.executor import MigrationExecutor

    state = MigrationExecutor(connection).loader.project_state([("integrations", "0014_encrypt_webhook_secrets")])
    names = [("integrations", "webhooksender"), ("integrations", "webhooksubscription")]
    then = encrypted_table_specs(state.apps.get_model(*name) for name in names)
    assert then == encrypted_table_specs(apps.get_model(*name) for name in names)
    assert {spec["table"] for spec in then} == {"integrations_webhooksender", "integrations_webhooksubscription"}


# -- 3. the admin never shows a secret back -----------------------------------------------------------------------
def test_the_admin_never_shows_a_stored_secret(admin_client):
    sender = WebhookSender.objects.create(kind="payments", code="alipay", secret=ALIPAY)
    hook = WebhookSubscription.objects.create(name="ERP", url="https://erp.example.com/hook", secret=HOOK,
                                              events=["order.paid"])
    pages = [f"/admin/integrations/webhooksender/{sender.pk}/change/", "/admin/integrations/webhooksender/",
             f"/admin/integrations/webhooksender/{sender.pk}/history/",
             f"/admin/integrations/webhooksubscription/{hook.pk}/change/", "/admin/integrations/webhooksubscription/"]
    for url in pages:
        page = admin_client.get(url).content.decode()
        assert ALIPAY not in page and HOOK not in page, url
        assert ALIPAY[:-4] not in page and HOOK[:-4] not in page, url
    assert "••••••" + ALIPAY[-4:] in admin_client.get(pages[0]).content.decode()  # masked: there is one


def test_the_admin_refuses_a_secret_another_sender_holds_through_the_index():
    from oms.integrations.admin import WebhookSenderForm

    WebhookSender.objects.create(kind="wms", code="GZ01", secret=ALIPAY)
    form = WebhookSenderForm(data={"kind": "payments", "code": "alipay", "active": "on", "secret": ALIPAY})
    assert not form.is_valid() and "secret" in form.errors
