"""Look-ups of users: by the canonical form of their email address (accounts/addresses.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.base_user import BaseUserManager

from accounts.addresses import canonical_email, validate_ascii_local_part

if TYPE_CHECKING:
    from accounts.models import User


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        # People type their address in any case (and on phones in any width) and expect to be
        # recognised: the canonical form folds all of it, and rows are stored in it, so look-ups
        # are exact. Never `email__iexact`: the database's own case mapping is what let
        # "al\u0131ce@" (dotless i) find "alice@" on PostgreSQL.
        return canonical_email(email)

    def get_by_natural_key(self, username: str | None) -> User:
        # Django's ModelBackend signs in through this.
        return self.get(email=self.normalize_email(username))

    def find_by_email(self, email: str) -> User | None:
        return self.filter(email=self.normalize_email(email)).first()

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        # The forms refuse a look-alike address first, with their message; this is the net
        # under every other way in (commands, scripts, the demo data).
        validate_ascii_local_part(email)
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)
