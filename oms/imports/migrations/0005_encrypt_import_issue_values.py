"""Encrypt the cell values and messages of the import problems already stored (rejected rows'
phones and streets). Batched raw SQL (core.fieldcrypto.reseal_table), one transaction per batch;
a run stopped half-way is simply run again. Backwards, the values are decrypted again.
"""

from django.db import migrations

from core.fieldcrypto import reseal_models_operation


class Migration(migrations.Migration):
    atomic = False  # each batch commits on its own (see reseal_table)

    dependencies = [("imports", "0004_encrypt_import_issue_values_schema")]

    operations = [reseal_models_operation("imports", "ImportIssue")]
