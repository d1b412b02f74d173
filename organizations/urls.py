"""Included at the root: organization pages under /orgs/<slug>/, and the two account pages that
create or join an organization (sign up, accept an invitation)."""

from __future__ import annotations

from django.urls import path

from organizations import views

app_name = "organizations"

urlpatterns = [
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/signup/sent/", views.signup_sent, name="signup-sent"),
    path("accounts/invitations/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("orgs/", views.organization_list, name="list"),
    path("orgs/new/", views.organization_create, name="create"),
    path("orgs/<slug:slug>/", views.dashboard, name="dashboard"),
    path("orgs/<slug:slug>/settings/", views.organization_settings, name="settings"),
    path("orgs/<slug:slug>/activity/", views.activity, name="activity"),
    path("orgs/<slug:slug>/members/", views.member_list, name="member-list"),
    path("orgs/<slug:slug>/members/invite/", views.member_invite, name="member-invite"),
    path("orgs/<slug:slug>/members/<int:pk>/role/", views.member_role, name="member-role"),
    path("orgs/<slug:slug>/members/<int:pk>/remove/", views.member_remove, name="member-remove"),
    path("orgs/<slug:slug>/leave/", views.leave, name="leave"),
    path(
        "orgs/<slug:slug>/invitations/<int:pk>/revoke/",
        views.invitation_revoke,
        name="invitation-revoke",
    ),
]
