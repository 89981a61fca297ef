import pytest

from core.enums import Role


@pytest.fixture
def clerk(make_user):
    """A finance clerk: may refund outside a return up to the approval limit."""
    return make_user("clerk", Role.FINANCE)


@pytest.fixture
def director(make_user):
    """The finance director: approves refunds above the limit."""
    return make_user("director", Role.FINANCE_DIRECTOR)
