"""Each stage owns its tables: only its own modules write them (DESIGN.md, "Each stage owns its tables").

A static scan of every module outside the tests (AST, so comments and docstrings do not count):
a module writes a table when it

- calls a writing method on the model's manager or a queryset of it (`Order.objects.create`,
  `OrderLine.objects.filter(…).update`, `bulk_create`, `delete`, `get_or_create`, …);
- constructs an instance of the model (`OrderEvent(...)`: built to be saved);
- hands the model to the bulk machinery of `core.bulk` (`insert_rows(Order, …)`, `prepare_history`, …)
  or to simple_history's `bulk_create_with_history` / `bulk_update_with_history`;
- saves an instance naming fields only that model's app has (`order.save(update_fields=["hold_reasons"])`);
- names the table in SQL that writes (`INSERT INTO orders_order`, `UPDATE "orders_orderline"`, …).

Each stage's tables (its models and their simple_history tables) may be written only by modules
inside the stage's folder. Everything else goes through the stage's services or event writers
(`orders.services.bulk` for the legacy import, `orders.events.record_event_rows` for a batch
reservation's timeline). The allow-list is the stage itself; `KNOWN` lists what another change
of the same issue removes (a stale entry is reported as a warning, so the list shrinks to nothing).
"""

from __future__ import annotations

import ast
import re
import warnings
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
# The stages, by app label, and the folder that owns their tables.
STAGES = {"catalog": "catalog", "orders": "orders", "inventory": "inventory", "finance": "finance",
          "logistics": "logistics", "aftersales": "aftersales"}
SKIP_PARTS = {"tests", "migrations", ".venv", "node_modules", "bench", "scripts", "static", "media"}
MANAGER_WRITES = {"create", "bulk_create", "update", "delete", "get_or_create", "update_or_create", "bulk_update"}
BULK_WRITES = {"insert_rows", "insert_objects", "prepare_rows", "prepare_objects", "insert_history",
               "prepare_history", "update_rows", "update_values", "reserve_ids", "bulk_create_with_history",
               "bulk_update_with_history"}
WRITE_SQL = re.compile(r"\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM|COPY)\s+[\"`]?(\w+)", re.IGNORECASE)

# Writes that issue 14's other change (item 5: hold reasons written by an orders service) removes.
KNOWN: set[tuple[str, str]] = set()
# Not a production path: `manage.py demo_data` seeds the demo catalogue (the catalog has no writer service).
SEED_DATA = {
    ("oms/workflow/demo.py", "catalog"),
}


def _models_by_label() -> dict[str, list]:
    found: dict[str, list] = {label: [] for label in STAGES}
    for model in apps.get_models():
        label = model._meta.app_label
        if label in STAGES:
            found[label].append(model)
    return found


def _stage_facts():
    models = _models_by_label()
    owner_of_class = {}  # (module, class name) → label
    tables = {}  # table name → label
    fields_of: dict[str, set] = {}  # field name → labels of the apps whose models have it
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            for name in {field.name, field.attname}:
                fields_of.setdefault(name, set()).add(model._meta.app_label)
    for label, stage_models in models.items():
        for model in stage_models:
            tables[model._meta.db_table] = label
            if not model.__name__.startswith("Historical"):
                owner_of_class[(model.__module__, model.__name__)] = label
    exclusive = {name: next(iter(labels)) for name, labels in fields_of.items()
                 if len(labels) == 1 and next(iter(labels)) in STAGES}
    return owner_of_class, tables, exclusive


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if SKIP_PARTS.intersection(rel.parts) or rel.name == "conftest.py":
            continue
        yield rel


def _owner_folder(label: str) -> str:
    return STAGES[label] + "/"


def _writes(rel: Path, owner_of_class, tables, exclusive) -> list[tuple[str, int, str]]:
    """(stage label, line, what) for every write to a stage's table in one module."""
    tree = ast.parse((ROOT / rel).read_text(encoding="utf-8"), filename=str(rel))
    names: dict[str, str] = {}  # local name → label of the stage whose model it is
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                label = owner_of_class.get((node.module, alias.name))
                if label:
                    names[alias.asname or alias.name] = label

    def model_label(expr) -> str | None:
        if isinstance(expr, ast.Name):
            return names.get(expr.id)
        # Model.history.model: the simple_history table
        if isinstance(expr, ast.Attribute) and expr.attr == "model" and isinstance(expr.value, ast.Attribute) \
                and expr.value.attr == "history":
            return model_label(expr.value.value)
        return None

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in MANAGER_WRITES:
                inner = func.value
                while isinstance(inner, (ast.Call, ast.Attribute)):
                    if isinstance(inner, ast.Attribute) and inner.attr in ("objects", "history"):
                        label = model_label(inner.value)
                        if label:
                            found.append((label, node.lineno, f"{ast.unparse(inner.value)}.{inner.attr}…"
                                                              f".{func.attr}()"))
                        break
                    inner = inner.func if isinstance(inner, ast.Call) else inner.value
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in BULK_WRITES and node.args and (label := model_label(node.args[0])):
                found.append((label, node.lineno, f"{name}({ast.unparse(node.args[0])})"))
            if isinstance(func, ast.Name) and func.id in names:
                found.append((names[func.id], node.lineno, f"{func.id}(…) built"))
            if isinstance(func, ast.Attribute) and func.attr == "save":
                for keyword in node.keywords:
                    if keyword.arg == "update_fields" and isinstance(keyword.value, (ast.List, ast.Tuple)):
                        fields = [e.value for e in keyword.value.elts if isinstance(e, ast.Constant)]
                        labels = {exclusive[f] for f in fields if f in exclusive}
                        for label in labels:
                            found.append((label, node.lineno, f"save(update_fields={fields})"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            for match in WRITE_SQL.finditer(node.value):
                label = tables.get(match.group(2))
                if label:
                    found.append((label, node.lineno, f"SQL {match.group(0)!r}"))
    return found


@pytest.fixture(scope="module")
def violations():
    facts = _stage_facts()
    result = {}
    for rel in _modules():
        for label, line, what in _writes(rel, *facts):
            if not str(rel).startswith(_owner_folder(label)):
                result.setdefault((str(rel), label), []).append(f"{rel}:{line}: {what}")
    return result


def test_only_a_stage_writes_its_tables(violations):
    unexpected = [line for key, lines in sorted(violations.items()) if key not in KNOWN | SEED_DATA
                  for line in lines]
    assert unexpected == [], (
        "These modules write another stage's tables; call that stage's service (or add a bulk one there):\n"
        + "\n".join(unexpected))


def test_the_known_exceptions_are_still_there(violations):
    """A fixed exception is reported (not failed: the change that fixes it merges separately)."""
    stale = sorted(KNOWN - set(violations))
    if stale:
        warnings.warn(f"fixed, so remove them from KNOWN in {__file__}: {stale}", stacklevel=1)


def test_the_scan_sees_each_kind_of_write(tmp_path, monkeypatch):
    """The scanner itself: every pattern above is caught in a module outside the orders stage."""
    module = ROOT / "oms" / "_ownership_probe.py"
    module.write_text(
        "from core.bulk import insert_rows, prepare_history\n"
        "from orders.models import Order, OrderEvent as Event, OrderLine\n"
        "def f(order, rows, cursor):\n"
        "    Order.objects.filter(pk=1).update(note='x')\n"
        "    OrderLine.objects.bulk_create([])\n"
        "    insert_rows(Event, rows)\n"
        "    prepare_history(Order, rows, when=None, user_id=None)\n"
        "    Event(order=order, kind='x')\n"
        "    order.save(update_fields=['hold_reasons', 'updated_at'])\n"
        "    cursor.execute('UPDATE orders_orderline SET quantity_shipped = 0')\n",
        encoding="utf-8")
    try:
        found = _writes(module.relative_to(ROOT), *_stage_facts())
    finally:
        module.unlink()
    assert sorted((label, line) for label, line, _what in found) == [
        ("orders", 4), ("orders", 5), ("orders", 6), ("orders", 7), ("orders", 8), ("orders", 9), ("orders", 10)]


# -- the speed machinery, each behind one owner ------------------------------------------------------
# Plain SQL and the bulk writers skip the ORM; each is kept in one place, with a test comparing it to
# the ORM's result (core/tests/test_bulk_matches_orm.py, orders/tests/test_lock_order_matches_orm.py,
# inventory/tests/test_allocation_sql_matches_orm.py), and used only by its owner's writers.
RAW_SQL_MODULES = {
    "core/bulk.py",  # multi-row INSERT / COPY / UPDATE from arrays, id blocks
    "orders/lock_objects.py",  # lock_order
    "inventory/allocation_sql.py",  # the reservation hot path's reads
    "oms/imports/services/writing.py",  # ANALYZE after bulk loading, the planner's row estimate (no data)
    "oms/api/views.py",  # the health check's SELECT 1
    "core/numbering.py",  # a sequence's UPDATE … RETURNING: one round trip per number (the intake's budget)
    # the rollups' INSERT … SELECT into the reports' own tables (the set-based rebuild); fenced by the
    # hand-computed figures, the journal reconciliation and rebuild == refresh (oms/reports/tests/test_rollups.py)
    "oms/reports/rollups.py",
    "core/backup.py",  # backup/restore: read-only checksums of every table, a snapshot shared with pg_dump
    # Re-encryption of personal data in primary-key batches (data migrations, rotate_field_keys): the
    # ORM would decrypt with any key and could not tell which rows an old key wrote
    # (core/tests/test_field_encryption.py reads the rows back raw and through the ORM).
    "core/fieldcrypto.py",
}
# Who may call the bulk writers: a stage's writers (its services and timeline writers), the import's
# writer for its own records.
BULK_USERS = re.compile(r"^((oms/)?\w+/services/|(oms/)?\w+/services\.py$|\w+/events\.py$|oms/imports/services/"
                        r"|oms/workflow/follow_ups\.py$)")  # the follow-ups write their own rows in bulk
SQL_CALLS = {"raw", "execute", "executemany", "cursor"}
# `write_pipeline` only batches the round trips of ORM writes (the order intake, its follow-ups).
PIPELINING = {"core.bulk.write_pipeline"}


def _imports_of(tree) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_plain_sql_lives_in_its_few_owners_only():
    offenders = []
    for rel in _modules():
        tree = ast.parse((ROOT / rel).read_text(encoding="utf-8"))
        calls = sorted({node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
                        and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS
                        and not (node.func.attr == "execute" and not node.args)})
        if calls and str(rel) not in RAW_SQL_MODULES:
            offenders.append(f"{rel}: lines {calls}")
    assert offenders == [], "Plain SQL outside its owners (use the ORM, or the owner's function):\n" + "\n".join(
        offenders)


def test_the_bulk_writers_and_the_allocation_sql_are_used_by_their_owners_only():
    offenders = []
    for rel in _modules():
        imported = _imports_of(ast.parse((ROOT / rel).read_text(encoding="utf-8")))
        bulk = {name for name in imported if name == "core.bulk" or name.startswith("core.bulk.")}
        if bulk and (bulk - PIPELINING - {"core.bulk"} or bulk == {"core.bulk"}) \
                and not BULK_USERS.match(str(rel)) and str(rel) != "core/bulk.py":
            offenders.append(f"{rel} uses core.bulk")
        if any(name.startswith("inventory.allocation_sql") for name in imported) and not str(rel).startswith(
                "inventory/"):
            offenders.append(f"{rel} uses inventory.allocation_sql")
    assert offenders == [], "\n".join(offenders)
