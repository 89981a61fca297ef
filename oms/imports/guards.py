"""What a workbook is, and whether it is safe to hand to the reader — decided from its bytes.

`file_format(path, name)` names the format (xlsx, xlsm, xlsb, xls, ods or csv) from the file's
content, or refuses it: password-protected, damaged, not a spreadsheet. `check_workbook` then
bounds what reading it will cost before python-calamine sees it, because calamine unpacks a
worksheet into a dense grid (A1 to the last cell used) and aborts the whole process when that grid
cannot be allocated:

- the decompressed size of the parts (the sizes a ZIP declares; calamine's unzip stops at them),
  the shared strings (size and count);
- per worksheet, the grid it would need, found without building it: for .xlsx a scan of the
  worksheet XML for cell references beyond column Z or row 99,999 (a few byte counts decide whether
  every cell carries its reference; if not, an exact scan), for .xls and .xlsb a walk over the cell
  records, for .ods a scan of content.xml honouring repeated rows and cells. Columns beyond XFD
  (16,384) mean a damaged file; a grid over `OMS_IMPORT_MAX_CELLS` cells is refused with a message
  to split the file. For .ods and .xlsb the scan also yields the merged ranges calamine does not
  report for those formats.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
from pathlib import Path
from xml.etree import ElementTree
from xml.parsers import expat

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from core.errors import ValidationFailed

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_COLUMNS = 16_384  # XFD: the widest worksheet Excel, WPS and LibreOffice write
MAX_ROWS = 1_048_576
DEFAULT_MAX_CELLS = 12_000_000  # ≈ 600 MB in calamine's grid and the rows made from it
DEFAULT_MAX_UNPACKED = 1024 ** 3
DEFAULT_MAX_SHARED_STRINGS_BYTES = 128 * 1024 ** 2
DEFAULT_MAX_SHARED_STRINGS = 2_000_000
_SMALL_PART = 32 * 1024 ** 2  # workbook.xml, rels, manifest: parsed whole
_CHUNK = 1024 ** 2
# Files that are certainly not spreadsheets, by their first bytes.
_OTHER_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b", b"BM")


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _refusal(message: str) -> ValidationFailed:
    return ValidationFailed(message, errors={"file": [message]})


def password_protected(name: str) -> ValidationFailed:
    return _refusal(_("“%(name)s” is protected with a password. Remove the password: open it in Excel or WPS, "
                      "File → Info → Protect Workbook, clear the password, then save it and upload it again.")
                    % {"name": name})


def damaged(name: str, sheet: str | None = None) -> ValidationFailed:
    if sheet:
        return _refusal(_("Sheet “%(sheet)s” of “%(name)s” is damaged and cannot be read. Open the file in Excel "
                          "or WPS and save it again.") % {"name": name, "sheet": sheet})
    return _refusal(_("“%(name)s” is damaged and cannot be read. Open it in Excel or WPS and save it again.")
                    % {"name": name})


def not_a_spreadsheet(name: str) -> ValidationFailed:
    return _refusal(_("“%(name)s” is not a spreadsheet. Upload an Excel workbook (.xlsx, .xlsm, .xlsb, .xls), a "
                      "LibreOffice spreadsheet (.ods) or a CSV file.") % {"name": name})


def too_many_cells(name: str, sheet: str, rows: int, columns: int) -> ValidationFailed:
    limit = _setting("OMS_IMPORT_MAX_CELLS", DEFAULT_MAX_CELLS)
    return _refusal(_("Sheet “%(sheet)s” of “%(name)s” spans %(rows)s rows × %(columns)s columns, more than the "
                      "%(limit)s cells that can be read at once. Delete the empty rows and columns after the "
                      "data, or split the orders into several files (or save the sheet as CSV).")
                    % {"name": name, "sheet": sheet, "rows": f"{rows:,}", "columns": f"{columns:,}",
                       "limit": f"{limit:,}"})


def too_large_unpacked(name: str, size: int, limit: int) -> ValidationFailed:
    return _refusal(_("“%(name)s” unpacks to %(size)s, more than the %(limit)s a workbook may hold. Split the "
                      "orders into several files.") % {"name": name, "size": filesizeformat(size),
                                                       "limit": filesizeformat(limit)})


# -- the format -----------------------------------------------------------------------------------

def file_format(path: Path, name: str) -> str:
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as archive:
                return _zip_format(archive, name)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
            raise damaged(name)
    if head.startswith(OLE_MAGIC):
        return _ole_format(path, name)
    if head.startswith(_OTHER_MAGIC) or head.startswith(b"PK"):
        raise not_a_spreadsheet(name)
    with path.open("rb") as handle:
        start = handle.read(2048).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<html", b"<!doctype", b"<table", b"<?xml", b"<meta")) or b"<html" in start:
        # Old systems "export to Excel" as a web page or as Excel 2003 XML, named .xls.
        raise _refusal(_("“%(name)s” is a web page or XML file, not a workbook, although Excel can open it. Open "
                         "it in Excel or WPS and save it as “Excel workbook (*.xlsx)”.") % {"name": name})
    return "csv"


def _members(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """Parts by normalised name: lower case, forward slashes, no leading slash (as Excel tolerates)."""
    return {info.filename.replace("\\", "/").lstrip("/").lower(): info for info in archive.infolist()}


def _zip_format(archive: zipfile.ZipFile, name: str) -> str:
    members = _members(archive)
    if "mimetype" in members or "content.xml" in members:
        mimetype = archive.read(members["mimetype"])[:100] if "mimetype" in members else b""
        if mimetype and not mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
            raise not_a_spreadsheet(name)
        manifest = members.get("meta-inf/manifest.xml")
        if manifest is not None and manifest.file_size < _SMALL_PART and b"encryption-data" in archive.read(manifest):
            raise password_protected(name)
        if "content.xml" not in members:
            raise damaged(name)
        return "ods"
    if "xl/workbook.bin" in members:
        return "xlsb"
    if "xl/workbook.xml" in members:
        types = members.get("[content_types].xml")
        macro = "xl/vbaproject.bin" in members or (
            types is not None and types.file_size < _SMALL_PART and b"macroenabled" in archive.read(types).lower())
        return "xlsm" if macro else "xlsx"
    raise not_a_spreadsheet(name)


def _ole_format(path: Path, name: str) -> str:
    """An OLE2 container: a password-protected .xlsx/.xlsm (EncryptedPackage) or an Excel 97–2003 book."""
    markers = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
    workbook = ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le"))
    found_workbook = False
    with path.open("rb") as handle:
        tail = b""
        while chunk := handle.read(_CHUNK):
            window = tail + chunk
            if any(marker in window for marker in markers):
                raise password_protected(name)
            found_workbook = found_workbook or any(marker in window for marker in workbook)
            tail = window[-64:]
    if not found_workbook:
        from xlrd.compdoc import CompDoc

        try:
            CompDoc(path.read_bytes(), logfile=io.StringIO())
        except Exception:  # noqa: BLE001  (xlrd raises several kinds for a broken container)
            raise damaged(name)
        raise not_a_spreadsheet(name)
    return "xls"


# -- limits ---------------------------------------------------------------------------------------

class Limits:
    """What a workbook's sheets would cost to read; `check_sheet` refuses one too large to load."""

    def __init__(self, name: str):
        self.name = name
        self.grids: dict[str, tuple[int, int]] = {}  # sheet name → (rows, columns), known before loading
        self.lazy: dict[str, object] = {}  # sheet name → callable giving (rows, columns), scanned on demand
        self._merges: dict[str, list] = {}
        self.formulas: dict[str, dict[int, set[int]]] = {}  # sheet → row number → 0-based columns
        self.hidden: dict[str, set[int]] = {}  # sheet → row numbers hidden (by hand or by a filter)

    def check_sheet(self, sheet: str) -> None:
        grid = self.grids.get(sheet)
        if grid is None and sheet in self.lazy:
            try:
                grid = self.grids[sheet] = self.lazy.pop(sheet)()
            except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError, NotImplementedError):
                raise damaged(self.name, sheet)
        if grid is None:
            return
        rows, columns = grid
        if columns > MAX_COLUMNS:  # no spreadsheet program writes such a column: the file is damaged
            raise damaged(self.name, sheet)
        if rows * columns > _setting("OMS_IMPORT_MAX_CELLS", DEFAULT_MAX_CELLS):
            raise too_many_cells(self.name, sheet, rows, columns)

    def check_all(self) -> None:
        """Formats that calamine reads whole when it opens them (.xls, .ods): every sheet, first."""
        for sheet in list(self.grids):
            self.check_sheet(sheet)

    def merges(self, sheet: str) -> list:
        return self._merges.get(sheet, [])


def check_workbook(path: Path, name: str, kind: str) -> Limits:
    limits = Limits(name)
    try:
        if kind == "xls":
            _check_xls(path, limits)
            return limits
        with zipfile.ZipFile(path) as archive:
            members = _members(archive)
            _check_unpacked(members, name)
            if kind in ("xlsx", "xlsm"):
                for sheet, part in _sheet_parts(archive, members, "xl/workbook.xml").items():
                    with archive.open(members[part]) as source:  # what it declares: refused before anything
                        _check_declared_dimension(source.read(64 * 1024), limits, sheet)
                    limits.lazy[sheet] = (lambda sheet=sheet, part=part: _xlsx_grid(path, part, limits, sheet))
                _check_shared_strings(archive, members, name)
            elif kind == "xlsb":
                for sheet, part in _sheet_parts(archive, members, "xl/workbook.bin").items():
                    with archive.open(members[part]) as source:
                        grid, merges, formulas = _xlsb_grid(source.read())
                    limits.grids[sheet], limits._merges[sheet], limits.formulas[sheet] = grid, merges, formulas
            elif kind == "ods":
                with archive.open(members["content.xml"]) as source:
                    head = source.read(4096)
                with archive.open(members["content.xml"]) as source:
                    scan = _ods_grids_fast if _ODS_USUAL_PREFIX in head else _ods_grids
                    for sheet, (grid, merges, formulas, hidden) in scan(source).items():
                        limits.grids[sheet], limits._merges[sheet] = grid, merges
                        limits.formulas[sheet], limits.hidden[sheet] = formulas, hidden
    except ValidationFailed:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError, struct.error, expat.ExpatError,
            ElementTree.ParseError, IndexError, NotImplementedError):
        raise damaged(name)
    return limits


def _check_unpacked(members: dict[str, zipfile.ZipInfo], name: str) -> None:
    limit = _setting("OMS_IMPORT_MAX_UNPACKED_BYTES", DEFAULT_MAX_UNPACKED)
    total = sum(info.file_size for info in members.values())
    if total > limit:
        raise too_large_unpacked(name, total, limit)


def _check_shared_strings(archive: zipfile.ZipFile, members: dict, name: str) -> None:
    info = members.get("xl/sharedstrings.xml")
    if info is None:
        return
    limit_bytes = _setting("OMS_IMPORT_MAX_SHARED_STRINGS_BYTES", DEFAULT_MAX_SHARED_STRINGS_BYTES)
    if info.file_size > limit_bytes:
        raise too_large_unpacked(name, info.file_size, limit_bytes)
    limit = _setting("OMS_IMPORT_MAX_SHARED_STRINGS", DEFAULT_MAX_SHARED_STRINGS)
    count, carry = 0, b""
    with archive.open(info) as source:
        while chunk := source.read(_CHUNK):
            window = carry + chunk
            count += window.count(b"<si>") + window.count(b"<si ") + window.count(b"<si/") + window.count(b":si>")
            carry = window[-3:]
            if count > limit:
                raise _refusal(_("“%(name)s” holds more than %(limit)s different texts. Split the orders into "
                                 "several files.") % {"name": name, "limit": f"{limit:,}"})


def _sheet_parts(archive: zipfile.ZipFile, members: dict, workbook_part: str) -> dict[str, str]:
    """Worksheet name → its part (normalised name), from the workbook and its relationships."""
    rels_part = posixpath.join(posixpath.dirname(workbook_part), "_rels", posixpath.basename(workbook_part) + ".rels")
    targets = {}
    rels = members.get(rels_part)
    if rels is None or rels.file_size > _SMALL_PART:
        return {}
    for element in ElementTree.fromstring(archive.read(rels)).iter():
        if element.tag.endswith("Relationship"):
            target = element.get("Target", "").replace("\\", "/")
            if target.startswith("/"):
                target = target.lstrip("/")
            else:
                target = posixpath.normpath(posixpath.join(posixpath.dirname(workbook_part), target))
            targets[element.get("Id")] = target.lower()
    if workbook_part.endswith(".bin"):
        sheets = _xlsb_sheet_ids(archive.read(members[workbook_part]))
    else:
        info = members[workbook_part]
        if info.file_size > _SMALL_PART:
            return {}
        sheets = []
        for element in ElementTree.fromstring(archive.read(info)).iter():
            if element.tag.endswith("}sheet") or element.tag == "sheet":
                rid = next((v for k, v in element.attrib.items() if k.endswith("}id")), None)
                sheets.append((element.get("name", ""), rid))
    return {sheet: targets[rid] for sheet, rid in sheets if targets.get(rid) in members}


# .xlsx: references beyond column Z or row 99,999 are all that can make a grid large.
_FAR_CELL = re.compile(rb'<c r="([A-Za-z]{2,}|[A-Za-z][0-9]{6})([0-9]*)"')
_FAR_ROW = re.compile(rb'<row r="([0-9]{6,})"')
_FORMULA_CELL = re.compile(rb'<c r="([A-Za-z]{1,3})([0-9]{1,7})"[^>]*>\s*<f[\s>/]')
_HIDDEN_ROW = re.compile(rb'<row r="([0-9]{1,7})"[^>]*?\shidden="(?:1|true)"')
_ANY_TAG = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?(c|row)([\s/>][^>]*)')
_REF = re.compile(rb'\sr\s*=\s*["\']([A-Za-z]*)([0-9]*)["\']')


def _column_number(letters: bytes) -> int:
    number = 0
    for char in letters.upper()[:8]:
        number = number * 26 + char - 64
    return number if len(letters) <= 7 else MAX_COLUMNS * 1000


def _xlsx_grid(path: Path, part: str, limits: Limits | None = None, sheet: str = "") -> tuple[int, int]:
    """An upper bound of the grid calamine would build for the worksheet: references beyond column Z
    or row 99,999 are looked at; every cell or row tag without a reference may extend the grid by
    one (calamine continues from the previous cell). Prefixed elements take the exact scan."""
    with zipfile.ZipFile(path) as archive, archive.open(_members(archive)[part]) as source:
        max_row, max_col = 99_999, 0  # rows not looked at lie within 99,999; columns A–Z are found below
        cells = cell_refs = rows = row_refs = prefixed = 0
        carry = b""
        first = True
        while True:
            chunk = source.read(_CHUNK)
            if first and limits is not None:
                _check_declared_dimension(chunk, limits, sheet)
                first = False
            window = carry + chunk
            cut = window.rfind(b"<") if chunk else len(window)
            if cut < 0:
                cut = len(window)
            text, carry = window[:cut], window[cut:]
            cells += text.count(b"<c")  # also <col>, <cfRule>…: an upper bound
            cell_refs += text.count(b'<c r="')
            rows += text.count(b"<row")
            row_refs += text.count(b'<row r="')
            prefixed += text.count(b":c")
            for letter in range(ord("Z"), ord("A") + max(max_col, 1) - 1, -1):  # the last single-letter column
                if b'<c r="' + bytes((letter,)) in text:
                    max_col = max(max_col, letter - 64)
                    break
            for match in _FAR_CELL.finditer(text):
                letters = match.group(1).rstrip(b"0123456789")
                digits = match.group(1)[len(letters):] + match.group(2)
                max_col = max(max_col, _column_number(letters))
                max_row = max(max_row, int(digits[:9] or 0))
            for match in _FAR_ROW.finditer(text):
                max_row = max(max_row, int(match.group(1)[:9]))
            if limits is not None:
                if b"<f" in text:
                    for match in _FORMULA_CELL.finditer(text):
                        limits.formulas.setdefault(sheet, {}).setdefault(int(match.group(2)), set()).add(
                            _column_number(match.group(1)) - 1)
                if b"hidden=" in text:
                    limits.hidden.setdefault(sheet, set()).update(
                        int(match.group(1)) for match in _HIDDEN_ROW.finditer(text))
            if not chunk:
                break
    if prefixed:
        return _xlsx_grid_exact(path, part)
    return max_row + (rows - row_refs), max_col + (cells - cell_refs)


_DIMENSION = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?dimension\s+ref\s*=\s*"([A-Za-z]{1,8})([0-9]{1,9})'
                        rb'(?::([A-Za-z]{1,8})([0-9]{1,9}))?"')


def _check_declared_dimension(head: bytes, limits: Limits, sheet: str) -> None:
    """A worksheet that declares (`<dimension ref="A1:XFD1048576">`) more than it may hold is refused
    before its cells are scanned: the declaration alone decides, in microseconds. A smaller
    declaration proves nothing (it may lie); the scan then decides."""
    match = _DIMENSION.search(head)
    if match is None or match.group(3) is None:
        return
    rows, columns = int(match.group(4)), _column_number(match.group(3))
    if columns > MAX_COLUMNS:
        raise damaged(limits.name, sheet)
    if rows * columns > _setting("OMS_IMPORT_MAX_CELLS", DEFAULT_MAX_CELLS):
        raise too_many_cells(limits.name, sheet, rows, columns)


def _xlsx_grid_exact(path: Path, part: str) -> tuple[int, int]:
    """Every row and cell tag, positioned as calamine positions them (a missing reference continues
    from the previous one)."""
    max_row = max_col = 0
    row = 0
    col = 0
    with zipfile.ZipFile(path) as archive, archive.open(_members(archive)[part]) as source:
        carry = b""
        while True:
            chunk = source.read(_CHUNK)
            window = carry + chunk
            cut = window.rfind(b"<") if chunk else len(window)
            if cut < 0:
                cut = len(window)
            for match in _ANY_TAG.finditer(window, 0, cut):
                ref = _REF.search(match.group(2))
                if match.group(1) == b"row":
                    row = int(ref.group(2)[:9] or 0) if ref and ref.group(2) else row + 1
                    col = 0
                else:
                    if ref and ref.group(1):
                        col = _column_number(ref.group(1))
                        if ref.group(2):
                            row = int(ref.group(2)[:9])
                    else:
                        col += 1
                    max_col, max_row = max(max_col, col), max(max_row, row)
            carry = window[cut:]
            if not chunk:
                break
    return max_row, max_col


# .xls: BIFF8 cell records carry (row, column) in their first four bytes.
_XLS_CELLS = {0x0203, 0x00FD, 0x027E, 0x0201, 0x0006, 0x0204, 0x0205, 0x00D6, 0x0406, 0x0207}
_XLS_MULTI = {0x00BD, 0x00BE}  # MULRK, MULBLANK: last column in the last two bytes


def _check_xls(path: Path, limits: Limits) -> None:
    from xlrd.compdoc import CompDoc, CompDocError

    data = path.read_bytes()
    try:
        document = CompDoc(data, logfile=io.StringIO(), ignore_workbook_corruption=True)
        stream, base, size = document.locate_named_stream("Workbook")
        if stream is None:
            stream, base, size = document.locate_named_stream("Book")
    except (CompDocError, struct.error, IndexError, ValueError):
        raise damaged(limits.name)
    if stream is None:
        raise not_a_spreadsheet(limits.name)
    end = base + size
    position = base
    names: list[str] = []
    sheet_index = -1
    in_worksheet = False
    max_row = max_col = 0
    formulas: dict[int, set[int]] = {}
    hidden: set[int] = set()
    unpack = struct.unpack_from

    def finish():
        if in_worksheet and 0 <= sheet_index < len(names):
            sheet = names[sheet_index]
            limits.grids[sheet] = (max_row + 1, max_col + 1) if (max_row or max_col) else (0, 0)
            limits.formulas[sheet], limits.hidden[sheet] = formulas, hidden

    while position + 4 <= end:
        kind, length = unpack("<HH", stream, position)
        body = position + 4
        position = body + length
        if kind in _XLS_CELLS:
            if length >= 4:
                row, col = unpack("<HH", stream, body)
                if row > max_row:
                    max_row = row
                if col > max_col:
                    max_col = col
                if kind == 0x0006:
                    formulas.setdefault(row + 1, set()).add(col)
        elif kind in _XLS_MULTI:
            if length >= 6:
                row = unpack("<H", stream, body)[0]
                last = unpack("<H", stream, body + length - 2)[0]
                max_row, max_col = max(max_row, row), max(max_col, last)
        elif kind == 0x0809:  # BOF
            finish()
            sub = unpack("<H", stream, body + 2)[0] if length >= 4 else 0
            if sub == 0x0010:
                sheet_index += 1
                in_worksheet = True
                max_row = max_col = 0
                formulas, hidden = {}, set()
            else:
                in_worksheet = False
        elif kind == 0x0085 and length >= 8:  # BOUNDSHEET: the names, worksheets only
            if stream[body + 5] == 0:
                count, flags = stream[body + 6], stream[body + 7]
                raw = stream[body + 8: body + 8 + (count * 2 if flags & 1 else count)]
                names.append(raw.decode("utf-16-le" if flags & 1 else "latin-1", errors="replace"))
        elif kind == 0x0208 and length >= 16:  # ROW: option flags, 0x20 = hidden
            if unpack("<H", stream, body + 12)[0] & 0x20:
                hidden.add(unpack("<H", stream, body)[0] + 1)
        elif kind == 0x002F:  # FILEPASS
            raise password_protected(limits.name)
    finish()


# .xlsb: BIFF12 records, a variable-length type and size.
_XLSB_CELLS = set(range(1, 12)) | {62}
_XLSB_ROW, _XLSB_MERGE, _XLSB_SHEET = 0, 176, 156


def _xlsb_records(data: bytes):
    position, end = 0, len(data)
    while position < end:
        kind = data[position]
        position += 1
        if kind & 0x80:
            kind = (kind & 0x7F) | ((data[position] & 0x7F) << 7)
            position += 1
        size = shift = 0
        for _byte in range(4):
            byte = data[position]
            position += 1
            size |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        yield kind, position, size
        position += size


def _xlsb_grid(data: bytes) -> tuple[tuple[int, int], list, dict]:
    row = max_row = max_col = -1
    merges = []
    formulas: dict[int, set[int]] = {}
    unpack = struct.unpack_from
    for kind, body, size in _xlsb_records(data):
        if kind == _XLSB_ROW and size >= 4:
            row = unpack("<I", data, body)[0]
        elif kind in _XLSB_CELLS and size >= 4:
            col = unpack("<I", data, body)[0]
            max_col, max_row = max(max_col, col), max(max_row, row)
            if 8 <= kind <= 11:
                formulas.setdefault(row + 1, set()).add(col)
        elif kind == _XLSB_MERGE and size >= 16:
            first_row, last_row, first_col, last_col = unpack("<IIII", data, body)
            merges.append(((first_row, first_col), (last_row, last_col)))
    return (max_row + 1, max_col + 1), merges, formulas


def _xlsb_sheet_ids(data: bytes) -> list[tuple[str, str]]:
    sheets = []
    for kind, body, size in _xlsb_records(data):
        if kind == _XLSB_SHEET and size >= 12:
            position = body + 8
            length = struct.unpack_from("<I", data, position)[0]
            rid = data[position + 4: position + 4 + 2 * length].decode("utf-16-le")
            position += 4 + 2 * length
            length = struct.unpack_from("<I", data, position)[0]
            name = data[position + 4: position + 4 + 2 * length].decode("utf-16-le")
            sheets.append((name, rid))
    return sheets


# .ods: content.xml, rows and cells possibly repeated thousands of times.
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


_ODS_USUAL_PREFIX = b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
_ODS_TAG = re.compile(rb"<(/?)table:(table-row|table-cell|covered-table-cell|table)(?=[\s/>])([^>]*)>")
_ODS_ATTR = re.compile(rb'(table:number-columns-repeated|table:number-rows-repeated|table:number-rows-spanned|'
                       rb'table:number-columns-spanned|table:visibility|table:formula|office:value-type|table:name)'
                       rb'\s*=\s*"([^"]*)"')


def _ods_attr(rest: bytes, name: bytes) -> bytes | None:
    for key, value in _ODS_ATTR.findall(rest):
        if key == name:
            return value
    return None


def _ods_grids_fast(source) -> dict[str, tuple]:
    """`_ods_grids` for content.xml with the usual `table:`/`office:` prefixes (LibreOffice, Excel,
    WPS): a regex over the tags instead of expat callbacks for every element, ~5× faster. A cell
    counts as filled when it has a value type or a formula, or content (it is not self-closing)."""
    sheets: dict = {}
    name = None
    row = col = row_repeat = max_row = max_col = 0
    row_hidden = False
    merges: list = []
    formulas: dict = {}
    hidden: set = set()
    carry = b""
    while True:
        chunk = source.read(_CHUNK)
        window = carry + chunk
        cut = window.rfind(b"<") if chunk else len(window)
        if cut < 0:
            cut = len(window)
        for match in _ODS_TAG.finditer(window, 0, cut):
            closing, tag, rest = match.group(1), match.group(2), match.group(3)
            if tag == b"table-cell" or tag == b"covered-table-cell":
                if closing:
                    continue
                # Most cells have neither repeats nor spans: plain substring tests decide, no attribute parsing.
                repeat = int(_ods_attr(rest, b"table:number-columns-repeated") or 1) if b"repeated" in rest else 1
                if tag == b"table-cell":
                    formula = b"table:formula" in rest
                    if formula and repeat < MAX_COLUMNS:
                        formulas.setdefault(row + 1, set()).update(range(col, col + repeat))
                    if formula or b"value-type" in rest or not rest.endswith(b"/"):
                        if col + repeat > max_col:
                            max_col = col + repeat
                        if row + row_repeat > max_row:
                            max_row = row + row_repeat
                    if b"spanned" in rest:
                        spans = (int(_ods_attr(rest, b"table:number-rows-spanned") or 1),
                                 int(_ods_attr(rest, b"table:number-columns-spanned") or 1))
                        if spans != (1, 1):
                            merges.append(((row, col), (row + spans[0] - 1, col + spans[1] - 1)))
                col += repeat
            elif tag == b"table-row":
                if closing:
                    if row_hidden and max_row > row:
                        hidden.update(range(row + 1, row + 1 + min(row_repeat, MAX_ROWS)))
                    row += row_repeat
                    continue
                attrs = dict(_ODS_ATTR.findall(rest)) if b"=" in rest else {}
                row_repeat = int(attrs.get(b"table:number-rows-repeated", 1))
                row_hidden = attrs.get(b"table:visibility", b"visible") != b"visible"
                col = 0
                if rest.endswith(b"/"):  # an empty row element
                    row += row_repeat
            elif closing:
                sheets[name] = ((max_row, max_col), merges, formulas, hidden)
            else:
                attrs = dict(_ODS_ATTR.findall(rest))
                name = attrs.get(b"table:name", b"").decode("utf-8", "replace")
                row = col = max_row = max_col = 0
                merges, formulas, hidden = [], {}, set()
        carry = window[cut:]
        if not chunk:
            break
    return sheets


def _ods_grids(source) -> dict[str, tuple]:
    sheets: dict = {}
    state = {"sheet": None, "row": 0, "row_repeat": 1, "col": 0, "cell": None, "max_row": 0, "max_col": 0,
             "merges": [], "formulas": {}, "hidden": set(), "row_hidden": False}
    table, row, cell, covered = f"{_TABLE}table", f"{_TABLE}table-row", f"{_TABLE}table-cell", (
        f"{_TABLE}covered-table-cell")

    def start(name, attrs):
        if name == cell or name == covered:
            repeat = int(attrs.get(f"{_TABLE}number-columns-repeated", "1") or 1)
            filled = name == cell and (f"{_OFFICE}value-type" in attrs or f"{_TABLE}formula" in attrs)
            state["cell"] = [state["col"], repeat, filled]
            if f"{_TABLE}formula" in attrs and repeat < MAX_COLUMNS:
                state["formulas"].setdefault(state["row"] + 1, set()).update(range(state["col"], state["col"] + repeat))
            rows_spanned = int(attrs.get(f"{_TABLE}number-rows-spanned", "1") or 1)
            cols_spanned = int(attrs.get(f"{_TABLE}number-columns-spanned", "1") or 1)
            if name == cell and (rows_spanned > 1 or cols_spanned > 1):
                first_row, first_col = state["row"], state["col"]
                state["merges"].append(((first_row, first_col),
                                        (first_row + rows_spanned - 1, first_col + cols_spanned - 1)))
        elif name == row:
            state["row_repeat"] = int(attrs.get(f"{_TABLE}number-rows-repeated", "1") or 1)
            state["col"] = 0
            state["row_hidden"] = attrs.get(f"{_TABLE}visibility", "visible") != "visible"
        elif name == table:
            state.update(sheet=attrs.get(f"{_TABLE}name", ""), row=0, max_row=0, max_col=0, merges=[], formulas={},
                         hidden=set())
        elif state["cell"] is not None:
            state["cell"][2] = True  # text or other content inside the cell

    def end(name):
        if name == cell or name == covered:
            first, repeat, filled = state["cell"]
            state["col"] = first + repeat
            if filled:
                state["max_col"] = max(state["max_col"], first + repeat)
                state["max_row"] = max(state["max_row"], state["row"] + state["row_repeat"])
            state["cell"] = None
        elif name == row:
            if state["row_hidden"] and state["max_row"] > state["row"]:  # a hidden row that holds data
                state["hidden"].update(range(state["row"] + 1, state["row"] + 1 + min(state["row_repeat"], MAX_ROWS)))
            state["row"] += state["row_repeat"]
        elif name == table:
            sheets[state["sheet"]] = ((state["max_row"], state["max_col"]), state["merges"], state["formulas"],
                                      state["hidden"])

    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.ParseFile(source)
    return sheets
