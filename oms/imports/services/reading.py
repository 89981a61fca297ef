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
from oms.imports.services.report import _setting
from oms.imports.values import cell_text

DEFAULT_MAX_ROWS = 1_000_000
SPOOL_CHUNK = 2000


def _blank(values) -> bool:
    for value in values:
        if value is not None and (value.__class__ is not str or value.strip()):
            return False
    return True


def read_header(sheet: Sheet, name: str, rows=None):
    """(row number, HeaderMatch, remaining rows iterator); a file without the required columns is refused.

    `rows`: where to look (the sheet's rows unless given, say the first part of a split sheet)."""
    rows = sheet.rows() if rows is None else rows
    for number, cells in rows:  # noqa: B007  (the header's row number is returned)
        if not _blank(cells):
            break
    else:
        raise unreadable(_("“%(name)s” contains no rows.") % {"name": name})
    match = match_header(cells)
    if match.missing:
        names = ", ".join(f"{c.zh} ({c.key})" if c.zh != c.key.upper() else c.zh for c in match.missing)
        raise unreadable(_("Required columns are missing: %(columns)s. The first row must hold the column headers "
                           "in Chinese or English, as in the template.") % {"columns": names})
    if match.duplicated:
        raise unreadable(_("These columns appear more than once: %(columns)s. Keep one of each.")
                         % {"columns": ", ".join(match.duplicated)})
    return number, match, rows


def legacy_file_inspect(*, path, file_name: str) -> str:
    """Open the file and check its header without reading the rows; returns the file type."""
    with open_sheet(path, file_name) as sheet:
        read_header(sheet, file_name)
        return sheet.kind


class _Reading:
    """The `_Importer`'s reading: the file's rows to the spool (also run by a forked reader, `parallel`)."""

    def _spool(self, rows, match: HeaderMatch, spool, *, progress: bool = True) -> tuple[int, dict]:
        """Rows to the spool file with their order keys, in pickled chunks; (rows spooled, the last row
        index of every order key). `progress=False` in a forked reader, which must not touch the database."""
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
                if progress:
                    self._report_progress(ImportBatch.Phase.READING, 0, seq)
        if chunk:
            pickle.dump(chunk, spool, protocol=pickle.HIGHEST_PROTOCOL)
        self._check_row_count(seq)
        spool.flush()
        return seq, last_seen

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
