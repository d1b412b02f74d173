"""Who is asking, from where: kept for the current request so services can audit without a request.

Services take `actor=` but not the request; the audit log still needs the IP address and the
browser. The middleware stores them in a context variable for the duration of the request.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest


@dataclass(frozen=True)
class RequestMeta:
    ip: str | None = None
    user_agent: str = ""


_current: ContextVar[RequestMeta | None] = ContextVar("portal_request_meta", default=None)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. Behind a proxy, the proxy must set REMOTE_ADDR (e.g. granian's or
    gunicorn's forwarded-allow-ips): we never trust X-Forwarded-For from the client itself."""
    return request.META.get("REMOTE_ADDR") or None


def meta_from_request(request: HttpRequest) -> RequestMeta:
    return RequestMeta(
        ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", "")[:300]
    )


def current_request_meta() -> RequestMeta:
    return _current.get() or RequestMeta()


def set_request_meta(meta: RequestMeta | None) -> object:
    return _current.set(meta)


def reset_request_meta(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
