"""Settings, read from the environment.

Without DATABASE_URL / REDIS_URL the embedded runtime (spp.runtime) starts or
attaches to PostgreSQL and Redis under SPP_DATA_DIR. Production sets
SPP_HTTPS=1, SPP_SECRET_KEY, SPP_ALLOWED_HOSTS and the database URLs; then
`manage.py check --deploy` has nothing to say.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

from spp import dbsetup, runtime

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("SPP_DEBUG")
HTTPS = env_bool("SPP_HTTPS")


def _secret_key() -> str:
    """SPP_SECRET_KEY, else a random key kept in the data dir (per installation)."""
    if os.environ.get("SPP_SECRET_KEY"):
        return os.environ["SPP_SECRET_KEY"]
    path = runtime.data_dir() / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
# The keyed hash that pseudonymises users in usage data (SPEC §1).
PSEUDONYM_KEY = os.environ.get("SPP_PSEUDONYM_KEY") or SECRET_KEY

ALLOWED_HOSTS = env_list("SPP_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("SPP_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "spp",  # first: its `migrate` command runs migrations as the schema owner
    "teams",
    "flex",
    "quotes",
    "usage",
    "spp.admin_site.OperatorAdminConfig",  # django.contrib.admin, views in operator scope
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "bootstrap",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "spp.urls"
WSGI_APPLICATION = "spp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "spp.context_processors.tenancy",
                "quotes.context_processors.notifications",
            ],
        },
    }
]

# ----------------------------------------------------------------------- database
# Three aliases, one per role (see spp.dbsetup). ATOMIC_REQUESTS on the request
# alias: the partner is set with set_config(..., true) inside that transaction.


def _databases() -> dict:
    if os.environ.get("DATABASE_URL"):
        urls = {
            "default": os.environ["DATABASE_URL"],
            "maint": os.environ.get("DATABASE_MAINT_URL", ""),
            "owner": os.environ.get("DATABASE_OWNER_URL", ""),
        }
        missing = [k for k, v in urls.items() if not v]
        if missing:
            raise RuntimeError(
                "DATABASE_URL is set: DATABASE_MAINT_URL and DATABASE_OWNER_URL must be set too"
            )
        databases = {alias: dj_database_url.parse(url) for alias, url in urls.items()}
    else:
        name = os.environ.get("SPP_DB_NAME", "spp")
        host, port = runtime.ensure_embedded_database(name)
        databases = {
            alias: {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": name,
                "USER": user,
                "HOST": host,
                "PORT": str(port),
            }
            for alias, user in (
                ("default", dbsetup.APP),
                ("maint", dbsetup.MAINT),
                ("owner", dbsetup.OWNER),
            )
        }
    for alias, config in databases.items():
        config["ATOMIC_REQUESTS"] = alias == "default"
        config["CONN_MAX_AGE"] = int(os.environ.get("SPP_CONN_MAX_AGE", "60"))
        config["CONN_HEALTH_CHECKS"] = True
        config.setdefault("OPTIONS", {})["application_name"] = f"spp-{alias}"
    return databases


DATABASES = _databases()
DATABASE_ROUTERS = ["spp.routers.OperatorRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# -------------------------------------------------------------------------- redis

REDIS_URL = os.environ.get("REDIS_URL") or runtime.embedded_redis_url()

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": os.environ.get("SPP_CACHE_PREFIX", "spp"),
    }
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 60 * 30
CELERY_TASK_SOFT_TIME_LIMIT = 60 * 25
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TIMEZONE = os.environ.get("SPP_TIME_ZONE", "UTC")
CELERY_BEAT_SCHEDULE = {
    "nightly-flex-recompute": {
        "task": "flex.tasks.recompute_all",
        # Just after midnight, so the new day's figures are complete early; feeds that
        # arrive later recompute their own teams at once.
        "schedule": crontab(hour=0, minute=5),
    },
    "daily-quote-expiry": {
        "task": "quotes.tasks.expire_quotes",
        "schedule": crontab(hour=0, minute=15),
    },
    "weekly-lead-digest": {
        "task": "quotes.tasks.weekly_digest",
        "schedule": crontab(hour=7, minute=0, day_of_week="mon"),
    },
}

# ------------------------------------------------------------------ people, auth

AUTH_USER_MODEL = "spp.User"
AUTHENTICATION_BACKENDS = [
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "spp.adapters.AccountAdapter"
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_RATE_LIMITS = {
    "login_failed": "5/5m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "SPP"

# ------------------------------------------------------------------------- e-mail

DEFAULT_FROM_EMAIL = os.environ.get("SPP_FROM_EMAIL", "SPP <no-reply@spp.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if os.environ.get("SPP_SMTP_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["SPP_SMTP_HOST"]
    EMAIL_PORT = int(os.environ.get("SPP_SMTP_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("SPP_SMTP_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("SPP_SMTP_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("SPP_SMTP_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# --------------------------------------------------------------------------- REST

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "spp.api_auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["spp.api_auth.IsPartnerPrincipal"],
    "DEFAULT_PAGINATION_CLASS": "spp.api.pagination.ApiPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "spp.api.errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["spp.api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        # Per key: a poll every second or so, with room for paging through a list.
        "api_key": os.environ.get("SPP_API_RATE", "120/min"),
        "api_user": os.environ.get("SPP_API_USER_RATE", "300/min"),
        # Feeds are big and run one at a time (an advisory lock): a few per minute.
        "imports": os.environ.get("SPP_API_IMPORT_RATE", "10/min"),
    },
    # Numbers as JSON numbers (prices, discounts), never strings.
    "COERCE_DECIMAL_TO_STRING": False,
    "DATE_FORMAT": "iso-8601",
    "DATETIME_FORMAT": "iso-8601",
    # `?format=xlsx|csv` names an export's file format (ARCHITECTURE.md), not a renderer.
    "URL_FORMAT_OVERRIDE": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SPP API",
    "DESCRIPTION": (
        "Flex token figures, teams, customers, contacts, packs, leads and quotes of one "
        "partner, for "
        "integrators. Authenticate with `Authorization: Api-Key <key>` (keys are created "
        "by a partner administrator under Settings → API keys); people may use their "
        "signed-in session (with the CSRF token on writes).\n\n"
        "Lists are paginated (`page`, `page_size`) as `{count, next, previous, results}`. "
        "Errors always have the body `{code, message, field_errors}`. Successful GETs "
        "carry an ETag: send it back in `If-None-Match` to get 304 when nothing changed. "
        "Dates are ISO 8601, numbers are JSON numbers, rates are fractions (0.234 = 23.4%)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No call to the online validator: the docs work offline.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None, "tryItOutEnabled": False},
    "TAGS": [
        {"name": "flex", "description": "Flex figures per team (SPEC §4), widget, export."},
        {"name": "teams", "description": "The partner's linked teams and their token events."},
        {"name": "accounts", "description": "Customer accounts and their account manager."},
        {"name": "contacts", "description": "The partner's contacts at its customers."},
        {"name": "packs", "description": "The partner's own token purchases, with prices."},
        {"name": "leads", "description": "Token Balance: refill leads (SPEC §7)."},
        {"name": "quotes", "description": "Quotes and their send / accept / decline (SPEC §8)."},
        {
            "name": "usage",
            "description": "A team's usage reporting (SPEC §9): summary, products, users, days.",
        },
        {"name": "imports", "description": "Operator keys only: the data feeds (SPEC §12)."},
        {"name": "partner", "description": "The partner the caller acts for; its API keys."},
    ],
}

# ------------------------------------------------------------- i18n, time, static

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("SPP_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = runtime.data_dir() / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = runtime.data_dir() / "media"

# ----------------------------------------------------------------------- security

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the forms read it through the template tag only
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SPP_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("SPP_LOG_LEVEL", "WARNING")},
    "loggers": {"spp": {"level": os.environ.get("SPP_LOG_LEVEL", "INFO")}},
}
