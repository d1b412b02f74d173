"""Every change to tags: create, rename and recolour, merge, delete (legal representatives and
administrators), and putting a tag on a product or taking it off (anyone who can see the
product). Refusals are `ValidationError`s with a message for the person, or `PermissionDenied`."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from billing.models import Product
from core.audit import record_event
from organizations import access
from organizations.models import Membership
from tags import colours
from tags.audit_actions import TagAction
from tags.models import MAX_NAME_LENGTH, Tag, clean_name, name_key

# Codes of the refusals the API answers with 409 and 422 rather than 400 (tags/api/views.py).
EXISTS = "exists"
UNREADABLE = "unreadable"


def require_manager(membership: Membership) -> None:
    """Refuse anyone who may not create or change tags (the pages also ask before a form)."""
    access.require(
        membership,
        "can_manage_tags",
        _("Only legal representatives and administrators can create or change tags."),
    )


def _checked_name(membership: Membership, name: str, *, exclude: Tag | None = None) -> str:
    name = clean_name(name)
    if not name:
        raise ValidationError({"name": _("Enter a name for the tag.")})
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(
            {
                "name": ngettext(
                    "A tag name has at most %(n)d character.",
                    "A tag name has at most %(n)d characters.",
                    MAX_NAME_LENGTH,
                )
                % {"n": MAX_NAME_LENGTH}
            }
        )
    same = Tag.objects.for_member(membership).filter(key=name_key(name))
    if exclude is not None:
        same = same.exclude(pk=exclude.pk)
    existing = same.first()
    if existing is not None:
        message = _(
            "The tag “%(name)s” exists already (names that differ only by capitals or spaces "
            "are the same tag)."
        ) % {"name": existing.name}
        raise ValidationError({"name": ValidationError(message, code=EXISTS)})
    return name


def _checked_colour(colour: str) -> str:
    colour = colours.normalise(colour)
    if not colours.HEX.match(colour):
        raise ValidationError({"colour": _("Choose a colour, for example #0b5cad.")})
    if not colours.is_readable(colour):
        message = _(
            "Text on this colour would be hard to read. Choose a darker or a lighter colour."
        )
        raise ValidationError({"colour": ValidationError(message, code=UNREADABLE)})
    return colour


def _unique_slug(organization_id: int, name: str, *, exclude: Tag | None = None) -> str:
    base = slugify(name)[:30] or "tag"
    others = Tag.objects.for_org(organization_id).filter(slug__startswith=base)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    taken = set(others.values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def do_create_tag(membership: Membership, name: str, colour: str, *, actor: object) -> Tag:
    require_manager(membership)
    name = _checked_name(membership, name)
    colour = _checked_colour(colour)
    try:
        with transaction.atomic():
            tag = Tag.objects.create(
                organization_id=membership.organization_id,
                name=name,
                key=name_key(name),
                slug=_unique_slug(membership.organization_id, name),
                colour=colour,
            )
            record_event(
                TagAction.TAG_CREATED,
                actor=actor,
                target=tag,
                organization_id=membership.organization_id,
                data={"name": name},
            )
    except IntegrityError as exc:  # the same name created a moment ago by someone else
        raise ValidationError(
            {"name": ValidationError(_("This tag exists already."), code=EXISTS)}
        ) from exc
    return tag


def do_update_tag(
    membership: Membership, tag: Tag, *, name: str, colour: str, actor: object
) -> Tag:
    """Rename and/or recolour; the slug follows the name, so bookmarked filters of the old name
    stop matching (the management page says so)."""
    require_manager(membership)
    new_name = _checked_name(membership, name, exclude=tag)
    new_colour = _checked_colour(colour)
    if (new_name, new_colour) == (tag.name, tag.colour):
        return tag
    old = {"name": tag.name, "colour": tag.colour}
    tag.name, tag.key, tag.colour = new_name, name_key(new_name), new_colour
    if old["name"] != new_name:
        tag.slug = _unique_slug(tag.organization_id, new_name, exclude=tag)
    try:
        with transaction.atomic():
            tag.save(update_fields=["name", "key", "slug", "colour"])
            record_event(
                TagAction.TAG_UPDATED,
                actor=actor,
                target=tag,
                organization_id=tag.organization_id,
                data={"from": old, "to": {"name": new_name, "colour": new_colour}},
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"name": ValidationError(_("This tag exists already."), code=EXISTS)}
        ) from exc
    return tag


def do_delete_tag(membership: Membership, tag: Tag, *, actor: object) -> int:
    """Delete the tag; returns how many products lost it."""
    require_manager(membership)
    with transaction.atomic():
        count = tag.products.count()
        record_event(
            TagAction.TAG_DELETED,
            actor=actor,
            organization_id=tag.organization_id,
            data={"name": tag.name, "products": count},
        )
        tag.delete()
    return count


def do_merge_tags(membership: Membership, source: Tag, target: Tag, *, actor: object) -> int:
    """Put `target` on every product that has `source`, then delete `source`. Returns how many
    products gained `target`."""
    require_manager(membership)
    if source.pk == target.pk or source.organization_id != target.organization_id:
        raise ValidationError({"target": _("Choose another tag of this organization.")})
    with transaction.atomic():
        moving = list(
            source.products.exclude(pk__in=target.products.values("pk")).values_list(
                "pk", flat=True
            )
        )
        target.products.add(*moving)
        record_event(
            TagAction.TAG_MERGED,
            actor=actor,
            target=target,
            organization_id=target.organization_id,
            data={"from": source.name, "into": target.name, "products": len(moving)},
        )
        source.delete()
    return len(moving)


def _tag_and_product(membership: Membership, tag: Tag, product_id: int) -> Product:
    """The product, when the tag is of the member's organization and the member may see the
    product; otherwise "does not exist" (another organization's things are never revealed)."""
    if tag.organization_id != membership.organization_id:
        raise Tag.DoesNotExist
    product = Product.objects.for_member(membership).filter(pk=product_id).first()
    if product is None:
        raise Product.DoesNotExist
    return product


def do_assign_tag(membership: Membership, tag: Tag, product_id: int) -> Product:
    """Anyone who can see the product may put an existing tag of its organization on it."""
    product = _tag_and_product(membership, tag, product_id)
    tag.products.add(product)
    return product


def do_unassign_tag(membership: Membership, tag: Tag, product_id: int) -> Product:
    product = _tag_and_product(membership, tag, product_id)
    tag.products.remove(product)
    return product
