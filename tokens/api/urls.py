from __future__ import annotations

from django.urls import path

from tokens.api import leaks, views

app_name = "tokens-api"

lists = views.MailingListViewSet.as_view({"get": "list", "post": "create"})
one_list = views.MailingListViewSet.as_view({"get": "retrieve", "delete": "destroy"})
subscribers = views.SubscriberViewSet.as_view({"get": "list", "post": "create"})
one_subscriber = views.SubscriberViewSet.as_view({"delete": "destroy"})

urlpatterns = [
    path("tokens/revoke-leaked", leaks.RevokeLeakedView.as_view(), name="revoke-leaked"),
    path("newsletter/lists/", lists, name="mailing-lists"),
    path("newsletter/lists/<int:pk>/", one_list, name="mailing-list"),
    path("newsletter/lists/<int:list_pk>/subscribers/", subscribers, name="subscribers"),
    path(
        "newsletter/lists/<int:list_pk>/subscribers/<int:pk>/",
        one_subscriber,
        name="subscriber",
    ),
]
