"""Products, who owns / manages / pays for them, and the contact details behind them.

Every product is looked up through `Product.objects.for_member(membership)`: a product of another
organization, or one not given to a collaborator, is a 404; a member whose role may not make a
change gets a 403 (ARCHITECTURE.md rule 1). Lists make the same number of queries whatever their
length: owner and payer come with `select_related`, and whether a person owner is a member comes
from an `Exists` subquery (`owner_is_member`, read by `Product.is_owned_outside`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from billing import services
from billing.forms import (
    AssigneesForm,
    AutoRenewForm,
    BillingDetailsForm,
    ContactForm,
    ProductFilterForm,
)
from billing.managers import ProductQuerySet
from billing.models import EXPIRING_SOON_DAYS, BillingAccount, Contact, Product, ProductKind
from core.http import safe_next
from core.urls_for_rows import url_maker
from organizations.access import org_member_required
from organizations.models import Membership, Organization

PAGE_SIZE = 25


def _with_owner_membership(products: ProductQuerySet) -> ProductQuerySet:
    """Annotate whether each product's owner (a person with an account) is a member of the
    managing organization, so `is_owned_outside` needs no query per product."""
    return products.annotate(
        owner_is_member=Exists(
            Membership.objects.filter(
                organization_id=OuterRef("organization_id"), user_id=OuterRef("owner__user_id")
            )
        )
    )


def _visible_product(membership: Membership, pk: int) -> Product:
    """The product if this member may see it; 404 otherwise (another organization's, or not
    given to this collaborator) — never a hint that it exists."""
    products = _with_owner_membership(
        Product.objects.for_member(membership).select_related("owner", "payer")
    )
    product = get_object_or_404(products, pk=pk)
    product.organization = membership.organization
    return product


def _can_verify(membership: Membership) -> bool:
    return membership.can_manage_billing or membership.can_edit_organization


# --- Products -----------------------------------------------------------------------------------


def _columns(request: HttpRequest, membership: Membership) -> list[Any]:
    """The products list's columns from the apps built on billing (the tags), named in the
    settings: billing imports none of them."""
    return [import_string(path)(request, membership) for path in settings.PRODUCT_LIST_COLUMNS]


@org_member_required
def product_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    org = membership.organization
    today = timezone.localdate()
    form = ProductFilterForm(request.GET)
    form.is_valid()
    filters = form.filters()
    visible = Product.objects.for_member(membership)
    products = visible.select_related("owner", "payer")
    if "q" in filters:
        products = products.filter(name__icontains=filters["q"])
    if "kind" in filters:
        products = products.filter(kind=filters["kind"])
    if "expiring" in filters:
        products = products.expiring_between(today, today + timedelta(days=EXPIRING_SOON_DAYS))
    if "auto_renew" in filters:
        products = products.filter(auto_renew=filters["auto_renew"] == "on")
    columns = _columns(request, membership)
    for column in columns:
        products = column.prefetch(column.filter(products))
    filtered = bool(filters) or any(column.is_filtering for column in columns)
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    product_url = url_maker("billing:product-detail", org.slug)
    for product in page.object_list:
        product.url = product_url(product.pk)
        product.days = product.days_left(today)
    has_any = bool(page.object_list) or (filtered and visible.exists())
    return render(
        request,
        "billing/product_list.html",
        {
            "membership": membership,
            "org": org,
            "form": form,
            "filtered": filtered,
            "columns": columns,
            "page": page,
            "has_any": has_any,
            # Translated once for the page, not once per row.
            "kind_labels": {kind: str(label) for kind, label in ProductKind.choices},
            "soon_days": EXPIRING_SOON_DAYS,
        },
    )


@org_member_required
def product_detail(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    product = _visible_product(membership, pk)
    days = product.days_left()
    assignees = (
        list(product.assignees.order_by("first_name", "last_name", "email"))
        if membership.can_see_all_products
        else []
    )
    return render(
        request,
        "billing/product_detail.html",
        {
            "membership": membership,
            "org": membership.organization,
            "product": product,
            "days": days,
            "soon_days": EXPIRING_SOON_DAYS,
            "assignees": assignees,
            "can_verify": _can_verify(membership),
            # The list's extra columns (the tags) show on the product page too.
            "columns": _columns(request, membership),
        },
    )


@org_member_required
@require_GET
def product_edit(
    request: AuthenticatedHttpRequest, membership: Membership, pk: int
) -> HttpResponse:
    """The changes a member may make to a product, each a form with its own address: automatic
    renewal (billing rights, `product_auto_renew`) and whom it is given to (legal representatives
    and administrators, `product_assignees`). 403 for anyone who may do neither."""
    product = _visible_product(membership, pk)
    if not (membership.can_manage_billing or membership.can_see_all_products):
        raise PermissionDenied
    return _edit_page(request, membership, product)


@org_member_required(capability="can_manage_billing")
@require_POST
def product_auto_renew(
    request: AuthenticatedHttpRequest, membership: Membership, pk: int
) -> HttpResponse:
    product = _visible_product(membership, pk)
    form = AutoRenewForm(request.POST)
    if not form.is_valid():
        return _edit_page(request, membership, product, renew_form=form)
    on = form.cleaned_data["auto_renew"]
    services.do_set_auto_renew(product, on, actor=request.user)
    messages.success(
        request,
        (
            _("Automatic renewal of %(product)s is on.")
            if on
            else _("Automatic renewal of %(product)s is off.")
        )
        % {"product": product.name},
    )
    return redirect("billing:product-detail", membership.organization.slug, product.pk)


@org_member_required(capability="can_see_all_products")
@require_POST
def product_assignees(
    request: AuthenticatedHttpRequest, membership: Membership, pk: int
) -> HttpResponse:
    product = _visible_product(membership, pk)
    form = AssigneesForm(request.POST, organization=membership.organization)
    if form.is_valid():
        try:
            services.do_set_product_assignees(
                product, form.cleaned_data["assignees"], actor=request.user
            )
        except services.NotAMember:  # removed from the organization a moment ago
            form.add_error(
                "assignees", _("Choose collaborators or externals of this organization.")
            )
        else:
            messages.success(
                request,
                _("The people %(product)s is given to are saved.") % {"product": product.name},
            )
            return redirect("billing:product-detail", membership.organization.slug, product.pk)
    return _edit_page(request, membership, product, assign_form=form)


def _edit_page(
    request: AuthenticatedHttpRequest,
    membership: Membership,
    product: Product,
    *,
    renew_form: AutoRenewForm | None = None,
    assign_form: AssigneesForm | None = None,
) -> HttpResponse:
    """The edit page with the forms this member may use; the one just sent with a mistake is
    given bound, so what was typed stays with the error."""
    org = membership.organization
    if renew_form is None and membership.can_manage_billing:
        renew_form = AutoRenewForm(initial={"auto_renew": "on" if product.auto_renew else "off"})
    if assign_form is None and membership.can_see_all_products:
        assign_form = AssigneesForm(
            organization=org, initial={"assignees": list(product.assignees.all())}
        )
    return render(
        request,
        "billing/product_edit.html",
        {
            "membership": membership,
            "org": org,
            "product": product,
            "renew_form": renew_form,
            "assign_form": assign_form,
        },
    )


# --- Verify your contact details ----------------------------------------------------------------


@dataclass
class Row:
    """One line of a block of the verify page: a label, its value, and what is wrong with it."""

    label: str
    value: str
    problem: str = ""


@dataclass
class Block:
    title: str
    rows: list[Row]
    edit_url: str = ""
    edit_label: str = ""

    @property
    def problems(self) -> int:
        return sum(1 for row in self.rows if row.problem)


@dataclass
class DomainCheck:
    product: Product
    problems: list[str] = field(default_factory=list)


MISSING = gettext_lazy("Missing")


def _rows(obj: Any, fields: list[tuple[str, Any]], required: set[str]) -> list[Row]:
    rows = []
    for name, label in fields:
        value = str(getattr(obj, name) or "")
        problem = str(MISSING) if not value.strip() and name in required else ""
        rows.append(Row(str(label), value, problem))
    return rows


def _profile_block(user: User) -> Block:
    return Block(
        title=_("Your profile"),
        rows=[
            Row(_("Name"), user.full_name, "" if user.full_name.strip() else str(MISSING)),
            Row(
                _("Email address"),
                user.email,
                "" if user.is_email_verified else _("Not verified"),
            ),
            Row(_("Phone"), user.phone),
        ],
        edit_url=reverse("accounts:profile"),
        edit_label=_("Edit your profile"),
    )


def _organization_block(org: Organization, membership: Membership) -> Block:
    fields = [
        ("name", _("Name")),
        ("address", _("Address")),
        ("postal_code", _("Postal code")),
        ("city", _("City")),
        ("country", _("Country")),
        ("email", _("Contact email")),
    ]
    required = {"address", "postal_code", "city", "country", "email"}
    can_edit = membership.can_edit_organization
    return Block(
        title=_("The organization"),
        rows=_rows(org, fields, required),
        edit_url=reverse("organizations:settings", args=[org.slug]) if can_edit else "",
        edit_label=_("Edit the organization's details"),
    )


def _billing_block(account: BillingAccount, org: Organization, membership: Membership) -> Block:
    fields = [
        ("name", _("Billing name")),
        ("email", _("Billing email")),
        ("address", _("Address")),
        ("postal_code", _("Postal code")),
        ("city", _("City")),
        ("country", _("Country")),
        ("vat_number", _("VAT number")),
    ]
    required = {"name", "email", "address", "postal_code", "city", "country"}
    can_edit = membership.can_manage_billing
    return Block(
        title=_("Billing details"),
        rows=_rows(account, fields, required),
        edit_url=reverse("billing:details-edit", args=[org.slug]) if can_edit else "",
        edit_label=_("Edit the billing details"),
    )


CONTACT_REQUIRED = [
    ("name", gettext_lazy("name")),
    ("email", gettext_lazy("email address")),
    ("address", gettext_lazy("address")),
    ("city", gettext_lazy("city")),
    ("country", gettext_lazy("country")),
]


def _domain_checks(membership: Membership) -> list[DomainCheck]:
    """Each domain the member can see with what is wrong with its owner, problems first. One
    query, whatever the number of domains."""
    org = membership.organization
    domains = _with_owner_membership(
        Product.objects.for_member(membership)
        .filter(kind=ProductKind.DOMAIN)
        .select_related("owner")
        .order_by("name", "pk")
    )
    checks = []
    for product in domains:
        product.organization = org
        problems = []
        if product.is_owned_outside:
            problems.append(
                _("The owner is neither %(org)s nor one of its members.") % {"org": org.name}
            )
        owner = product.owner
        missing = [str(label) for name, label in CONTACT_REQUIRED if not getattr(owner, name)]
        if missing:
            problems.append(
                _("Owner's details incomplete: %(missing)s.") % {"missing": ", ".join(missing)}
            )
        checks.append(DomainCheck(product, problems))
    checks.sort(key=lambda c: not c.problems)
    return checks


@org_member_required
def contact_verify(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    """One page for the contact details the guide asks to check ("Verifica le coordinate"): the
    profile, the organization, billing, and each domain's owner, with what does not match.
    Reads only: a missing billing account shows as empty and is created on its first save."""
    if not _can_verify(membership):
        raise PermissionDenied
    org = membership.organization
    user: User = request.user
    account = BillingAccount.objects.filter(organization=org).first() or BillingAccount(
        organization=org
    )
    blocks = [
        _profile_block(user),
        _organization_block(org, membership),
        _billing_block(account, org, membership),
    ]
    domains = _domain_checks(membership)
    problems = sum(b.problems for b in blocks) + sum(len(d.problems) for d in domains)
    page = Paginator(domains, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "billing/contact_verify.html",
        {
            "membership": membership,
            "org": org,
            "blocks": blocks,
            "page": page,
            "domain_count": len(domains),
            "problems": problems,
            "can_edit_contacts": membership.can_edit_organization,
            "here": request.get_full_path(),
        },
    )


# --- Contacts and billing details ---------------------------------------------------------------


@org_member_required
def contact_edit(
    request: AuthenticatedHttpRequest, membership: Membership, pk: int
) -> HttpResponse:
    org = membership.organization
    contact = get_object_or_404(Contact.objects.for_member(membership), pk=pk)
    if not membership.can_edit_organization:
        raise PermissionDenied
    # A copy: an invalid form must not leave half-validated values on the object.
    form = ContactForm(
        request.POST or None, instance=Contact.objects.get(pk=contact.pk), organization=org
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.do_update_contact(contact, form.cleaned_data, actor=request.user)
        except services.NotAMember:  # left the organization a moment ago
            form.add_error("user", _("Choose a member of the organization."))
        else:
            messages.success(
                request,
                _("The contact details of %(name)s are saved.")
                % {"name": form.cleaned_data["name"]},
            )
            return redirect(safe_next(request, reverse("billing:contact-verify", args=[org.slug])))
    products = list(
        Product.objects.for_member(membership).filter(owner=contact).order_by("name")[:10]
    )
    return render(
        request,
        "billing/contact_edit.html",
        {
            "membership": membership,
            "org": org,
            "contact": contact,
            "form": form,
            "products": products,
            "next": safe_next(request, ""),
        },
    )


@org_member_required
def billing_details(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    if not membership.can_manage_billing:
        raise PermissionDenied
    org = membership.organization
    account = BillingAccount.objects.filter(organization=org).first() or BillingAccount(
        organization=org
    )
    form = BillingDetailsForm(request.POST or None, instance=account)
    if request.method == "POST" and form.is_valid():
        services.do_update_billing_details(org, form.cleaned_data, actor=request.user)
        messages.success(request, _("The billing details are saved."))
        return redirect(safe_next(request, reverse("billing:overview", args=[org.slug])))
    return render(
        request,
        "billing/billing_details_edit.html",
        {
            "membership": membership,
            "org": org,
            "form": form,
            "next": safe_next(request, ""),
        },
    )
