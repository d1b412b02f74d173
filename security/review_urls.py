"""The security review, included by portal/urls.py at /security/; also the last step of the
"password compromised?" wizard (accounts.compromised_urls serves the first two)."""

from __future__ import annotations

from django.urls import path

from security import review_views as review

app_name = "review"

urlpatterns = [
    path("", review.review, name="index"),
    path("compromised/review/", review.compromised_review, name="compromised"),
]
