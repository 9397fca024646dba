"""Django settings of the dev desk: django-helpdesk on sqlite, one process, nothing sent by mail.

Everything that varies per run comes from the environment, set by `launcher.DevDesk`.
"""

import os
from pathlib import Path

BASE_DIR = Path(os.environ.get("DEVDESK_DIR", "."))

# A dev-only desk on loopback: the key protects nothing of value.
SECRET_KEY = os.environ.get("DEVDESK_SECRET_KEY", "devdesk-not-a-secret-" + "x" * 32)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "helpdesk",
]
SITE_ID = 1
# Teams mode needs pinax-teams (a SystemCheckError without it); the dev desk has no teams.
HELPDESK_TEAMS_MODE_ENABLED = False

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "ticket_link.devdesk.urls"
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
            ],
        },
    },
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "devdesk.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
STATIC_URL = "static/"
USE_TZ = True
TIME_ZONE = "UTC"
# New tickets e-mail the submitter: keep those mails in memory, never try SMTP.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Fast hashing: the dev desk's users are throw-away.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _urls(name: str) -> list[str] | None:
    """Read a comma-separated URL list from env at each call (django-helpdesk's reading, made robust)."""
    urls = [url.strip() for url in os.environ.get(name, "").split(",") if url.strip()]
    return urls or None


# django-helpdesk reads these env variables itself, but splits the follow-up list only on
# " , " (a comma WITH spaces on both sides): override both getters with a plain comma split.
def HELPDESK_GET_NEW_TICKET_WEBHOOK_URLS() -> list[str] | None:
    return _urls("HELPDESK_NEW_TICKET_WEBHOOK_URLS")


def HELPDESK_GET_FOLLOWUP_WEBHOOK_URLS() -> list[str] | None:
    return _urls("HELPDESK_FOLLOWUP_WEBHOOK_URLS")


HELPDESK_WEBHOOK_TIMEOUT = 3

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# Agents sign in on django-helpdesk's own page (Django's default, /accounts/login/, is not routed here).
LOGIN_URL = "helpdesk:login"
LOGIN_REDIRECT_URL = "helpdesk:home"
