"""Encrypt the webhook senders' and outbound subscriptions' secrets already stored, and fill the
senders' secret hashes (their uniqueness now holds on the hash). Batched as 0011 (core.fieldcrypto
.reseal_table); backwards, the secrets are decrypted again (keep the keys until then)."""

from django.db import migrations

from core.fieldcrypto import reseal_models_operation


class Migration(migrations.Migration):
    atomic = False  # each batch commits on its own (see reseal_table)

    dependencies = [("integrations", "0013_encrypt_webhook_secrets_schema")]

    operations = [reseal_models_operation("integrations", "WebhookSender", "WebhookSubscription")]
