"""Every timeline kind that any module writes has a name (`orders.events.register_timeline_kinds`).

Two checks: each stage's `…EventKind` class is fully named once the apps are ready, and (AST scan of
the production code) every `kind=` handed to a timeline writer is a constant of such a class or a
variable — never a bare string that no class declares.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from orders.events import KIND_LABELS, kind_label, register_timeline_kinds

ROOT = Path(__file__).resolve().parent.parent
WRITERS = {"record_event", "build_event", "event_row", "record_return_event", "record_event_rows"}
SKIP_PARTS = {"tests", "migrations", ".venv", "bench", "scripts", "static"}


def _kind_classes() -> list[type]:
    found = []
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.events")
        except ModuleNotFoundError:
            continue
        found += [value for name, value in vars(module).items()
                  if isinstance(value, type) and name.endswith("EventKind") and value.__module__ == module.__name__]
    return found


def test_every_declared_kind_has_a_chinese_name():
    classes = _kind_classes()
    assert {c.__name__ for c in classes} >= {"EventKind", "StockEventKind", "FinanceEventKind",
                                              "LogisticsEventKind", "AftersalesEventKind"}
    for kinds in classes:
        declared = {value for name, value in vars(kinds).items() if name.isupper()}
        assert declared <= set(KIND_LABELS), (kinds.__name__, declared - set(KIND_LABELS))
        for kind in declared:
            name = kind_label(kind)
            assert name and not name.isascii(), (kind, name)  # zh-hans by default: no raw code, no English


def test_every_kind_written_is_a_declared_constant():
    bare = []
    for path in ROOT.rglob("*.py"):
        if SKIP_PARTS & set(path.relative_to(ROOT).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in WRITERS:
                continue
            for keyword in node.keywords:
                if keyword.arg == "kind" and isinstance(keyword.value, ast.Constant):
                    bare.append(f"{path.relative_to(ROOT)}:{node.lineno} kind={keyword.value.value!r}")
    assert bare == [], "write kinds through a stage's …EventKind constant:\n" + "\n".join(bare)


def test_a_stage_must_name_every_kind_it_declares_and_cannot_rename_anothers():
    class NewKind:
        ONE = "new_one"
        TWO = "new_two"

    with pytest.raises(ImproperlyConfigured, match="without a label"):
        register_timeline_kinds(NewKind, {NewKind.ONE: "一"})

    class Clash:
        CREATED = "created"

    with pytest.raises(ImproperlyConfigured, match="named twice"):
        register_timeline_kinds(Clash, {Clash.CREATED: "别的名字"})
    assert "new_one" not in KIND_LABELS
