"""Bungu's one settings module, driven by the environment.

Profiles (``BUNGU_PROFILE``):

* ``development`` (default): SQLite under ``var/``, a secret key generated into ``var/`` on
  first use, loopback hosts only, DEBUG off unless ``BUNGU_DEBUG=1``.
* ``production``: ``SECRET_KEY`` and ``BUNGU_ALLOWED_HOSTS`` are required; TLS everywhere
  (P1): HSTS, the HTTPS redirect and ``__Host-`` cookies that only travel over TLS.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured


def _env_flag(name: str, *, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


PROFILE = os.environ.get("BUNGU_PROFILE", "development")
if PROFILE not in {"development", "production"}:
    raise ImproperlyConfigured(f"BUNGU_PROFILE must be development or production, not {PROFILE!r}")
PRODUCTION = PROFILE == "production"

VAR_DIR = Path(os.environ.get("BUNGU_VAR_DIR", "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = _env_flag("BUNGU_DEBUG")


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in the production profile.")
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        # Created with owner-only permissions; never overwritten, so sessions survive restarts.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(64))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = _env_list("BUNGU_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    if PRODUCTION:
        raise ImproperlyConfigured("BUNGU_ALLOWED_HOSTS must be set in the production profile.")
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]
CSRF_TRUSTED_ORIGINS = _env_list("BUNGU_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "csp",
    "django_htmx",
    "bungu.privacy",
    "bungu.accounts",
    "bungu.catalog",
    "bungu.storefront",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so its response runs first: the holes are filled before the CSRF middleware sets
    # the cookie for a token a hole used, and before ConditionalGet computes the ETag.
    "bungu.storefront.holes.FillPageHolesMiddleware",
]

ROOT_URLCONF = "bungu.urls"
WSGI_APPLICATION = "bungu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "bungu.storefront.context_processors.shop",
            ],
        },
    },
]

# ---------------------------------------------------------------- database
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'bungu.sqlite3'}"),
        conn_max_age=int(os.environ.get("BUNGU_DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several gunicorn workers share one file: WAL lets readers run beside a writer, IMMEDIATE
    # takes the write lock when a transaction starts (no lock upgrades that deadlock), and the
    # timeout makes a second writer wait instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA busy_timeout=20000;"
            "PRAGMA cache_size=-20000;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "bungu",
        "OPTIONS": {"MAX_ENTRIES": 5000},
    }
}

# ---------------------------------------------------------------- passwords and sessions
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
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
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# ---------------------------------------------------------------- security headers
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY: dict[str, Any] = {
    "DIRECTIVES": {
        "default-src": [SELF],
        # No inline scripts, no eval: every script is a file served by the shop.
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

if PRODUCTION:
    # P1: everything over TLS. nginx terminates TLS and says so in X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 63_072_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # __Host- cookies are refused by browsers unless Secure, host-only and path=/.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["upgrade-insecure-requests"] = True

# ---------------------------------------------------------------- i18n, static, media
LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/Los_Angeles"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# WhiteNoise warns (an error in the tests) when this folder is missing before collectstatic.
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside production the shop serves its static files straight from the apps, so `make run`
# and the tests need no collectstatic step.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
# Uploaded product photos: served by the shop itself unless a front server takes them.
BUNGU_SERVE_MEDIA = _env_flag("BUNGU_SERVE_MEDIA", default=not PRODUCTION)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# ---------------------------------------------------------------- the shop
BUNGU_SHOP_NAME = os.environ.get("BUNGU_SHOP_NAME", "Bungu")
BUNGU_CURRENCY = "USD"
# Anonymous catalogue pages are the same for everyone; they are kept this long at most,
# and dropped at once when the catalogue changes.
BUNGU_PAGE_CACHE_SECONDS = int(os.environ.get("BUNGU_PAGE_CACHE_SECONDS", "600"))
BUNGU_PAGE_SIZE = 24
# `make bench` compares every page with the cheapest one the same stack can serve; that page
# exists only when the benchmark asks for it, and never in production.
BUNGU_BENCH_BASELINE = _env_flag("BUNGU_BENCH_BASELINE")
if BUNGU_BENCH_BASELINE and PRODUCTION:
    raise ImproperlyConfigured("BUNGU_BENCH_BASELINE is for `make bench`, never for production.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("BUNGU_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
