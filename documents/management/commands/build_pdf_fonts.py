import time

from django.core.management.base import BaseCommand

from documents.fonts import BASE_FAMILY, font_library


class Command(BaseCommand):
    help = "Build the GB2312 subset of the CJK font that PDFs embed (once per install; else on first use)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="rebuild even if an up-to-date build exists")

    def handle(self, *args, force=False, **options):
        started = time.perf_counter()
        path = font_library().ensure_built(force=force)
        self.stdout.write(self.style.SUCCESS(f"{BASE_FAMILY}: {path} ({time.perf_counter() - started:.1f} s)"))
