"""Placeholder until this module is written (issue 5)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def product_list(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def product_detail(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def product_edit(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def contact_verify(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def contact_edit(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def billing_details(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
