"""Emergency codes: ten single-use codes, shown once, stored like passwords (salted, slow hash)."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from security.models.throttling import AtomicThrottlingMixin

CODE_COUNT = 10
# Letters and digits without look-alikes (0/O, 1/l/I): easy to type from paper.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
CODE_LENGTH = 10  # about 49 bits each


class EmergencyCodeHasher(PBKDF2PasswordHasher):
    """Salted PBKDF2, slower than a digest but fast enough to try ten codes in one sign-in."""

    algorithm = "pbkdf2_sha256_emergency"
    iterations = 60_000


_HASHER = EmergencyCodeHasher()


def normalize(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def format_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


class EmergencyCodesDevice(AtomicThrottlingMixin, Device):
    """The set of emergency codes of one user (one device per user)."""

    class Meta:
        verbose_name = _("emergency codes")
        verbose_name_plural = _("emergency codes")

    kind_label = _("Emergency codes")

    def get_throttle_factor(self) -> int:
        return int(getattr(settings, "OTP_STATIC_THROTTLE_FACTOR", 1))

    @property
    def remaining(self) -> int:
        return self.codes.filter(used_at=None).count()

    def replace_codes(self) -> list[str]:
        """New codes (the old ones stop working). Returns them in clear, to show once."""
        self.codes.all().delete()
        codes = [
            "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH)) for _ in range(CODE_COUNT)
        ]
        EmergencyCode.objects.bulk_create(
            EmergencyCode(device=self, code_hash=_HASHER.encode(code, _HASHER.salt()))
            for code in codes
        )
        return [format_code(code) for code in codes]

    def verify_token(self, token: Any) -> bool:
        """Use a code once: the row is claimed with a conditional UPDATE, so the same code sent
        twice at the same moment succeeds once."""
        allowed, _why = self.verify_is_allowed()
        if not allowed:
            return False
        code = normalize(str(token))
        if len(code) == CODE_LENGTH:
            for entry in self.codes.filter(used_at=None):
                if _HASHER.verify(code, entry.code_hash):
                    claimed = EmergencyCode.objects.filter(pk=entry.pk, used_at=None).update(
                        used_at=timezone.now()
                    )
                    if claimed:
                        self.record_success()
                        return True
                    break
        self.throttle_increment()
        return False


class EmergencyCode(models.Model):
    device = models.ForeignKey(
        EmergencyCodesDevice,
        verbose_name=_("device"),
        on_delete=models.CASCADE,
        related_name="codes",
    )
    code_hash = models.CharField(verbose_name=_("code hash"), max_length=200)
    used_at = models.DateTimeField(verbose_name=_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("emergency code")
        verbose_name_plural = _("emergency codes")

    def __str__(self) -> str:
        return f"emergency code #{self.pk}"
