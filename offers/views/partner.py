"""Placeholder until this module is written (issue 7)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def offer_list(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def offer_detail(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def offer_propose(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def offer_report(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def partner_settings(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
