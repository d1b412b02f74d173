"""Tag pages of an organization, under /orgs/<slug>/tags/."""

from __future__ import annotations

from django.urls import path

from tags import picker, views

app_name = "tags"

urlpatterns = [
    path("orgs/<slug:slug>/tags/", views.tag_list, name="list"),
    path("orgs/<slug:slug>/tags/new/", views.tag_create, name="create"),
    path("orgs/<slug:slug>/tags/<int:pk>/edit/", views.tag_edit, name="edit"),
    path("orgs/<slug:slug>/tags/<int:pk>/merge/", views.tag_merge, name="merge"),
    path("orgs/<slug:slug>/tags/<int:pk>/delete/", views.tag_delete, name="delete"),
    path("orgs/<slug:slug>/products/<int:pk>/tags/", picker.product_tags, name="product-tags"),
    path(
        "orgs/<slug:slug>/products/<int:pk>/tags/cell/",
        picker.product_tag_cell,
        name="product-tag-cell",
    ),
]
