"""The sandbox processor's own settings: its own SQLite database under its own var dir.

Everything comes from the environment (``CARDSANDBOX_*``, ``PROCESSOR_PORT``). It is a test
double of a card processor and never takes real cards, so it has no production profile.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def _seconds(name: str, default: float) -> float:
    return float(os.environ.get(name, str(default)))


def _list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


VAR_DIR = Path(os.environ.get("CARDSANDBOX_VAR_DIR", "var/cardsandbox")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

PORT = int(os.environ.get("PROCESSOR_PORT", "8001"))
# The hosted page's address, as the customer's browser reaches it (checkout_url).
PUBLIC_URL = os.environ.get("CARDSANDBOX_PUBLIC_URL", f"http://127.0.0.1:{PORT}").rstrip("/")

# The shop's development default is the same string (the two share no code, only this value).
API_KEY = os.environ.get("CARDSANDBOX_API_KEY", "sk_test_bungu_development")
# Every active secret signs each webhook, so the shop can rotate (P1: the shop trusts only
# signed notifications). The shop's development default matches the first one.
WEBHOOK_SECRETS = _list("CARDSANDBOX_WEBHOOK_SECRETS", "whsec_bungu_development")
WEBHOOK_URL = os.environ.get("CARDSANDBOX_WEBHOOK_URL", "")
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("CARDSANDBOX_WEBHOOK_MAX_ATTEMPTS", "8"))
# The first retry waits this long, each later one twice as long as the one before.
WEBHOOK_BACKOFF = _seconds("CARDSANDBOX_WEBHOOK_BACKOFF", 1.0)
WEBHOOK_TIMEOUT = _seconds("CARDSANDBOX_WEBHOOK_TIMEOUT", 5.0)
# normal | duplicate | reorder | delay | drop; changed at run time by POST /v1/test/webhook-mode.
WEBHOOK_MODE = os.environ.get("CARDSANDBOX_WEBHOOK_MODE", "normal")
WEBHOOK_DELAY = _seconds("CARDSANDBOX_WEBHOOK_DELAY", 1.0)

# A payment page not finished in time, and an authorisation not captured in time, expire.
SESSION_TTL = _seconds("CARDSANDBOX_SESSION_TTL", 15 * 60)
AUTHORISATION_TTL = _seconds("CARDSANDBOX_AUTHORISATION_TTL", 7 * 24 * 3600)
# Idempotency keys are remembered at least a day.
IDEMPOTENCY_HOURS = max(24.0, _seconds("CARDSANDBOX_IDEMPOTENCY_HOURS", 48))


def _secret_key() -> str:
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(64))
    return key_file.read_text().strip()


SECRET_KEY = os.environ.get("CARDSANDBOX_SECRET_KEY") or _secret_key()
DEBUG = False
ALLOWED_HOSTS = _list("CARDSANDBOX_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")

INSTALLED_APPS = ["django.contrib.staticfiles", "cardsandbox"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "cardsandbox.pages.ContentSecurityPolicyMiddleware",
]
ROOT_URLCONF = "cardsandbox.urls"
WSGI_APPLICATION = "cardsandbox.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    },
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "cardsandbox.sqlite3",
        # Several gunicorn workers and the webhook loop write the same file: WAL, IMMEDIATE
        # transactions (each idempotent request is serialised) and a busy timeout.
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;",
        },
        # Each gunicorn thread and the webhook loop (which looks for due events ten times a
        # second) keep their connection instead of opening the file and setting it up again
        # for every request and every round.
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True
CSRF_COOKIE_NAME = "sandbox_csrftoken"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024

# P2: nothing here logs a request body; the card number and code never reach a log line.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CARDSANDBOX_LOG_LEVEL", "INFO")},
}
