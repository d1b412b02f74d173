"""Placeholder until this module is written (issue 5)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def billing_settings(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
