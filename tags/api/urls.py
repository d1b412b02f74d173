from __future__ import annotations

from django.urls import path

from tags.api import views

app_name = "tags-api"

urlpatterns = [
    path("tags/", views.TagViewSet.as_view({"get": "list", "post": "create"}), name="tag-list"),
    path(
        "tags/<slug:slug>/",
        views.TagViewSet.as_view(
            {"get": "retrieve", "patch": "partial_update", "delete": "destroy"}
        ),
        name="tag-detail",
    ),
    path("products/", views.TaggedProductViewSet.as_view({"get": "list"}), name="products"),
]
