"""Encrypt the cell values and messages of the import problems already stored (rejected rows'
phones and streets). Batched raw SQL (core.fieldcrypto.reseal_table), one transaction per batch;
a run stopped half-way is simply run again. Backwards, the values are decrypted again.
"""

from django.db import migrations


def encrypt_rows(apps, schema_editor):
    from core.fieldcrypto import reseal_table, table_spec

    reseal_table(schema_editor.connection, **table_spec(apps.get_model("imports", "ImportIssue")))


def decrypt_rows(apps, schema_editor):
    from core.fieldcrypto import table_spec, unseal_table

    unseal_table(schema_editor.connection, **table_spec(apps.get_model("imports", "ImportIssue")))


class Migration(migrations.Migration):
    atomic = False  # each batch commits on its own (see reseal_table)

    dependencies = [("imports", "0004_encrypt_import_issue_values_schema")]

    operations = [migrations.RunPython(encrypt_rows, decrypt_rows, elidable=False)]
