"""The partner interface (/partners/offers/)."""

from __future__ import annotations

from django.urls import path

from offers.views import partner

app_name = "partners"

urlpatterns = [
    path("partners/offers/", partner.offer_list, name="offer-list"),
    path("partners/offers/<int:pk>/", partner.offer_detail, name="offer-detail"),
    path("partners/offers/<int:pk>/propose/", partner.offer_propose, name="offer-propose"),
    path("partners/offers/<int:pk>/report/", partner.offer_report, name="offer-report"),
    path("partners/settings/", partner.partner_settings, name="settings"),
]
