"""What an import found: the report of a run and the outcome of one batch of orders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings

Progress = Callable[[str, int, int], None]


@dataclass
class Problem:
    row: int | None
    column: str
    value: str
    message: str
    order_number: str = ""

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "value": self.value, "message": self.message}


@dataclass
class ImportReport:
    """The outcome of one run; `as_contract()` is the command's JSON object."""

    rows: int = 0
    orders: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected_orders: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    dry_run: bool = False
    file_kind: str = ""
    encoding: str = ""
    delimiter: str = ""
    sheet: str = ""  # the worksheet read (workbooks only)

    @property
    def error_rows(self) -> int:
        return len({p.row for p in self.errors if p.row is not None})

    def as_contract(self) -> dict:
        return {
            "rows": self.rows, "orders": self.orders, "imported": self.imported, "duplicates": self.duplicates,
            "rejected_orders": self.rejected_orders, "error_rows": self.error_rows,
            "errors": [p.as_dict() for p in self.errors],
            # How the file was read (unknown columns, skipped sheets and title rows, merged ranges filled,
            # formula cells and hidden rows used): nothing wrong, but the clerk should know.
            "sheet": self.sheet, "warnings": [p.as_dict() for p in self.warnings],
        }


@dataclass
class BatchOutcome:
    """What checking (and writing) one batch of complete orders found; merged into the report."""

    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected_orders: int = 0
    written: int = 0  # orders this batch inserted (not counted in a dry run)
    errors: list[Problem] = field(default_factory=list)


def _setting(name: str, default):
    return getattr(settings, name, default)
