"""Chinese phone numbers as people type them: `+86 138-1234-1234`, full-width digits, landlines."""

from __future__ import annotations

import re
import unicodedata

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-\d{7,8}$")
# A mobile number already in canonical form (what the import, the API and the search columns pass
# most of the time): ASCII digits only, returned as the full path below would return it.
_CANONICAL_MOBILE = re.compile(r"1[3-9][0-9]{9}")
# Dashes that NFKC leaves alone but people (and word processors) type between digit groups.
_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"})


def normalise_phone(raw: str | None) -> str | None:
    """The canonical form (`13812341234` or `0571-88881234`), or None when it is not a phone."""
    if raw is None:
        return None
    if isinstance(raw, str) and _CANONICAL_MOBILE.fullmatch(raw):
        return str(raw)
    text = unicodedata.normalize("NFKC", str(raw)).translate(_DASHES).strip()
    text = re.sub(r"[\s()（）.]", "", text)
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    text = text.lstrip("-")
    digits_only = text.replace("-", "")
    if MOBILE_RE.match(digits_only):
        return digits_only
    if LANDLINE_RE.match(text):
        return text
    # A landline written without its dash: area codes 010 and 02x have 3 digits, others 4.
    if re.fullmatch(r"0\d{9,11}", digits_only):
        area_len = 3 if digits_only[1] in "12" else 4
        candidate = f"{digits_only[:area_len]}-{digits_only[area_len:]}"
        if LANDLINE_RE.match(candidate):
            return candidate
    return None
