"""Migration operations for tables that are written all day (orders, shipments).

`AddIndexWithoutBlockingWrites`: `CREATE INDEX CONCURRENTLY` on PostgreSQL, so a deploy's `migrate`
adding an index to the orders table does not stop order intake while the index builds (a plain
CREATE INDEX holds off every insert and update for the whole build: seconds at a few million
orders). Elsewhere (SQLite, development and the test suite) a plain `AddIndex`. The migration
using it must say `atomic = False`, as PostgreSQL refuses CONCURRENTLY inside a transaction.
"""

from __future__ import annotations

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db.migrations import AddIndex


class AddIndexWithoutBlockingWrites(AddIndexConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)
