"""Outpost settings: one file, every value from the environment.

The README lists each variable. SQLite is the default; DATABASE_URL selects
PostgreSQL. https://docs.djangoproject.com/en/5.2/ref/settings/
"""

import datetime
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env_str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false")
    SECRET_KEY = "insecure-development-key-only-for-debug"  # noqa: S105
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])

# The key that links a client across organisations without sharing the code
# (SPEC §1.3). It must be the same on every server of one network.
NETWORK_SECRET = env_str("NETWORK_SECRET", default=SECRET_KEY)
UIC_SCHEME = env_str("UIC_SCHEME", default="parents-dob")

INSTALLED_APPS = [
    # Django
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Third party
    "django_htmx",
    "template_partials",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    # Outpost, in the direction imports flow
    "outpost.core",
    "outpost.orgs",
    "outpost.clients",
    "outpost.catalogue",
    "outpost.inventory",
    "outpost.modes",
    "outpost.contacts",
    "outpost.room",
    "outpost.testing",
    "outpost.cases",
    "outpost.delivery",
    "outpost.outreach",
    "outpost.imports",
    "outpost.reports",
    "outpost.datasets",
    "outpost.vault",
    "outpost.accounts",
    "outpost.audit",
    "outpost.backup",
    "outpost.demo",
]

MIDDLEWARE = [
    "outpost.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "outpost.vault.middleware.LockedMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "outpost.accounts.middleware.SessionLimitsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "outpost.orgs.middleware.MembershipMiddleware",
    "outpost.accounts.middleware.RequireOTPMiddleware",
    "outpost.accounts.middleware.NoStoreMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "outpost" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "outpost.orgs.context_processors.membership",
            ],
        },
    }
]

# https://docs.djangoproject.com/en/5.2/ref/databases/#sqlite-notes
# WAL lets readers work while one writer writes; IMMEDIATE takes the write
# lock at BEGIN, so two writers queue instead of failing half-way through.
SQLITE_PATH = env_str("SQLITE_PATH", default=str(BASE_DIR / "outpost.sqlite3"))
DATABASE_URL = env_str("DATABASE_URL", default="")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=FULL;"
                    "PRAGMA busy_timeout=20000;"
                    "PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "orgs.User"
AUTHENTICATION_BACKENDS = [
    # django-axes refuses locked-out attempts before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Two-factor sign-in (TOTP, with single-use recovery codes) for every staff
# role. Only a local demo should turn it off.
OTP_REQUIRED = env_bool("OTP_REQUIRED", default=True)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", default="Outpost")
OTP_TOTP_THROTTLE_FACTOR = 1

# Lockout: 5 failures in 15 minutes lock that username from that address for
# 15 minutes, whether or not the username exists (DHIS2's known-good default).
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False

# Sessions end after 15 idle minutes and at most 8 hours after sign-in:
# staff share devices at outreach points (ASVS 7.3.1, 7.3.2).
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", default=15 * 60)
SESSION_ABSOLUTE_LIMIT = env_int("SESSION_ABSOLUTE_LIMIT", default=8 * 60 * 60)
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "outpost.accounts.passwords.ContextWordsValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# https://docs.djangoproject.com/en/5.2/topics/i18n/
LANGUAGE_CODE = env_str("LANGUAGE_CODE", default="uk")
LANGUAGES = [("uk", _("Ukrainian")), ("ru", _("Russian")), ("en", _("English"))]
# https://docs.djangoproject.com/en/5.2/ref/settings/#format-module-path
FORMAT_MODULE_PATH = ["config.formats"]
LOCALE_PATHS = [BASE_DIR / "outpost" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("TIME_ZONE", default="Europe/Kyiv")

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
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

SESSION_COOKIE_AGE = SESSION_ABSOLUTE_LIMIT
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# The __Host- prefix pins a cookie to this exact host over HTTPS (ASVS 3.3.2).
SESSION_COOKIE_NAME = "__Host-session" if SESSION_COOKIE_SECURE else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if CSRF_COOKIE_SECURE else "csrftoken"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
# Preloading is a one-way submission to browsers' lists that an NGO should
# decide on for its own domain; HSTS itself is checked (security.W004).
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", default=False) else None
)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# https://django-csp.readthedocs.io/en/latest/configuration.html
# No inline scripts or styles, nothing from another origin (ASVS 3.4.3).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

# Keys live outside the database and are not derived from SECRET_KEY. The
# master key file is what "lock" removes; keep it on tmpfs where possible
# and its sealed copy offline (docs/security.md).
KEY_DIR = Path(env_str("KEY_DIR", default=str(BASE_DIR / "var" / "keys")))
BACKUP_DIR = Path(env_str("BACKUP_DIR", default=str(BASE_DIR / "var" / "backups")))
# Uploaded import files, kept only until their import has run (docs/import.md).
IMPORT_DIR = Path(env_str("IMPORT_DIR", default=str(BASE_DIR / "var" / "imports")))

# https://docs.djangoproject.com/en/5.2/topics/cache/ — the reports
# dashboard keeps its figures here for a few minutes (reports.dashboard).
# Files by default: unlike local memory, one cache for every gunicorn
# worker (one computation serves them all, and "refresh now" reaches them
# all); unlike a database cache, no createcachetable step and no SQLite
# write lock taken from the people saving contacts. Keep CACHE_DIR private
# to Outpost's user: Django reads pickles from it. Several application
# servers each keep their own (docs/scaling.md).
CACHE_DIR = Path(env_str("CACHE_DIR", default=str(BASE_DIR / "var" / "cache")))
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": CACHE_DIR,
    }
}

# Retention limits (docs/security.md).
CONTACT_DETAILS_RETENTION_DAYS = env_int("CONTACT_DETAILS_RETENTION_DAYS", default=180)
DELIVERY_ADDRESS_RETENTION_DAYS = env_int("DELIVERY_ADDRESS_RETENTION_DAYS", default=7)
BOT_STATE_RETENTION_HOURS = env_int("BOT_STATE_RETENTION_HOURS", default=24)
HEALTH_RECORDS_RETENTION_DAYS = env_int("HEALTH_RECORDS_RETENTION_DAYS", default=5 * 365)
CASE_NOTES_RETENTION_DAYS = env_int("CASE_NOTES_RETENTION_DAYS", default=365)

# https://docs.djangoproject.com/en/5.2/topics/email/ — the daily stock
# alert (manage.py send_stock_alerts) is the first email Outpost sends.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env_int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
# Bounds how long a slow mail server can hold the alert's transaction open.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", default="outpost@localhost")
# Where staff open Outpost, e.g. https://outpost.example.org, for links in
# emails; empty leaves the links out.
SITE_URL = env_str("SITE_URL", default="").rstrip("/")
if SITE_URL and not SITE_URL.startswith(("https://", "http://")):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"SITE_URL must start with https://, not {SITE_URL!r}")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", default="INFO")},
}
