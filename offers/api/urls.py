"""The partner API's URLs, under /api/v1/ (included by portal/urls.py)."""

from __future__ import annotations

from django.urls import path

from offers.api import views

app_name = "offers-api"

urlpatterns = [
    path("offers/", views.PartnerOfferViewSet.as_view({"get": "list"}), name="offer-list"),
    path(
        "offers/<int:pk>/",
        views.PartnerOfferViewSet.as_view({"get": "retrieve"}),
        name="offer-detail",
    ),
]
