from __future__ import annotations

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("verify/<str:token>/", views.verify_email, name="verify-email"),
    path("verify-again/", views.verify_email_resend, name="verify-email-resend"),
    path("password/reset/", views.password_reset, name="password-reset"),
    path("password/reset/sent/", views.password_reset_sent, name="password-reset-sent"),
    path(
        "password/reset/<str:uidb64>/<str:token>/",
        views.password_reset_confirm,
        name="password-reset-confirm",
    ),
    path("password/", views.password_change, name="password-change"),
    path("confirm-password/", views.confirm_password, name="confirm-password"),
    path("profile/", views.profile, name="profile"),
    path("language/", views.set_language, name="language"),
    path("sessions/", views.sessions, name="sessions"),
    path("activity/", views.activity, name="activity"),
]
