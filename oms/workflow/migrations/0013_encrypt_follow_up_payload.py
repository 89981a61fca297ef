"""Encrypt the payloads of the follow-ups already stored (a notification's phone and e-mail).

Batched raw SQL (core.fieldcrypto.reseal_table), one transaction per batch; a run stopped half-way
is simply run again. Backwards, the payloads are decrypted again (keep the keys until then).
"""

from django.db import migrations


def encrypt_rows(apps, schema_editor):
    from core.fieldcrypto import reseal_table, table_spec

    reseal_table(schema_editor.connection, **table_spec(apps.get_model("workflow", "FollowUp")))


def decrypt_rows(apps, schema_editor):
    from core.fieldcrypto import table_spec, unseal_table

    unseal_table(schema_editor.connection, **table_spec(apps.get_model("workflow", "FollowUp")))


class Migration(migrations.Migration):
    atomic = False  # each batch commits on its own (see reseal_table)

    dependencies = [("workflow", "0012_encrypt_follow_up_payload_schema")]

    operations = [migrations.RunPython(encrypt_rows, decrypt_rows, elidable=False)]
