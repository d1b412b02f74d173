"""Every offered language is complete: every source string of the project has a translation in
each language of `LANGUAGES`, none fuzzy, with the same placeholders as its source, and the compiled
catalogue that Django loads matches the .po file.

The project's strings are extracted afresh (Django's makemessages, run on a copy of the sources
in a temporary folder), so a string added to a template or a view without a translation fails
here, not in front of a customer. A language added to `LANGUAGES` without a catalogue fails too.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

ROOT = Path(settings.BASE_DIR)
SOURCE_DIRS = [
    "core",
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
# English is the source language: its text is the msgid itself.
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
# Python's %-placeholders (named or not) and str.format's {name}.
PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sdif]|%[sdif]|\{[a-z_0-9]*\}")


def _po(language: str) -> polib.POFile:
    return polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> polib.POFile:
    """The strings of the sources as they are now (one extraction for every language)."""
    if shutil.which("xgettext") is None:
        if os.environ.get("CI"):
            pytest.fail("xgettext (Debian's gettext) is needed to extract the strings.")
        pytest.skip("xgettext (Debian's gettext) is not installed.")
    tmp_path = tmp_path_factory.mktemp("sources")
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


def test_every_language_but_english_is_translated() -> None:
    assert set(TRANSLATED) == {"it", "fr", "de", "es"}


@pytest.mark.parametrize("language", TRANSLATED)
def test_committed_catalogue_has_no_untranslated_or_fuzzy_entries(language: str) -> None:
    po = _po(language)
    missing = [e.msgid for e in po if not e.obsolete and not e.translated()]
    fuzzy = [e.msgid for e in po if "fuzzy" in e.flags and not e.obsolete]
    assert not missing, f"untranslated in {language}: {missing[:20]}"
    assert not fuzzy, f"fuzzy in {language}: {fuzzy[:20]}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_source_string_is_in_the_catalogue(language: str, extracted: polib.POFile) -> None:
    committed = {(e.msgctxt, e.msgid) for e in _po(language) if e.translated()}
    absent = [e.msgid for e in extracted if (e.msgctxt, e.msgid) not in committed]
    assert not absent, (
        f"strings without a translation in {language} (run `uv run python manage.py "
        f"makemessages -l {language}`, translate, then compilemessages): {absent[:20]}"
    )


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_placeholders_of_their_source(language: str) -> None:
    """A translation that drops `%(name)s` loses the value; one that adds or misspells a
    placeholder raises KeyError on the page that shows it."""
    wrong: list[tuple[object, ...]] = []
    for entry in _po(language).translated_entries():
        if entry.msgid_plural:
            # The singular form may spell out "one" instead of the count; every form may use no
            # other placeholder than the plural source has, and the other forms use all of them.
            wanted = set(PLACEHOLDER.findall(entry.msgid_plural)) | set(
                PLACEHOLDER.findall(entry.msgid)
            )
            for index, form in sorted(entry.msgstr_plural.items()):
                found = set(PLACEHOLDER.findall(form))
                if not found <= wanted or (
                    index > 0 and found != set(PLACEHOLDER.findall(entry.msgid_plural))
                ):
                    wrong.append((entry.msgid, index, form))
        elif sorted(PLACEHOLDER.findall(entry.msgid)) != sorted(PLACEHOLDER.findall(entry.msgstr)):
            wrong.append((entry.msgid, entry.msgstr))
    assert not wrong, f"placeholders differ from the source in {language}: {wrong[:10]}"


def test_the_placeholder_check_sees_a_dropped_placeholder() -> None:
    """The check above compares what it finds: a dropped or renamed name is found."""
    assert PLACEHOLDER.findall("Join %(org)s as {role}, %d left") == ["%(org)s", "{role}", "%d"]
    assert PLACEHOLDER.findall("Unisciti ad Acme") == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_compiled_catalogue_matches_the_po_file(language: str) -> None:
    with translation.override(language):
        for entry in _po(language).translated_entries():
            if entry.msgid_plural:
                continue
            found = (
                translation.pgettext(entry.msgctxt, entry.msgid)
                if entry.msgctxt
                else translation.gettext(entry.msgid)
            )
            assert found == entry.msgstr, (
                f"locale/{language}/LC_MESSAGES/django.mo is older than the .po for "
                f"{entry.msgid!r}: run `uv run python manage.py compilemessages`"
            )


def test_email_subjects_file_is_current() -> None:
    """docs/email-subjects.md, which the README links to for review, says what is in the
    catalogues now."""
    spec = importlib.util.spec_from_file_location("email_subjects", ROOT / "docs/email_subjects.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.LANGUAGES == TRANSLATED
    assert (ROOT / "docs" / "email-subjects.md").read_text() == module.render(), (
        "run `uv run python docs/email_subjects.py`"
    )


# Placeholders that hold a number or a date: no article or preposition changes before them.
NUMERIC = (
    "date|when|until|expires|issued|start|end|first|last|number|n|count|days|amount|currency|"
    "price|total|max|min|missing|balance|remaining|counter|value|code|ago|time"
)
# A word whose form depends on the next one's first letter, before a name the page fills in:
# French "de Acme" must read "d'Acme", Italian "a Acme" "ad Acme". Translations say "de
# l'organisation %(org)s" or "all'indirizzo %(email)s" instead, so no elision rule is needed.
ELIDED_BEFORE_A_NAME = {
    "fr": re.compile(rf"\b(?:de|que|De|Que|le|la) %\((?!(?:{NUMERIC})\))\w+\)"),
    "it": re.compile(rf"\b[aA] %\((?!(?:{NUMERIC})\))\w+\)"),
}


@pytest.mark.parametrize("language", sorted(ELIDED_BEFORE_A_NAME))
def test_no_elision_depends_on_a_name(language: str) -> None:
    pattern = ELIDED_BEFORE_A_NAME[language]
    found = [
        text
        for entry in _po(language).translated_entries()
        for text in [entry.msgstr, *entry.msgstr_plural.values()]
        if pattern.search(text)
    ]
    assert not found, found[:10]
    assert pattern.search(
        "Les coordonnées de %(name)s" if language == "fr" else "Unisciti a %(org)s"
    )
