from __future__ import annotations

from django.urls import path

from tokens import views

app_name = "tokens"

urlpatterns = [
    path("", views.token_list, name="list"),
    path("new/", views.token_create, name="create"),
    path("revoke/", views.token_revoke, name="revoke"),
    path("<int:pk>/regenerate/", views.token_regenerate, name="regenerate"),
]
