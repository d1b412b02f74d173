"""The user (email login) and the sessions we can list and end."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from accounts.addresses import validate_ascii_local_part
from accounts.managers import UserManager


class User(AbstractBaseUser, PermissionsMixin):
    """A person. The email address is the login, stored in its canonical form
    (accounts/addresses.py) and unique in it."""

    email = models.EmailField(
        _("email address"),
        max_length=254,
        unique=True,
        validators=[validate_ascii_local_part],
    )
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    email_verified_at = models.DateTimeField(_("email verified"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # Redundant while every row is canonical (the exact unique index decides), kept as a
            # net under writes that bypass save(), such as a bulk import with `update()`.
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = type(self).objects.normalize_email(self.email)

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Look-ups are exact on the canonical form, so no save may store another one: not the
        # admin, not a factory, not a service that forgot to normalise.
        self.email = type(self).objects.normalize_email(self.email)
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.first_name or self.email

    @property
    def is_email_verified(self) -> bool:
        return self.email_verified_at is not None

    def password_fingerprint(self, purpose: str) -> str:
        """A keyed digest of the current password hash, for state that must die with the password
        (a half-finished sign-in, a known browser), as Django's session auth hash does for
        sessions: any change or reset of the password makes every earlier fingerprint stale.
        `purpose` keeps the fingerprints of different uses apart."""
        return salted_hmac(
            f"accounts.password-fingerprint.{purpose}", self.password, algorithm="sha256"
        ).hexdigest()

    @property
    def initials(self) -> str:
        if self.first_name or self.last_name:
            return (self.first_name[:1] + self.last_name[:1]).upper()
        return self.email[:1].upper()


# Markers of the browser and the system in a User-Agent, most specific first: Edge and Opera
# also say "Chrome" and "Safari", Chrome says "Safari", an iPhone says "like Mac OS X" and
# Android says "Linux".
_BROWSERS = [
    ("Edg/", "Edge"),
    ("Edge/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("CriOS/", "Chrome"),
    ("Safari/", "Safari"),
]
_SYSTEMS = [
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
]


def describe_user_agent(user_agent: str) -> str:
    """Describe a browser as "Firefox · Linux": enough for a person to recognise their own devices
    in a list, which the raw User-Agent (whose first 80 characters often name no browser) is not.
    Empty when nothing is recognised."""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), "")
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), "")
    return " · ".join(part for part in (browser, system) if part)


class Session(AbstractBaseSession):
    """A database session that knows its user, so a person can list and end their sessions."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sessions",
    )
    ip_address = models.GenericIPAddressField(verbose_name=_("IP address"), null=True, blank=True)
    user_agent = models.CharField(verbose_name=_("user agent"), max_length=300, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    last_activity = models.DateTimeField(verbose_name=_("last activity"), default=timezone.now)

    class Meta(AbstractBaseSession.Meta):  # type: ignore[name-defined,misc]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    @property
    def browser(self) -> str:
        return describe_user_agent(self.user_agent)

    @property
    def public_id(self) -> str:
        """How pages name this session. The key is the password of a signed-in browser, so no
        key of another session ever reaches HTML, caches or logs: pages post this digest."""
        return salted_hmac("accounts.inventory.session", self.session_key).hexdigest()[:32]

    @classmethod
    def get_session_store_class(cls) -> Any:
        from accounts.session_store import SessionStore

        return SessionStore


class KnownBrowser(models.Model):
    """A browser in which a person signed in: spared that account's sign-in limit from anywhere,
    so a botnet guessing the password cannot lock the owner out of their own computer
    (accounts/login.py).

    The browser holds a random token in the `portal_known` cookie; only its digest is kept here
    (ARCHITECTURE.md rule 3), with one row per account the browser signed in to. A row counts only
    until it expires and while the account's password is the one it was made under
    (`password_fingerprint`): a copied cookie outlives neither a password change nor a reset. Not in
    the admin: nothing here means anything to a person."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="known_browsers",
    )
    token_digest = models.CharField(verbose_name=_("token digest"), max_length=64)
    password_fingerprint = models.CharField(verbose_name=_("password fingerprint"), max_length=64)
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(verbose_name=_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("known browser")
        verbose_name_plural = _("known browsers")
        constraints = [
            models.UniqueConstraint(
                fields=["token_digest", "user"], name="known_browser_once_per_account"
            ),
        ]

    def __str__(self) -> str:
        return f"known browser of {self.user_id}"
