import pytest

from core.enums import Role


@pytest.fixture
def aftersales_clerk(make_user):
    return make_user("aftersales", Role.AFTERSALES)


@pytest.fixture
def cs_clerk(make_user):
    return make_user("cs", Role.CUSTOMER_SERVICE)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """QC photos go to a temporary private root, never into the working tree (public media too, to
    see that nothing lands there)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.OMS_PRIVATE_MEDIA_ROOT = tmp_path / "private"
