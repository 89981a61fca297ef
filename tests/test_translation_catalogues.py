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


def _entries(catalogue: Path) -> dict[tuple[str | None, str], str]:
    """(msgctxt, msgid) → msgstr of a .po file's live, translated entries (plurals: the forms joined)."""
    entries: dict[tuple[str | None, str], str] = {}
    fields: dict[str, str] = {}
    current = ""

    def flush():
        if "msgid" in fields and fields["msgid"] and "fuzzy" not in fields:
            text = fields.get("msgstr") or " | ".join(v for k, v in sorted(fields.items()) if k.startswith("msgstr["))
            if text:
                entries[(fields.get("msgctxt"), fields["msgid"])] = text
        fields.clear()

    for raw in catalogue.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("#,") and "fuzzy" in line:
            fields["fuzzy"] = ""
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            fields[current] += line[1:-1].encode("raw_unicode_escape").decode("unicode_escape")
        else:
            current, _, value = line.partition(" ")
            fields[current] = value[1:-1].encode("raw_unicode_escape").decode("unicode_escape")
    return entries


def test_the_same_msgid_means_the_same_in_every_catalogue():
    """Two apps translating one msgid differently is a glossary conflict (`docs/glossary.md`): Django
    merges the catalogues and the first app wins, so one screen would show the other's word. Pick the
    glossary's term, or give the msgid a context (`pgettext`) where the meanings really differ."""
    seen: dict[tuple[str | None, str], dict[str, str]] = {}
    for catalogue in CATALOGUES:
        app = str(catalogue.relative_to(ROOT).parent.parent.parent.parent) or "."
        for key, text in _entries(catalogue).items():
            seen.setdefault(key, {})[app] = text
    conflicts = [f"{ctx + ' | ' if ctx else ''}{msgid!r}: {apps}" for (ctx, msgid), apps in sorted(
        seen.items(), key=lambda item: (item[0][0] or "", item[0][1])) if len(set(apps.values())) > 1]
    assert conflicts == [], f"{len(conflicts)} msgids translated differently:\n" + "\n".join(conflicts)
