import pytest

from oms.reports.tests.fixtures import build_world


@pytest.fixture
def world(db, tmp_path, django_capture_on_commit_callbacks):
    from oms.reports.rollups import rollups_rebuild

    data = build_world(tmp_path, django_capture_on_commit_callbacks)
    rollups_rebuild()
    return data


@pytest.fixture
def manager(make_user):
    from core.enums import Role

    return make_user("manager", Role.MANAGER, is_staff=True)
