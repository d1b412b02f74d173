"""The tag management page of an organization (`/orgs/<slug>/tags/`): every tag with how many
products use it; add, rename and recolour, merge, delete. Anyone in the organization sees it;
legal representatives and administrators change it (`Membership.can_manage_tags`)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from organizations.access import org_member_required
from organizations.models import Membership
from tags import services
from tags.forms import MergeForm, TagForm
from tags.models import Tag


def _tag_of(membership: Membership, pk: int) -> Tag:
    return get_object_or_404(Tag.objects.for_member(membership), pk=pk)


def _add_errors(form: Form, error: ValidationError) -> None:
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


def _page(
    request: HttpRequest,
    membership: Membership,
    template: str,
    *,
    form: Form | None = None,
    **context: Any,
) -> HttpResponse:
    """An organization page; 400 when its form was sent with errors (the errors are shown)."""
    return render(
        request,
        template,
        {"membership": membership, "org": membership.organization, "form": form, **context},
        status=400 if form is not None and form.errors else 200,
    )


@org_member_required
def tag_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    # Collaborators count only the products given to them: a count must not reveal others.
    visible = Q() if membership.can_see_all_products else Q(products__assignees=membership.user_id)
    tags = (
        Tag.objects.for_member(membership)
        .annotate(product_count=Count("products", filter=visible, distinct=True))
        .order_by("name", "pk")
    )
    page = Paginator(tags, 50).get_page(request.GET.get("page"))
    return _page(request, membership, "tags/tag_list.html", page=page)


@org_member_required
def tag_create(request: HttpRequest, membership: Membership) -> HttpResponse:
    services.require_manager(membership)
    form = TagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tag = services.do_create_tag(
                membership, form.cleaned_data["name"], form.chosen_colour(), actor=request.user
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                _("The tag “%(name)s” is ready. Put it on products from the products list.")
                % {"name": tag.name},
            )
            return redirect("tags:list", membership.organization.slug)
    return _page(request, membership, "tags/tag_form.html", form=form, tag=None)


@org_member_required
def tag_edit(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    tag = _tag_of(membership, pk)
    services.require_manager(membership)
    form = TagForm(request.POST or None, tag=tag)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_update_tag(
                membership,
                tag,
                name=form.cleaned_data["name"],
                colour=form.chosen_colour(),
                actor=request.user,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The tag “%(name)s” is saved.") % {"name": tag.name})
            return redirect("tags:list", membership.organization.slug)
    return _page(request, membership, "tags/tag_form.html", form=form, tag=tag)


@org_member_required
def tag_delete(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    tag = _tag_of(membership, pk)
    services.require_manager(membership)
    if request.method == "POST":
        count = services.do_delete_tag(membership, tag, actor=request.user)
        messages.success(
            request,
            ngettext(
                "The tag “%(name)s” is deleted; %(n)d product lost it.",
                "The tag “%(name)s” is deleted; %(n)d products lost it.",
                count,
            )
            % {"name": tag.name, "n": count},
        )
        return redirect("tags:list", membership.organization.slug)
    return _page(
        request, membership, "tags/tag_delete.html", tag=tag, product_count=tag.products.count()
    )


@org_member_required
def tag_merge(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    source = _tag_of(membership, pk)
    services.require_manager(membership)
    form = MergeForm(request.POST or None, source=source)
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["target"]
        try:
            moved = services.do_merge_tags(membership, source, target, actor=request.user)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                ngettext(
                    "“%(source)s” is merged into “%(target)s”: %(n)d product got it.",
                    "“%(source)s” is merged into “%(target)s”: %(n)d products got it.",
                    moved,
                )
                % {"source": source.name, "target": target.name, "n": moved},
            )
            return redirect("tags:list", membership.organization.slug)
    return _page(
        request,
        membership,
        "tags/tag_merge.html",
        form=form,
        tag=source,
        product_count=source.products.count(),
    )
