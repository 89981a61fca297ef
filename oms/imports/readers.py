"""Reading legacy spreadsheets as a stream of rows, whatever wrote them.

`open_sheet(path, file_name)` looks at the file's bytes (not only its name), refuses what it cannot
read with a message a migration clerk understands (`ValidationFailed`), and returns a `Sheet` whose
`rows()` yields `(row number as Excel shows it, [cell values])` for the first worksheet:

- `.xlsx`: openpyxl opens the workbook in read-only mode (shared strings, styles, date formats,
  1900/1904 epoch); the worksheet XML is then streamed through expat in chunks, which reads rows
  about five times faster than openpyxl's per-cell objects and keeps memory flat.
- `.xls` (Excel 97–2003): xlrd; such sheets have at most 65,536 rows.
- `.csv`: UTF-8 with or without BOM, UTF-16 with BOM, or GBK/GB18030 (detected with
  charset-normalizer when the bytes are not UTF-8); delimiter comma, semicolon or tab, chosen by
  which one splits the header into the most known column names.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import os
import re
import zipfile
import zlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import NamedTuple
from xml.etree.ElementTree import ParseError
from xml.parsers import expat

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from core.errors import ValidationFailed
from oms.imports.columns import recognised_count

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
EXTENSIONS = (".xlsx", ".xls", ".csv")
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
SAMPLE_BYTES = 64 * 1024

# Element names as expat reports them with namespace_separator="}" (whatever prefix the writer chose).
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _VALUE, _TEXT, _PHONETIC = f"{_NS}row", f"{_NS}c", f"{_NS}v", f"{_NS}t", f"{_NS}rPh"
_ITEM = f"{_NS}si"  # a shared string


_CHUNK = 256 * 1024
_HEAD_BYTES = 64 * 1024  # the worksheet's start tags before its first row (views, columns) fit in this
_CARRY = 64  # bytes kept between chunks while looking for a start tag that a chunk boundary cut
_ROOT_TAG = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)worksheet[\s>]")
_SHEET_DATA_TAG = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)sheetData(?:\s[^>]*)?>")
_ROW_NUMBER = re.compile(rb"\sr\s*=\s*[\"']\d")


def max_bytes() -> int:
    return int(getattr(settings, "OMS_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def unreadable(message: str) -> ValidationFailed:
    return ValidationFailed(message, errors={"file": [message]})


def check_size(size: int, name: str) -> None:
    if size == 0:
        raise unreadable(_("File “%(name)s” is empty.") % {"name": name})
    if size > max_bytes():
        raise unreadable(_("File “%(name)s” is %(size)s; files of at most %(limit)s can be imported. "
                           "Split it into several files.")
                         % {"name": name, "size": filesizeformat(size), "limit": filesizeformat(max_bytes())})


class Sheet:
    kind = ""
    encoding = ""
    delimiter = ""

    def rows(self) -> Iterator[tuple[int, list]]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_sheet(path: str | os.PathLike, file_name: str | None = None) -> Sheet:
    """The first worksheet of the file at `path`; `file_name` is the name the user gave it."""
    path = Path(path)
    name = file_name or path.name
    if not path.is_file():
        raise unreadable(_("File “%(name)s” does not exist.") % {"name": name})
    check_size(path.stat().st_size, name)
    extension = Path(name).suffix.lower()
    if extension not in EXTENSIONS:
        raise unreadable(_("“%(name)s” is not an Excel or CSV file: upload a .xlsx, .xls or .csv file.")
                         % {"name": name})
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(OLE_MAGIC) and _is_encrypted_ole(path):
        raise unreadable(_("“%(name)s” is protected with a password. Open it in Excel or WPS, remove the "
                           "password (File → Info → Protect workbook) and save it again.") % {"name": name})
    if extension == ".xlsx":
        if not head.startswith(ZIP_MAGIC):
            raise unreadable(_("“%(name)s” is named .xlsx but is not an Excel workbook. Open it in Excel or WPS "
                               "and save it as “Excel workbook (*.xlsx)”.") % {"name": name})
        return XlsxSheet(path, name)
    if extension == ".xls":
        if not head.startswith(OLE_MAGIC):
            raise unreadable(_("“%(name)s” is named .xls but is not an Excel 97–2003 workbook. Open it in Excel "
                               "or WPS and save it as “Excel workbook (*.xlsx)”.") % {"name": name})
        return XlsSheet(path, name)
    if head.startswith(ZIP_MAGIC) or head.startswith(OLE_MAGIC):
        raise unreadable(_("“%(name)s” is named .csv but is an Excel workbook: rename it to .xlsx or .xls, "
                           "or save it as CSV.") % {"name": name})
    return CsvSheet(path, name)


def _is_encrypted_ole(path: Path) -> bool:
    """Excel stores a password-protected .xlsx (and .xls) as an OLE container with these streams."""
    markers = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
    with path.open("rb") as handle:
        tail = b""
        while chunk := handle.read(1024 * 1024):
            window = tail + chunk
            if any(marker in window for marker in markers):
                return True
            tail = window[-64:]
    return False


class XlsxSheet(Sheet):
    kind = "xlsx"

    def __init__(self, path: Path, name: str):
        from openpyxl.utils.exceptions import InvalidFileException

        self.name = name
        self.path = path
        try:
            reader = _workbook_reader()(path, read_only=True, data_only=True, keep_links=False)
            reader.read()
            self.workbook = reader.wb
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, ParseError) as exc:
            raise unreadable(_("“%(name)s” cannot be read as an Excel workbook (%(detail)s). Open it in Excel or "
                               "WPS and save it again as .xlsx.") % {"name": name, "detail": exc.__class__.__name__})
        if not self.workbook.worksheets:
            self.workbook.close()
            raise unreadable(_("“%(name)s” has no worksheet.") % {"name": name})
        self.sheet = self.workbook.worksheets[0]

    def rows(self, start: int = 0, stop: int | None = None) -> Iterator[tuple[int, list]]:
        """The worksheet's rows; with `start`/`stop` (offsets from `split_offset`) only the rows whose
        start tags lie in that part of the worksheet XML."""
        return self._parse(self._xml(start, stop))

    def split_offset(self, *, min_bytes: int) -> int | None:
        """Where the worksheet XML can be cut in two for two processes to read a half each: the offset
        of the first row start tag past the middle of its (uncompressed) bytes. None for a worksheet
        smaller than `min_bytes`, or one whose rows do not carry their numbers (`r`), without which the
        second half could not tell its row numbers."""
        archive, member = self.workbook._archive, self.sheet._worksheet_path
        size = archive.getinfo(member).file_size
        if size < min_bytes:
            return None
        middle = size // 2
        with archive.open(member) as source:
            head = source.read(_HEAD_BYTES)
            tags = _sheet_tags(head)
            if tags is None:
                return None
            row_start = re.compile(b"<" + tags.prefix + rb"row[\s>]")
            offset, carry = len(head), head[-_CARRY:]
            while chunk := source.read(_CHUNK):
                window, window_at = carry + chunk, offset - len(carry)
                offset += len(chunk)
                if offset <= middle:
                    carry = window[-_CARRY:]
                    continue
                found = row_start.search(window, max(middle - window_at, 0))
                if found:
                    tag_end = window.find(b">", found.start())
                    while tag_end < 0 and (more := source.read(_CHUNK)):
                        window += more
                        tag_end = window.find(b">", found.start())
                    if tag_end < 0 or not _ROW_NUMBER.search(window, found.start(), tag_end):
                        return None
                    return window_at + found.start()
                carry = window[-_CARRY:]
        return None

    def _xml(self, start: int, stop: int | None) -> Iterator[bytes]:
        """The worksheet XML in chunks; a part of it wrapped in the document's own opening and closing
        tags (namespace declarations included), so that it parses as a worksheet of its own."""
        member = self.sheet._worksheet_path
        if start == 0 and stop is None:
            with self.workbook._archive.open(member) as source:
                while chunk := source.read(_CHUNK):
                    yield chunk
            return
        # Another process reads the other part: a file handle of our own, not an offset shared with it.
        with zipfile.ZipFile(self.path) as archive, archive.open(member) as source:
            chunk = source.read(_HEAD_BYTES)
            tags = _sheet_tags(chunk)
            if tags is None:
                raise ValueError("the worksheet cannot be split")  # split_offset said it could: a bug
            if start:
                yield chunk[:tags.data_start]
            offset = 0
            while chunk:
                low = max(start - offset, 0)
                high = len(chunk) if stop is None else min(stop - offset, len(chunk))
                if low < high:
                    yield chunk[low:high]
                offset += len(chunk)
                if stop is not None and offset >= stop:
                    break
                chunk = source.read(_CHUNK)
            if stop is not None:
                yield tags.closing

    def _parse(self, chunks: Iterator[bytes]) -> Iterator[tuple[int, list]]:
        """The worksheet XML through expat, a handful of Python calls per cell (no element objects)."""
        from openpyxl.utils.datetime import from_excel

        shared = self.sheet._shared_strings
        date_styles = self.workbook._date_formats
        epoch = self.workbook.epoch
        columns: dict[str, int] = {}
        ready: list = []
        row = [0, []]  # number, values
        cell = [None, None, 0]  # type, style, column index
        parts: list = []
        flags = [False, False]  # collecting text, inside a phonetic guide

        def start(name, attrs):
            if name == _CELL:
                cell[0], cell[1] = attrs.get("t"), attrs.get("s")
                ref = attrs.get("r")
                if ref:
                    letters = ref.rstrip("0123456789")
                    index = columns.get(letters, -1)
                    if index < 0:
                        index = 0
                        for char in letters:
                            index = index * 26 + ord(char) - 64
                        index -= 1
                        columns[letters] = index
                    cell[2] = index
                else:
                    cell[2] = len(row[1])
                parts.clear()
            elif name == _VALUE:
                flags[0] = True
            elif name == _TEXT:
                flags[0] = not flags[1]  # inline string text, but not its phonetic guide
            elif name == _PHONETIC:
                flags[1] = True
            elif name == _ROW:
                ref = attrs.get("r")
                row[0] = int(ref) if ref else row[0] + 1
                row[1] = []

        def end(name):
            if name == _CELL:
                kind = cell[0]
                raw = "".join(parts) if parts else None
                if kind == "s":
                    value = shared[int(raw)] if raw else None
                elif kind == "inlineStr":
                    value = raw
                elif not raw:
                    value = None
                elif kind is None or kind == "n":
                    value = _number(raw)
                    style = cell[1]
                    if style and value.__class__ is not str and int(style) in date_styles:
                        try:
                            value = from_excel(value, epoch)
                        except (OverflowError, ValueError):
                            pass
                elif kind == "b":
                    value = raw == "1"
                elif kind == "d":
                    try:
                        value = datetime.fromisoformat(raw)
                    except ValueError:
                        value = raw
                else:  # "str" (formula result) and "e" (#N/A …)
                    value = raw
                values, index = row[1], cell[2]
                if index == len(values):
                    values.append(value)
                elif index > len(values):
                    values.extend([None] * (index - len(values)))
                    values.append(value)
            elif name == _VALUE or name == _TEXT:
                flags[0] = False
            elif name == _PHONETIC:
                flags[1] = False
            elif name == _ROW:
                ready.append((row[0], row[1]))

        def text(data):
            if flags[0]:
                parts.append(data)

        parser = _expat_parser(start, end, text)
        try:
            for chunk in chunks:
                parser.Parse(chunk, False)
                yield from ready
                ready.clear()
            parser.Parse(b"", True)
            yield from ready
        except (expat.ExpatError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise unreadable(_("“%(name)s” is damaged near row %(row)s (%(detail)s). Open it in Excel or WPS and "
                               "save it again.") % {"name": self.name, "row": row[0] + 1, "detail": exc})
        finally:
            chunks.close()

    def close(self) -> None:
        self.workbook.close()


def _number(raw: str):
    try:
        return int(raw)
    except ValueError:
        try:
            return float(raw)
        except ValueError:
            return raw  # not a number after all: leave it to the value checks


def _shared_strings(source) -> list[str]:
    """The workbook's shared strings, as openpyxl's reader gives them (text of the runs, without
    phonetic guides), through expat: openpyxl builds objects for each string, all of it before the
    first row can be read (figures: bench/README.md)."""
    strings: list[str] = []
    parts: list[str] = []
    state = [False, False]  # inside a text element, inside a phonetic guide

    def start(name, attrs):
        if name == _TEXT:
            state[0] = not state[1]
        elif name == _PHONETIC:
            state[1] = True
        elif name == _ITEM:
            parts.clear()

    def end(name):
        if name == _TEXT:
            state[0] = False
        elif name == _PHONETIC:
            state[1] = False
        elif name == _ITEM:
            strings.append("".join(parts).replace("x005F_", ""))  # openpyxl's unescaping of a literal _x…_

    def text(data):
        if state[0]:
            parts.append(data)

    _expat_parser(start, end, text).ParseFile(source)
    return strings


def _expat_parser(start, end, text):
    """An expat parser reporting element names as `namespace}local` (whatever prefix the writer
    chose), with each run of text in one call."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    return parser


@functools.cache
def _workbook_reader():
    from openpyxl.reader.excel import SHARED_STRINGS, ExcelReader

    class WorkbookReader(ExcelReader):
        """openpyxl's reader with a quicker shared string table (`_shared_strings`)."""

        def read_strings(self):
            part = self.package.find(SHARED_STRINGS)
            if part is not None:
                with self.archive.open(part.PartName[1:]) as source:
                    try:
                        self.shared_strings = _shared_strings(source)
                    except expat.ExpatError as exc:
                        raise ValueError(f"shared strings: {exc}") from exc

    return WorkbookReader


class _SheetTags(NamedTuple):
    prefix: bytes  # the namespace prefix of the worksheet's elements as written (usually none)
    data_start: int  # offset just past the <sheetData> start tag
    closing: bytes  # </sheetData></worksheet>, prefixes included


def _sheet_tags(head: bytes) -> _SheetTags | None:
    root = _ROOT_TAG.search(head)
    data = _SHEET_DATA_TAG.search(head)
    if root is None or data is None or data.group(0).endswith(b"/>"):
        return None
    prefix = data.group(1)
    return _SheetTags(prefix, data.end(), b"</" + prefix + b"sheetData></" + root.group(1) + b"worksheet>")


class XlsSheet(Sheet):
    kind = "xls"

    def __init__(self, path: Path, name: str):
        import xlrd

        self.name = name
        try:
            self.book = xlrd.open_workbook(str(path), on_demand=True)
        except xlrd.XLRDError as exc:
            if "encrypted" in str(exc).lower():
                raise unreadable(_("“%(name)s” is protected with a password. Open it in Excel or WPS, remove the "
                                   "password and save it again.") % {"name": name})
            raise unreadable(_("“%(name)s” cannot be read as an Excel 97–2003 workbook (%(detail)s).")
                             % {"name": name, "detail": exc})
        except (OSError, ValueError, AssertionError, IndexError, KeyError) as exc:
            raise unreadable(_("“%(name)s” cannot be read as an Excel 97–2003 workbook (%(detail)s).")
                             % {"name": name, "detail": exc.__class__.__name__})
        if self.book.nsheets == 0:
            raise unreadable(_("“%(name)s” has no worksheet.") % {"name": name})
        self.sheet = self.book.sheet_by_index(0)

    def rows(self) -> Iterator[tuple[int, list]]:
        import xlrd

        datemode = self.book.datemode
        for index in range(self.sheet.nrows):
            types = self.sheet.row_types(index)
            raw = self.sheet.row_values(index)
            values = []
            for kind, value in zip(types, raw, strict=False):
                if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    values.append(None)
                elif kind == xlrd.XL_CELL_DATE:
                    try:
                        values.append(xlrd.xldate.xldate_as_datetime(value, datemode))
                    except (xlrd.xldate.XLDateError, ValueError, OverflowError):
                        values.append(value)
                elif kind == xlrd.XL_CELL_NUMBER:
                    values.append(int(value) if float(value).is_integer() and abs(value) < 1e16 else value)
                elif kind == xlrd.XL_CELL_BOOLEAN:
                    values.append(bool(value))
                elif kind == xlrd.XL_CELL_ERROR:
                    values.append(xlrd.error_text_from_code.get(value, "#ERROR"))
                else:
                    values.append(value)
            yield index + 1, values

    def close(self) -> None:
        self.book.release_resources()


class CsvSheet(Sheet):
    kind = "csv"

    def __init__(self, path: Path, name: str):
        self.path = path
        self.name = name
        with path.open("rb") as handle:
            sample = handle.read(SAMPLE_BYTES)
        self.encoding = _detect_encoding(sample, name)
        decoded = codecs.getincrementaldecoder(self.encoding)(errors="replace").decode(sample, final=False)
        if "\x00" in decoded:
            raise unreadable(_("“%(name)s” is not a text file: export the sheet as CSV from Excel or WPS.")
                             % {"name": name})
        self.delimiter = _detect_delimiter(decoded)

    def rows(self) -> Iterator[tuple[int, list]]:
        with self.path.open("rb") as raw:
            text = io.TextIOWrapper(raw, encoding=self.encoding, newline="", errors="strict")
            reader = csv.reader(text, delimiter=self.delimiter)
            number = 0
            try:
                for record in reader:
                    number += 1
                    yield number, record
            except UnicodeDecodeError:
                raise unreadable(_("“%(name)s” mixes text encodings (row %(row)s is not %(encoding)s). Save it "
                                   "again as “CSV UTF-8”.") % {"name": self.name, "row": number + 1,
                                                             "encoding": self.encoding})
            except csv.Error as exc:
                raise unreadable(_("“%(name)s” is not valid CSV near row %(row)s (%(detail)s).")
                                 % {"name": self.name, "row": number + 1, "detail": exc})


_CHINESE_ENCODINGS = {"gb2312", "gbk", "gb18030", "hz", "cp936"}
_OTHER_CJK = {"big5", "big5hkscs", "cp950", "cp949", "euckr", "shiftjis", "cp932", "eucjp", "iso2022jp"}


def _detect_encoding(sample: bytes, name: str) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith(codecs.BOM_UTF16_LE) or sample.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    guess = best.encoding.lower().replace("-", "").replace("_", "") if best else ""
    # A short Chinese sample can look like Big5 or Shift-JIS to a detector; for a Chinese retailer's
    # legacy files GB18030 (a superset of GB2312 and GBK, what Excel on Chinese Windows writes) wins
    # whenever it decodes the bytes.
    if (not guess or guess in _CHINESE_ENCODINGS or guess in _OTHER_CJK) and _decodes(sample, "gb18030"):
        return "gb18030"
    if best and _decodes(sample, best.encoding):
        return best.encoding
    if _decodes(sample, "gb18030"):
        return "gb18030"
    raise unreadable(_("The text encoding of “%(name)s” cannot be recognised. Save it as “CSV UTF-8”.")
                     % {"name": name})


def _decodes(sample: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _detect_delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    best, best_score = ",", (-1, -1)
    for delimiter in (",", ";", "\t"):
        try:
            cells = next(csv.reader([first], delimiter=delimiter), [])
        except csv.Error:
            continue
        score = (recognised_count(cells), len(cells))
        if score > best_score:
            best, best_score = delimiter, score
    return best
