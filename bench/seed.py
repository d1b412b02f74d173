"""Seed the benchmark database and write the credentials it made to a JSON file.

Run by bench/run.py as `python -m bench.seed OUT.json` with DJANGO_SETTINGS_MODULE=bench.settings:
one person, legal representative of one organization with a mailing list of a few subscribers, a
Newsletter API token, a stock DRF token and an application password made for the REST API — each
made by the portal's own services where it has one.
"""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path

import django

EMAIL = "bench@example.com"
LIST_NAME = "Customers"
SUBSCRIBERS = 5


def seed() -> dict[str, str]:
    from django.conf import settings
    from rest_framework.authtoken.models import Token

    from accounts.services import do_create_user
    from organizations.models import Organization
    from organizations.services import do_create_organization
    from security.app_passwords import do_create_app_password
    from tokens.models import MailingList, Subscriber
    from tokens.services import do_create_token

    password = secrets.token_urlsafe(24)
    user = do_create_user(email=EMAIL, password=password, first_name="Bench", last_name="Mark")
    # Credentials need a verified address; the bench's own address needs no email round trip.
    user.email_verified_at = user.date_joined
    user.save(update_fields=["email_verified_at"])
    organization = do_create_organization("Bench SA", creator=user)
    if organization.slug != settings.BENCH_ORGANIZATION:
        Organization.objects.filter(pk=organization.pk).update(slug=settings.BENCH_ORGANIZATION)
    mailing_list = MailingList.objects.create(organization=organization, name=LIST_NAME)
    Subscriber.objects.bulk_create(
        Subscriber(mailing_list=mailing_list, email=f"reader{n}@example.com", name=f"Reader {n}")
        for n in range(SUBSCRIBERS)
    )
    _token, bearer = do_create_token(
        user,
        organization=organization,
        name="bench",
        scope="newsletter",
        expires_at=None,
        actor=user,
    )
    stock = Token.objects.create(user=user)
    _app, app_password = do_create_app_password(user, name="bench", services=["api"], actor=user)
    return {
        "email": EMAIL,
        "password": password,
        "organization": settings.BENCH_ORGANIZATION,
        "list_name": LIST_NAME,
        "bearer": bearer,
        "drf_key": stock.key,
        "app_password": app_password,
    }


def main() -> None:
    django.setup()
    Path(sys.argv[1]).write_text(json.dumps(seed()))


if __name__ == "__main__":
    main()
