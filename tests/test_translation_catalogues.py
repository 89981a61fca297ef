"""Every zh-hans catalogue is complete: a clerk never meets an English string the catalogue forgot.

`make messages` extracts new strings as untranslated (or fuzzy, when gettext guesses from a similar
one, often wrongly); both are left out of the compiled catalogue and show in English.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = sorted(p for p in ROOT.glob("**/locale/zh_Hans/LC_MESSAGES/django.po") if ".venv" not in p.parts)


def test_there_are_catalogues():
    assert len(CATALOGUES) >= 10


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs GNU gettext's msgfmt (scripts/system-deps.sh)")
@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalogue_has_no_untranslated_or_fuzzy_entries(catalogue):
    result = subprocess.run(["msgfmt", "--check-format", "--statistics", "-o", "/dev/null", str(catalogue)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr
