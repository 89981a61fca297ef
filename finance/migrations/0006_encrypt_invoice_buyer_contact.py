"""Encrypt the buyer's address/phone and bank account of the invoices already issued.

Batched raw SQL (core.fieldcrypto.reseal_table), one transaction per batch; a run stopped half-way
is simply run again. Backwards, the values are decrypted again (keep the keys until then).
"""

from django.db import migrations


def encrypt_rows(apps, schema_editor):
    from core.fieldcrypto import reseal_table, table_spec

    reseal_table(schema_editor.connection, **table_spec(apps.get_model("finance", "Invoice")))


def decrypt_rows(apps, schema_editor):
    from core.fieldcrypto import table_spec, unseal_table

    unseal_table(schema_editor.connection, **table_spec(apps.get_model("finance", "Invoice")))


class Migration(migrations.Migration):
    atomic = False  # each batch commits on its own (see reseal_table)

    dependencies = [("finance", "0005_encrypt_invoice_buyer_contact_schema")]

    operations = [migrations.RunPython(encrypt_rows, decrypt_rows, elidable=False)]
