"""django-q2 jobs of the import centre (large files run here, not in the web request)."""

from oms.imports.services import import_batch_execute, import_batches_fail_stalled, import_files_purge


def run_import_batch(batch_id: int) -> None:
    import_batch_execute(batch_id=batch_id)


def fail_stalled_import_batches() -> int:
    """Every five minutes: running batches with no sign of life are failed (and can be resumed)."""
    return len(import_batches_fail_stalled())


def purge_import_files() -> int:
    """Daily: uploaded files past their retention are deleted; the batches keep their reports."""
    return import_files_purge()
