"""Project-wide middleware."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from core.errors import DomainError


class DomainErrorPageMiddleware:
    """A domain error that a screen did not handle itself becomes a page saying what happened, with
    its status code (404, 409, 503 …), never a 500 with a traceback. Views still show the errors
    they expect as messages on their own page; this is the net under them (a PDF that cannot be
    made because the server lacks its font, a document that does not exist yet). The API has its
    own exception handler and is left alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError) or request.path.startswith("/api/"):
            return None
        response = TemplateResponse(request, "domain_error.html", {"error": exception},
                                    status=exception.http_status)
        return response.render()


def _api_error(code: str, detail, status: int) -> JsonResponse:
    return JsonResponse({"type": code, "detail": str(detail)}, status=status,
                        json_dumps_params={"ensure_ascii": False})


class RequestGuardMiddleware:
    """Refuse, before any view or database query, what would otherwise end in a 500:

    - a NUL byte in the path (PostgreSQL text cannot hold it: `/api/v1/orders/SO%00`) → 404, and in
      a query parameter → 400;
    - a body over `DATA_UPLOAD_MAX_MEMORY_SIZE` (2.5 MB) → 413; Django's own refusal is an HTML 400.

    Under `/api/` the answer has the contract's JSON error shape, and so has a 404 for a path that
    matches no endpoint (Django's is an HTML page).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        api = request.path.startswith("/api/")
        if "\x00" in request.path:
            if api:
                return _api_error("not_found", _("Not found."), 404)
            raise Http404
        if any("\x00" in key or "\x00" in value for key, values in request.GET.lists() for value in values):
            if api:
                return _api_error("parse_error", _("Query parameters must not contain NUL bytes."), 400)
            return HttpResponseBadRequest()
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit and not request.content_type.startswith("multipart/"):
            if api:
                return _api_error("request_too_large",
                                  _("The request body is larger than %(mb)s MB.") % {"mb": f"{limit / 1048576:g}"},
                                  413)
            return HttpResponse(_("The request body is too large."), status=413)
        response = self.get_response(request)
        if (api and response.status_code == 404
                and response.get("Content-Type", "").startswith("text/html")):
            return _api_error("not_found", _("Not found."), 404)
        return response
