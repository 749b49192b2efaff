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
import django_stubs_ext
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

# Django's generic classes (ModelAdmin, ModelForm, QuerySet ...) accept type arguments at run
# time too, so the code can be typed without ignores.
django_stubs_ext.monkeypatch()


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
    # Django's admin with the shop's guard on its date drill-down (bungu/backoffice/site.py).
    "bungu.backoffice.site.ShopAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "csp",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "bungu.privacy",
    "bungu.mail",
    "bungu.accounts",
    # After bungu.accounts, whose templates restyle allauth's pages in the shop's layout.
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "bungu.catalog",
    "bungu.cart",
    "bungu.payments",
    "bungu.orders",
    "bungu.checkout",
    "bungu.wishlists",
    "bungu.reviews",
    "bungu.marketing",
    "bungu.backoffice",
    "bungu.storefront",
    "bungu.operations",
    "bungu.api",
]

MIDDLEWARE = [
    # P5: the access log shows a route's secrets (a link's token) by name, not value.
    "bungu.operations.logs.LogPathMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # P3: keeps each signed-in session's IP, browser and last-seen time for the sessions page
    # (written at most once a minute unless they change).
    "bungu.accounts.middleware.UserSessionsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # P17: Sec-GPC honoured as an opt-out; P24, P25: customers asked about a new notice.
    "bungu.privacy.middleware.GlobalPrivacyControlMiddleware",
    "bungu.privacy.middleware.NoticeConsentMiddleware",
    # P20: who makes a request's changes, for the prior versions kept of what they change.
    "bungu.privacy.middleware.ChangesByMiddleware",
    # After auth and messages: merges an anonymous cart into the account on sign-in, and
    # sets or clears the cart cookie (P10).
    "bungu.cart.middleware.CartMiddleware",
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


def _cache(url: str) -> dict[str, Any]:
    """``file`` (default), ``locmem://`` or ``redis://host:port/db`` (needs the redis package)."""
    if url in {"", "file"}:
        # Shared by every gunicorn worker on the machine, so a page rendered by one worker
        # is a hit for all of them; no extra service to run. Its add and incr are atomic.
        return {
            "BACKEND": "bungu.file_cache.FileCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 20_000, "CULL_FREQUENCY": 4},
        }
    if url.startswith("locmem://"):
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "bungu"}
    if url.startswith(("redis://", "rediss://")):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    raise ImproperlyConfigured(f"BUNGU_CACHE_URL: unknown cache {url!r}")


CACHES = {"default": _cache(os.environ.get("BUNGU_CACHE_URL", "file"))}

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
# Several nodes share one media directory (a network file system mounted on each).
MEDIA_ROOT = Path(os.environ.get("BUNGU_MEDIA_ROOT", VAR_DIR / "media")).resolve()
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
# How long a worker trusts its last reading of the catalogue generation: a change made by
# another worker or node reaches this one's cached pages within this many seconds.
BUNGU_CATALOG_GENERATION_TTL = float(os.environ.get("BUNGU_CATALOG_GENERATION_TTL", "1.0"))
BUNGU_PAGE_SIZE = 24
# P10: the cart cookie holds only a random token; it and its anonymous cart last this many
# days after the cart last changed. An account's cart lasts BUNGU_CART_ACCOUNT_DAYS.
BUNGU_CART_COOKIE_DAYS = int(os.environ.get("BUNGU_CART_COOKIE_DAYS", "90"))
BUNGU_CART_ACCOUNT_DAYS = int(os.environ.get("BUNGU_CART_ACCOUNT_DAYS", "365"))
BUNGU_CART_COOKIE_NAME = "__Host-cart" if PRODUCTION else "cart"
# The device cookie of a browser that signed in before (bungu/accounts/devices.py).
BUNGU_DEVICE_COOKIE_NAME = "__Host-device" if PRODUCTION else "device"
# P11: a form refused for a missing CSRF cookie says plainly that it needs cookies.
CSRF_FAILURE_VIEW = "bungu.storefront.errors.cookies_needed"
# `make bench` compares every page with the cheapest one the same stack can serve; that page
# exists only when the benchmark asks for it, and never in production.
BUNGU_BENCH_BASELINE = _env_flag("BUNGU_BENCH_BASELINE")
if BUNGU_BENCH_BASELINE and PRODUCTION:
    raise ImproperlyConfigured("BUNGU_BENCH_BASELINE is for `make bench`, never for production.")

# ---------------------------------------------------------------- e-mail and background jobs
# Every message Django or the shop sends becomes a row in the outbox (bungu.mail), visible to
# staff; it leaves over SMTP only when BUNGU_SMTP_HOST is set, so `make run` needs no server.
EMAIL_BACKEND = "bungu.mail.backends.OutboxBackend"
BUNGU_MAIL_FROM = os.environ.get("BUNGU_MAIL_FROM", f"{BUNGU_SHOP_NAME} <shop@bungu.test>")
DEFAULT_FROM_EMAIL = BUNGU_MAIL_FROM
SERVER_EMAIL = BUNGU_MAIL_FROM
BUNGU_SMTP_HOST = os.environ.get("BUNGU_SMTP_HOST", "")
BUNGU_SMTP_STARTTLS = _env_flag("BUNGU_SMTP_STARTTLS")
BUNGU_SMTP_SSL = _env_flag("BUNGU_SMTP_SSL")
if BUNGU_SMTP_STARTTLS and BUNGU_SMTP_SSL:
    raise ImproperlyConfigured("Set BUNGU_SMTP_STARTTLS or BUNGU_SMTP_SSL, not both.")
_SMTP_DEFAULT_PORT = "465" if BUNGU_SMTP_SSL else "587" if BUNGU_SMTP_STARTTLS else "25"
BUNGU_SMTP_PORT = int(os.environ.get("BUNGU_SMTP_PORT", _SMTP_DEFAULT_PORT))
BUNGU_SMTP_USER = os.environ.get("BUNGU_SMTP_USER", "")
BUNGU_SMTP_PASSWORD = os.environ.get("BUNGU_SMTP_PASSWORD", "")
BUNGU_SMTP_TIMEOUT = float(os.environ.get("BUNGU_SMTP_TIMEOUT", "20"))
if (
    PRODUCTION
    and BUNGU_SMTP_HOST not in {"", "127.0.0.1", "localhost", "::1"}
    and not (BUNGU_SMTP_STARTTLS or BUNGU_SMTP_SSL)
):
    # P1: customers' mail leaves the machine only over TLS.
    raise ImproperlyConfigured("A remote BUNGU_SMTP_HOST needs BUNGU_SMTP_STARTTLS or _SSL.")
# Links in e-mails (unsubscribe) point here; no request is at hand when a mail is written.
_LOCAL_SITE_URL = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
_DEFAULT_SITE_URL = f"https://{ALLOWED_HOSTS[0]}" if PRODUCTION else _LOCAL_SITE_URL
BUNGU_SITE_URL = os.environ.get("BUNGU_SITE_URL", _DEFAULT_SITE_URL).rstrip("/")
# How long the one-click unsubscribe link in a mail keeps working.
BUNGU_UNSUBSCRIBE_LINK_DAYS = int(os.environ.get("BUNGU_UNSUBSCRIBE_LINK_DAYS", "180"))
# P22: how long a request to delete an account waits (the customer can cancel) before the
# worker or cron's `bungu privacy run-due-deletions` erases it.
BUNGU_DELETION_GRACE_DAYS = int(os.environ.get("BUNGU_DELETION_GRACE_DAYS", "14"))
# How often the worker runs the periodic jobs each app declares in its jobs.py (bungu.operations
# runs them): deletions, P5 retention, sessions, notice reminders. A job may declare its own.
BUNGU_HOUSEKEEPING_MINUTES = int(os.environ.get("BUNGU_HOUSEKEEPING_MINUTES", "60"))
# How long a campaign worker holds the recipients it claimed; a dead worker's are claimed
# again after this (bungu.marketing.sending).
BUNGU_CAMPAIGN_LEASE_SECONDS = int(os.environ.get("BUNGU_CAMPAIGN_LEASE_SECONDS", "120"))
# The card processor's adapter (bungu/payments/interface.py); the sandbox's by default.
BUNGU_PAYMENT_GATEWAY = os.environ.get(
    "BUNGU_PAYMENT_GATEWAY", "bungu.payments.sandbox.SandboxGateway"
)
# The sandbox processor (`python -m cardsandbox`, started by `make run`): its address, the
# API key it expects, the secrets its webhooks are signed with (comma-separated: during a
# rotation both are active) and how long the shop waits for it. The development defaults
# are the sandbox's own; production must set its key (and secrets) unless it uses another
# gateway.
_SANDBOX_GATEWAY = BUNGU_PAYMENT_GATEWAY == "bungu.payments.sandbox.SandboxGateway"
BUNGU_PROCESSOR_URL = os.environ.get(
    "BUNGU_PROCESSOR_URL", f"http://127.0.0.1:{os.environ.get('PROCESSOR_PORT', '8001')}"
).rstrip("/")
# Where customers' browsers reach the processor's hosted page, when not at the API's address
# (the sandbox's CARDSANDBOX_PUBLIC_URL); the shop's pages allow it as a form target (CSP).
BUNGU_PROCESSOR_PAGE_URL = os.environ.get("BUNGU_PROCESSOR_PAGE_URL", "").rstrip("/")
BUNGU_PROCESSOR_API_KEY = os.environ.get(
    "BUNGU_PROCESSOR_API_KEY", "" if PRODUCTION else "sk_test_bungu_development"
)
BUNGU_PROCESSOR_WEBHOOK_SECRETS = _env_list("BUNGU_PROCESSOR_WEBHOOK_SECRETS") or (
    [] if PRODUCTION else ["whsec_bungu_development"]
)
if PRODUCTION and _SANDBOX_GATEWAY and not BUNGU_PROCESSOR_API_KEY:
    raise ImproperlyConfigured("BUNGU_PROCESSOR_API_KEY must be set in the production profile.")
if PRODUCTION and _SANDBOX_GATEWAY and not BUNGU_PROCESSOR_WEBHOOK_SECRETS:
    # Without a secret no webhook could be trusted; better to refuse to start than to drop them.
    raise ImproperlyConfigured(
        "BUNGU_PROCESSOR_WEBHOOK_SECRETS must be set in the production profile."
    )
BUNGU_PROCESSOR_TIMEOUT = float(os.environ.get("BUNGU_PROCESSOR_TIMEOUT", "10"))
# P6: a guest reaches their order through a signed link in the confirmation e-mail; it works
# this many days.
BUNGU_ORDER_LINK_DAYS = int(os.environ.get("BUNGU_ORDER_LINK_DAYS", "180"))
# How long after a parcel ships its items may be asked back.
BUNGU_RETURN_DAYS = int(os.environ.get("BUNGU_RETURN_DAYS", "30"))
# P13: calls one agent's token may make a minute before the API answers 429.
BUNGU_API_CALLS_PER_MINUTE = int(os.environ.get("BUNGU_API_CALLS_PER_MINUTE", "120"))
# Stock is held this long when a customer goes to pay (never shorter than the processor's
# session: the hold is stretched to the session's end when that is later).
BUNGU_CHECKOUT_HOLD_MINUTES = int(os.environ.get("BUNGU_CHECKOUT_HOLD_MINUTES", "15"))
# P23: a supervised account's order waits this many days for the guardian's approval; an
# expired request cannot be approved (the young customer asks again).
BUNGU_GUARDIAN_APPROVAL_DAYS = int(os.environ.get("BUNGU_GUARDIAN_APPROVAL_DAYS", "7"))
# The reconciler voids an authorisation that became no order after this long (the return
# page and the webhook have had their chance by then).
BUNGU_PAYMENT_VOID_GRACE_MINUTES = int(os.environ.get("BUNGU_PAYMENT_VOID_GRACE_MINUTES", "30"))
# How far back the reconciler asks the processor for payments.
BUNGU_RECONCILE_LOOKBACK_HOURS = int(os.environ.get("BUNGU_RECONCILE_LOOKBACK_HOURS", "48"))
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# ---------------------------------------------------------------- customer accounts (allauth)
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:overview"
LOGOUT_REDIRECT_URL = "storefront:home"
# The user model has no username: customers sign up and sign in with their e-mail address.
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_ADAPTER = "bungu.accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "login": "bungu.accounts.forms.SignInForm",
    "signup": "bungu.accounts.forms.SignUpForm",
    "add_email": "bungu.accounts.forms.ChangeEmailForm",
}
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_UNIQUE_EMAIL = True
# One address per account; changing it goes through verifying the new one first.
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"{BUNGU_SHOP_NAME}: "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
# P3: None puts "Keep me signed in on this computer" on the sign-in form; unticked, the
# session ends when the browser closes.
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    # At most ten wrong passwords in 15 minutes from one address and for one account...
    "login_failed": "10/15m/ip,10/15m/key",
    # ... except from a browser that signed in to the account before: it has its own ten
    # (bungu/accounts/devices.py), so a stranger's guesses never lock the owner out.
    "login_failed_device": "10/15m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/180s/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = BUNGU_SHOP_NAME
USERSESSIONS_TRACK_ACTIVITY = True
# How many proxies of the shop's own stand in front of it (1 behind nginx): the visitor's
# address is the entry the last of them added to X-Forwarded-For. With 0 the header is
# ignored, because anyone can send it. Read by the shop's throttle and by django-allauth's.
BUNGU_TRUSTED_PROXIES = int(os.environ.get("BUNGU_TRUSTED_PROXIES", "0"))
if BUNGU_TRUSTED_PROXIES < 0:
    raise ImproperlyConfigured("BUNGU_TRUSTED_PROXIES must be 0 or more.")
ALLAUTH_TRUSTED_PROXY_COUNT = BUNGU_TRUSTED_PROXIES

# P5: the log is written to standard error and, with BUNGU_LOG_DIR (`make run` sets it), to
# one file a day there, kept as long as operations/personal_data.py declares. Every handler
# scrubs query strings and addresses from what it writes.
LOG_DIR = Path(os.environ["BUNGU_LOG_DIR"]).resolve() if os.environ.get("BUNGU_LOG_DIR") else None
_LOG_HANDLERS: dict[str, dict[str, Any]] = {
    "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["scrub"]},
}
if LOG_DIR is not None:
    _LOG_HANDLERS["file"] = {
        "()": "bungu.operations.logs.DailyFileHandler",
        "directory": LOG_DIR,
        "prefix": "bungu",
        "formatter": "plain",
        "filters": ["scrub"],
    }
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"scrub": {"()": "bungu.operations.logs.ScrubFilter"}},
    "handlers": _LOG_HANDLERS,
    "root": {"handlers": list(_LOG_HANDLERS), "level": os.environ.get("BUNGU_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
