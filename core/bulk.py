"""Multi-row writes for hot paths (the legacy import, stock reservations), without the ORM's
per-value compilation.

`QuerySet.bulk_create` compiles its INSERT value by value (pre_save, get_db_prep_save and
placeholder SQL for each value of each object), and building a model instance costs more again; an
imported order line carries about 40 values across orders, lines, events, audit history and import
records, so that compilation capped the import (figures: bench/README.md, "Why the speed machinery
exists"). Here the column list and each column's adapter are worked out once per call, and the rows go to the
database in one go: `executemany` on SQLite (a C loop in the sqlite3 module), `COPY … FROM STDIN`
on PostgreSQL (one round trip instead of one per row; a multi-row INSERT for a handful of rows).

Values are adapted exactly as Django adapts them (`connection.ops.adapt_*`, and the field's own
`get_db_prep_save` for JSON and anything unusual); columns a row does not name take the model's
defaults (`auto_now` included), evaluated once per call — so a batch shares one `created_at`. The
rows read back through the ORM as if `bulk_create` wrote them, and are the rows
`Model.objects.create` and simple_history write (`core/tests/test_bulk_matches_orm.py` compares
them column by column, so an upgrade of either fails a test).
Model signals are not sent; neither does `bulk_create` send them.

`update_rows` is the matching UPDATE: the given columns of rows the caller already holds (and has
locked where people race), by primary key.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from operator import attrgetter, itemgetter

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.operations import BaseDatabaseOperations

from core.fieldcrypto import DerivedSearchField

_PLAIN = {
    "AutoField", "BigAutoField", "SmallAutoField", "BigIntegerField", "BooleanField", "CharField", "EmailField",
    "ForeignKey", "IntegerField", "OneToOneField", "PositiveBigIntegerField", "PositiveIntegerField",
    "PositiveSmallIntegerField", "SlugField", "SmallIntegerField", "TextField",
}
_AUTO = {"AutoField", "BigAutoField", "SmallAutoField"}
COPY_FROM = 50  # rows; fewer go as one INSERT on PostgreSQL
UPDATE_FROM_VALUES = 50  # rows; from this many, one UPDATE … FROM unnest(arrays) on PostgreSQL
MAX_PARAMS = 60_000  # per statement (PostgreSQL's protocol allows 65,535)


def _adapter(field, connection):
    if getattr(field, "oms_encrypted", False):
        # Personal data (core/fieldcrypto.py): the field encrypts it. Its internal type says
        # TextField, which would otherwise write the plaintext as it is.
        return partial(field.get_db_prep_save, connection=connection)
    kind = field.get_internal_type()
    if kind in _PLAIN:
        return None
    ops = connection.ops
    if kind == "DateTimeField":
        return _memoised(ops.adapt_datetimefield_value)
    if kind == "DateField":
        return ops.adapt_datefield_value
    if kind == "DecimalField":
        if type(ops).adapt_decimalfield_value is BaseDatabaseOperations.adapt_decimalfield_value:
            return None  # the driver takes Decimal as it is (SQLite's adapter, psycopg)
        return partial(ops.adapt_decimalfield_value, max_digits=field.max_digits,
                       decimal_places=field.decimal_places)
    if kind == "JSONField":
        return _json(partial(field.get_db_prep_save, connection=connection))
    return partial(field.get_db_prep_save, connection=connection)


def _json(adapt):
    """JSON values; the empty list or object of most rows (hold reasons, history copies) adapted once."""
    empty = {list: adapt([]), dict: adapt({})}

    def adapted(value):
        if not value and value.__class__ in empty:
            return empty[value.__class__]
        return adapt(value)

    return adapted


def _rows_to_values(rows: list, names: list[str], adapters: list[tuple[int, object]], *, objects: bool = False,
                    tail: list | None = None) -> list[list]:
    """Each row's values of `names` (dict keys, or attributes of instances with `objects`), adapted
    where a column needs it, then `tail`: the values are picked in C, adapters run only where needed."""
    if not names:
        return [list(tail or ()) for _row in rows]
    pick = attrgetter(*names) if objects else itemgetter(*names)
    single = len(names) == 1
    tail = tail or []
    values = []
    for row in rows:
        out = [pick(row)] if single else list(pick(row))
        for index, adapt in adapters:
            out[index] = adapt(out[index])
        if tail:
            out += tail
        values.append(out)
    return values


def _memoised(adapt):
    """Rows of one batch share timestamps (created, updated, history date): adapt each once."""
    seen: dict = {}

    def adapted(value):
        try:
            return seen[value]
        except KeyError:
            result = seen[value] = adapt(value)
            return result
        except TypeError:  # unhashable: leave it to the adapter
            return adapt(value)

    return adapted


def _derive(rows: list, fields: list, *, objects: bool) -> None:
    """Fill the search columns (blind indexes, last four digits) from their source columns, as
    their fields' `pre_save` does for the ORM: a caller cannot forget them or pass stale ones."""
    for field in fields:
        if isinstance(field, DerivedSearchField):
            if objects:
                for row in rows:
                    field.pre_save(row, True)
            else:
                for row in rows:
                    row[field.attname] = field.derive(row[field.source])


def _insert_fields(model, *, with_pk: bool = False) -> list:
    return [f for f in model._meta.local_concrete_fields
            if with_pk or not (f.primary_key and f.get_internal_type() in _AUTO)]


class Prepared:
    """Rows adapted for one INSERT, ahead of the transaction that writes them (`insert_prepared`).

    Each row is a list, so a value known only inside the transaction (a customer found or created
    there) can be filled in with `set_column` without adapting the rest again.
    """

    def __init__(self, model, fields: list, values: list[list], using: str, source: list | None = None):
        self.model, self.fields, self.values, self.using = model, fields, values, using
        self.source = source  # the rows (dicts or instances) the values were taken from

    def set_column(self, attname: str, values: Iterable) -> None:
        index = next(i for i, f in enumerate(self.fields) if f.attname == attname)
        adapt = _adapter(self.fields[index], connections[self.using])
        for row, value in zip(self.values, values, strict=True):
            row[index] = value if adapt is None else adapt(value)

    def __len__(self) -> int:
        return len(self.values)


def insert_prepared(prepared: Prepared) -> None:
    _execute(prepared.model, prepared.fields, prepared.values, connections[prepared.using])


def _execute(model, fields: list, rows: list[list], connection) -> None:
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and (len(rows) < COPY_FROM or in_pipeline(connection)):
            # A few rows (one order's reservation): one multi-row INSERT is one round trip; COPY's
            # hand-shake costs two (and COPY cannot run in pipeline mode at all).
            row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
            step = max(MAX_PARAMS // len(fields), 1)
            for start in range(0, len(rows), step):
                part = rows[start:start + step]
                cursor.execute(f"INSERT INTO {table} ({columns}) VALUES " + ", ".join([row_sql] * len(part)),
                               [value for row in part for value in row])
        elif connection.vendor == "postgresql":
            # COPY streams the rows in one round trip; psycopg adapts each value as it would for INSERT.
            # The raw cursor is outside Django's error translation, hence wrap_database_errors
            # (a unique violation must arrive as django.db.IntegrityError).
            with connection.wrap_database_errors, cursor.cursor.copy(
                    f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)


def model_defaults(model) -> dict:
    """attname → default value of every concrete field, as a new instance would have them."""
    template = model()
    for field in model._meta.local_concrete_fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            field.pre_save(template, True)
    return {field.attname: getattr(template, field.attname) for field in model._meta.local_concrete_fields}


def complete_rows(model, rows: Iterable[dict]) -> list[dict]:
    """Rows (attname → value) with every other concrete field at its default."""
    defaults = model_defaults(model)
    return [{**defaults, **row} for row in rows]


def insert_rows(model, rows: list[dict], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """INSERT complete rows (see `complete_rows`); an auto primary key is left to the database."""
    if rows:
        insert_prepared(prepare_rows(model, rows, using=using))


def prepare_rows(model, rows: list[dict], *, with_pk: bool = False, using: str = DEFAULT_DB_ALIAS) -> Prepared:
    """Complete rows adapted for `insert_prepared`; `with_pk`: the rows carry their primary keys
    (taken with `reserve_ids`), otherwise the database assigns them."""
    connection = connections[using]
    fields = _insert_fields(model, with_pk=with_pk)
    _derive(rows, fields, objects=False)
    adapters = [(i, adapt) for i, f in enumerate(fields) if (adapt := _adapter(f, connection)) is not None]
    return Prepared(model, fields, _rows_to_values(rows, [f.attname for f in fields], adapters), using, rows)


def insert_objects(model, objs: Iterable, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """INSERT unsaved instances of `model`; an auto primary key is left to the database."""
    objs = list(objs)
    if not objs:
        return
    insert_prepared(prepare_objects(model, objs, using=using))
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using


def prepare_objects(model, objs: list, *, using: str = DEFAULT_DB_ALIAS) -> Prepared:
    """Unsaved instances adapted for `insert_prepared` (their auto primary keys left to the database)."""
    connection = connections[using]
    fields = _insert_fields(model)
    stamped = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    relations = [f for f in fields if f.is_relation]
    for obj in objs:
        for field in stamped:
            field.pre_save(obj, True)
        for field in relations:
            # A related object saved after it was assigned (a new lot, inserted just before its
            # ledger rows): take its id now, as `bulk_create` does.
            if getattr(obj, field.attname) is None and field.is_cached(obj):
                related = field.get_cached_value(obj)
                if related is not None:
                    setattr(obj, field.attname, related.pk)
    _derive(objs, fields, objects=True)
    adapters = [(i, adapt) for i, f in enumerate(fields) if (adapt := _adapter(f, connection)) is not None]
    return Prepared(model, fields, _rows_to_values(objs, [f.attname for f in fields], adapters, objects=True), using,
                    objs)


def insert_history(model, rows: Iterable, *, when, user_id: int | None, reason: str = "", history_type: str = "+",
                   main: Prepared | None = None, using: str = DEFAULT_DB_ALIAS) -> None:
    """django-simple-history's "created" (`+`) records of just-inserted rows or instances, or with
    `history_type="~"` the "changed" records of rows just updated in bulk.

    The rows `bulk_create_with_history` writes: every tracked field (primary key included) copied
    from the row (a dict by attname, or an instance), plus history date, type, user and reason.

    `main`: the rows' own INSERT, prepared from these very rows (`prepare_rows`/`prepare_objects`).
    Their ciphertexts and search columns are copied from it instead of being computed again: one
    encryption per personal value instead of two. (Fernet tokens differ per encryption; the
    history record of an insert shares its row's token, as `Model.save()` does, see
    `core.fieldcrypto.Sealed`, and no other row does.)
    """
    rows = list(rows)
    if rows:
        insert_prepared(prepare_history(model, rows, when=when, user_id=user_id, reason=reason,
                                        history_type=history_type, main=main, using=using))


def prepare_history(model, rows: list, *, when, user_id: int | None, reason: str = "", history_type: str = "+",
                    main: Prepared | None = None, using: str = DEFAULT_DB_ALIAS) -> Prepared:
    """`insert_history`'s records adapted for `insert_prepared` (`main`: see `insert_history`)."""
    connection = connections[using]
    history_model = model.history.model
    constants = {"history_date": when, "history_type": history_type, "history_user_id": user_id,
                 "history_change_reason": reason or None}
    # Columns copied from the rows first, then the constants: one list per row, picked in C.
    copied, fixed, tail = [], [], []
    for field in _insert_fields(history_model):
        if field.attname in constants:
            value = constants[field.attname]
            adapt = _adapter(field, connection)
            fixed.append(field)
            tail.append(adapt(value) if adapt is not None and value is not None else value)
        else:
            copied.append(field)
    reused = _reused_columns(copied, rows, main)
    adapters = [(i, adapt) for i, f in enumerate(copied)
                if i not in reused and (adapt := _adapter(f, connection)) is not None]
    objects = bool(rows) and not isinstance(rows[0], dict)
    if not objects and main is None:  # instances were derived when they were inserted (and history
        _derive(rows, copied, objects=False)  # must not write to them); so were the rows of `main`
    values = _rows_to_values(rows, [f.attname for f in copied], adapters, objects=objects, tail=tail)
    if reused:
        pairs = list(reused.items())
        for out, inserted in zip(values, main.values, strict=True):
            for index, source in pairs:
                out[index] = inserted[source]
    return Prepared(history_model, copied + fixed, values, using)


def _reused_columns(copied: list, rows: list, main: Prepared | None) -> dict[int, int]:
    """History column index -> `main` column index of the encrypted and derived values to copy."""
    if main is None:
        return {}
    if main.source is None or len(main.source) != len(rows) or any(
            a is not b for a, b in zip(main.source, rows, strict=True)):
        raise ValueError("prepare_history(main=…) must be given the Prepared of these same rows")
    at = {field.attname: index for index, field in enumerate(main.fields)}
    return {index: at[field.attname] for index, field in enumerate(copied) if field.attname in at
            and (getattr(field, "oms_encrypted", False) or isinstance(field, DerivedSearchField))}


def reserve_ids(model, count: int, *, using: str = DEFAULT_DB_ALIAS) -> list[int]:
    """`count` primary keys of `model` that no other insert will take, for rows built before the
    transaction that writes them (`prepare_rows(..., with_pk=True)`); committed at once.

    PostgreSQL: values of the column's sequence (`nextval`), as its own inserts take them. SQLite:
    Django creates auto primary keys with AUTOINCREMENT, where a new row's id is above the largest
    ever used (kept in `sqlite_sequence`); raising that mark by `count` sets a block aside.
    """
    if count < 1:
        return []
    connection = connections[using]
    table, column = model._meta.db_table, model._meta.pk.column
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [connection.ops.quote_name(table), column, count])
            return [row[0] for row in cursor.fetchall()]
        if connection.vendor != "sqlite":
            raise NotImplementedError(f"reserve_ids on {connection.vendor}")
        cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
        if "AUTOINCREMENT" not in cursor.fetchone()[0].upper():
            raise NotImplementedError(f"{table} has no AUTOINCREMENT key: ids cannot be set aside")
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        mark = cursor.fetchone()
        cursor.execute(f"SELECT max({connection.ops.quote_name(column)}) FROM {connection.ops.quote_name(table)}")
        last = max(mark[0] if mark else 0, cursor.fetchone()[0] or 0)
        if mark:
            cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [last + count, table])
        else:
            cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, last + count])
        return list(range(last + 1, last + count + 1))


def update_rows(model, field_names: list[str], objs: Iterable, *, must_exist: bool = False,
                using: str = DEFAULT_DB_ALIAS) -> None:
    """Write the given columns of these instances: one prepared `UPDATE … WHERE pk = %s`, run per row.

    `bulk_update` builds a CASE expression per column through the ORM, which cost more than the
    stock allocation it served (bench/README.md); an `executemany` of a plain UPDATE is one
    statement the driver pipelines. Rows are written in primary-key order, the order every writer
    locks in. See `update_values` for `must_exist`.
    """
    connection = connections[using]
    fields = [model._meta.get_field(name) for name in field_names]
    update_values(model, field_names, {
        obj.pk: [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] for obj in objs
    }, must_exist=must_exist, using=using)


def update_values(model, field_names: list[str], values: dict, *, must_exist: bool = False,
                  using: str = DEFAULT_DB_ALIAS) -> None:
    """`update_rows` for values the caller already has: `{pk: [value per field name]}`, as the database takes them.

    With `must_exist`, a primary key that matches no row raises `model.DoesNotExist` (and the
    caller's transaction is rolled back with it): at once, or inside a `write_pipeline` when the
    pipeline's results arrive at the end of its block, so that the check costs no round trip.
    """
    if not values:
        return
    connection = connections[using]
    fields = [model._meta.get_field(name) for name in field_names]
    rows = [[pk, *values[pk]] for pk in sorted(values)]
    cursor = connection.cursor()
    try:
        _update(cursor, connection, model, fields, rows)
    except BaseException:
        cursor.close()
        raise

    def check() -> None:
        try:
            if must_exist and cursor.rowcount != len(rows):
                raise model.DoesNotExist(
                    f"{model._meta.object_name} rows not found among {[row[0] for row in rows]}")
        finally:
            cursor.close()

    if in_pipeline(connection):
        connection._oms_pipeline_checks.append(check)  # run by write_pipeline once results are in
    else:
        check()


def _update(cursor, connection, model, fields, rows) -> None:
    quote = connection.ops.quote_name
    table, pk_column = quote(model._meta.db_table), quote(model._meta.pk.column)
    if connection.vendor == "postgresql" and len(rows) >= UPDATE_FROM_VALUES:
        # Many rows (a batch of reservations): one UPDATE from arrays, one per column. One statement
        # per row was parsed and planned thousands of times; a VALUES list of thousands of
        # placeholders was parsed by psycopg and by the server on every call (bench/README.md).
        types = [model._meta.pk.db_type(connection), *(f.db_type(connection) for f in fields)]
        arrays = ", ".join(f"%s::{t}[]" for t in types)
        names = ", ".join(["id_", *(f"v{i}" for i in range(len(fields)))])
        assignments = ", ".join(f"{quote(f.column)} = v.v{i}" for i, f in enumerate(fields))
        cursor.execute(
            f"UPDATE {table} SET {assignments} FROM unnest({arrays}) AS v({names}) "
            f"WHERE {table}.{pk_column} = v.id_",
            [list(column) for column in zip(*rows, strict=True)])
    else:
        assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
        cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {pk_column} = %s",
                           [[*row[1:], row[0]] for row in rows])


def in_pipeline(connection) -> bool:
    """Is this PostgreSQL connection in psycopg's pipeline mode (inside `write_pipeline`)?"""
    if connection.vendor != "postgresql" or connection.connection is None:
        return False
    from psycopg import pq

    return connection.connection.pgconn.pipeline_status != pq.PipelineStatus.OFF


@contextmanager
def write_pipeline(*, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Send the writes of the block to PostgreSQL without waiting for each one's answer.

    psycopg's pipeline mode: statements are queued and their results read at the end of the
    block, so a reservation's six writes cost one round trip instead of six. Errors, and the row
    checks of `update_values(must_exist=True)`, surface at the end of the block, as Django's
    exceptions. Only for writes inside a transaction whose results the block
    does not read; elsewhere (SQLite) the block runs as it is.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    outer = not in_pipeline(connection)
    if outer:
        connection._oms_pipeline_checks = []
    try:
        with connection.wrap_database_errors, connection.connection.pipeline():
            yield
    except BaseException:
        if outer:
            _run_pipeline_checks(connection, report=False)  # the block's error wins; close the cursors
        raise
    if outer:  # every result is in: row counts are known now
        _run_pipeline_checks(connection, report=True)


def _run_pipeline_checks(connection, *, report: bool) -> None:
    """Run every check `update_values` left (each closes its cursor); raise the first failure if `report`."""
    checks, connection._oms_pipeline_checks = connection._oms_pipeline_checks, []
    first = None
    for check in checks:
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - every check must run to close its cursor
            first = first or exc
    if report and first is not None:
        raise first


@contextmanager
def fewer_gc_pauses() -> Iterator[None]:
    """Run a long bulk job (the legacy import) without the cyclic GC re-scanning the whole process.

    Every hundredth young-generation pass the collector walks every object the process holds
    (Django, the app, the job's own state): a large share of the import's time (bench/README.md).
    `gc.freeze()` moves what existed before the job into the permanent generation, so those passes
    only walk what the job itself allocated; `gc.unfreeze()` hands it back afterwards. Collection
    thresholds stay as they are: raising them as well bought no more speed and let garbage cycles
    pile up (peak memory, bench/README.md). The setting is process-wide: a
    small import run inside a web request freezes that process's objects for its few milliseconds,
    which costs nothing (garbage without cycles is still freed at once; the rest after unfreezing).
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
