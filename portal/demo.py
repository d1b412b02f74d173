"""Demo data of ARCHITECTURE.md's contracts, created once by `portal up`.

This module sits at the top of the project, beside the settings and URLs: it knows every app.
Later issues extend `seed()` with their own demo objects.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.oath import TOTP

from accounts.models import User
from billing.models import (
    BalanceEntry,
    BillingAccount,
    Contact,
    Invoice,
    InvoiceLine,
    Product,
    ProductKind,
)
from offers.models import OfferRequest, PartnerSubscription
from offers.services import do_post_request
from organizations.models import Membership, Organization, PartnerProfile, Role
from organizations.support import ensure_support_group
from security import kauth
from security.app_passwords import do_create_app_password
from security.models import EmergencyCodesDevice, TOTPDevice, TwoFactorPreference
from tags.services import do_assign_tag, do_create_tag
from tokens.models import ApiToken
from tokens.services import do_create_token

# The authenticator key of the demo's alice and support (base32, as an app shows it). It is public:
# `uv run portal demo-code` prints the current code, for trying the demo without a phone.
DEMO_TOTP_KEY = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

DEMO_LOGINS = [
    ("alice@example.com", "Alice", "Rossi", "legal representative of Acme SA (2FA: kAuth)"),
    ("bob@example.com", "Bob", "Meier", "administrator of Acme SA"),
    (
        "carol@example.com",
        "Carol",
        "Dubois",
        "legal representative of Studio Carol (a partner: /partners/offers/)",
    ),
    ("dave@example.com", "Dave", "Keller", "an outsider with his own organization"),
    ("support@example.com", "Sam", "Support", "support staff, /admin/ (2FA: demo-code)"),
]


def is_seeded() -> bool:
    return User.objects.filter(email="alice@example.com").exists()


@transaction.atomic
def seed() -> bool:
    """Create the demo cast. Returns False (and changes nothing) when it exists already."""
    if is_seeded():
        return False
    users = {}
    for email, first, last, _ in DEMO_LOGINS:
        users[email.split("@")[0]] = User.objects.create_user(
            email,
            settings.DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            # Long ago: before the credentials the demo backdates, which a password reset would
            # otherwise revoke as created before the address was verified.
            email_verified_at=timezone.now() - timedelta(days=730),
            language="it" if first == "Alice" else "en",
        )
    acme = Organization.objects.create(
        name="Acme SA",
        slug="acme",
        address="Rue du Lac 1",
        postal_code="1003",
        city="Lausanne",
        country="CH",
        email="office@acme.example",
    )
    carol_org = Organization.objects.create(
        name="Studio Carol",
        slug="studio-carol",
        city="Genève",
        country="CH",
        email="hello@studio-carol.example",
    )
    dave_org = Organization.objects.create(name="Keller Consulting", slug="keller", country="DE")
    Membership.objects.create(
        organization=acme, user=users["alice"], role=Role.LEGAL_REPRESENTATIVE
    )
    Membership.objects.create(organization=acme, user=users["bob"], role=Role.ADMINISTRATOR)
    Membership.objects.create(
        organization=carol_org, user=users["carol"], role=Role.LEGAL_REPRESENTATIVE
    )
    Membership.objects.create(
        organization=dave_org, user=users["dave"], role=Role.LEGAL_REPRESENTATIVE
    )
    support = users["support"]
    support.is_staff = True
    support.save(update_fields=["is_staff"])
    support.groups.add(ensure_support_group())
    for user in (users["alice"], support):
        device = TOTPDevice(user=user, name="Demo authenticator", confirmed=True)
        device.set_key(base64.b32decode(DEMO_TOTP_KEY))
        device.save()
        EmergencyCodesDevice.objects.create(user=user, name="Emergency codes").replace_codes()
    _give_kauth(users["alice"])
    _give_credentials(users["alice"], acme)
    _give_products(acme, carol_org, users["alice"], support)
    _give_tags(Membership.objects.get(organization=acme, user=users["alice"]))
    _give_offer_requests(acme, carol_org, users["alice"])
    return True


def _give_offer_requests(acme: Organization, partner: Organization, alice: User) -> None:
    """Studio Carol is a partner subscribed to website creation and migration; Acme has two open
    requests (the partner received their excerpts: see the outbox page) and an expired one."""
    profile = PartnerProfile.objects.create(
        organization=partner,
        public_name="Studio Carol",
        description="Websites and migrations for small businesses in Romandy.",
        regions=["ch-fr"],
        languages=["fr", "en"],
    )
    for category in ("website", "migration"):
        PartnerSubscription.objects.create(partner=profile, category=category)
    membership = Membership.objects.get(organization=acme, user=alice)
    contact = {
        "language": "en",
        "region": "ch-fr",
        "contact_name": "Alice Rossi",
        "contact_email": "alice@example.com",
        "contact_phone": "+41 21 555 01 01",
    }
    do_post_request(
        membership,
        {
            **contact,
            "title": "New website for Acme",
            "description": "Our site is ten years old. We want a new one in French and English, "
            "with a contact form and a news section we can update ourselves.",
            "category": "website",
            "budget": "5k-20k",
        },
        actor=alice,
    )
    do_post_request(
        membership,
        {
            **contact,
            "title": "Move our mail and sites to the portal",
            "description": "Three domains, twelve mailboxes and a WordPress site to migrate "
            "from another host without losing mail.",
            "category": "migration",
            "budget": "1k-5k",
        },
        actor=alice,
    )
    today = timezone.localdate()
    OfferRequest.objects.create(
        organization=acme,
        created_by=alice,
        title="Logo redesign",
        description="A fresh logo for our tenth anniversary.",
        category="consulting",
        budget="lt-1k",
        valid_until=today - timedelta(days=5),
        status=OfferRequest.Status.EXPIRED,
        ended_at=timezone.now() - timedelta(days=4),
        created_at=timezone.now() - timedelta(days=35),
        **contact,
    )


def _give_tags(alice: Membership) -> None:
    """A few tags on Acme's products (and one not used yet, for the management page), made by
    alice through the tags' services, as the page would: the same slugs, the same audit."""
    products = {p.name: p for p in Product.objects.filter(organization=alice.organization)}
    for name, colour, tagged in [
        ("Website", "#0b5cad", ["acme.ch", "Web hosting acme.ch"]),
        ("Client: Bianchi", "#6b3fa0", ["bianchi-photo.ch"]),
        ("Renew first", "#f2c12e", ["acme.ch"]),
        ("Archive", "#3d4f5c", []),
    ]:
        tag = do_create_tag(alice, name, colour, actor=alice.user)
        for product in tagged:
            do_assign_tag(alice, tag, products[product].pk)


def _give_products(acme: Organization, partner: Organization, alice: User, staff: User) -> None:
    """Acme's products, as the billing issue describes them: acme.ch owned by Acme, a domain of a
    photographer outside Acme that Studio Carol (a partner) pays for, hosting and mail with
    automatic renewal; expiries in 10, 40 and 70 days; a balance and two past invoices."""
    today = timezone.localdate()
    acme_contact = Contact.objects.create(
        organization=acme,
        kind=Contact.Kind.COMPANY,
        name="Alice Rossi",
        company="Acme SA",
        email="office@acme.example",
        address="Rue du Lac 1",
        postal_code="1003",
        city="Lausanne",
        country="CH",
    )
    photographer = Contact.objects.create(
        organization=acme,
        name="Marco Bianchi",
        email="marco@bianchi-photo.example",
        address="Via Nassa 5",
        postal_code="6900",
        city="Lugano",
        country="CH",
    )
    domain = Product.objects.create(
        organization=acme,
        kind=ProductKind.DOMAIN,
        name="acme.ch",
        owner=acme_contact,
        payer=acme,
        expires_on=today + timedelta(days=10),
        price=Decimal("15.00"),
    )
    Product.objects.create(
        organization=acme,
        kind=ProductKind.DOMAIN,
        name="bianchi-photo.ch",
        owner=photographer,
        payer=partner,
        expires_on=today + timedelta(days=40),
        price=Decimal("15.00"),
    )
    hosting = Product.objects.create(
        organization=acme,
        kind=ProductKind.WEB_HOSTING,
        name="Web hosting acme.ch",
        owner=acme_contact,
        payer=acme,
        expires_on=today + timedelta(days=70),
        auto_renew=True,
        price=Decimal("120.00"),
    )
    Product.objects.create(
        organization=acme,
        kind=ProductKind.MAIL_SERVICE,
        name="Mail acme.ch",
        owner=acme_contact,
        payer=acme,
        expires_on=today + timedelta(days=220),
        auto_renew=True,
        price=Decimal("60.00"),
    )
    account = BillingAccount.objects.create(
        organization=acme,
        name="Acme SA",
        email="accounting@acme.example",
        address="Rue du Lac 1",
        postal_code="1003",
        city="Lausanne",
        country="CH",
        balance=Decimal("200.00"),
    )
    BalanceEntry.objects.create(
        account=account,
        amount=Decimal("200.00"),
        reason=BalanceEntry.Reason.PAYMENT,
        note="Bank transfer",
        created_by=staff,
    )
    BillingAccount.objects.create(organization=partner, name="Studio Carol", balance=Decimal("50"))
    for months_ago, product in ((11, hosting), (2, domain)):
        issued = today - timedelta(days=30 * months_ago)
        invoice = Invoice.objects.create(
            organization=acme,
            number=f"{issued.year}-D{product.pk:05d}",
            issued_on=issued,
            status=Invoice.Status.PAID,
            total=product.price,
            billed_to="Acme SA\nRue du Lac 1\n1003 Lausanne\nCH",
        )
        InvoiceLine.objects.create(
            invoice=invoice,
            product=product,
            description=product.name,
            period_start=issued,
            period_end=issued + timedelta(days=365),
            amount=product.price,
        )


def _give_credentials(user: User, org: Organization) -> None:
    """alice's mail and calendar apps, her Newsletter script, and a token close to its year."""
    do_create_app_password(user, name="Thunderbird", services=["mail"], actor=user)
    do_create_app_password(
        user, name="Phone calendar", services=["calendar", "contacts"], actor=user
    )
    do_create_token(
        user,
        organization=org,
        name="Newsletter import",
        scope="newsletter",
        expires_at=None,
        actor=user,
    )
    old, _secret = do_create_token(
        user,
        organization=org,
        name="Old domain script",
        scope="domains",
        expires_at=None,
        actor=user,
    )
    ApiToken.objects.filter(pk=old.pk).update(
        active_since=timezone.now() - timedelta(days=350),
        created_at=timezone.now() - timedelta(days=400),
    )


def kauth_state_file() -> Path:
    return Path(settings.DATA_DIR) / "kauth-alice.json"


def _give_kauth(user: User) -> None:
    """alice's phone: a kAuth device whose reference-device state is kept in the data folder, so
    `uv run portal kauth approve N --state var/kauth-alice.json` plays her phone."""
    _enrollment, code = kauth.do_start_enrollment(user, name="Alice's phone")
    enrolled = kauth.do_enroll_device(code)
    assert enrolled is not None
    device, credential, seed = enrolled
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TwoFactorPreference.objects.update_or_create(
        user=user, defaults={"preferred_device": device.persistent_id}
    )
    state = kauth_state_file()
    state.touch(mode=0o600)
    state.write_text(
        json.dumps(
            {
                "base_url": settings.PORTAL_BASE_URL,
                "credential": credential,
                "seed": base64.b32encode(seed).decode(),
                "account": user.email,
            },
            indent=2,
        )
    )


def current_demo_code() -> str:
    """The code an authenticator app with DEMO_TOTP_KEY shows now."""
    totp = TOTP(base64.b32decode(DEMO_TOTP_KEY), step=30, digits=6)
    totp.time = time.time()
    return f"{totp.token():06d}"
