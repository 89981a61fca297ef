"""Encrypt the webhook senders' and outbound subscriptions' secrets already stored, and fill the
senders' secret hashes (their uniqueness now holds on the hash). Batched as 0011 (core.fieldcrypto
.reseal_table); backwards, the secrets are decrypted again (keep the keys until then)."""

from django.db import migrations

MODELS = ['WebhookSender', 'WebhookSubscription']


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

    dependencies = [("integrations", "0013_encrypt_webhook_secrets_schema")]

    operations = [migrations.RunPython(encrypt_rows, decrypt_rows, elidable=False)]
