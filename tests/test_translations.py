"""Italian is complete: every source string of the project has an Italian translation, none fuzzy,
and the compiled catalogue that Django loads matches the .po file.

The project's strings are extracted afresh (Django's makemessages, run on a copy of the sources
in a temporary folder), so a string added to a template or a view without a translation fails
here, not in front of an Italian customer.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "locale" / "it" / "LC_MESSAGES" / "django.po"
SOURCE_DIRS = [
    "portal",
    "accounts",
    "security",
    "organizations",
    "billing",
    "tags",
    "tokens",
    "offers",
    "templates",
]
COMPLETE_LANGUAGES = ["it"]


def _extract(tmp_path: Path) -> polib.POFile:
    if shutil.which("xgettext") is None:
        if os.environ.get("CI"):
            pytest.fail("xgettext (Debian's gettext) is needed to extract the strings.")
        pytest.skip("xgettext (Debian's gettext) is not installed.")
    for name in SOURCE_DIRS:
        shutil.copytree(
            ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("migrations", "__pycache__")
        )
    (tmp_path / "locale").mkdir()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "--locale",
            "it",
            "--no-obsolete",
            "--no-location",
            "--ignore",
            "static/*",
        ],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings"},
    )
    return polib.pofile(str(tmp_path / "locale" / "it" / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("language", COMPLETE_LANGUAGES)
def test_committed_catalogue_has_no_untranslated_or_fuzzy_entries(language: str) -> None:
    po = polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))
    missing = [e.msgid for e in po if not e.obsolete and not e.translated()]
    fuzzy = [e.msgid for e in po if "fuzzy" in e.flags and not e.obsolete]
    assert not missing, f"untranslated in {language}: {missing[:20]}"
    assert not fuzzy, f"fuzzy in {language}: {fuzzy[:20]}"


def test_every_source_string_is_in_the_italian_catalogue(tmp_path: Path) -> None:
    extracted = _extract(tmp_path)
    committed = {(e.msgctxt, e.msgid) for e in polib.pofile(str(PO)) if e.translated()}
    absent = [e.msgid for e in extracted if (e.msgctxt, e.msgid) not in committed]
    assert not absent, (
        "strings without an Italian translation (run `uv run python manage.py makemessages -l it`, "
        f"translate, then compilemessages): {absent[:20]}"
    )


def test_compiled_catalogue_matches_the_po_file() -> None:
    po = polib.pofile(str(PO))
    with translation.override("it"):
        for entry in po.translated_entries():
            if entry.msgid_plural or entry.msgctxt:
                continue
            assert translation.gettext(entry.msgid) == entry.msgstr, (
                f"locale/it/LC_MESSAGES/django.mo is older than the .po for {entry.msgid!r}: "
                "run `uv run python manage.py compilemessages`"
            )
