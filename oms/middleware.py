"""Project-wide middleware."""

from __future__ import annotations

from django.template.response import TemplateResponse

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
