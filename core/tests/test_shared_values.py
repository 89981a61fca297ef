"""`SharedValue`: configuration read on every order, from the shared cache and briefly in-process."""

import pytest
from django.core.cache import cache

from core import shared_values
from core.shared_values import SharedValue


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(shared_values.time, "monotonic", lambda: now[0])
    return now


@pytest.fixture
def value():
    shared = SharedValue("test:shared-value", shared_seconds=60)
    cache.delete(shared.key)
    yield shared
    cache.delete(shared.key)
    shared_values._all.remove(shared)


def test_loaded_once_then_read_in_process_without_the_shared_cache(value, clock, django_assert_num_queries):
    loads = []
    assert value.get(lambda: loads.append(1) or "v1") == "v1"
    cache.set(value.key, "changed elsewhere")  # another process wrote it; this one trusts its copy a while
    assert value.get(lambda: loads.append(1) or "v2") == "v1" and loads == [1]
    clock[0] += shared_values.LOCAL_SECONDS + 0.1  # then it reads the shared cache again
    assert value.get(lambda: loads.append(1) or "v3") == "changed elsewhere" and loads == [1]


def test_a_false_value_is_kept_not_reloaded(value, clock):
    loads = []
    assert value.get(lambda: loads.append(1) or False) is False
    clock[0] += shared_values.LOCAL_SECONDS + 0.1
    assert value.get(lambda: loads.append(1) or True) is False and loads == [1]


@pytest.mark.django_db
def test_forget_is_seen_at_once_here_and_again_after_commit(value, clock, django_capture_on_commit_callbacks):
    value.get(lambda: "old")
    with django_capture_on_commit_callbacks(execute=True):
        value.forget()
        assert value.get(lambda: "new") == "new"
        cache.set(value.key, "stale, read between the change and its commit")
    assert value.get(lambda: "newest") == "newest"  # the commit forgot it again


def test_forget_all_here_drops_every_local_copy(value, clock):
    value.get(lambda: "v1")
    cache.set(value.key, "v2")
    shared_values.forget_all_here()
    assert value.get(lambda: "v3") == "v2"
