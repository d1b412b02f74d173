"""Colour tags of an organization, put on its products (the guide: short, coloured information
to organise and find products; visible to everyone who can access the product)."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizations.models import Organization
from tags import colours
from tags.managers import TagQuerySet

MAX_NAME_LENGTH = 30
SLUG_MAX_LENGTH = 40


def name_key(name: str) -> str:
    """What makes two names the same tag: case and spaces do not count ("Client A", "client a",
    " CLIENTA ")."""
    return "".join(name.split()).casefold()


def clean_name(name: str) -> str:
    """The name as stored: trimmed, inner runs of spaces made one."""
    return " ".join(name.split())


class Tag(models.Model):
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="tags"
    )
    name = models.CharField(_("name"), max_length=MAX_NAME_LENGTH)
    # `name_key(name)`, kept so the database itself refuses a second "client a".
    key = models.CharField(verbose_name=_("key"), max_length=MAX_NAME_LENGTH, editable=False)
    slug = models.SlugField(_("slug"), max_length=SLUG_MAX_LENGTH)
    colour = models.CharField(_("colour"), max_length=7, default=colours.DEFAULT_COLOUR)
    products = models.ManyToManyField(
        "billing.Product", verbose_name=_("products"), related_name="tags", blank=True
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)

    objects: ClassVar[TagQuerySet] = TagQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="tag_name_unique"),
            models.UniqueConstraint(fields=["organization", "slug"], name="tag_slug_unique"),
        ]

    def __str__(self) -> str:
        return self.name
