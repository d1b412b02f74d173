"""The HTTP SMS gateway, against a real HTTP server on this machine."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from core import sms


class _Gateway(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    status = 202

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).received.append(
            {
                "auth": self.headers.get("Authorization"),
                "body": json.loads(self.rfile.read(length)),
            }
        )
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def gateway(settings: Any) -> Iterator[type[_Gateway]]:
    _Gateway.received = []
    _Gateway.status = 202
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.SMS_HTTP_TOKEN = "gateway-token"
    yield _Gateway
    server.shutdown()


def test_http_gateway_posts_the_message_with_the_token(gateway: type[_Gateway]) -> None:
    sms.send("+41791234567", "Your sign-in code: 123456.")

    assert gateway.received == [
        {
            "auth": "Bearer gateway-token",
            "body": {"to": "+41791234567", "text": "Your sign-in code: 123456."},
        }
    ]


def test_http_gateway_failure_is_an_sms_error(gateway: type[_Gateway]) -> None:
    gateway.status = 500

    with pytest.raises(sms.SmsError):
        sms.send("+41791234567", "text")


def test_unreachable_gateway_is_an_sms_error(settings: Any) -> None:
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = "http://127.0.0.1:1/send"

    with pytest.raises(sms.SmsError):
        sms.send("+41791234567", "text")
