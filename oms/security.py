"""Login protection beyond Django's own: a TOTP second factor (django-otp) for the roles that move
money or change configuration.

Finance, the finance director and administrators (and superusers) must confirm a one-time code
from an authenticator app before any page of the back office (`OMS_SECOND_FACTOR_ROLES`, on by
default with DJANGO_DEBUG=0 through `OMS_REQUIRE_SECOND_FACTOR`). The first time, the page shows
a QR code to enrol the app; afterwards it asks for the current code. Password throttling and
lockout are django-axes' (settings `AXES_*`), security headers django-csp's and Django's.
"""

from __future__ import annotations

from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

EXEMPT_PREFIXES = ("/account/", "/static/", "/api/", "/healthz", "/i18n/", "/admin/login/", "/admin/logout/",
                   "/admin/jsi18n/")


def needs_second_factor(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_oms_needs_second_factor", None)
    if cached is None:
        cached = user.groups.filter(name__in=settings.OMS_SECOND_FACTOR_ROLES).exists()
        user._oms_needs_second_factor = cached
    return cached


def safe_next(request, fallback: str) -> str:
    """`next` only when it points into this site (no open redirect)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return fallback


class RequireSecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (settings.OMS_REQUIRE_SECOND_FACTOR and not request.path.startswith(EXEMPT_PREFIXES)
                and needs_second_factor(request.user) and not request.user.is_verified()):
            return redirect(f"{reverse('second-factor')}?next={quote(request.get_full_path())}")
        return self.get_response(request)


class TokenForm(forms.Form):
    token = forms.RegexField(label=gettext_lazy("Code from the authenticator app"), regex=r"^\s*\d{6}\s*$",
                             error_messages={"invalid": gettext_lazy("Enter the 6-digit code.")},
                             widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                                           "autofocus": True}))


@login_required
def second_factor(request):
    """Enrol an authenticator app (first time) or confirm the current code."""
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or TOTPDevice.objects.create(
            user=user, name="OMS", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].strip()):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return redirect(safe_next(request, reverse(settings.LOGIN_REDIRECT_URL)))
        form.add_error("token", _("The code is wrong or expired; try the current one."))
    context = {"form": form, "enrolling": enrolling, "next": safe_next(request, "")}
    if enrolling:
        import segno

        context["qr"] = segno.make(device.config_url, error="m").svg_data_uri(scale=5)
        context["secret"] = device.config_url.split("secret=")[1].split("&")[0]
    return render(request, "security/second_factor.html", context)


class SlidingSessionMiddleware:
    """Idle sessions end after `SESSION_COOKIE_AGE` (an hour): an active user's session is extended
    at most every `REFRESH_SECONDS`, by touching it. `SESSION_SAVE_EVERY_REQUEST` would do the same
    with one more database write on every page, which list pages' query budgets cannot afford."""

    REFRESH_SECONDS = 300
    KEY = "_oms_touched"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is not None and getattr(user, "is_authenticated", False) and not session.modified:
            import time

            now = int(time.time())
            if now - int(session.get(self.KEY, 0)) >= self.REFRESH_SECONDS:
                session[self.KEY] = now  # saved by SessionMiddleware on the way out: expiry = now + age
        return response
