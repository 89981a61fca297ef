"""Encrypt the credentials already stored in plain text: outbound endpoints' secrets, channel
connectors' app secret and access token, CRM token and secret, SMS gateway key secret. Batched as
0014 (core.fieldcrypto.reseal_table); backwards, they are decrypted again (keep the keys until then)."""

from django.db import migrations

MODELS = ['OutboundEndpoint', 'ChannelConnector', 'CrmEndpoint', 'SmsGateway']


def encrypt_rows(apps, schema_editor):
    from core.fieldcrypto import encrypted_table_specs, reseal_table

    for spec in encrypted_table_specs(apps.get_model("integrations", name) for name in MODELS):
        reseal_table(schema_editor.connection, **spec)


def decrypt_rows(apps, schema_editor):
    from core.fieldcrypto import encrypted_table_specs, unseal_table

    for spec in encrypted_table_specs(apps.get_model("integrations", name) for name in MODELS):
        unseal_table(schema_editor.connection, **spec)


class Migration(migrations.Migration):
    atomic = False  # each batch commits on its own (see reseal_table)

    dependencies = [("integrations", "0015_encrypt_integration_credentials_schema")]

    operations = [migrations.RunPython(encrypt_rows, decrypt_rows, elidable=False)]
