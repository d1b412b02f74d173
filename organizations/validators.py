"""What an organization's name may hold. The name reaches other people's inboxes (invitations,
offer-request excerpts), so it must not carry a link: a name like "Security Team: log in at
portal-login.evil.example" would make the portal relay a phishing email with its own sender."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# A scheme ("https://"), "www.", an address, or a host name: labels joined by dots ending in a
# top-level domain of two letters or more ("evil.example", "acme.ch/login"). "S.A." and "Co."
# have no such ending and pass.
LINK = re.compile(r"://|\bwww\.|@|\b[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}\b", re.IGNORECASE)


def validate_organization_name(name: str) -> None:
    if LINK.search(name):
        raise ValidationError(
            _("An organization's name cannot contain a web or email address."),
            code="link_in_name",
        )
