"""Indexes added to the tables written all day are built without blocking writes (PostgreSQL).

A plain CREATE INDEX on `orders_order` holds off every order insert and update until it is built,
which a deploy's `migrate` would do while channels keep sending orders. From the migrations that
first changed those tables' indexes on (issue 15) onwards, an index added to them must use
`core.migration_operations.AddIndexWithoutBlockingWrites` in a non-atomic migration."""

import pytest
from django.db import connection
from django.db.migrations import AddIndex
from django.db.migrations.loader import MigrationLoader

from core.migration_operations import AddIndexWithoutBlockingWrites

# (app, model) written on every order, and the first migration held to the rule
HOT = {("orders", "order"): "0010", ("logistics", "shipment"): "0004"}


def test_indexes_added_to_the_order_and_shipment_tables_are_built_concurrently():
    loader = MigrationLoader(None, ignore_no_migrations=True)  # the files only, no database
    checked = 0
    for (app, name), migration in loader.disk_migrations.items():
        for operation in migration.operations:
            first = HOT.get((app, getattr(operation, "model_name_lower", "")))
            if isinstance(operation, AddIndex) and first and name >= first:
                assert isinstance(operation, AddIndexWithoutBlockingWrites), f"{app}.{name}: {operation.describe()}"
                assert migration.atomic is False, f"{app}.{name} must say atomic = False"
                checked += 1
    assert checked >= 3  # assigned_team, recipient, tracking_number


# serialized_rollback, as every transactional test here: one without it, run before them in the
# same worker, made their set-up fail on duplicate content types (the PostgreSQL suite showed 50).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_operation_builds_and_drops_an_index_on_either_database():
    from django.db import models
    from django.db.migrations.state import ProjectState

    from orders.models import Order

    index = models.Index(fields=["postal_code"], name="test_orders_postal_idx")
    operation = AddIndexWithoutBlockingWrites(model_name="order", index=index)
    before = ProjectState.from_apps(Order._meta.apps)
    after = before.clone()
    operation.state_forwards("orders", after)

    def present():
        with connection.cursor() as cursor:
            return index.name in connection.introspection.get_constraints(cursor, Order._meta.db_table)

    with connection.schema_editor(atomic=False) as editor:
        operation.database_forwards("orders", editor, before, after)
    assert present()
    with connection.schema_editor(atomic=False) as editor:
        operation.database_backwards("orders", editor, after, before)
    assert not present()
