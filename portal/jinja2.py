"""The Jinja2 environment of the portal's pages (the templates under `jinja2/`).

Jinja2 compiles a template to Python once; Django's template engine walks its nodes on every
render, which made it the largest part of a page's time (issue 16). The admin, the emails and the
forms' layouts stay Django templates (`templates/`).

What a page template can use, besides Jinja2's own syntax (see docs/templates.md):

- translations: `_("…")`, `pgettext("context", "…")`, `ngettext(…)` and `{% trans %}` blocks,
  extracted by `manage.py makemessages` (portal/management/commands/makemessages.py);
- `url("name", *args)`, `static("path")`, `csrf_input`, `querystring(page=2)`, `icon("name")`,
  `tag_chip(tag)`, `htmx_script()`, and the navigations' links;
- Django's filters with the same names and meanings: `date`, `floatformat`, `linebreaksbr`, …

Autoescaping is on for every template. Values print as Django prints them: dates, times and
numbers localized, aware datetimes in the current time zone.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

from django.conf import settings
from django.template import defaultfilters
from django.template.backends import jinja2 as jinja2_backend
from django.template.defaultfilters import date, floatformat, time
from django.templatetags.i18n import language_name_local
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.formats import localize
from django.utils.module_loading import import_string
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]
from django_htmx.jinja import htmx_script
from jinja2 import ChainableUndefined, Environment, pass_context

from core.icons import icon
from portal.navigation import account_links, organization_links
from tags.chips import tag_chip


def url(name: str, *args: Any, **kwargs: Any) -> str:
    return reverse(name, args=args or None, kwargs=kwargs or None)


@pass_context
def querystring(context: Mapping[str, Any], **changes: Any) -> str:
    """The current page's query string with `changes` (None removes a key), like Django's
    `{% querystring %}`: `href="{{ querystring(page=2) }}"`."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    return f"?{params.urlencode()}" if params else "?"


def _as_django_prints(value: Any) -> Any:
    """`{{ value }}` as a Django template writes it: in the reader's time zone and locale."""
    if isinstance(value, str) or (type(value) is int and not settings.USE_THOUSAND_SEPARATOR):
        # Text, and whole numbers without grouping (a row's id), print as they are; asking
        # the locale would cost more than the rest of the row.
        return value
    return localize(template_localtime(value))


class UncalledMethod:
    """What `obj.method` gives in a strict environment: Jinja2 calls nothing by itself, so
    `{{ product.get_kind_display }}` or `{% if page.has_next %}` (Django's way, without the
    parentheses) would print a method or always be true. Calling it is fine; any other use
    stops the page with the template's mistake named."""

    def __init__(self, method: Any, name: str) -> None:
        self._method = method
        self._name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._method(*args, **kwargs)

    def _refuse(self, *args: Any) -> Any:
        raise TypeError(
            f"A template uses the method `{self._name}` without calling it: write `{self._name}()`."
        )

    __str__ = __html__ = __bool__ = __iter__ = __len__ = __eq__ = __ne__ = _refuse
    __hash__ = None  # type: ignore[assignment]


class StrictEnvironment(Environment):
    """The environment of the tests and of DEBUG: a method used without `()` is an error."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        value = super().getattr(obj, attribute)
        if inspect.ismethod(value) or (inspect.isbuiltin(value) and value.__self__ is not None):
            return UncalledMethod(value, attribute)
        return value


class PageTemplate(jinja2_backend.Template):
    backend: Jinja2Pages

    def render(self, context: dict[str, Any] | None = None, request: Any = None) -> str:
        if request is not None:
            added: dict[str, Any] = {}
            for processor in self.backend.page_context_processors:
                added.update(processor(request))
            context = {**added, **(context or {})}
        return super().render(context, request)


class Jinja2Pages(jinja2_backend.Jinja2):
    """Django's Jinja2 backend, but what a view passes wins over what the context processors
    add, as with Django's templates (Django's Jinja2 backend lets the processors win: the
    password wizard's `account_nav=False` came back True)."""

    page_context_processors: list[Callable[[Any], dict[str, Any]]]

    def __init__(self, params: dict[str, Any]) -> None:
        super().__init__(params)
        # Run by PageTemplate before the view's context is applied, not by the parent after.
        self.page_context_processors = [import_string(path) for path in self.context_processors]
        self.context_processors = []

    def from_string(self, template_code: str) -> PageTemplate:
        return PageTemplate(super().from_string(template_code).template, self)

    def get_template(self, template_name: str) -> PageTemplate:
        return PageTemplate(super().get_template(template_name).template, self)


def _localtime_first(django_filter: Callable[..., str]) -> Callable[..., str]:
    """Django's `date` and `time` filters, given the value in the reader's time zone first (as
    Django's template engine does for them: `expects_localtime`); Jinja2 would pass it in UTC."""

    @wraps(django_filter)
    def localized(value: Any, arg: str | None = None) -> str:
        return django_filter(template_localtime(value), arg)

    return localized


def environment(**options: Any) -> Environment:
    # Django's backend sets Undefined (DebugUndefined with DEBUG, which prints the variable's
    # name); a missing variable and its attributes print nothing, as in Django's templates.
    options["undefined"] = ChainableUndefined
    strict = settings.DEBUG or os.environ.get("PORTAL_STRICT_TEMPLATES") == "1"
    env = (StrictEnvironment if strict else Environment)(
        extensions=["jinja2.ext.i18n"], finalize=_as_django_prints, **options
    )
    # As in Django's templates, a translation prints as it is (a template's literal text is
    # trusted); the values put into it are escaped.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        translation.gettext,
        translation.ngettext,
        newstyle=True,
        pgettext=translation.pgettext,
        npgettext=translation.npgettext,
    )
    env.globals.update(
        url=url,
        static=static,
        querystring=querystring,
        icon=icon,
        tag_chip=tag_chip,
        htmx_script=htmx_script,
        account_links=account_links,
        organization_links=organization_links,
    )
    env.filters.update(
        date=_localtime_first(date),
        time=_localtime_first(time),
        floatformat=floatformat,
        capfirst=defaultfilters.capfirst,
        linebreaks=defaultfilters.linebreaks_filter,
        linebreaksbr=defaultfilters.linebreaksbr,
        urlize=defaultfilters.urlize,
        urlencode=defaultfilters.urlencode,
        truncatechars=defaultfilters.truncatechars,
        timesince=defaultfilters.timesince_filter,
        language_name_local=language_name_local,
    )
    return env
