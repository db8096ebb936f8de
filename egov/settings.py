"""Settings for the portal, read from the environment.

Safe by default: DEBUG is off, cookies are secure and HTTPS is enforced unless
``DJANGO_HTTPS=0`` says the site is served over plain HTTP (the demo, the tests).
Every variable is listed in docs/operations.md.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONCE as CSP_NONCE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("EGOV_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
HTTPS = env_bool("DJANGO_HTTPS", True)
PRODUCTION = os.environ.get("DJANGO_ENV", "").lower() == "production"


def _secret_key() -> str:
    key = os.environ.get("DJANGO_SECRET_KEY", "")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_ENV=production.")
    # Development: a random key kept under var/ so sessions survive restarts.
    path = VAR_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        path.write_text(key)
        path.chmod(0o600)
        return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "egov",
    "citizens",
    "workdays",
    "procedures",
    "onecounter",
    "interconnect",
    "engagement",
    "stats",
    "operations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The Content-Security-Policy header on every response (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    # Other agencies' systems (API key): the view without the session middleware.
    "citizens.agency_api.AgencyApiLeanPathMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "citizens.middleware.StaffMfaRequiredMiddleware",
]

ROOT_URLCONF = "egov.urls"
WSGI_APPLICATION = "egov.wsgi.application"
ASGI_APPLICATION = "egov.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "egov.context_processors.portal",
            ],
        },
    }
]

# --- Database -----------------------------------------------------------------
# Without DATABASE_URL the portal runs on SQLite under var/ (the demo needs no
# server). PostgreSQL is the database of record in production and in the tests.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    # Kept for 60 s; checked before reuse in a new request, so the first
    # requests after a PostgreSQL restart reconnect instead of failing.
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "portal.sqlite3",
            "OPTIONS": {"timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Hot queries (the agency API's lookups) as prepared statements of the database
# session; set to 0 behind a pooler in transaction mode (docs/performance.md).
EGOV_DB_PREPARED_STATEMENTS = env_bool("EGOV_DB_PREPARED_STATEMENTS", True)

# --- Redis: cache, Celery broker ----------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # Redis, with this process's memory standing in while Redis is unreachable
    # (egov/cache.py): throttles and rate limits keep counting, per process.
    REDIS_TIMEOUT = float(os.environ.get("EGOV_REDIS_TIMEOUT", "0.5"))
    CACHES = {
        "default": {
            "BACKEND": "egov.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "egov",
            "OPTIONS": {
                "socket_connect_timeout": REDIS_TIMEOUT,
                "socket_timeout": REDIS_TIMEOUT * 2,
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "egov_cache",
        }
    }
# This process's own copies of what is read on every request of a hot page
# (the statistics pages) or of every staff request (roles, second factor):
# no round trip for a large or a frequent value. Bounded.
CACHES["local"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "egov-local",
    "OPTIONS": {"MAX_ENTRIES": 200},
}

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
# With no broker configured, background jobs run in-process (the demo default).
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A message a killed worker took is redelivered after this; the sweeps below
# re-send the work long before (a task must never wait for it). A broker host
# that does not answer at all (not even a refusal) costs a request at most
# socket_connect_timeout seconds before its work is left to the sweep.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2}
# With the broker down, publishing gives up fast: the work stays in its outbox
# row and the sweep sends it when the broker is back.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# Recovery after a worker crash (docs/operations.md, "When a part is down"):
# the beat's sweeps run every EGOV_SWEEP_SECONDS (5; read in egov/celery.py)
# and re-send work that is unfinished, not being worked on (its row is not
# locked) and older than EGOV_SWEEP_AFTER_SECONDS; a row re-sent is not
# re-sent again within its lease (EGOV_SWEEP_AFTER_SECONDS, doubled per failed
# attempt, up to 10 min).
EGOV_SWEEP_AFTER_SECONDS = int(os.environ.get("EGOV_SWEEP_AFTER_SECONDS", "10"))
# A PDF no document owns (a render cut off by a crash) is deleted once older
# than this many hours by the hourly onecounter.sweep_orphan_files.
EGOV_ORPHAN_FILE_HOURS = float(os.environ.get("EGOV_ORPHAN_FILE_HOURS", "1"))
CELERY_TIMEZONE = "Asia/Ho_Chi_Minh"

# --- Accounts -----------------------------------------------------------------
AUTH_USER_MODEL = "citizens.User"
# Staff pages check that the user has a TOTP second factor; a "yes" is reused
# by a process for this many seconds (citizens/middleware.py; 0: ask each time).
EGOV_MFA_ENROLLED_SECONDS = float(os.environ.get("EGOV_MFA_ENROLLED_SECONDS", "10"))
# A staff member's roles (User.active_memberships) are reused by a process for
# this many seconds; a change made in the same process counts at once, one made
# elsewhere (another web process, admin on another host) at most this late.
EGOV_STAFF_ROLES_SECONDS = float(os.environ.get("EGOV_STAFF_ROLES_SECONDS", "5"))
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:after-login"
ACCOUNT_LOGOUT_REDIRECT_URL = "portal:home"
ACCOUNT_ADAPTER = "citizens.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Cổng dịch vụ công] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if HTTPS else "http"
# Repeated failed sign-ins are throttled (per IP and per account).
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "login": "30/m/ip",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
# A national identity provider (e.g. VNeID) over OpenID Connect: when configured,
# an account holder can have their identity vouched for (identity level 2).
OIDC_PROVIDER_ID = os.environ.get("EGOV_OIDC_PROVIDER_ID", "vneid")
OIDC_ID_NUMBER_CLAIM = os.environ.get("EGOV_OIDC_ID_CLAIM", "personal_id")
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": (
            [
                {
                    "provider_id": OIDC_PROVIDER_ID,
                    "name": os.environ.get("EGOV_OIDC_NAME", "VNeID"),
                    "client_id": os.environ["EGOV_OIDC_CLIENT_ID"],
                    "secret": os.environ.get("EGOV_OIDC_SECRET", ""),
                    "settings": {
                        "server_url": os.environ["EGOV_OIDC_SERVER_URL"],
                        "fetch_userinfo": True,
                    },
                }
            ]
            if os.environ.get("EGOV_OIDC_SERVER_URL") and os.environ.get("EGOV_OIDC_CLIENT_ID")
            else []
        ),
    }
}
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False
# Behind N reverse proxies, the client's address is N hops back in
# X-Forwarded-For; without this every visitor would share the proxy's limits.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", 0)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Cổng dịch vụ công Hà Nội"
MFA_TOTP_TOLERANCE = 1

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
# locale/parts/<topic>/ hold the catalogues of work in progress (merged into
# locale/ by `make messages`); earlier paths win.
LOCALE_PATHS = [
    BASE_DIR / "locale",
    *sorted(p for p in (BASE_DIR / "locale" / "parts").glob("*") if p.is_dir()),
    BASE_DIR / "locale_vendor",
]
LANGUAGE_COOKIE_SECURE = HTTPS
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

# --- Static and private files -------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {
        # Private: no URL at all; files are served by views that check access.
        "BACKEND": "egov.storage.PrivateStorage",
        "OPTIONS": {"location": str(VAR_DIR / "private")},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("DJANGO_MANIFEST_STATIC", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        ),
    },
}
WHITENOISE_USE_FINDERS = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
EGOV_UPLOAD_MAX_BYTES = env_int("EGOV_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# --- Email --------------------------------------------------------------------
# The console backend (mail printed to the log) is for development only.
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "no-reply@dichvucong.example.vn")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Online filing and payments ------------------------------------------------
# Drafts untouched for longer than this are purged (days).
EGOV_DRAFT_MAX_AGE_DAYS = env_int("EGOV_DRAFT_MAX_AGE_DAYS", 30)
# "test" is the built-in test gateway for the demo; "vnpay" a VNPAY-style gateway.
EGOV_PAYMENT_PROVIDER = os.environ.get("EGOV_PAYMENT_PROVIDER", "vnpay" if PRODUCTION else "test")
VNPAY_URL = os.environ.get("VNPAY_URL", "")
VNPAY_TMN_CODE = os.environ.get("VNPAY_TMN_CODE", "")
VNPAY_HASH_SECRET = os.environ.get("VNPAY_HASH_SECRET", "")
# The test gateway signs its callbacks with this secret (derived from SECRET_KEY when empty).
EGOV_TEST_PAYMENT_SECRET = os.environ.get("EGOV_TEST_PAYMENT_SECRET", "")

# --- Notices -----------------------------------------------------------------
# SMS goes through a provider class; the default writes a masked line to the log.
EGOV_SMS_PROVIDER = os.environ.get(
    "EGOV_SMS_PROVIDER", "onecounter.notifications.services.LoggingSmsProvider"
)
EGOV_SMS_URL = os.environ.get("EGOV_SMS_URL", "")
EGOV_SMS_TOKEN = os.environ.get("EGOV_SMS_TOKEN", "")
EGOV_SMS_TIMEOUT = env_int("EGOV_SMS_TIMEOUT", 10)
# Public tracking: wrong guesses allowed per client address and per code in a window.
EGOV_TRACKING_MAX_FAILURES = env_int("EGOV_TRACKING_MAX_FAILURES", 10)
EGOV_TRACKING_WINDOW_SECONDS = env_int("EGOV_TRACKING_WINDOW_SECONDS", 15 * 60)
# Public verification of results (/verify/<token>): unknown codes and all checks
# allowed per client address in a window.
EGOV_VERIFY_MAX_FAILURES = env_int("EGOV_VERIFY_MAX_FAILURES", 10)
EGOV_VERIFY_MAX_LOOKUPS = env_int("EGOV_VERIFY_MAX_LOOKUPS", 300)
EGOV_VERIFY_WINDOW_SECONDS = env_int("EGOV_VERIFY_WINDOW_SECONDS", 15 * 60)
# Result documents carry a QR code to <EGOV_PUBLIC_BASE_URL>/verify/<token>: the
# portal's public address as citizens reach it (scheme and host, no trailing slash).
EGOV_PUBLIC_BASE_URL = os.environ.get("EGOV_PUBLIC_BASE_URL", "http://localhost:8000").rstrip("/")

# --- Interconnection -----------------------------------------------------------
# Handoff delivery: retries with exponential backoff, then a visible failed handoff.
EGOV_HANDOFF_MAX_ATTEMPTS = env_int("EGOV_HANDOFF_MAX_ATTEMPTS", 6)
EGOV_HANDOFF_BACKOFF_SECONDS = env_int("EGOV_HANDOFF_BACKOFF_SECONDS", 30)
# The external civil-status registry (the Ministry of Justice's software): off when
# the URL is empty. Requests are JSON signed with HMAC-SHA256 using the secret.
EGOV_CIVIL_REGISTRY_URL = os.environ.get("EGOV_CIVIL_REGISTRY_URL", "")
EGOV_CIVIL_REGISTRY_SECRET = os.environ.get("EGOV_CIVIL_REGISTRY_SECRET", "")
EGOV_CIVIL_REGISTRY_TIMEOUT = env_int("EGOV_CIVIL_REGISTRY_TIMEOUT", 10)

# --- Operations (docs/failures.md) ----------------------------------------------
# /healthz/queues answers a request with "Authorization: Bearer <token>" (when
# empty: only a signed-in superuser). The back-office header's count of open
# failures is reused by a process for this many seconds.
EGOV_METRICS_TOKEN = os.environ.get("EGOV_METRICS_TOKEN", "")
EGOV_FAILURE_COUNT_SECONDS = float(os.environ.get("EGOV_FAILURE_COUNT_SECONDS", "5"))
# On the failures page (operations), work still pending after this many
# minutes is late: a step's follow-up, a notice, a handoff.
EGOV_FAILURE_LATE_MINUTES = int(os.environ.get("EGOV_FAILURE_LATE_MINUTES", "15"))
# A population import still "running" after this many hours shows as late
# (its process probably died).
EGOV_IMPORT_LATE_HOURS = float(os.environ.get("EGOV_IMPORT_LATE_HOURS", "6"))

# --- Security -----------------------------------------------------------------
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Django's database sessions, read with one plain query (egov/sessions.py).
SESSION_ENGINE = "egov.sessions"
SESSION_COOKIE_AGE = 60 * 60 * 8
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "egov.views.csrf_failure"

# --- API ----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "citizens.api_auth.CitizenTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "egov.errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("EGOV_API_ANON_RATE", "120/min"),
        "user": os.environ.get("EGOV_API_USER_RATE", "600/min"),
        # Asking a question (POST /api/v1/questions/), per account.
        "questions": os.environ.get("EGOV_API_QUESTIONS_RATE", "10/hour"),
        # The public POSTs of feedback (send, confirm, new code, rating), per account
        # or client address; sending is also limited by EGOV_FEEDBACK_MAX_PER_HOUR.
        "feedback": os.environ.get("EGOV_API_FEEDBACK_RATE", "30/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Cổng dịch vụ công — API",
    "DESCRIPTION": "Public and staff API of the citizen e-services portal (v1).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "AgencyKindEnum": "citizens.models.Agency.Kind",
        "DocumentKindEnum": "onecounter.models.DossierDocument.Kind",
        "QuestionKindEnum": "procedures.models.FormField.Kind",
        "DossierStatusEnum": "onecounter.models.DossierStatus",
        "UnitLevelEnum": "citizens.models.AdministrativeUnit.Level",
        "ErrorCodeEnum": "egov.codes.ErrorCode",
    },
}

# --- Logging: no personal data in logs ------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Portal -------------------------------------------------------------------
PORTAL_NAME = _("Hà Nội Public Service Portal")
# The province this deployment serves (2-digit code of 2025; Hà Nội is 01).
EGOV_PROVINCE_CODE = os.environ.get("EGOV_PROVINCE_CODE", "01")
ADMINISTRATIVE_UNITS_DIR = BASE_DIR / "citizens" / "data" / "administrative-units"
# Public statistics: a count under this is shown as "< N", a rate over fewer
# dossiers as "—" (small-cell suppression, stats/public.py).
EGOV_STATS_MIN_CELL = int(os.environ.get("EGOV_STATS_MIN_CELL", "5"))
# How long a process reuses the figures' version it read (seconds; 0: read it
# on every request). A refresh made by another process (the worker) shows on
# the statistics pages at most this much later.
EGOV_STATS_VERSION_SECONDS = float(os.environ.get("EGOV_STATS_VERSION_SECONDS", "2"))
# Feedback and recommendations (engagement/feedback.py): how many one sender
# may send in an hour, counted per account, phone number, e-mail and address.
EGOV_FEEDBACK_MAX_PER_HOUR = int(os.environ.get("EGOV_FEEDBACK_MAX_PER_HOUR", "5"))
# Questions one account may ask in an hour (engagement/services.py).
EGOV_QUESTIONS_MAX_PER_HOUR = int(os.environ.get("EGOV_QUESTIONS_MAX_PER_HOUR", "10"))


# --- Content-Security-Policy (django-csp; docs/operations.md, "Security headers")
# Strict: scripts, styles, images and fonts from the portal only; no inline
# script or style (a page that needs a script gives it the request's nonce,
# {{ request.csp_nonce }}); no <object>, no <base> elsewhere, no framing. Forms
# may post to the portal and be redirected to the payment gateway and the
# identity provider configured. Browsers report what the policy blocked to
# /csp-report/, which logs it (egov/csp.py).
def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


_FORM_TARGETS = [
    origin
    for origin in (_origin(VNPAY_URL), _origin(os.environ.get("EGOV_OIDC_SERVER_URL", "")))
    if origin
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", CSP_NONCE],
        "style-src": ["'self'"],
        # data: for the TOTP QR code (allauth) and the result documents' QR codes.
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'", *_FORM_TARGETS],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
        "report-uri": "/csp-report/",
    },
}
