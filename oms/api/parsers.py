"""The API's JSON parser: DRF's, plus a 400 (not a 500) for JSON nested too deeply to decode."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:  # e.g. 50,000 nested arrays: Python's decoder gives up with RecursionError
            raise ParseError(_("JSON parse error - nested too deeply."))
