"""Issue 17: who may do what — every screen, admin permission and action, and API operation, per role.

The expected matrix is committed in `tests/permission_matrix.json`. Any change to what a role can
reach (a new view without a permission check, a permission granted to another role, an admin
action that appears for view-only users, an API operation whose scopes change) fails this test
until the file is regenerated on purpose and the diff reviewed:

    OMS_UPDATE_PERMISSION_MATRIX=1 .venv/bin/python -m pytest -p no:xdist tests/test_permission_matrix.py

Screens: each URL pattern outside the admin and the API is requested with GET by a user of each
role (path arguments filled with values that match nothing, so the answer is the access check:
302 to the login, 403, or 404/405/200 once past it). Admin: each registered model's view/add/
change/delete permissions and the actions offered. API: the scopes each operation requires.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver

from core.enums import Role

pytestmark = pytest.mark.django_db

MATRIX = Path(__file__).with_name("permission_matrix.json")
ROLES = ["anonymous", *[str(role) for role in Role]]
FILLERS = {"int": "999999", "str": "NOSUCH", "slug": "nosuch", "path": "nosuch",
           "uuid": "00000000-0000-0000-0000-000000000000"}


def _patterns(resolver: URLResolver, prefix: str = ""):
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route


def _screen_urls() -> list[str]:
    urls = set()
    for route in _patterns(get_resolver()):
        if route.startswith(("admin/", "api/", "static/", "media/", "i18n/")) or "(?P" in route or "^" in route:
            continue
        url = "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: FILLERS.get(m.group(1) or "str", "NOSUCH"), route)
        urls.add(url)
    return sorted(urls)


def _users(make_user) -> dict:
    users = {"anonymous": None}
    for role in Role:
        users[str(role)] = make_user(f"matrix-{role}", role, is_staff=True)
    return users


def _screens(users) -> dict:
    clients = {}
    for role, user in users.items():
        clients[role] = Client()
        if user is not None:
            clients[role].force_login(user)
    result = {}
    for url in _screen_urls():
        row = {role: client.get(url).status_code for role, client in clients.items()}
        result[f"GET {url}"] = row
        if 405 in row.values():
            # A POST-only screen: an empty POST shows its access check (302/403) or, past it, its own
            # refusal of the empty form or of the unknown object (never an effect: nothing matches).
            result[f"POST {url}"] = {role: client.post(url).status_code for role, client in clients.items()}
    return result


def _admin(users) -> dict:
    factory = RequestFactory()
    result = {}
    for model, model_admin in sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label):
        row = {}
        for role, user in users.items():
            if user is None:
                continue
            request = factory.get("/admin/")
            request.user = user
            allowed = [name for name, check in (("view", model_admin.has_view_permission),
                                               ("add", model_admin.has_add_permission),
                                               ("change", model_admin.has_change_permission),
                                               ("delete", model_admin.has_delete_permission)) if check(request)]
            if model_admin.has_view_or_change_permission(request):
                allowed += [f"action:{name}" for name in sorted(model_admin.get_actions(request))]
            row[role] = allowed
        result[model._meta.label] = row
    return result


def _api() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    result = {}
    for path, operations in sorted(schema["paths"].items()):
        for method, operation in sorted(operations.items()):
            security = operation.get("security") or []
            scopes = sorted({scope for requirement in security for scopes in requirement.values() for scope in scopes})
            kind = "signed webhook" if "webhooks" in path else ("token" if security and security != [{}] else "open")
            result[f"{method.upper()} {path}"] = {"auth": kind, "scopes": scopes}
    return result


def test_permission_matrix_matches_the_committed_one(make_user, settings):
    settings.OMS_REQUIRE_SECOND_FACTOR = False  # the second factor is tested on its own; here: permissions
    users = _users(make_user)
    actual = {"roles": ROLES, "screens": _screens(users), "admin": _admin(users), "api": _api()}
    if os.environ.get("OMS_UPDATE_PERMISSION_MATRIX") == "1":
        MATRIX.write_text(json.dumps(actual, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
        pytest.skip(f"wrote {MATRIX.name}; review its diff")
    expected = json.loads(MATRIX.read_text())
    differences = []
    for section in ("screens", "admin", "api"):
        for key in sorted(set(expected[section]) | set(actual[section])):
            if expected[section].get(key) != actual[section].get(key):
                differences.append(f"{section} {key}:\n  expected {expected[section].get(key)}\n"
                                   f"  actual   {actual[section].get(key)}")
    assert not differences, ("Permissions changed; if on purpose, regenerate tests/permission_matrix.json "
                             "(OMS_UPDATE_PERMISSION_MATRIX=1) and review the diff:\n" + "\n".join(differences))


def test_no_screen_is_open_to_anonymous_users():
    matrix = json.loads(MATRIX.read_text())
    # The satisfaction survey is public by design (issue 19): its signed link is the key, and a link we
    # did not sign is a 404 for everybody (the matrix probes it with a made-up token).
    public = ("healthz", "/survey/")
    open_screens = [url for url, row in matrix["screens"].items()
                    if row["anonymous"] not in (302, 403, 405) and not any(p in url for p in public)]
    assert open_screens == []
    assert set(matrix["screens"]["GET /survey/NOSUCH/"].values()) == {404}

