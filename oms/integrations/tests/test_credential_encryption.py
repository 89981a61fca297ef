"""Issue 17: the integrations' credentials (outbound endpoint secret, channel connector app secret
and access token, CRM token and secret, SMS gateway key secret) are encrypted at rest, migrated from
plain rows and back, rotated with the other encrypted fields, and never shown back by the admin."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from core.fieldcrypto import encrypted_table_specs, looks_encrypted, reseal_table, unseal_table
from oms.integrations.models import ChannelConnector, CrmEndpoint, OutboundEndpoint, SmsGateway
from orders.models import Channel

pytestmark = pytest.mark.django_db

DEV_KEY = "n7c-9cXa8q1YUhvPKQmDqitEjbCKl9MqkcUG7y7EOdw="  # oms/settings.py, under DEBUG
NEW_KEY = Fernet.generate_key().decode()
ENDPOINT_SECRET = "endpoint-secret-0123456789abcdefghijklmnop"
APP_SECRET = "douyin-app-secret-0123456789abcdefghij"
ACCESS_TOKEN = "douyin-access-token-" + "x" * 480  # the longest the field takes
CRM_TOKEN = "crm-bearer-token-0123456789abcdefghijkl"
CRM_SECRET = "crm-signing-secret-0123456789abcdefghijk"
SMS_SECRET = "sms-access-key-secret-0123456789abcdefgh"

# (model, table, column, plaintext)
FIELDS = [
    (OutboundEndpoint, "integrations_outboundendpoint", "secret", ENDPOINT_SECRET),
    (ChannelConnector, "integrations_channelconnector", "app_secret", APP_SECRET),
    (ChannelConnector, "integrations_channelconnector", "access_token", ACCESS_TOKEN),
    (CrmEndpoint, "integrations_crmendpoint", "token", CRM_TOKEN),
    (CrmEndpoint, "integrations_crmendpoint", "secret", CRM_SECRET),
    (SmsGateway, "integrations_smsgateway", "access_key_secret", SMS_SECRET),
]
MODELS = [OutboundEndpoint, ChannelConnector, CrmEndpoint, SmsGateway]


def raw(table: str, column: str, pk):
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote(column)} FROM {quote(table)} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.fixture
def rows():
    endpoint = OutboundEndpoint.objects.create(kind="wms", code="GZ01", url="https://wms.example.com/in",
                                               secret=ENDPOINT_SECRET)
    connector = ChannelConnector.objects.create(
        channel=Channel.objects.get(code="douyin"), code="dy", platform="douyin", base_url="https://dy.example.com",
        app_key="K1", app_secret=APP_SECRET, access_token=ACCESS_TOKEN)
    crm = CrmEndpoint.objects.create(code="crm", url="https://crm.example.com/api", token=CRM_TOKEN, secret=CRM_SECRET)
    sms = SmsGateway.objects.create(code="default", provider="aliyun", endpoint="https://sms.example.com",
                                    access_key_id="AK1", access_key_secret=SMS_SECRET)
    return {OutboundEndpoint: endpoint, ChannelConnector: connector, CrmEndpoint: crm, SmsGateway: sms}


def test_the_credentials_are_ciphertext_in_the_tables_and_plain_to_the_code(rows):
    for model, table, column, plain in FIELDS:
        stored = raw(table, column, rows[model].pk)
        assert looks_encrypted(stored) and plain not in stored, column
        assert getattr(model.objects.get(pk=rows[model].pk), column) == plain
    # The endpoint's history keeps no copy of its secret, as the sender's does not.
    assert "secret" not in {f.name for f in OutboundEndpoint.history.model._meta.fields}


def test_the_data_migration_encrypts_plain_credentials_and_reverses(rows):
    specs = encrypted_table_specs(MODELS)
    for spec in specs:  # backwards: the plain columns the schema before 0015 had
        unseal_table(connection, **spec)
    for model, table, column, plain in FIELDS:
        assert raw(table, column, rows[model].pk) == plain
        assert getattr(model.objects.get(pk=rows[model].pk), column) == plain  # plain rows read meanwhile
    for spec in specs:  # forwards again
        reseal_table(connection, **spec)
    for model, table, column, plain in FIELDS:
        assert looks_encrypted(raw(table, column, rows[model].pk)), column
        assert getattr(model.objects.get(pk=rows[model].pk), column) == plain


def test_the_data_migration_walks_the_same_tables_as_the_rotation():
    from django.db.migrations.executor import MigrationExecutor

    state = MigrationExecutor(connection).loader.project_state(
        [("integrations", "0016_encrypt_integration_credentials")])
    then = encrypted_table_specs(state.apps.get_model("integrations", m._meta.model_name) for m in MODELS)
    assert then == encrypted_table_specs(MODELS)
    assert {(spec["table"], tuple(spec["columns"])) for spec in then} == {
        ("integrations_outboundendpoint", ("secret",)),
        ("integrations_channelconnector", ("access_token", "app_secret")),
        ("integrations_crmendpoint", ("secret", "token")),
        ("integrations_smsgateway", ("access_key_secret",))}


def test_rotation_re_encrypts_the_credentials(rows):
    out = StringIO()
    with override_settings(OMS_FIELD_ENCRYPTION_KEYS=[NEW_KEY, DEV_KEY]):
        call_command("rotate_field_keys", stdout=out)
    for table in {table for _m, table, _c, _p in FIELDS}:
        assert f"{table}: done, 1 rows read, 1 rewritten" in out.getvalue()
    with override_settings(OMS_FIELD_ENCRYPTION_KEYS=[NEW_KEY]):  # the old key is gone
        new = Fernet(NEW_KEY.encode())
        for model, table, column, plain in FIELDS:
            assert new.decrypt(raw(table, column, rows[model].pk).encode()).decode() == plain
            assert getattr(model.objects.get(pk=rows[model].pk), column) == plain


def test_the_admin_never_shows_a_stored_credential(admin_client, rows):
    pages = []
    for model in MODELS:
        name = model._meta.model_name
        pages += [f"/admin/integrations/{name}/{rows[model].pk}/change/", f"/admin/integrations/{name}/"]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        for _model, _table, _column, plain in FIELDS:
            assert plain[:-4] not in page, (url, _column)
    for model, _table, column, plain in FIELDS:  # masked: says there is one, and its last four characters
        page = admin_client.get(f"/admin/integrations/{model._meta.model_name}/{rows[model].pk}/change/")
        assert "••••••" + plain[-4:] in page.content.decode(), column
