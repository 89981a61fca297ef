"""Administrators manage people: add users and give them roles, without reaching superuser powers."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from core.enums import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("root", Role.ADMIN, is_staff=True))
    return client


def test_the_administrator_role_finds_users_on_the_admin_index(admin_client):
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:auth_user_changelist") in html


def test_the_administrator_gives_a_user_a_role_but_cannot_make_a_superuser(admin_client, make_user):
    from core.roles import group_for

    clerk = make_user("clerk", Role.WAREHOUSE, is_staff=True)
    get_user_model().objects.create_superuser("owner", "o@example.com", "pass-Word-123")
    listing = admin_client.get(reverse("admin:auth_user_changelist")).content.decode()
    assert "clerk" in listing and "owner" not in listing  # a superuser's account is not theirs to touch
    url = reverse("admin:auth_user_change", args=[clerk.pk])
    form = admin_client.get(url).content.decode()
    assert 'type="checkbox" name="groups"' in form and "仓库" in form and "审核员" in form
    assert "Choose" not in form and "by selecting them" not in form
    assert 'name="is_superuser"' not in form and 'name="user_permissions"' not in form
    response = admin_client.post(url, {
        "username": "clerk", "first_name": "", "last_name": "", "email": "", "is_active": "on", "is_staff": "on",
        "is_superuser": "on", "groups": [group_for(Role.WAREHOUSE).pk, group_for(Role.REVIEWER).pk],
        "last_login_0": "", "last_login_1": "", "date_joined_0": "2026-12-01", "date_joined_1": "10:00:00"})
    assert response.status_code == 302, response.content.decode()[:2000]
    clerk.refresh_from_db()
    assert not clerk.is_superuser  # the posted tick is ignored: the field is not on the form
    assert set(clerk.groups.values_list("name", flat=True)) == {str(Role.WAREHOUSE), str(Role.REVIEWER)}
