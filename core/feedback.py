"""Showing domain errors and form errors to clerks as Django messages (screens and admin alike)."""

from django.contrib import messages

from core.errors import DomainError, ValidationFailed


def report_domain_error(request, exc: DomainError) -> None:
    """One message per problem: every field error of a ValidationFailed, else the error's text."""
    if isinstance(exc, ValidationFailed) and exc.errors:
        for problems in exc.errors.values():
            for problem in problems:
                messages.error(request, problem)
    else:
        messages.error(request, str(exc))


def report_form_errors(request, form) -> None:
    """Form errors as messages, each prefixed with its field's label."""
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}：{error}" if label else error)
