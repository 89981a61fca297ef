"""schemathesis hooks of `scripts/fuzz_api.py` (loaded through SCHEMATHESIS_HOOKS).

A request line longer than gunicorn's `limit_request_line` (4,094 bytes, the default that
`oms/gunicorn.conf.py` keeps; nginx in front has a similar buffer limit) is answered 414 by the
HTTP server before OMS sees it. That is the server's documented protection, not an API response, so
the fuzzing generates no request that long: it tests OMS, behind the server's limit.
"""

from __future__ import annotations

from urllib.parse import urlencode

import schemathesis

REQUEST_LINE_LIMIT = 4094
MARGIN = 256  # method, " HTTP/1.1", and encodings that differ slightly from the client's


def request_line_length(case) -> int:
    query = urlencode({str(k): v for k, v in (case.query or {}).items()}, doseq=True)
    return len(case.method) + 1 + len(case.formatted_path) + (1 + len(query) if query else 0) + len(" HTTP/1.1")


@schemathesis.hook
def filter_case(ctx, case) -> bool:
    return request_line_length(case) <= REQUEST_LINE_LIMIT - MARGIN
