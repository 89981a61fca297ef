import time

from django.core.management.base import BaseCommand, CommandError

from core.errors import PdfUnavailable
from documents import fonts


class Command(BaseCommand):
    help = "Build the GB2312 subset of the CJK font that PDFs embed (once per install; else on first use)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="rebuild even if an up-to-date build exists")

    def handle(self, *args, force=False, **options):
        started = time.perf_counter()
        try:
            path = fonts.font_library().ensure_built(force=force)
        except PdfUnavailable as exc:
            # One clear line, no traceback: the product still runs, only PDFs are unavailable.
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"{fonts.BASE_FAMILY}: {path} ({time.perf_counter() - started:.1f} s)"))
