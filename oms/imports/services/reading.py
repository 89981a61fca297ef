"""Reading a legacy file: its header, then its rows spooled to a temporary file with their order keys.

Rows of one order need not be adjacent: the spool remembers, for each order key (渠道, 订单号), the
position of its last row, so that the second pass (`importer`) can hand an order on at that row."""

from __future__ import annotations

import pickle
from operator import itemgetter

from django.utils.translation import gettext as _

from oms.imports.columns import INDEX, KEYS, HeaderMatch, match_header
from oms.imports.models import ImportBatch
from oms.imports.readers import Sheet, open_sheet, unreadable
from oms.imports.services.report import Problem, _setting
from oms.imports.values import cell_text

DEFAULT_MAX_ROWS = 1_000_000
SPOOL_CHUNK = 2000


def _blank(values) -> bool:
    for value in values:
        if value is not None and (value.__class__ is not str or value.strip()):
            return False
    return True


HEADER_SEARCH_ROWS = 10  # title and export-information rows may stand above the header


def read_header(sheet: Sheet, name: str, rows=None):
    """(row number, HeaderMatch, remaining rows iterator); a file without the required columns is refused.

    The header is the first of the first 10 non-blank rows that holds every required column (title
    and export-information rows above it are skipped and noted in `sheet.notes`). `rows`: where to
    look (the sheet's rows unless given)."""
    rows = iter(sheet.rows() if rows is None else rows)
    candidates: list[tuple[int, list, HeaderMatch]] = []
    for number, cells in rows:
        if _blank(cells):
            continue
        match = match_header(cells)
        candidates.append((number, cells, match))
        if not match.missing or len(candidates) >= HEADER_SEARCH_ROWS:
            break
    if not candidates:
        raise unreadable(_("“%(name)s” contains no rows.") % {"name": name})
    number, cells, match = candidates[-1]
    if match.missing:
        # No row holds them all: name what the most header-like row lacks.
        number, cells, match = max(candidates, key=lambda c: (len(c[2].positions), -c[0]))
        names = ", ".join(f"{c.zh} ({c.key})" if c.zh != c.key.upper() else c.zh for c in match.missing)
        where = _sheet_and_row(sheet, number)
        if number == candidates[0][0] or not match.positions:
            raise unreadable(_("Required columns are missing: %(columns)s. The first row must hold the column headers "
                               "in Chinese or English, as in the template.") % {"columns": names})
        raise unreadable(_("No row among the first %(count)s holds all the template's required columns; %(where)s "
                           "comes closest but lacks: %(columns)s. Put the column headers in one row, in Chinese or "
                           "English, as in the template.")
                         % {"count": len(candidates), "where": where, "columns": names})
    if match.duplicated:
        raise unreadable(_("These columns appear more than once: %(columns)s. Keep one of each.")
                         % {"columns": ", ".join(match.duplicated)})
    above = candidates[:-1]
    if above:
        text = " / ".join(" ".join(cell_text(c) for c in cells if cell_text(c))[:40] for _n, cells, _m in above)
        sheet.notes.append((number, _("The header is in row %(row)s: rows %(rows)s above it were skipped "
                                      "(“%(text)s”).") % {"row": number, "rows": row_ranges([n for n, _c, _m in above]),
                                                          "text": text}))
    return number, match, rows


def row_ranges(rows: list[int], limit: int = 30) -> str:
    """`2, 5–9, 12` for rows [2, 5, 6, 7, 8, 9, 12]; long lists end with “… (N rows)”."""
    ranges: list[list[int]] = []
    for row in rows:
        if ranges and row == ranges[-1][1] + 1:
            ranges[-1][1] = row
        else:
            ranges.append([row, row])
    parts = [str(a) if a == b else f"{a}–{b}" for a, b in ranges[:limit]]
    if len(ranges) > limit:
        parts.append(_("… (%(count)s rows)") % {"count": f"{len(rows):,}"})
    return ", ".join(parts)


def _sheet_and_row(sheet: Sheet, number: int) -> str:
    if sheet.sheet_name:
        return _("row %(row)s of sheet “%(sheet)s”") % {"row": number, "sheet": sheet.sheet_name}
    return _("row %(row)s") % {"row": number}


def legacy_file_inspect(*, path, file_name: str) -> str:
    """Open the file and check its header without reading the rows; returns the file type."""
    with open_sheet(path, file_name) as sheet:
        read_header(sheet, file_name)
        return sheet.kind


class _Reading:
    """The `_Importer`'s reading: the file's rows to the spool."""

    def _spool(self, rows, match: HeaderMatch, spool) -> tuple[int, dict]:
        """Rows to the spool file with their order keys, in pickled chunks; (rows spooled, the last row
        index of every order key)."""
        positions = [match.positions.get(key) for key in KEYS]
        # Fast path: a row wide enough for every known column is picked apart in C.
        present = [p for p in positions if p is not None]
        width_needed = max(present) + 1
        absent = [i for i, p in enumerate(positions) if p is None]
        pick = itemgetter(*present) if len(present) > 1 else None
        i_channel, i_number = INDEX["channel"], INDEX["order_number"]
        lookup = self.channel_lookup.get
        channel_keys: dict = {}
        last_seen: dict = {}
        chunk: list = []
        seq = 0
        for number, cells in rows:
            width = len(cells)
            if pick is not None and width >= width_needed and not absent:
                values = pick(cells)
            else:
                values = tuple(cells[p] if p is not None and p < width else None for p in positions)
            if _blank(values):
                continue
            raw_channel, external_id = values[i_channel], cell_text(values[i_number])
            channel_text = cell_text(raw_channel)
            if not external_id or not channel_text:
                key = ("", "", number)  # cannot be grouped: an order of its own, rejected
            else:
                channel_key = channel_keys.get(channel_text)
                if channel_key is None:
                    channel = lookup(channel_text)
                    channel_key = channel.code if channel else f"?{channel_text.casefold()}"
                    channel_keys[channel_text] = channel_key
                key = (channel_key, external_id)
            last_seen[key] = seq
            chunk.append((number, key, values))
            seq += 1
            if len(chunk) >= SPOOL_CHUNK:
                pickle.dump(chunk, spool, protocol=pickle.HIGHEST_PROTOCOL)
                chunk = []
                self._check_row_count(seq)
                self._report_progress(ImportBatch.Phase.READING, 0, seq)
        if chunk:
            pickle.dump(chunk, spool, protocol=pickle.HIGHEST_PROTOCOL)
        self._check_row_count(seq)
        spool.flush()
        return seq, last_seen

    def _reading_warnings(self, sheet: Sheet, header_row: int, match: HeaderMatch) -> None:
        """What the reader did to the file's cells, as warnings of the run (after the rows were read)."""
        warnings = self.report.warnings
        for row, message in sheet.notes:
            warnings.append(Problem(row, "", "", message))
        if sheet.merged_ranges:
            warnings.append(Problem(None, "", "", _(
                "%(count)s merged cell ranges were filled: every row a merged range covers took the value of its "
                "top-left cell, as Excel shows it.") % {"count": sheet.merged_ranges}))
        hidden = sorted(row for row in sheet.hidden_rows if row > header_row)
        if hidden:
            warnings.append(Problem(hidden[0], "", "", _(
                "Rows hidden in the file (by hand or by a filter) were read like the others: rows %(rows)s. "
                "Delete the rows that should not be imported.") % {"rows": row_ranges(hidden)}))
        self.formula_cells = sheet.formula_cells
        self.formula_slots = [(key, match.positions[key]) for key in KEYS if key in match.positions]
        by_column: dict[str, list[int]] = {}
        for row, columns in sheet.formula_cells.items():
            if row <= header_row:
                continue
            for key, position in self.formula_slots:
                if position in columns:
                    by_column.setdefault(key, []).append(row)
        for key, rows in by_column.items():
            rows.sort()
            warnings.append(Problem(rows[0], self._column(key), "", _(
                "Formula cells: the value the file saved for each was imported (rows %(rows)s).")
                % {"rows": row_ranges(rows)}))

    @staticmethod
    def _check_row_count(rows: int) -> None:
        max_rows = int(_setting("OMS_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))
        if rows > max_rows:
            raise unreadable(_("The file has more than %(limit)s rows; split it into several files.")
                             % {"limit": f"{max_rows:,}"})


def _spooled_chunks(spools: list):
    for spool in spools:
        spool.seek(0)
        while True:
            try:
                yield pickle.load(spool)
            except EOFError:
                break
