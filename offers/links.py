"""The cancellation link of an offer request's confirmation email.

The guide: the email "contiene un link che permette di annullare la tua richiesta di offerta" —
it works without signing in, so the link itself is the authority. It is signed with the server's
key (`django.core.signing`, salt "offers.cancel") and names the request *and* its `cancel_nonce`:

- a changed character breaks the signature (tampered → None);
- a token signed for something else (another salt, an invitation) does not verify (→ None);
- a token naming a request that no longer exists, or whose nonce differs (a deleted request's
  number given to a new one on SQLite), finds nothing (→ None).

A link used a second time still finds its request: the page then says the request is cancelled
already, and nothing changes (`services.do_cancel_request` acts only on an open request).
The link carries no expiry of its own: the request's validity (at most 90 days) bounds it.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.core import signing
from django.urls import reverse

from offers.models import OfferRequest

_SALT = "offers.cancel"


def cancellation_token(offer: OfferRequest) -> str:
    return signing.dumps({"id": offer.pk, "n": offer.cancel_nonce}, salt=_SALT, compress=True)


def cancellation_url(offer: OfferRequest) -> str:
    """The absolute link for the confirmation email (`settings.PORTAL_BASE_URL`)."""
    path = reverse("offers:cancel-by-link", args=[cancellation_token(offer)])
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}{path}"


def offer_from_cancellation_token(token: str) -> OfferRequest | None:
    """The request a link names, or None when the link was tampered with, was made for
    something else, or names a request that is gone."""
    try:
        payload = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict):
        return None
    pk, nonce = payload.get("id"), payload.get("n")
    if not isinstance(pk, int) or not isinstance(nonce, str):
        return None
    offer = OfferRequest.objects.select_related("organization").filter(pk=pk).first()
    if offer is None or not hmac.compare_digest(offer.cancel_nonce, nonce):
        return None
    return offer
