"""Which rows another transaction holds locked (PostgreSQL): probed from a second connection with NOWAIT."""

from __future__ import annotations

import threading

from django.db import OperationalError, connections


def locked_rows(table: str, ids) -> set[int]:
    """The ids of `table` that a concurrent `SELECT … FOR UPDATE NOWAIT` cannot take right now."""
    found: set[int] = set()
    errors: list[BaseException] = []

    def probe():
        try:
            with connections["default"].cursor() as cursor:
                for pk in ids:
                    try:
                        cursor.execute("BEGIN")
                        cursor.execute(f'SELECT id FROM "{table}" WHERE id = %s FOR UPDATE NOWAIT', [pk])
                    except OperationalError:
                        found.add(pk)
                    finally:
                        cursor.execute("ROLLBACK")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join(timeout=60)
    assert not errors, errors
    return found
