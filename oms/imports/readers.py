"""Reading legacy spreadsheets as a stream of rows, whatever wrote them.

`open_sheet(path, file_name)` recognises the format from the file's bytes (never its name), refuses
what it cannot read with a message a migration clerk understands (`ValidationFailed`), and returns a
`Sheet` whose `rows()` yields `(row number as Excel shows it, [cell values])`:

- workbooks — .xlsx, .xlsm, Strict Open XML, .xlsb, .xls (Excel 97–2003) and .ods — are read by
  python-calamine (the Rust calamine library, which pandas also uses for this). One code path for
  every format: the sheet read is the first worksheet that holds the template's header in its first
  rows (an empty first sheet is skipped with a note), merged ranges are filled from their top-left
  cell and empty cells are None.
- `.csv`: UTF-8 with or without BOM, UTF-16 with BOM, or GBK/GB18030 (detected with
  charset-normalizer when the bytes are not UTF-8); delimiter comma, semicolon or tab, chosen by
  which one splits the header into the most known column names.

calamine holds a worksheet in memory as a dense grid (every cell from A1 to the last one used), and
a grid too large to allocate aborts the process. `oms.imports.guards` therefore checks each
workbook before calamine sees it: decompressed size, shared strings, and the grid each sheet would
need (`OMS_IMPORT_MAX_CELLS`, 12 million cells ≈ 600 MB) — a workbook declaring a cell at XFD1048576
is refused in a fraction of a second, a legitimately huge one with a message to split it.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import ValidationFailed
from oms.imports import guards
from oms.imports.columns import match_header, recognised_count

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
SAMPLE_BYTES = 64 * 1024
HEADER_SEARCH_ROWS = 10  # the header may sit below title and export-information rows
# What the upload field accepts and the template page lists (contract: import-template.md).
EXTENSIONS = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".csv")
ACCEPT = ",".join(EXTENSIONS)
FORMATS = gettext_lazy("Excel workbook (.xlsx, macro-enabled .xlsm, binary .xlsb, Excel 97–2003 .xls), "
                       "LibreOffice spreadsheet (.ods) or CSV (UTF-8 or GBK), as saved by Excel, WPS or LibreOffice")


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
    sheet_name = ""

    def __init__(self):
        # Things the clerk should know about how the file was read (skipped sheets, merged ranges
        # filled, …): (row or None, message); the import adds them to its report's warnings.
        self.notes: list[tuple[int | None, str]] = []
        self.merged_ranges = 0  # merged ranges whose value was filled into the rows they cover
        self.formula_cells: dict[int, set[int]] = {}  # row number → 0-based columns holding a formula
        self.hidden_rows: set[int] = set()  # row numbers hidden in the file (by hand or by a filter)

    def rows(self) -> Iterator[tuple[int, list]]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_sheet(path: str | os.PathLike, file_name: str | None = None) -> Sheet:
    """The sheet of the file at `path` that holds the orders; `file_name` is the name the user gave it."""
    path = Path(path)
    name = file_name or path.name
    if not path.is_file():
        raise unreadable(_("File “%(name)s” does not exist.") % {"name": name})
    check_size(path.stat().st_size, name)
    kind = guards.file_format(path, name)
    if kind == "csv":
        return CsvSheet(path, name)
    return WorkbookSheet(path, name, kind)


class WorkbookSheet(Sheet):
    """A worksheet of any workbook format, through python-calamine."""

    def __init__(self, path: Path, name: str, kind: str):
        import python_calamine

        super().__init__()
        self.kind = kind
        self.name = name
        self.limits = guards.check_workbook(path, name, kind)
        if kind in ("xls", "ods"):
            self.limits.check_all()
        try:
            # From the bytes, not the path: calamine would pick the format by the file's extension.
            self._handle = path.open("rb")
            self.workbook = python_calamine.CalamineWorkbook.from_filelike(self._handle)
            sheets = [meta.name for meta in self.workbook.sheets_metadata
                      if meta.typ == python_calamine.SheetTypeEnum.WorkSheet]
        except python_calamine.PasswordError:
            self.close()
            raise guards.password_protected(name)
        except (python_calamine.CalamineError, ValueError, OSError, EOFError):
            self.close()
            raise guards.damaged(name)
        self.sheet = self._pick(sheets)
        self.formula_cells = self.limits.formulas.get(self.sheet_name, {})
        self.hidden_rows = self.limits.hidden.get(self.sheet_name, set())

    def _load(self, sheet_name: str):
        import python_calamine

        self.limits.check_sheet(sheet_name)
        try:
            return self.workbook.get_sheet_by_name(sheet_name)
        except python_calamine.PasswordError:
            raise guards.password_protected(self.name)
        except (python_calamine.CalamineError, ValueError, OSError, EOFError):
            raise guards.damaged(self.name, sheet_name)

    def _pick(self, sheet_names: list[str]):
        """The first worksheet with the template's header in its first rows; else the first that holds
        anything (the header check then says which columns are missing). Sheets skipped are noted."""
        first_with_data = None
        empty: list[str] = []
        others: list[str] = []
        for sheet_name in sheet_names:
            sheet = self._load(sheet_name)
            head = []
            for cells in sheet.iter_rows():
                if any(cell != "" for cell in cells):
                    head.append(cells)
                if len(head) >= HEADER_SEARCH_ROWS:
                    break
            if not head:
                empty.append(sheet_name)
                continue
            if first_with_data is None:
                first_with_data = (sheet_name, sheet)
            if any(recognised_count(cells) and not match_header(cells).missing for cells in head):
                self.sheet_name = sheet_name
                self._note_skipped(empty, others)
                return sheet
            others.append(sheet_name)
        if first_with_data is None:
            self.close()
            if len(sheet_names) > 1:
                raise unreadable(_("“%(name)s” has no data on any of its sheets (%(sheets)s).")
                                 % {"name": self.name, "sheets": "、".join(sheet_names)})
            raise unreadable(_("Sheet “%(sheet)s” of “%(name)s” is empty: put the orders on it, header first.")
                             % {"name": self.name, "sheet": sheet_names[0] if sheet_names else ""})
        self.sheet_name = first_with_data[0]
        return first_with_data[1]

    def _note_skipped(self, empty: list[str], others: list[str]) -> None:
        for sheet_name in empty:
            self.notes.append((None, _("Sheet “%(skipped)s” is empty and was skipped; the orders were read from "
                                       "sheet “%(sheet)s”.") % {"skipped": sheet_name, "sheet": self.sheet_name}))
        for sheet_name in others:
            self.notes.append((None, _("Sheet “%(skipped)s” has no order header and was skipped; the orders were "
                                       "read from sheet “%(sheet)s”.") % {"skipped": sheet_name,
                                                                          "sheet": self.sheet_name}))

    def rows(self) -> Iterator[tuple[int, list]]:
        sheet = self.sheet
        start = sheet.start
        pad = [None] * (start[1] if start else 0)  # iter_rows starts at row 1 but at the first used column
        merges = _merges(sheet.merged_cell_ranges or self.limits.merges(self.sheet_name))
        pending: dict[int, list] = {}  # row index → [(first column, last column, top-left value)]
        filled = set()
        for index, cells in enumerate(sheet.iter_rows()):
            # Empty cells are "" to calamine; numbers are floats (the value checks take whole ones).
            values = pad + [None if cell == "" else cell for cell in cells]
            if merges or pending:
                self._fill(index, values, merges, pending, filled)
            yield index + 1, values

    def _fill(self, index: int, values: list, merges: dict, pending: dict, filled: set) -> None:
        """A merged range's top-left value into every cell the range covers (Excel shows it there)."""
        for first_row, first_col, last_row, last_col in merges.get(index, ()):
            value = values[first_col] if first_col < len(values) else None
            if value is not None and (last_row > first_row or last_col > first_col):
                for covered in range(first_row, last_row + 1):
                    pending.setdefault(covered, []).append((first_col, last_col, value, first_row))
        for first_col, last_col, value, first_row in pending.pop(index, ()):
            if len(values) <= last_col:
                values.extend([None] * (last_col + 1 - len(values)))
            for col in range(first_col, last_col + 1):
                if values[col] is None:
                    values[col] = value
                    if (first_row, first_col) not in filled:
                        filled.add((first_row, first_col))
                        self.merged_ranges += 1

    def close(self) -> None:
        workbook = getattr(self, "workbook", None)
        if workbook is not None:
            try:
                workbook.close()
            except Exception:  # noqa: BLE001  (already closed)
                pass
            self.workbook = None
        handle = getattr(self, "_handle", None)
        if handle is not None:
            handle.close()
            self._handle = None


def _merges(ranges) -> dict[int, list]:
    """Merged ranges by their first row: (first row, first column, last row, last column), 0-based."""
    by_row: dict[int, list] = {}
    for (first_row, first_col), (last_row, last_col) in ranges or ():
        by_row.setdefault(first_row, []).append((first_row, first_col, last_row, last_col))
    return by_row


class CsvSheet(Sheet):
    kind = "csv"

    def __init__(self, path: Path, name: str):
        super().__init__()
        self.path = path
        self.name = name
        with path.open("rb") as handle:
            sample = handle.read(SAMPLE_BYTES)
        self.encoding = _detect_encoding(sample, name)
        decoded = codecs.getincrementaldecoder(self.encoding)(errors="replace").decode(sample, final=False)
        if "\x00" in decoded:
            raise guards.not_a_spreadsheet(name)
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
