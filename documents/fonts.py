"""The PDF font: a project-built GB2312 subset of Noto Sans Mono CJK SC, plus a growing supplement.

Why: embedding the full Noto Sans CJK font (a 19 MB collection, 65 000 glyphs) makes every PDF
pay for parsing and subsetting it — seconds per invoice when WeasyPrint falls back to fontTools
(no HarfBuzz-subset), ~270 KB per invoice even with HarfBuzz. So the project builds, once, from the
Debian font (`fonts-noto-cjk`):

- **OMS Mono**: every character of GB2312 (7 445, which covers the 6 763 common hanzi), ASCII,
  Latin-1, general and CJK punctuation, arrows and letterlike symbols, full-width forms — ~7 800
  glyphs cut from the monospaced face of the collection (CJK glyphs are the same as Noto Sans CJK
  SC; Latin is half-width, so invoice columns line up as plain text, as on printed fapiao), and
  converted from CFF to TrueType outlines, which both subsetters handle much faster and which
  subset to a few KB per document (no 65 000-slot CFF index). One face, one weight: every font
  file in a PDF costs a subsetting pass, so invoices use colour and size, not bold;
- **OMS Mono Extra**: characters a document needs that the subset lacks (names such as 堃, 喆,
  𠮷), cut from the same face on demand (~0.2 s, once per new character) and kept on disk as one
  growing file, so the next document with the same name costs nothing extra.

The full system fonts stay last in the CSS font stack, so a character that neither file has is
still drawn if any installed font has it. Files live in `settings.OMS_PDF_FONT_DIR` (git-ignored
`var/fonts/`); `python manage.py build_pdf_fonts` builds them at install time, and the first PDF
builds them otherwise (~10 s). Building is guarded by a file lock and writes are atomic, so several
workers can start at once.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import tempfile
import threading
import unicodedata
from collections.abc import Iterable
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from core.errors import PdfUnavailable

BUILD_VERSION = 6
BASE_FAMILY = "OMS Mono"
EXTRA_FAMILY = "OMS Mono Extra"
FALLBACK_FAMILIES = ("Noto Sans Mono CJK SC", "Noto Sans CJK SC")
IGNORED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Zs", "Cs", "Co", "Cn"}


def gb2312_codepoints() -> set[int]:
    """Every character of GB2312 (rows 0xA1–0xF7, cells 0xA1–0xFE)."""
    result = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                result.add(ord(bytes([high, low]).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return result


def base_codepoints() -> set[int]:
    cps = gb2312_codepoints()
    cps |= set(range(0x20, 0x7F))  # ASCII
    cps |= set(range(0xA0, 0x100))  # Latin-1 (¥, ×, ·)
    cps |= set(range(0x2000, 0x2070))  # general punctuation (—, ‘’ “”, …, ‰)
    cps |= set(range(0x2100, 0x2200))  # letterlike symbols, number forms, arrows (№, ℃, Ⅰ, →)
    cps |= set(range(0x3000, 0x3040))  # CJK symbols and punctuation (、。《》【】〔〕)
    cps |= set(range(0xFF00, 0xFFF0))  # full-width forms (，：（）￥)
    return cps


def face_index(path: str, family: str) -> int:
    """Index of the face named `family` in a font collection (0 for a single font)."""
    from fontTools.ttLib import TTCollection

    if not path.lower().endswith((".ttc", ".otc")):
        return 0
    collection = TTCollection(path, lazy=True)
    try:
        for index, font in enumerate(collection.fonts):
            if font["name"].getDebugName(1) == family:
                return index
    finally:
        collection.close()
    raise LookupError(f"no face named {family!r} in {path}")


def _to_truetype(font) -> None:
    """Convert CFF outlines to TrueType quadratic ones (tolerance 1/1000 em) in place."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    if "CFF " not in font:
        return
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for attr in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                 "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    font["head"].glyphDataFormat = 0
    font["post"].formatType = 3.0
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]
    font.sfntVersion = "\x00\x01\x00\x00"


def build_subset(*, source: str, family_in_source: str, codepoints: Iterable[int], target: Path, family: str,
                 style: str) -> Path:
    """Cut `codepoints` out of the source face, rename it `family`, save as TrueType (atomically)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    logging.getLogger("fontTools").setLevel(logging.WARNING)  # the subsetter logs every glyph at INFO
    font = TTFont(source, fontNumber=face_index(source, family_in_source), lazy=True)
    options = subset.Options()
    options.layout_features = []  # no GSUB/GPOS closure: invoices need plain horizontal text
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    options.desubroutinize = True
    options.drop_tables += ["vhea", "vmtx", "VORG"]  # horizontal text only
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(codepoints))
    subsetter.subset(font)
    _to_truetype(font)
    full = f"{family} {style}"
    for record in font["name"].names:
        if record.nameID in (1, 16):
            record.string = family
        elif record.nameID in (2, 17):
            record.string = style
        elif record.nameID in (3, 4):
            record.string = full
        elif record.nameID == 6:
            record.string = f"{family.replace(' ', '')}-{style}"
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    os.close(fd)
    try:
        font.save(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def _cmap(path: Path | str, number: int = 0) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    font = TTFont(str(path), fontNumber=number, lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


class FontLibrary:
    """The PDF fonts of this process: built on first use, extended when a document needs it."""

    def __init__(self, *, font_dir: Path | None = None, source: dict | None = None):
        self.font_dir = Path(font_dir or settings.OMS_PDF_FONT_DIR)
        self.source = dict(source or settings.OMS_PDF_SOURCE_FONT)
        self._lock = threading.Lock()
        self._extra: tuple[str, frozenset[int]] | None = None  # (file name, codepoints)

    # -- files --------------------------------------------------------------------------------------
    @property
    def base_path(self) -> Path:
        return self.font_dir / "oms-mono.ttf"

    @property
    def manifest_path(self) -> Path:
        return self.font_dir / "manifest.json"

    def check_source(self) -> None:
        """PdfUnavailable, saying what to install, when the font the subset is cut from is missing."""
        if not os.path.isfile(self.source["path"]):
            raise PdfUnavailable(_(
                "PDFs cannot be made on this server: the Chinese font %(path)s is not installed. An administrator "
                "installs it with “apt-get install fonts-noto-cjk” (or sets OMS_PDF_SOURCE_FONT).")
                % {"path": self.source["path"]})

    def _expected_manifest(self) -> dict:
        stat = os.stat(self.source["path"])
        return {"version": BUILD_VERSION, "source": [self.source["path"], self.source["family"], stat.st_size,
                                                      int(stat.st_mtime)]}

    def _is_built(self) -> bool:
        if not os.path.isfile(self.source["path"]):
            return False
        try:
            manifest = json.loads(self.manifest_path.read_text())
        except (OSError, ValueError):
            return False
        return manifest == self._expected_manifest() and self.base_path.exists()

    @contextmanager
    def _file_lock(self):
        self.font_dir.mkdir(parents=True, exist_ok=True)
        with open(self.font_dir / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def ensure_built(self, *, force: bool = False) -> Path:
        """Build the GB2312 subset unless an up-to-date build exists. Returns the font file."""
        if not force and self._is_built():
            return self.base_path
        self.check_source()
        with self._file_lock():
            if force or not self._is_built():
                build_subset(source=self.source["path"], family_in_source=self.source["family"],
                             codepoints=base_codepoints(), target=self.base_path, family=BASE_FAMILY,
                             style="Regular")
                self._write_json(self.manifest_path, self._expected_manifest())
        for name in ("base_cmap", "cells"):
            self.__dict__.pop(name, None)
        return self.base_path

    @staticmethod
    def _write_json(path: Path, data: dict) -> None:
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)

    # -- coverage -------------------------------------------------------------------------------------
    @cached_property
    def base_cmap(self) -> frozenset[int]:
        return _cmap(self.ensure_built())

    @cached_property
    def cells(self) -> dict[int, int]:
        """Width of each character in cells (Latin 1, CJK 2), for laying out text tables."""
        from fontTools.ttLib import TTFont

        font = TTFont(str(self.ensure_built()), lazy=True)
        try:
            cmap, metrics = font.getBestCmap(), font["hmtx"]
            unit = metrics[cmap[ord("0")]][0]
            return {cp: max(1, round(metrics[glyph][0] / unit)) for cp, glyph in cmap.items()}
        finally:
            font.close()

    @cached_property
    def source_cmap(self) -> frozenset[int]:
        path = self.source["path"]
        return _cmap(path, face_index(path, self.source["family"]))

    def _current_extra(self) -> tuple[str, frozenset[int]] | None:
        try:
            data = json.loads((self.font_dir / "extra.json").read_text())
        except (OSError, ValueError):
            return None
        if not (self.font_dir / data["file"]).exists():
            return None
        return data["file"], frozenset(data["codepoints"])

    def missing(self, text: str) -> set[int]:
        """Characters of `text` that neither the subset nor the current supplement draws."""
        if self._extra is None:
            self._extra = self._current_extra()
        covered = self.base_cmap | (self._extra[1] if self._extra else frozenset())
        return {ord(ch) for ch in set(text) if ord(ch) not in covered
                and unicodedata.category(ch) not in IGNORED_CATEGORIES}

    def ensure_covered(self, text: str) -> bool:
        """Make the supplement cover `text` where the source font can. True when it changed."""
        with self._lock:
            if self._extra is None:
                self._extra = self._current_extra()
            needed = self.missing(text)
            if not needed:
                return False
            on_disk = self._current_extra()
            known = (self._extra[1] if self._extra else frozenset()) | (on_disk[1] if on_disk else frozenset())
            wanted = frozenset(known | (needed & self.source_cmap))
            if wanted == (self._extra[1] if self._extra else frozenset()):
                return False  # nothing the source font could add (emoji, rare scripts)
            digest = hashlib.sha1(",".join(map(str, sorted(wanted))).encode()).hexdigest()[:16]
            name = f"oms-mono-extra-{digest}.ttf"
            with self._file_lock():
                if not (self.font_dir / name).exists():
                    build_subset(source=self.source["path"], family_in_source=self.source["family"],
                                 codepoints=wanted, target=self.font_dir / name, family=EXTRA_FAMILY,
                                 style="Regular")
                self._write_json(self.font_dir / "extra.json", {"file": name, "codepoints": sorted(wanted)})
            self._extra = (name, wanted)
            return True

    # -- CSS ------------------------------------------------------------------------------------------
    @property
    def version(self) -> str:
        return self._extra[0] if self._extra else "base"

    def font_face_css(self) -> str:
        base = self.ensure_built()
        if self._extra is None:
            self._extra = self._current_extra()
        rules = [f'@font-face {{ font-family: "{BASE_FAMILY}"; src: url("{base.as_uri()}"); }}']
        if self._extra:
            rules.append(f'@font-face {{ font-family: "{EXTRA_FAMILY}"; '
                         f'src: url("{(self.font_dir / self._extra[0]).as_uri()}"); }}')
        return "\n".join(rules)

    def font_stack(self) -> str:
        families = (BASE_FAMILY, EXTRA_FAMILY, *FALLBACK_FAMILIES)
        return ", ".join(f'"{family}"' for family in families) + ", monospace"


_LIBRARY: FontLibrary | None = None


def font_library() -> FontLibrary:
    global _LIBRARY
    if _LIBRARY is None or _LIBRARY.font_dir != Path(settings.OMS_PDF_FONT_DIR):
        _LIBRARY = FontLibrary()
    return _LIBRARY
