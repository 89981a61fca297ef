"""The Content-Security-Policy allows no inline styles or scripts, and no page OMS serves needs them:
no style="" attribute, every <style>/<script> block carries the response's nonce. The browser walk
(tests/test_browser_csp.py) proves the same in Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

BASE = Path(settings.BASE_DIR)
# Rendered by WeasyPrint into PDFs, never served to a browser as HTML.
PDF_TEMPLATES = ("logistics/templates/logistics/pdf/", "finance/templates/finance/pdf/")
INLINE_BLOCK = re.compile(r"<(style|script)\b([^>]*)>", re.I)
TEMPLATE_COMMENT = re.compile(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", re.S)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)


def _directive(policy: str, name: str) -> list[str]:
    for part in policy.split(";"):
        words = part.split()
        if words and words[0] == name:
            return words[1:]
    raise AssertionError(f"{name} missing from {policy!r}")


def _our_templates():
    for path in BASE.rglob("templates/**/*.html"):
        relative = path.relative_to(BASE).as_posix()
        if relative.startswith((".venv/", "staticfiles/", "node_modules/")) or relative.startswith(PDF_TEMPLATES):
            continue
        yield relative, TEMPLATE_COMMENT.sub("", path.read_text(encoding="utf-8"))


def test_settings_allow_no_inline_style_or_script():
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    for name in ("style-src", "script-src"):
        assert not {"'unsafe-inline'", "'unsafe-hashes'", "'unsafe-eval'"} & set(directives[name]), name


def test_templates_have_no_style_attributes_and_nonce_every_inline_block():
    problems = []
    for relative, text in _our_templates():
        if STYLE_ATTRIBUTE.search(text):
            problems.append(f"{relative}: style attribute")
        for match in INLINE_BLOCK.finditer(text):
            attributes = match.group(2)
            if "src=" in attributes or 'type="application/json"' in attributes or "nonce=" in attributes:
                continue
            problems.append(f"{relative}: <{match.group(1)}> without nonce")
    assert not problems, problems


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/inventory/", "/finance/invoices/print/", "/reports/", "/imports/",
                                 "/admin/", "/admin/workflow/automationrule/process/",
                                 "/admin/orders/order/export/", "/api/docs/"])
def test_pages_send_a_policy_without_unsafe_inline_and_need_none(client, make_user, url):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    response = client.get(url)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    styles, scripts = _directive(policy, "style-src"), _directive(policy, "script-src")
    assert "'unsafe-inline'" not in styles and "'unsafe-inline'" not in scripts, policy
    assert "'self'" in styles
    html = response.content.decode()
    assert not STYLE_ATTRIBUTE.search(html), url
    nonces = {f"'nonce-{n}'" for n in re.findall(r'\snonce="([^"]+)"', html)}
    assert nonces <= set(styles) & set(scripts) or not nonces, (nonces, policy)
    for match in INLINE_BLOCK.finditer(html):
        attributes = match.group(2)
        assert "src=" in attributes or "application/json" in attributes or "nonce=" in attributes, (url, match[0])


def test_no_admin_list_hides_both_action_bars():
    """Django's change list adds a bare <style> (refused by the policy) only when a ModelAdmin sets
    both `actions_on_top` and `actions_on_bottom` to False; none of ours does."""
    from django.contrib import admin

    hiding = [type(model_admin).__name__ for model_admin in admin.site._registry.values()
              if not model_admin.actions_on_top and not model_admin.actions_on_bottom]
    assert not hiding, hiding
