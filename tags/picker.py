"""The tag picker of a product, opened in place from the products list (htmx) or as a page of
its own without JavaScript: the organization's tags, type to filter, tick to put a tag on the
product or untick to take it off, and — for legal representatives and administrators, when no
tag has the name typed — create it with a colour.

Everyone who can see the product may put existing tags on it (`tags.services`); the product is
looked up among the products this member may see, so anyone else gets a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from billing.models import Product
from organizations.access import org_member_required
from organizations.models import Membership
from tags import colours, services
from tags.models import MAX_NAME_LENGTH, Tag, clean_name, name_key

MAX_SHOWN = 30


def _product(membership: Membership, pk: int) -> Product:
    return get_object_or_404(Product.objects.for_member(membership), pk=pk)


def _picker_context(membership: Membership, product: Product, query: str) -> dict[str, Any]:
    query = clean_name(query)[: MAX_NAME_LENGTH + 20]
    tags = Tag.objects.for_member(membership).order_by("name", "pk")
    if query:
        # The name as typed, or the same letters without spaces and case ("clientivip" finds
        # "Clienti VIP", which creating would refuse as a twin: issue 13, defect 4).
        tags = tags.filter(Q(name__icontains=query) | Q(key__contains=name_key(query)))
    found = list(tags[: MAX_SHOWN + 1])
    shown = found[:MAX_SHOWN]
    assigned = set(product.tags.values_list("pk", flat=True))
    exact = query and Tag.objects.for_member(membership).filter(key=name_key(query)).exists()
    return {
        "membership": membership,
        "org": membership.organization,
        "product": product,
        "query": query,
        "shown": [(tag, tag.pk in assigned) for tag in shown],
        "more": len(found) > MAX_SHOWN,
        "can_create": bool(query) and not exact and membership.can_manage_tags,
        "palette": colours.PALETTE,
        "default_colour": colours.DEFAULT_COLOUR,
    }


def _respond(
    request: HttpRequest, membership: Membership, product: Product, query: str, **extra: Any
) -> HttpResponse:
    context = {**_picker_context(membership, product, query), **extra}
    if getattr(request, "htmx", False):
        return render(request, "tags/_picker.html", context)
    return render(request, "tags/product_tags.html", context)


@org_member_required
def product_tags(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    product = _product(membership, pk)
    if request.method != "POST":
        return _respond(request, membership, product, request.GET.get("q", ""))
    query = request.POST.get("q", "")
    try:
        announcement = _apply(request, membership, product)
    except ValidationError as exc:
        error = " ".join(m for ms in exc.message_dict.values() for m in ms)
        if getattr(request, "htmx", False):
            return _respond(request, membership, product, query, error=error)
        messages.error(request, error)
    else:
        if getattr(request, "htmx", False):
            return _respond(request, membership, product, query, announcement=announcement)
        if announcement:
            messages.success(request, announcement)
    return redirect(reverse("tags:product-tags", args=[membership.organization.slug, pk]))


def _apply(request: HttpRequest, membership: Membership, product: Product) -> str:
    """Carry out the posted action; returns what to announce to screen readers."""
    if request.POST.get("action") == "create":
        tag = services.do_create_tag(
            membership,
            request.POST.get("q", ""),
            request.POST.get("colour", colours.DEFAULT_COLOUR),
            actor=request.user,
        )
        services.do_assign_tag(membership, tag, product.pk)
        return _("Tag “%(name)s” created and added.") % {"name": tag.name}
    # "save": the tags shown in the picker are on the product exactly when ticked.
    shown = set(request.POST.getlist("shown"))
    ticked = set(request.POST.getlist("tag")) & shown
    tags = Tag.objects.for_member(membership).filter(slug__in=shown)
    assigned = set(product.tags.values_list("slug", flat=True))
    changes = []
    for tag in tags:
        if tag.slug in ticked and tag.slug not in assigned:
            services.do_assign_tag(membership, tag, product.pk)
            changes.append(_("“%(name)s” added") % {"name": tag.name})
        elif tag.slug not in ticked and tag.slug in assigned:
            services.do_unassign_tag(membership, tag, product.pk)
            changes.append(_("“%(name)s” removed") % {"name": tag.name})
    return ", ".join(changes)


@org_member_required
def product_tag_cell(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    """The products list's tag cell of one product (the picker's "Done" puts it back)."""
    product = get_object_or_404(
        Product.objects.for_member(membership).prefetch_related("tags"), pk=pk
    )
    return render(
        request,
        "tags/_cell.html",
        {"membership": membership, "org": membership.organization, "product": product},
    )
