from __future__ import annotations

from django.urls import path

from security import (
    app_password_views,
    kauth_api,
    kauth_views,
    sms_views,
    views,
    webauthn_views,
)

app_name = "security"

urlpatterns = [
    path("security/verify/", views.verify, name="verify"),
    path("security/verify/cancel/", views.verify_cancel, name="verify-cancel"),
    path("security/app-passwords/", app_password_views.app_password_list, name="app-passwords"),
    path(
        "security/app-passwords/new/",
        app_password_views.app_password_new,
        name="app-password-new",
    ),
    path(
        "security/app-passwords/revoke/",
        app_password_views.app_password_revoke,
        name="app-password-revoke-all",
    ),
    path(
        "security/app-passwords/<int:pk>/revoke/",
        app_password_views.app_password_revoke,
        name="app-password-revoke",
    ),
    path(
        "api/v1/auth/app-password/verify",
        app_password_views.service_login_check,
        name="app-password-verify",
    ),
    path("security/recovery/", views.recovery, name="recovery"),
    path("security/recovery/sent/", views.recovery_sent, name="recovery-sent"),
    path("security/two-factor/", views.two_factor, name="two-factor"),
    path("security/two-factor/authenticator/", views.totp_add, name="totp-add"),
    path(
        "security/two-factor/authenticator/<int:pk>/",
        views.totp_confirm,
        name="totp-confirm",
    ),
    path(
        "security/two-factor/emergency-codes/",
        views.emergency_codes_new,
        name="emergency-codes-new",
    ),
    path(
        "security/two-factor/emergency-codes/regenerate/",
        views.emergency_codes_regenerate,
        name="emergency-codes-regenerate",
    ),
    path(
        "security/two-factor/security-key/",
        webauthn_views.security_key_add,
        name="security-key-add",
    ),
    path(
        "security/two-factor/security-key/options",
        webauthn_views.security_key_options,
        name="security-key-options",
    ),
    path(
        "security/two-factor/security-key/register",
        webauthn_views.security_key_register,
        name="security-key-register",
    ),
    path(
        "security/verify/security-key/options",
        webauthn_views.verify_options,
        name="verify-security-key-options",
    ),
    path(
        "security/verify/security-key",
        webauthn_views.verify_security_key,
        name="verify-security-key",
    ),
    path("security/two-factor/sms/", sms_views.sms_add, name="sms-add"),
    path("security/two-factor/sms/<int:pk>/", sms_views.sms_confirm, name="sms-confirm"),
    path("security/two-factor/kauth/", kauth_views.kauth_add, name="kauth-add"),
    path("security/two-factor/kauth/<int:pk>/", kauth_views.kauth_enroll, name="kauth-enroll"),
    path("security/two-factor/kauth/<int:pk>/move/", kauth_views.kauth_move, name="kauth-move"),
    path(
        "security/kauth/enroll/<str:code>/", kauth_views.kauth_enroll_link, name="kauth-enroll-link"
    ),
    path("security/kauth/api/enroll", kauth_api.enroll, name="kauth-api-enroll"),
    path("security/kauth/api/challenges", kauth_api.challenges, name="kauth-api-challenges"),
    path(
        "security/kauth/api/challenges/<uuid:public_id>/<str:verb>",
        kauth_api.answer,
        name="kauth-api-answer",
    ),
    path("security/two-factor/<slug:method>/rename/", views.method_rename, name="method-rename"),
    path(
        "security/two-factor/<slug:method>/preferred/",
        views.method_preferred,
        name="method-preferred",
    ),
    path("security/two-factor/<slug:method>/remove/", views.method_remove, name="method-remove"),
    path(
        "orgs/<slug:slug>/security/",
        views.organization_security,
        name="organization",
    ),
]
