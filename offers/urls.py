"""Offer requests of an organization (customers) and the cancellation link."""

from __future__ import annotations

from django.urls import path

from offers.views import customer

app_name = "offers"

urlpatterns = [
    path("orgs/<slug:slug>/offers/", customer.request_list, name="request-list"),
    path("orgs/<slug:slug>/offers/new/", customer.request_create, name="request-create"),
    path("orgs/<slug:slug>/offers/<int:pk>/", customer.request_detail, name="request-detail"),
    path("orgs/<slug:slug>/offers/<int:pk>/close/", customer.request_close, name="request-close"),
    path(
        "orgs/<slug:slug>/offers/<int:pk>/delete/", customer.request_delete, name="request-delete"
    ),
    path(
        "orgs/<slug:slug>/offers/<int:pk>/proposals/<int:proposal_pk>/choose/",
        customer.proposal_choose,
        name="proposal-choose",
    ),
    path("offers/cancel/<str:token>/", customer.cancel_by_link, name="cancel-by-link"),
]
