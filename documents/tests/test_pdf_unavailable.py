"""A server without the CJK font or Pango still runs: PDFs say plainly why they cannot be made."""

import sys

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from core.errors import PdfUnavailable
from documents import fonts
from documents.render import WarmRenderer

MISSING_FONT = {"path": "/nonexistent/NotoSansCJK-Regular.ttc", "family": "Noto Sans Mono CJK SC"}


@pytest.fixture
def no_cjk_font(tmp_path, monkeypatch):
    """The process-wide font library as a fresh machine without fonts-noto-cjk has it."""
    library = fonts.FontLibrary(font_dir=tmp_path, source=MISSING_FONT)
    monkeypatch.setattr(fonts, "font_library", lambda: library)
    return library


def test_build_pdf_fonts_says_what_to_install_in_one_line(no_cjk_font):
    with override_settings(LANGUAGE_CODE="en"), pytest.raises(CommandError) as caught:
        call_command("build_pdf_fonts")
    message = str(caught.value)
    assert "fonts-noto-cjk" in message and MISSING_FONT["path"] in message and "\n" not in message


def test_rendering_without_the_font_raises_pdf_unavailable(tmp_path):
    renderer = WarmRenderer(fonts=fonts.FontLibrary(font_dir=tmp_path, source=MISSING_FONT))
    with pytest.raises(PdfUnavailable) as caught:
        renderer.render("<p>发票</p>", base_url=".")
    assert caught.value.http_status == 503 and "fonts-noto-cjk" in str(caught.value)


def test_rendering_without_pango_says_which_packages(monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # `import weasyprint` raises ImportError
    with pytest.raises(PdfUnavailable) as caught:
        WarmRenderer().render("<p>x</p>", base_url=".")
    assert "libpango" in str(caught.value)
