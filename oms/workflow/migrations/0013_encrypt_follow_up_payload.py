"""Encrypt the payloads of the follow-ups already stored (a notification's phone and e-mail).

Batched raw SQL (core.fieldcrypto.reseal_table), one transaction per batch; a run stopped half-way
is simply run again. Backwards, the payloads are decrypted again (keep the keys until then).
"""

from django.db import migrations

from core.fieldcrypto import reseal_models_operation


class Migration(migrations.Migration):
    atomic = False  # each batch commits on its own (see reseal_table)

    dependencies = [("workflow", "0012_encrypt_follow_up_payload_schema")]

    operations = [reseal_models_operation("workflow", "FollowUp")]
