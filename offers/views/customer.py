"""Placeholder until this module is written (issue 7)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def request_list(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def request_create(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def request_detail(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def request_close(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def request_delete(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def proposal_choose(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def cancel_by_link(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
