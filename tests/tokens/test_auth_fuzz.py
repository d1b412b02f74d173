"""10,000 malformed Authorization headers: none authenticates, none is a server error."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIRequestFactory

from security.api_auth import AppPasswordBasicAuthentication
from tokens.authentication import BearerTokenAuthentication
from tokens.format import PREFIX

factory = APIRequestFactory()
AUTHENTICATORS = [BearerTokenAuthentication(), AppPasswordBasicAuthentication()]

# A WSGI server hands headers over decoded as Latin-1, so every character is in that range.
latin1 = st.text(alphabet=st.characters(max_codepoint=255), max_size=120)
headers = st.one_of(
    latin1,
    st.builds(lambda s: f"Bearer {s}", latin1),
    st.builds(lambda s: f"Bearer {PREFIX}{s}", latin1),
    st.builds(lambda s: f"Basic {s}", latin1),
    st.builds(lambda b: "Basic " + b.hex(), st.binary(max_size=80)),
)


@pytest.mark.django_db
@settings(
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(header=headers)
def test_no_malformed_header_authenticates(header: Any) -> None:
    try:
        request = factory.get("/api/v1/newsletter/lists/", HTTP_AUTHORIZATION=header)
    except (UnicodeEncodeError, ValueError):
        return  # not even an HTTP header: the server never sees it
    for authenticator in AUTHENTICATORS:
        try:
            result = authenticator.authenticate(request)
        except AuthenticationFailed:
            continue
        assert result is None
