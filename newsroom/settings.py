"""Newsroom settings: one module, driven by the environment.

Safe local defaults (SQLite, local media, local-memory cache); production supplies
``DJANGO_SECRET_KEY``, ``DATABASE_URL``, ``REDIS_URL`` and ``ALLOWED_HOSTS``. ``DEBUG`` is on
only when ``DJANGO_DEBUG`` asks for it, and production mode refuses the default secret key.
"""

import hashlib
import json
import os
import tempfile
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
    # Static files straight from the app servers (hashed names, far-future caching, gzip),
    # before anything that would spend work on a request for a stylesheet.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Anonymous pages from the publish-aware cache: before the session, so a hit costs no
    # query, and outside everything that may set a cookie, so no such response is stored.
    "newsroom.cache.PublicCacheMiddleware",
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
            # {% url %} with its addresses remembered (newsroom/paths.py).
            "builtins": ["newsroom.templatetags.remembered_urls"],
            # The project package is not an app: its tag libraries are named here.
            "libraries": {"site_chrome": "newsroom.templatetags.site_chrome"},
        },
    },
]

# --- Database: SQLite by default, PostgreSQL (psycopg 3) through DATABASE_URL -------------
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
# Persistent connections spare each request a connect: PostgreSQL's (with its TLS and auth),
# and SQLite's own (opening the file and registering Django's functions: half a millisecond,
# a tenth of a page's time). The health check replaces a connection the server or a pooler
# dropped before it is used. DATABASE_CONN_MAX_AGE is seconds, "none" for unlimited.
_conn_max_age_default = "60"
_conn_max_age = os.environ.get("DATABASE_CONN_MAX_AGE", "").strip() or _conn_max_age_default
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=None if _conn_max_age.lower() == "none" else int(_conn_max_age),
        conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", default=True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend, plus statistics for the query planner (newsroom/sqlite3/base.py).
    DATABASES["default"]["ENGINE"] = "newsroom.sqlite3"
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
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "DATABASE_SERVER_SIDE_BINDING", default=True
):
    # Parameters bound by the server, so the statements of prepared queries
    # (newsroom/prepared.py), which every public page runs, are prepared on the server and
    # planned once per connection; other statements are planned for their own values. Set
    # DATABASE_SERVER_SIDE_BINDING=0 behind a pooler that cannot keep prepared statements
    # (PgBouncer in transaction mode before 1.21).
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
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
            # Values kept per content generation (navigation, listing counts, neighbours);
            # pages are kept apart (NEWSROOM_LOCAL_PAGES_MB, newsroom.near_cache). Django's
            # default keeps 300 entries and then drops a third at random.
            "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("LOCAL_CACHE_MAX_ENTRIES", "5000"))},
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
STATIC_URL = os.environ.get("STATIC_URL", "static/")
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = os.environ.get("MEDIA_URL", "/media/")
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))


def _media_storage() -> dict:
    """Uploads go to local disk unless DJANGO_MEDIA_STORAGE names another backend.

    With several app servers the disk is not shared, so production names object storage,
    e.g. ``storages.backends.s3.S3Storage`` with its options as JSON in
    DJANGO_MEDIA_STORAGE_OPTIONS (see README, "Deploying and scaling").
    """
    backend = os.environ.get("DJANGO_MEDIA_STORAGE", "").strip()
    if not backend:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    raw_options = os.environ.get("DJANGO_MEDIA_STORAGE_OPTIONS", "").strip() or "{}"
    try:
        options = json.loads(raw_options)
    except json.JSONDecodeError as exc:
        raise ImproperlyConfigured(
            f"DJANGO_MEDIA_STORAGE_OPTIONS is not valid JSON: {exc}"
        ) from exc
    if not isinstance(options, dict):
        raise ImproperlyConfigured("DJANGO_MEDIA_STORAGE_OPTIONS must be a JSON object.")
    return {"BACKEND": backend, "OPTIONS": options}


STORAGES = {
    "default": _media_storage(),
    # Hashed, compressed static files once `collectstatic` has run (newsroom/staticfiles.py).
    "staticfiles": {"BACKEND": "newsroom.staticfiles.NewsroomStaticStorage"},
}
# Hashed names never change content, so browsers and the CDN may keep them for a year.
WHITENOISE_MAX_AGE = int(os.environ.get("WHITENOISE_MAX_AGE", str(365 * 24 * 60 * 60)))

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

# --- HTTPS: one switch for a site served over TLS -------------------------------------------
# DJANGO_HTTPS=1 (the documented production environment) redirects plain HTTP, marks the
# session and CSRF cookies Secure and sends HSTS. It is opt in rather than tied to DEBUG:
# production mode also runs the test suite and benchmarks over plain HTTP on 127.0.0.1, where
# a redirect would answer every request. `manage.py check --deploy` warns while it is off.
HTTPS = env_bool("DJANGO_HTTPS")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=HTTPS)
# Paths (regular expressions, no leading slash) answered over plain HTTP even so, e.g. a load
# balancer's health check that cannot speak TLS.
SECURE_REDIRECT_EXEMPT = env_list("DJANGO_SECURE_REDIRECT_EXEMPT")
SESSION_COOKIE_SECURE = env_bool("DJANGO_SESSION_COOKIE_SECURE", default=HTTPS)
CSRF_COOKIE_SECURE = env_bool("DJANGO_CSRF_COOKIE_SECURE", default=HTTPS)
# HSTS is only sent on HTTPS responses. A year once on; preload is a promise to browser
# vendors that is slow to take back, so it is a separate, explicit choice.
SECURE_HSTS_SECONDS = int(
    os.environ.get("DJANGO_SECURE_HSTS_SECONDS", str(365 * 24 * 60 * 60) if HTTPS else "0")
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD")

# Uploaded images: refused above these sizes (Pillow's own bomb limit is far higher).
NEWSROOM_IMAGE_MAX_BYTES = int(os.environ.get("NEWSROOM_IMAGE_MAX_BYTES", str(15 * 1024 * 1024)))
NEWSROOM_IMAGE_MAX_PIXELS = int(os.environ.get("NEWSROOM_IMAGE_MAX_PIXELS", str(40_000_000)))

TAGGIT_CASE_INSENSITIVE = True

# Seconds an open story stays marked "being edited" without a heartbeat from its editor.
NEWSROOM_EDIT_LEASE_SECONDS = int(os.environ.get("NEWSROOM_EDIT_LEASE_SECONDS", "90"))
# Longest life a shared preview link may be given.
NEWSROOM_PREVIEW_MAX_DAYS = int(os.environ.get("NEWSROOM_PREVIEW_MAX_DAYS", "14"))

# The publish-aware cache of anonymous pages, feeds, sitemaps and API answers (newsroom.cache):
# a publish-relevant save is seen at once whatever these say; they bound how long a response
# is kept here (never past the next scheduled story) and what browsers and CDNs are told.
NEWSROOM_CACHE_ENABLED = env_bool("NEWSROOM_CACHE_ENABLED", True)
NEWSROOM_CACHE_SECONDS = int(os.environ.get("NEWSROOM_CACHE_SECONDS", "300"))
NEWSROOM_CACHE_MAX_AGE = int(os.environ.get("NEWSROOM_CACHE_MAX_AGE", "60"))
NEWSROOM_CACHE_S_MAXAGE = int(os.environ.get("NEWSROOM_CACHE_S_MAXAGE", "300"))
NEWSROOM_CACHE_STALE_WHILE_REVALIDATE = int(
    os.environ.get("NEWSROOM_CACHE_STALE_WHILE_REVALIDATE", "60")
)
NEWSROOM_CACHE_EXCLUDED_PATHS = ("/admin/", "/preview/", "/static/", "/media/")
# With Redis, each app process also keeps the pages it served (up to this many MB, least
# recently used dropped; 0 turns it off), served while Redis' pushed generation vouches for
# them: a hit then costs no round trip (newsroom.near_cache).
NEWSROOM_LOCAL_PAGES_MB = float(os.environ.get("NEWSROOM_LOCAL_PAGES_MB", "64"))
# Without Redis, the content generation that every app process of this host reads on each
# request and a publish raises (so a publish handled by one gunicorn worker reaches the
# others at once). One file per checkout and database, in the temporary directory unless set.
_site_id = hashlib.sha256(f"{BASE_DIR}|{DATABASES['default'].get('NAME')}".encode()).hexdigest()
NEWSROOM_GENERATION_FILE = os.environ.get("NEWSROOM_GENERATION_FILE") or os.path.join(
    tempfile.gettempdir(), f"newsroom-{_site_id[:16]}", "content-generation"
)

# Everything to stderr, one line per record with the process id: with several gunicorn
# workers on several hosts, the log collector (journald, the container runtime) adds the host.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "line"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # 4xx/5xx with tracebacks; the access log is gunicorn's (gunicorn.conf.py).
        "django.request": {"level": os.environ.get("DJANGO_REQUEST_LOG_LEVEL", "WARNING")},
        "django.db.backends": {"level": os.environ.get("DJANGO_DB_LOG_LEVEL", "INFO")},
    },
}
