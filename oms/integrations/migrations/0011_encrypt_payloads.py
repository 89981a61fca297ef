"""Encrypt the webhook payloads (inbound events, outbox messages) already stored: they carry
recipients' names, phones and addresses. Batched as orders' 0006 (core.fieldcrypto.reseal_table)."""

from django.db import migrations

from core.fieldcrypto import reseal_models_operation


class Migration(migrations.Migration):
    atomic = False  # each batch commits on its own (see reseal_table)

    dependencies = [("integrations", "0010_encrypt_payloads_schema")]

    operations = [reseal_models_operation("integrations", "InboundEvent", "OutboxMessage")]
