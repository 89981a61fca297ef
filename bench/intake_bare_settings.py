"""Settings of the bare reference server `bench/intake.py` runs beside OMS: OMS's own settings (same
database, middleware, DRF and token authentication) with a URLconf of one plain DRF create view."""

from oms.settings import *  # noqa: F403

ROOT_URLCONF = "bench.intake_bare_urls"
