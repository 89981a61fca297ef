"""django-q2 jobs of the import centre (large files run here, not in the web request)."""

from oms.imports.services import import_batch_execute


def run_import_batch(batch_id: int) -> None:
    import_batch_execute(batch_id=batch_id)
