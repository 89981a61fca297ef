"""Encrypt the webhook payloads (inbound events, outbox messages) already stored: they carry
recipients' names, phones and addresses. Batched as orders' 0006 (core.fieldcrypto.reseal_table)."""

from django.db import migrations

MODELS = ['InboundEvent', 'OutboxMessage']


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

    dependencies = [("integrations", "0010_encrypt_payloads_schema")]

    operations = [migrations.RunPython(encrypt_rows, decrypt_rows, elidable=False)]
