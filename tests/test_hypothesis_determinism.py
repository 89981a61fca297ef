"""A derandomised Hypothesis run draws the same values whatever modules were imported before it.

Hypothesis mixes literals from the project modules in `sys.modules` into its draws; in the suite,
earlier tests had imported more of them than a run of one file, so the after-sales property test
drew other steps there than alone (root conftest: `_hypothesis_draws_ignore_imported_modules`).
"""

import importlib
import sys

from hypothesis import given, settings
from hypothesis import strategies as st


def _draws() -> list:
    seen = []

    @settings(derandomize=True, database=None, max_examples=200, deadline=None)
    @given(st.integers(0, 10**6), st.text(max_size=4))
    def probe(number, text):
        seen.append((number, text))

    probe()
    return seen


def test_derandomised_draws_do_not_depend_on_what_was_imported_before(tmp_path, monkeypatch):
    before = _draws()
    # Project code that an earlier test would have imported: a module full of literals.
    (tmp_path / "late_project_module.py").write_text(
        "LIMITS = (" + ", ".join(str(n) for n in range(100_000, 100_500, 7)) + ")\n"
        "LABELS = ('寄回', '拒收', 'refund-late', 'SF-waybill')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module("late_project_module")
    try:
        assert _draws() == before
    finally:
        sys.modules.pop("late_project_module", None)
