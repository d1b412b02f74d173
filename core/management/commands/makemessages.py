"""`manage.py makemessages` that also reads the Jinja2 page templates (jinja2/).

Django's own command understands only Django templates. For a file under a `jinja2/` folder this
one asks Jinja2 (with the portal's environment) for the template's translatable strings, `_()`,
`pgettext()`, `ngettext()` and `{% trans %}` blocks, and hands them to xgettext as the Python calls
they are, each on its template line. Everything else is Django's command, unchanged.
"""

from __future__ import annotations

import os

from django.core.management.commands import makemessages
from django.template import engines

# The calls a template can make: the Python call each becomes, and how many of its first
# arguments are the strings to translate (the context, the singular, the plural).
CALLS = {
    "_": ("gettext({0!r})", 1),
    "gettext": ("gettext({0!r})", 1),
    "ngettext": ("ngettext({0!r}, {1!r}, n)", 2),
    "pgettext": ("pgettext({0!r}, {1!r})", 2),
    "npgettext": ("npgettext({0!r}, {1!r}, {2!r}, n)", 3),
}


def _is_jinja2(path: str) -> bool:
    return f"{os.sep}jinja2{os.sep}" in os.path.normpath(os.path.join(os.sep, path))


def python_of(source: str) -> str:
    """The template's translatable strings as Python calls, each on the template's line."""
    env = engines["jinja2"].env  # type: ignore[attr-defined]
    lines: list[str] = []
    for lineno, function, message in env.extract_translations(source, tuple(CALLS)):
        call, count = CALLS[function]
        strings = (message if isinstance(message, tuple) else (message,))[:count]
        if len(strings) < count or any(not isinstance(s, str) for s in strings):
            # A call with a variable for its text: nothing to extract (as in Django).
            continue
        while len(lines) < lineno - 1:
            lines.append("")
        lines.append(call.format(*strings))
    return "\n".join(lines) + "\n"


class BuildFile(makemessages.BuildFile):
    @property
    def _jinja2(self) -> bool:
        return self.domain == "django" and _is_jinja2(self.path)

    def preprocess(self) -> None:
        if not self._jinja2:
            super().preprocess()
            return
        with open(self.path, encoding="utf-8") as source:
            content = python_of(source.read())
        with open(self.work_path, "w", encoding="utf-8") as work:
            work.write(content)


class Command(makemessages.Command):
    build_file_class = BuildFile
