"""Settings of the portal: one module, driven by the environment (12-factor).

Every value comes from an environment variable with a safe default for the embedded mode
(`portal up`: SQLite, filesystem broker, mail written to files, all under the data folder).
A malformed value stops the process with a message naming the variable, instead of running
with a surprise. See the README's "Configuration" section for the list.
"""

from __future__ import annotations

import base64
import os
import secrets
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

import django_stubs_ext
import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# Django's generic classes (ModelForm[Contact], ModelAdmin[Any]...) as the type checker sees them,
# subscriptable at run time too (mypy runs strict: a generic without its parameter is an error).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


def _bool(name: str, default: bool) -> bool:
    """Read a boolean strictly: a typo such as DEBUG=ture must not silently mean False."""
    raw = env.str(name, default="").strip().lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true or false).")


def _positive_int(name: str, default: int) -> int:
    """Read a whole number above zero: SESSION_IDLE_MINUTES=1h must stop with a clear message."""
    raw = env.str(name, default="").strip()
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number above zero.")
    return value


def _milliseconds(name: str, default: int) -> int:
    """Read a duration in milliseconds; 0 turns the limit off (PostgreSQL's own meaning)."""
    raw = env.str(name, default="").strip()
    if raw == "":
        return default
    if not raw.isdigit():
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number of milliseconds.")
    return int(raw)


DEBUG = _bool("DEBUG", False)

# The data folder holds everything the embedded mode keeps: database, broker queue, mail, keys.
DATA_DIR = Path(env.str("PORTAL_DATA_DIR", default=str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment, or one generated once and kept in the data folder."""
    # Read as is: django-environ would take a key starting with "$" for the name of another
    # variable, and a missing one for no key at all.
    key = os.environ.get("SECRET_KEY", "")
    if key:
        if len(key) < 50 or len(set(key)) < 5:
            raise ImproperlyConfigured("SECRET_KEY must be at least 50 random characters.")
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(64))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
# Keys that seal secrets the server reads back (TOTP seeds): see core/crypto.py.
ENCRYPTION_KEYS = env.list("PORTAL_ENCRYPTION_KEYS", default=[])
for _key in ENCRYPTION_KEYS:
    try:
        if len(base64.urlsafe_b64decode(_key)) != 32:
            raise ValueError
    except ValueError as exc:
        raise ImproperlyConfigured(
            "PORTAL_ENCRYPTION_KEYS holds a value that is not a Fernet key "
            "(generate one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')."
        ) from exc

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Behind HTTPS (production) the cookies are Secure and `__Host-` prefixed, HSTS is sent and plain
# HTTP is redirected. The embedded mode serves plain HTTP on localhost, where browsers would drop
# such cookies, so it defaults to the opposite of DEBUG and can be set explicitly.
HTTPS = _bool("PORTAL_HTTPS", not DEBUG)

INSTALLED_APPS = [
    "core.apps.CoreConfig",
    "accounts.apps.AccountsConfig",
    "organizations.apps.OrganizationsConfig",
    "security.apps.SecurityConfig",
    "billing.apps.BillingConfig",
    "tags.apps.TagsConfig",
    "tokens.apps.TokensConfig",
    "offers.apps.OffersConfig",
    "portal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "django_otp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.HashingBusyMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SessionLimitsMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

_CONTEXT_PROCESSORS = [
    "django.template.context_processors.request",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
    "django.template.context_processors.i18n",
    "core.context_processors.portal",
    "organizations.context_processors.navigation",
]
TEMPLATES = [
    {
        # The portal's pages (jinja2/), and the form widgets (django.forms' own Jinja2 copies):
        # several times faster to render than Django templates. docs/templates.md.
        "BACKEND": "portal.jinja2.Jinja2Pages",
        "DIRS": [BASE_DIR / "jinja2"],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "portal.jinja2.environment",
            "context_processors": _CONTEXT_PROCESSORS,
        },
    },
    {
        # The admin, the emails and the forms' layouts (templates/).
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": _CONTEXT_PROCESSORS},
    },
]

# --- Database -----------------------------------------------------------------------------------
SQLITE = "django.db.backends.sqlite3"
POSTGRESQL = "django.db.backends.postgresql"


def _database() -> dict[str, Any]:
    """DATABASE_URL: PostgreSQL (postgres://user@host:5432/name) or SQLite (sqlite:////abs/path).

    Anything else stops here, naming the variable but never echoing it (it may hold a password).
    """
    url = env.str("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'portal.sqlite3'}")
    scheme = url.partition("://")[0] if "://" in url else ""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # environ warns, then returns an empty engine
            config: dict[str, Any] = env.db_url_config(url)
    except (ImproperlyConfigured, KeyError, ValueError) as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL ({exc}).") from exc
    if config.get("ENGINE") not in {SQLITE, POSTGRESQL}:
        raise ImproperlyConfigured(
            f"DATABASE_URL has the unsupported scheme {scheme!r}: "
            "use postgres://user@host:port/name or sqlite:////absolute/path."
        )
    if not config.get("NAME"):
        raise ImproperlyConfigured("DATABASE_URL names no database.")
    return config


DATABASES = {"default": _database()}
# Per statement, on PostgreSQL only (SQLite has no such limit); 0 means none.
STATEMENT_TIMEOUT_MS = _milliseconds("DATABASE_STATEMENT_TIMEOUT_MS", 5_000)
WORKER_STATEMENT_TIMEOUT_MS = _milliseconds("WORKER_STATEMENT_TIMEOUT_MS", 300_000)
if DATABASES["default"]["ENGINE"] == SQLITE:
    # WAL lets the web server read while the worker writes; the timeout waits for a busy writer.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    )
    # The test database is a file in the data folder rather than in memory, so that the
    # integration tests can start a real Celery worker that sees the rows the test writes
    # (tests/portal/test_celery_worker.py). On PostgreSQL the test database is shared anyway.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    # No statement of a web request may run longer than this: PostgreSQL cancels it (the request
    # answers 500) rather than keep a backend busy after the client has gone (issue 12,
    # finding 1). Sent when connecting, so it costs no round trip; kept after any `options` of
    # DATABASE_URL. The Celery worker raises it for its connections (portal/celery.py).
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = " ".join(
        filter(None, [_options.get("options", ""), f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"])
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker, cache, rate-limit counters --------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured("REDIS_URL must start with redis://, rediss:// or unix://.")

if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # The embedded mode runs a single web process, so its rate-limit counters can live in memory.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery -------------------------------------------------------------------------------------
BROKER_DIR = DATA_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
        # Exchange bindings; kombu's default is "control" in the current directory.
        "control_folder": str(BROKER_DIR / "control"),
    }
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing a task must not hang a web request when the broker is down: the outbox sweep
# delivers whatever could not be queued.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TIMEZONE = "UTC"

# --- Application passwords --------------------------------------------------------------------
# Keys of the mail, CalDAV and CardDAV servers allowed to check logins
# (POST /api/v1/auth/app-password/verify with "Authorization: Service <key>").
APP_PASSWORD_SERVICE_KEYS = env.list("APP_PASSWORD_SERVICE_KEYS", default=[])
for _service_key in APP_PASSWORD_SERVICE_KEYS:
    if len(_service_key) < 32:
        raise ImproperlyConfigured(
            "APP_PASSWORD_SERVICE_KEYS holds a key of fewer than 32 characters."
        )

# --- API tokens --------------------------------------------------------------------------------
# How long each process may keep a token it found, to skip the database look-up: a revocation
# takes effect everywhere within this time, so ARCHITECTURE.md rule 3 caps it at 5 seconds (0 turns
# it off).
_raw_cache_seconds = env.str("API_TOKEN_CACHE_SECONDS", default="5").strip()
if _raw_cache_seconds not in {"0", "1", "2", "3", "4", "5"}:
    raise ImproperlyConfigured(
        f"API_TOKEN_CACHE_SECONDS={_raw_cache_seconds!r} is not a whole number from 0 to 5."
    )
API_TOKEN_CACHE_SECONDS = int(_raw_cache_seconds)

# --- SMS ---------------------------------------------------------------------------------------
# Countries whose numbers may receive 2FA codes (ISO 3166 codes).
SMS_ALLOWED_COUNTRIES = env.list("SMS_ALLOWED_COUNTRIES", default=["CH", "FR", "BE", "DE"])
# "file" writes each SMS into the data folder (shown on the outbox page); "http" posts JSON
# {"to", "text"} to SMS_HTTP_URL with SMS_HTTP_TOKEN as a Bearer token (the provider's gateway).
SMS_BACKEND = env.str("SMS_BACKEND", default="file")
if SMS_BACKEND not in {"file", "http"}:
    raise ImproperlyConfigured("SMS_BACKEND must be file or http.")
SMS_HTTP_URL = env.str("SMS_HTTP_URL", default="")
SMS_HTTP_TOKEN = env.str("SMS_HTTP_TOKEN", default="")
if SMS_BACKEND == "http" and not SMS_HTTP_URL.startswith("https://"):
    raise ImproperlyConfigured("SMS_BACKEND=http needs SMS_HTTP_URL starting with https://.")

# --- Email --------------------------------------------------------------------------------------
MAIL_DIR = DATA_DIR / "mail"
SMS_DIR = DATA_DIR / "sms"
# SMS the whole portal may send in an hour (rate limit "sms-global"); past it, SMS are refused and
# the logs say so once an hour. Size it to a bad hour of real sign-ins.
SMS_GLOBAL_BUDGET_PER_HOUR = _positive_int("SMS_GLOBAL_BUDGET_PER_HOUR", 500)
EMAIL_URL = env.str("EMAIL_URL", default=f"filemail://{MAIL_DIR}")
try:
    vars().update(env.email_url_config(EMAIL_URL))
except (ImproperlyConfigured, KeyError, ValueError) as exc:
    # Name the variable and the scheme, never the URL: an SMTP URL carries a password.
    raise ImproperlyConfigured(
        f"EMAIL_URL has the unsupported scheme {EMAIL_URL.partition('://')[0]!r} "
        "(use smtp://, smtp+tls://, smtps://, consolemail://, filemail:// or memorymail://)."
    ) from exc
if EMAIL_URL.startswith("filemail://"):
    # django-environ drops the leading "/" of the path; filemail:///var/mail means /var/mail.
    EMAIL_FILE_PATH = str(Path(EMAIL_URL.removeprefix("filemail://") or MAIL_DIR).resolve())
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Portal <no-reply@portal.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The public address used in links inside emails (they are rendered outside any request).
# A host name, not an IP address: WebAuthn (security keys) refuses IP addresses.
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://localhost:8000").rstrip("/")

# --- Accounts and passwords ---------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
# Called by the sign-in view once the password is right: see security/second_step.py.
LOGIN_SECOND_STEP = "security.second_step.begin"
# The categories the "password compromised?" wizard lists and revokes, each written by the app
# that owns the credential (accounts/inventory.py says how): accounts imports none of them.
CREDENTIAL_INVENTORIES = [
    "accounts.inventory.OtherSessions",
    "security.inventory.ApplicationPasswords",
    "tokens.inventory.ApiTokens",
    "security.inventory.TwoFactorMethods",
]
# What a password reset revokes: functions (user, verified_at, *, actor) -> int, each in the app
# that owns the credential, revoking the person's credentials created before the address was
# verified (accounts/services.py, do_reset_password, says why).
PRE_VERIFICATION_CREDENTIAL_REVOKERS = [
    "security.app_passwords.do_revoke_app_passwords_created_before",
    "tokens.services.do_revoke_tokens_created_before",
]
# Cards of the organization dashboard from the apps above `organizations` (each a function
# (request, membership) -> {"template": ..., ...}).
# In this order: what needs attention first (issue 13: expiring products, the security status,
# open offer requests, the balance), then the products by tag. A panel function returns None to
# show no card (a role that may not see it).
DASHBOARD_PANELS = [
    "billing.dashboard.expiring_soon",
    "security.dashboard.security_status",
    "offers.dashboard.open_requests",
    "billing.dashboard.balance",
    "tags.dashboard.products_by_tag",
]
# The organization policies of the access layer (organizations/access.py), from the apps above
# `organizations`: each a function (membership) -> Refusal | None, asked on every channel that
# acts for an organization (pages, partner pages, API tokens, application passwords).
ORGANIZATION_POLICIES = ["security.policies.two_factor_required"]
# Extra columns (with their filter) of the products list, from the apps above `billing`.
PRODUCT_LIST_COLUMNS = ["tags.product_list.TagColumn"]
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
# Argon2id at 19 MiB a hash, at most PASSWORD_HASHING_CONCURRENCY at once per process; a request
# that finds every slot taken for PASSWORD_HASHING_WAIT_SECONDS gets 429 (core/hashing.py).
PASSWORD_HASHING_CONCURRENCY = _positive_int(
    "PASSWORD_HASHING_CONCURRENCY", 2 * (os.cpu_count() or 1)
)
PASSWORD_HASHING_WAIT_SECONDS = 3
PASSWORD_HASHERS = [
    "core.hashing.PortalArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "accounts.validators.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "accounts.validators.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "accounts.validators.DomainWordsValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60  # one hour
# Re-authentication ("confirm your password") stays valid this long.
REAUTH_MAX_AGE = timedelta(minutes=_positive_int("REAUTH_MINUTES", 10))

# --- Sessions -----------------------------------------------------------------------------------
SESSION_ENGINE = "accounts.session_store"
SESSION_IDLE_TIMEOUT = timedelta(minutes=_positive_int("SESSION_IDLE_MINUTES", 60))
SESSION_ABSOLUTE_LIFETIME = timedelta(hours=_positive_int("SESSION_ABSOLUTE_HOURS", 12))
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_LIFETIME.total_seconds())
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
SESSION_COOKIE_NAME = "__Host-sessionid" if HTTPS else "sessionid"
CSRF_COOKIE_SECURE = HTTPS
CSRF_COOKIE_NAME = "__Host-csrftoken" if HTTPS else "csrftoken"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Rate limits (attempts, window in seconds) ---------------------------------------------------
# Quotas of the Newsletter API (tokens/services.py): what one organization may store there.
NEWSLETTER_MAX_LISTS = _positive_int("NEWSLETTER_MAX_LISTS", 100)  # an organization
NEWSLETTER_MAX_SUBSCRIBERS = _positive_int("NEWSLETTER_MAX_SUBSCRIBERS", 100_000)  # a list

# django-otp's growing delay after a wrong code is kept on the device, so whoever knows the password
# could set it off for the owner too (issue 12, finding 5): off, the counters above replace it.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
OTP_SMS_THROTTLE_FACTOR = 0

RATE_LIMITS = {
    # Per account *and* IP: the owner's own network is not locked by a stranger elsewhere.
    "login-account-ip": (5, 15 * 60),
    # Per account from anywhere: slower, and a browser that signed in before is exempt.
    "login-account": (30, 60 * 60),
    # Per IP over all accounts: credential stuffing.
    "login-ip": (100, 60 * 60),
    "password-reset": (5, 60 * 60),
    "signup-ip": (10, 60 * 60),
    "reauth": (5, 15 * 60),
    # Second-factor codes (security/second_step.py): per sign-in attempt (then the password
    # again), per account and address, then per account from anywhere (looser, and a browser
    # that signed in before is spared), so a stranger who knows the password cannot use up the
    # owner's own sign-in. The account's counters are bound to its password: a new one starts
    # them afresh. 100 a day leaves a guesser about 1 chance in 3,300 per day for a 6-digit code.
    "two-factor-attempt": (5, 15 * 60),
    "two-factor-address": (10, 15 * 60),
    "two-factor": (30, 15 * 60),
    "two-factor-day": (100, 24 * 60 * 60),
    # kAuth: sign-in requests pushed to one account (per address, then from anywhere); enrolment
    # attempts from one address.
    "kauth-push-address": (5, 10 * 60),
    "kauth-push": (20, 10 * 60),
    "kauth-enroll": (20, 60 * 60),
    # Requests of one kAuth device credential (fetching and answering sign-in requests): a phone
    # polling every second stays under it.
    "kauth-device": (120, 60),
    "identity-request": (3, 24 * 60 * 60),
    # SMS (security/sms.py, core/sms.py): per account, per address over all accounts, per
    # number whoever asks, and for the whole portal (its alert is logged): SMS pumping.
    "sms-send": (3, 10 * 60),
    "sms-address": (10, 60 * 60),
    "sms-number": (5, 60 * 60),
    "sms-global": (SMS_GLOBAL_BUDGET_PER_HOUR, 60 * 60),
    # Refused login checks of mail/CalDAV/CardDAV servers: per account and end-user address, and
    # per account from anywhere (looser, so a stranger cannot stop the owner's mail for long).
    "app-password-check": (20, 10 * 60),
    "app-password-account": (200, 60 * 60),
    "app-password-ip": (100, 10 * 60),
    # Offer requests posted per person (on top of at most 3 open per organization).
    "offer-post": (5, 24 * 60 * 60),
    "revoke-leaked": (30, 60 * 60),
    # Invitations per organization, and per person over all their organizations: making
    # organizations must not multiply how much email (with a chosen name) one person can send.
    "invite": (30, 60 * 60),
    "invite-person": (20, 60 * 60),
    "organization-create": (5, 24 * 60 * 60),
}

# Emails with a one-time link (reset, verification, invitation) are emptied in the outbox table once
# sent. The demo (DEBUG) keeps them for its outbox page: its "sent" mail sits in the data folder.
OUTBOX_KEEP_SENT_LINKS = DEBUG

# --- Security headers ---------------------------------------------------------------------------
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if _bool("PORTAL_BEHIND_PROXY", False):
    # Only behind a proxy that sets these headers itself; otherwise clients could forge them.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# --- Languages and time -------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("it", _("Italian")),
    ("fr", _("French")),
    ("de", _("German")),
    ("es", _("Spanish")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["portal.formats"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Zurich"

# --- Static files -------------------------------------------------------------------------------
# Uploaded identity documents: outside every URL, read only through permission-checked views.
PRIVATE_STORAGE_DIR = DATA_DIR / "private"
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # form fields (not files) of one request
# Files of one request, on every URL: the largest legitimate upload is an identity-verification
# request (three documents of at most 10 MB) plus the form around them (core/uploads.py).
UPLOAD_MAX_BYTES = 31 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "core.uploads.BoundedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# Whitenoise warns at every start when the folder is missing (before the first collectstatic).
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Logging: never a secret; the request's IP comes with audit events instead -------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

DEMO_PASSWORD = "portal-demo-2026"  # noqa: S105 - the documented password of the demo logins

FORM_RENDERER = "core.forms.PortalFormRenderer"

# --- REST API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tokens.authentication.BearerTokenAuthentication",
        "security.api_auth.AppPasswordBasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tokens.permissions.TokenScopePermission"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.json_body.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "core.api.BoundedPagination",  # 50 a page, 200 at most
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Portal API",
    "DESCRIPTION": "The portal's REST API. Authenticate with `Authorization: Bearer <API token>`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Separate request and response components: what a client sends (a name of at least one
    # character, no read-only id) is not what it gets back, and generated clients need both.
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation documents its error answers too, in one shape (core/api_schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api_schema.document_errors",
    ],
}
