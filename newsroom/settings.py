"""Newsroom settings: one module, driven by the environment.

Safe local defaults (SQLite, local media, local-memory cache); production supplies
``DJANGO_SECRET_KEY``, ``DATABASE_URL``, ``REDIS_URL`` and ``ALLOWED_HOSTS``. ``DEBUG`` is on
only when ``DJANGO_DEBUG`` asks for it, and production mode refuses the default secret key.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

TRUE_VALUES = {"1", "true", "yes", "on"}


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in TRUE_VALUES


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG")

# The default key is only good for a laptop; production refuses to start with it.
INSECURE_DEFAULT_SECRET_KEY = "django-insecure-newsroom-local-development-key"  # noqa: S105
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", INSECURE_DEFAULT_SECRET_KEY)
if not DEBUG and SECRET_KEY == INSECURE_DEFAULT_SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (production mode). "
        "For local work, run `make run`, which turns DEBUG on."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.flatpages",
    "django.contrib.sitemaps",
    "taggit",
    "django_prose_editor",
    "people",
    "articles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Flat pages (the standards page and any the desk adds) answer where nothing else does.
    "django.contrib.flatpages.middleware.FlatpageFallbackMiddleware",
]

ROOT_URLCONF = "newsroom.urls"
WSGI_APPLICATION = "newsroom.wsgi.application"

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
                "newsroom.context_processors.site",
            ],
        },
    },
]

# --- Database: SQLite by default, PostgreSQL (psycopg 3) through DATABASE_URL -------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # Take the write lock when a transaction starts, so concurrent writers queue
            # instead of failing to upgrade a read lock ("database is locked").
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            # WAL lets readers go on while one writer writes.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: local memory by default, Redis through REDIS_URL ------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "newsroom"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "newsroom",
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Time: stored in UTC, shown in the newsroom's own zone --------------------------------
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "en-us")
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Files ---------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = os.environ.get("MEDIA_URL", "/media/")
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# --- The newsroom itself -------------------------------------------------------------------
NEWSROOM_NAME = os.environ.get("NEWSROOM_NAME", "Newsroom")
# The public host name; feeds, sitemaps and structured data build absolute URLs from it
# (stored as the Site record by migrate; editable in the admin under Sites).
NEWSROOM_DOMAIN = os.environ.get("NEWSROOM_DOMAIN", "127.0.0.1:8000")
# "https" in production, "http" in local mode, unless set.
NEWSROOM_URL_SCHEME = os.environ.get("NEWSROOM_URL_SCHEME", "")
SITE_ID = 1
NEWSROOM_DESCRIPTION = os.environ.get("NEWSROOM_DESCRIPTION", "")
# The publisher logo search engines show (a raster image, under static/).
NEWSROOM_LOGO = {"path": "img/logo.png", "width": 600, "height": 60}
NEWSROOM_LOGO_SQUARE = {"path": "img/logo-square.png", "width": 512, "height": 512}
NEWSROOM_STANDARDS_URL = "/standards/"
# Wire copy: the largest file import_story reads, and the section new wire stories go to.
NEWSROOM_WIRE_MAX_BYTES = int(os.environ.get("NEWSROOM_WIRE_MAX_BYTES", str(10 * 1024 * 1024)))
NEWSROOM_WIRE_SECTION = os.environ.get("NEWSROOM_WIRE_SECTION", "wire")
# PostgreSQL text-search configuration; run `manage.py rebuild_search_index` after a change.
NEWSROOM_SEARCH_CONFIG = os.environ.get("NEWSROOM_SEARCH_CONFIG", "english")

# Behind a TLS-terminating proxy that sets these headers (opt in: trusting them otherwise
# lets clients forge them).
if env_bool("DJANGO_BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True

# Uploaded images: refused above these sizes (Pillow's own bomb limit is far higher).
NEWSROOM_IMAGE_MAX_BYTES = int(os.environ.get("NEWSROOM_IMAGE_MAX_BYTES", str(15 * 1024 * 1024)))
NEWSROOM_IMAGE_MAX_PIXELS = int(os.environ.get("NEWSROOM_IMAGE_MAX_PIXELS", str(40_000_000)))

TAGGIT_CASE_INSENSITIVE = True

# Seconds an open story stays marked "being edited" without a heartbeat from its editor.
NEWSROOM_EDIT_LEASE_SECONDS = int(os.environ.get("NEWSROOM_EDIT_LEASE_SECONDS", "90"))
# Longest life a shared preview link may be given.
NEWSROOM_PREVIEW_MAX_DAYS = int(os.environ.get("NEWSROOM_PREVIEW_MAX_DAYS", "14"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
