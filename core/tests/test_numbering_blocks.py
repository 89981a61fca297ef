"""Block allocation of sequence values (the legacy import numbers orders a batch at a time)."""

import threading
from datetime import date

import pytest
from django.db import connection, transaction

from core.models import Sequence
from core.numbering import give_back_order_numbers, next_order_numbers, next_value, next_values


@pytest.mark.django_db
def test_blocks_continue_the_sequence_of_single_values():
    assert next_value("K") == 1
    assert list(next_values("K", 3)) == [2, 3, 4]
    assert next_value("K") == 5
    assert list(next_values("NEW", 2)) == [1, 2]
    assert list(next_values("K", 0)) == []


@pytest.mark.django_db
def test_a_rolled_back_block_is_given_back():
    next_values("R", 2)
    with pytest.raises(RuntimeError), transaction.atomic():
        next_values("R", 5)
        raise RuntimeError("batch failed")
    assert list(next_values("R", 1)) == [3]


@pytest.mark.django_db
def test_an_unused_tail_is_given_back_while_nobody_took_a_number_since():
    day = date(2026, 11, 24)
    block = next_order_numbers(5, on=day)
    assert give_back_order_numbers(block[3:]) is True
    assert next_order_numbers(1, on=day) == ["SO20261124000004"]  # continues right after what was used
    later = next_order_numbers(3, on=day)
    next_order_numbers(1, on=day)  # someone else took a number meanwhile
    assert give_back_order_numbers(later[1:]) is False  # then the tail stays unused: never a duplicate
    assert next_order_numbers(1, on=day) == ["SO20261124000009"]
    assert give_back_order_numbers([]) is True


@pytest.mark.django_db
def test_order_numbers_of_a_day():
    assert next_order_numbers(2, on=date(2026, 11, 24)) == ["SO20261124000001", "SO20261124000002"]
    assert Sequence.objects.get(key="SO20261124").value == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_blocks_never_overlap_and_leave_no_gap():
    taken: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker():
        try:
            for _ in range(10):
                with transaction.atomic():
                    values = list(next_values("PG", 7))
                with lock:
                    taken.extend(values)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(taken) == list(range(1, 4 * 10 * 7 + 1))
