"""Billing pages of an organization, under /orgs/<slug>/."""

from __future__ import annotations

from django.urls import path

from billing.views import invoices, preferences, products

app_name = "billing"

urlpatterns = [
    path("orgs/<slug:slug>/products/", products.product_list, name="product-list"),
    path("orgs/<slug:slug>/products/<int:pk>/", products.product_detail, name="product-detail"),
    path("orgs/<slug:slug>/products/<int:pk>/edit/", products.product_edit, name="product-edit"),
    path(
        "orgs/<slug:slug>/products/<int:pk>/edit/auto-renew/",
        products.product_auto_renew,
        name="product-auto-renew",
    ),
    path(
        "orgs/<slug:slug>/products/<int:pk>/edit/assignees/",
        products.product_assignees,
        name="product-assignees",
    ),
    path("orgs/<slug:slug>/contacts/verify/", products.contact_verify, name="contact-verify"),
    path("orgs/<slug:slug>/contacts/<int:pk>/edit/", products.contact_edit, name="contact-edit"),
    path("orgs/<slug:slug>/billing/", invoices.billing_overview, name="overview"),
    path("orgs/<slug:slug>/billing/details/", products.billing_details, name="details-edit"),
    path(
        "orgs/<slug:slug>/billing/invoices/<str:number>/",
        invoices.invoice_detail,
        name="invoice-detail",
    ),
    path("orgs/<slug:slug>/billing/settings/", preferences.billing_settings, name="settings"),
]
