"""Reads of the import centre."""

from django.db.models import QuerySet

from oms.imports.models import ImportBatch, ImportIssue


def import_batch_list() -> QuerySet[ImportBatch]:
    return ImportBatch.objects.select_related("created_by", "run_by").order_by("-created_at", "-id")


def import_issue_list(*, batch: ImportBatch, kind: str | None = None) -> QuerySet[ImportIssue]:
    issues = ImportIssue.objects.filter(batch=batch)
    if kind:
        issues = issues.filter(kind=kind)
    return issues.order_by("row", "id")
