"""Encrypt the phones, e-mails and street addresses already stored, and fill their search columns.

Batched raw SQL (core.fieldcrypto.reseal_table), one transaction per batch, so a large table neither
holds one long transaction nor loads into memory; a run stopped half-way is simply run again.
"""

from django.db import migrations

MODELS = ['Customer', 'HistoricalCustomer', 'Order', 'HistoricalOrder']


def encrypt_rows(apps, schema_editor):
    from core.fieldcrypto import encrypted_table_specs, reseal_table

    for spec in encrypted_table_specs(apps.get_model("orders", name) for name in MODELS):
        reseal_table(schema_editor.connection, **spec)


def decrypt_rows(apps, schema_editor):
    from core.fieldcrypto import encrypted_table_specs, unseal_table

    for spec in encrypted_table_specs(apps.get_model("orders", name) for name in MODELS):
        unseal_table(schema_editor.connection, **spec)


class Migration(migrations.Migration):
    atomic = False  # each batch commits on its own (see reseal_table)

    dependencies = [("orders", "0005_encrypt_personal_data_schema")]

    operations = [migrations.RunPython(encrypt_rows, decrypt_rows, elidable=False)]
