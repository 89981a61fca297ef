"""A warm WeasyPrint renderer per process, and monospaced text tables.

WeasyPrint spends a noticeable part of a small document building its `FontConfiguration` and
compiling the @font-face rules (which copy the font files into fontconfig). A `WarmRenderer` does
that once per process (and again only when the rare-character supplement grew), so finance's
invoices and logistics' labels pay for layout only. Figures are in bench/README.md.

WeasyPrint/Pango are not thread-safe with a shared font map, so every use holds the renderer's lock.
"""

from __future__ import annotations

import atexit
import threading
import unicodedata

from django.utils.translation import gettext as _

from core.errors import PdfUnavailable
from documents.fonts import FontLibrary, font_library


def _weasyprint():
    """The weasyprint module, or PdfUnavailable saying what to install when Pango is missing."""
    try:
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration
    except (ImportError, OSError) as exc:  # OSError: "cannot load library 'libpango-1.0-0'"
        raise PdfUnavailable(_(
            "PDFs cannot be made on this server: the Pango text library is not installed. An administrator "
            "installs it with “apt-get install libpango-1.0-0 libpangoft2-1.0-0”.")) from exc
    return weasyprint, FontConfiguration


class WarmRenderer:
    """HTML → PDF with the project fonts; `extra_css` is the document family's own stylesheet, whose
    `FONT_STACK` placeholder is replaced by the font stack."""

    def __init__(self, *, extra_css: str = "html { font-family: FONT_STACK; }", fonts: FontLibrary | None = None):
        self._fonts = fonts
        self.extra_css = extra_css
        self.lock = threading.RLock()
        self._key: tuple | None = None
        self._font_config = self._stylesheet = None
        atexit.register(self.close)

    @property
    def fonts(self) -> FontLibrary:
        # The process-wide library unless one was given (benchmarks and tests build their own).
        return self._fonts or font_library()

    def styles(self):
        """(FontConfiguration, compiled stylesheet), rebuilt when the fonts changed."""
        weasyprint, FontConfiguration = _weasyprint()
        fonts = self.fonts
        key = (id(fonts), fonts.version)
        if key != self._key:
            font_config = FontConfiguration()
            css = fonts.font_face_css() + "\n" + self.extra_css.replace("FONT_STACK", fonts.font_stack())
            self._stylesheet = weasyprint.CSS(string=css, font_config=font_config)
            self._font_config, self._key = font_config, key
        return self._font_config, self._stylesheet

    def warm_up(self) -> None:
        with self.lock:
            self.fonts.ensure_built()
            self.styles()

    def layout(self, html: str, *, base_url: str):
        """A laid-out WeasyPrint document (for callers that split or merge pages)."""
        weasyprint, _config = _weasyprint()
        with self.lock:
            self.fonts.ensure_covered(html)  # may grow the supplement, which `styles()` then picks up
            font_config, stylesheet = self.styles()
            document = weasyprint.HTML(string=html, base_url=base_url)
            return document.render(font_config=font_config, stylesheets=[stylesheet])

    def render(self, html: str, *, base_url: str) -> bytes:
        with self.lock:
            return self.layout(html, base_url=base_url).write_pdf()

    def close(self) -> None:
        """Drop the font configuration (and its temporary font folder) while the interpreter is alive."""
        with self.lock:
            self._font_config = self._stylesheet = self._key = None


class TextTable:
    """Lays out rows as monospaced text: CJK characters take two cells, the rest one.

    `cells` gives the width of the characters the font draws differently (`FontLibrary.cells`);
    `columns` is a sequence of (label, width in cells, right-aligned)."""

    def __init__(self, cells: dict[int, int], columns):
        self.cells = cells
        self.columns = tuple(columns)

    def width(self, text: str) -> int:
        cells = self.cells
        return sum(cells.get(ord(ch)) or (2 if unicodedata.east_asian_width(ch) in "WF" else 1) for ch in text)

    def fit(self, text: str, width: int, right: bool) -> str:
        gap = max(width - self.width(text), 0)
        return " " * gap + text if right else text + " " * gap

    def wrap(self, text: str, width: int) -> list[str]:
        parts, current, used = [], "", 0
        for ch in text:
            w = self.width(ch)
            if used + w > width and current:
                parts.append(current)
                current, used = "", 0
            current += ch
            used += w
        parts.append(current)
        return parts

    def row(self, values) -> str:
        """One table row; a long first column wraps onto continuation lines."""
        first, *rest = values
        name_width = self.columns[0][1]
        head, *more = self.wrap(str(first), name_width - 1)
        line = self.fit(head, name_width, False) + "".join(
            " " + self.fit(str(value), width - 1, right)
            for value, (_label, width, right) in zip(rest, self.columns[1:], strict=True))
        return "\n".join([line.rstrip(), *more])
