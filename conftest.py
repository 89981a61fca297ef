"""Project-wide test fixtures: actors per role, database-kind markers."""

import os

import pytest
from django.db import connection

# Playwright's sync API runs an event loop in the test thread; Django's async-safety check would
# otherwise refuse ORM calls from the live-server tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" in engine:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://…); SQLite has no row locks")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture
def make_user(db):
    from django.contrib.auth import get_user_model

    from oms.core.roles import group_for, sync_roles

    synced = []

    def make(username="user", *roles, password="pass-Word-123", **extra):
        if not synced:
            sync_roles()
            synced.append(True)
        user = get_user_model().objects.create_user(username=username, password=password, **extra)
        for role in roles:
            user.groups.add(group_for(role))
        return user

    return make


@pytest.fixture
def reviewer(make_user):
    from oms.core.enums import Role

    return make_user("reviewer", Role.REVIEWER)


@pytest.fixture
def warehouse_clerk(make_user):
    from oms.core.enums import Role

    return make_user("warehouse", Role.WAREHOUSE)


@pytest.fixture
def finance_director(make_user):
    from oms.core.enums import Role

    return make_user("director", Role.REVIEWER, Role.FINANCE_DIRECTOR)


@pytest.fixture
def manager(make_user):
    from oms.core.enums import Role

    return make_user("manager", Role.MANAGER)
