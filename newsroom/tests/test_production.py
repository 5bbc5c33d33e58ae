"""The production path: settings from the environment, `check --deploy`, hashed static files
served by whitenoise, and several app processes sharing one PostgreSQL and one Redis."""

import contextlib
import http.cookiejar
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from articles.tests.factories import PublishedArticleFactory

BASE_DIR = Path(settings.BASE_DIR)
GUNICORN = Path(sys.executable).with_name("gunicorn")


def clean_environ(**env: str) -> dict[str, str]:
    """This process's environment without any Newsroom setting, plus ``env``."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "GUNICORN_", "NEWSROOM_"))
        and k not in {"REDIS_URL", "CACHE_KEY_PREFIX", "ALLOWED_HOSTS", "STATIC_ROOT"}
    }
    clean.update(env)
    return clean


def documented_production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The production environment README's "Deploying and scaling" section lists."""
    return clean_environ(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="news.example",
        CSRF_TRUSTED_ORIGINS="https://news.example",
        NEWSROOM_DOMAIN="news.example",
        DJANGO_HTTPS="1",
        DJANGO_SECURE_HSTS_PRELOAD="1",
        DJANGO_BEHIND_PROXY="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'check.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "static"),
        **extra,
    )


def run(args: list[str], env: dict[str, str], timeout: float = 120):
    return subprocess.run(  # noqa: S603 - our own interpreter, module and arguments
        args, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def parsed_settings(**env: str) -> dict:
    code = (
        "import json, newsroom.settings as s; d = s.DATABASES['default']; "
        "print(json.dumps({'conn_max_age': d['CONN_MAX_AGE'], "
        "'health_checks': d['CONN_HEALTH_CHECKS'], 'media': s.STORAGES['default'], "
        "'static': s.STORAGES['staticfiles']['BACKEND'], 'ssl_redirect': s.SECURE_SSL_REDIRECT, "
        "'hsts': s.SECURE_HSTS_SECONDS, 'secure_cookies': [s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE], 'middleware': s.MIDDLEWARE}))"
    )
    result = run([sys.executable, "-c", code], clean_environ(DJANGO_SECRET_KEY="x" * 50, **env))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# --- Settings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["postgres://news@db.internal:5432/news", "sqlite:////tmp/news.sqlite3"]
)
def test_connections_are_kept_for_a_minute_with_health_checks(url):
    loaded = parsed_settings(DATABASE_URL=url)
    assert loaded["conn_max_age"] == 60
    assert loaded["health_checks"] is True


def test_connection_lifetime_and_health_checks_come_from_the_environment():
    url = "postgres://news@db.internal:5432/news"
    assert parsed_settings(DATABASE_URL=url, DATABASE_CONN_MAX_AGE="300")["conn_max_age"] == 300
    assert parsed_settings(DATABASE_URL=url, DATABASE_CONN_MAX_AGE="none")["conn_max_age"] is None
    assert parsed_settings(DATABASE_URL=url, DATABASE_CONN_MAX_AGE="0")["conn_max_age"] == 0
    loaded = parsed_settings(DATABASE_URL=url, DATABASE_CONN_HEALTH_CHECKS="0")
    assert loaded["health_checks"] is False


def test_https_hardening_is_off_over_plain_http_and_on_with_one_switch():
    plain = parsed_settings()
    assert (plain["ssl_redirect"], plain["hsts"], plain["secure_cookies"]) == (
        False,
        0,
        [False, False],
    )
    https = parsed_settings(DJANGO_HTTPS="1")
    assert https["ssl_redirect"] is True
    assert https["hsts"] == 365 * 24 * 60 * 60
    assert https["secure_cookies"] == [True, True]


def test_whitenoise_comes_straight_after_the_security_middleware():
    middleware = parsed_settings()["middleware"]
    assert middleware[:2] == [
        "django.middleware.security.SecurityMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
    ]


def test_media_goes_to_local_disk_unless_a_storage_backend_is_named():
    default = parsed_settings()["media"]
    assert default == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    options = {"bucket_name": "newsroom-media", "custom_domain": "media.news.example"}
    named = parsed_settings(
        DJANGO_MEDIA_STORAGE="storages.backends.s3.S3Storage",
        DJANGO_MEDIA_STORAGE_OPTIONS=json.dumps(options),
    )["media"]
    assert named == {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


def test_media_storage_options_that_are_not_json_are_refused_clearly():
    env = clean_environ(
        DJANGO_SECRET_KEY="x" * 50,
        DJANGO_MEDIA_STORAGE="storages.backends.s3.S3Storage",
        DJANGO_MEDIA_STORAGE_OPTIONS="bucket_name=newsroom",
    )
    result = run([sys.executable, "-c", "import newsroom.settings"], env)
    assert result.returncode != 0
    assert "DJANGO_MEDIA_STORAGE_OPTIONS is not valid JSON" in result.stderr


# --- check --deploy ------------------------------------------------------------------------


def test_check_deploy_is_clean_with_the_documented_production_environment(tmp_path):
    env = documented_production_env(tmp_path)
    result = run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_flags_a_production_host_that_forgot_https(tmp_path):
    env = documented_production_env(tmp_path)
    del env["DJANGO_HTTPS"]
    result = run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env
    )
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr


# --- Static files --------------------------------------------------------------------------


def test_collectstatic_writes_hashed_compressed_files_and_a_manifest(tmp_path):
    env = documented_production_env(tmp_path)
    result = run([sys.executable, "manage.py", "collectstatic", "--noinput"], env)
    assert result.returncode == 0, result.stderr
    static_root = tmp_path / "static"
    paths = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    hashed = paths["css/site.css"]
    assert hashed.startswith("css/site.") and hashed.endswith(".css") and hashed != "css/site.css"
    assert (static_root / hashed).is_file()
    assert (static_root / f"{hashed}.gz").is_file()


@pytest.fixture
def collected_static(settings, tmp_path):
    """Static files collected into this test's own STATIC_ROOT, as a deploy does."""
    settings.STATIC_ROOT = tmp_path / "static"
    call_command("collectstatic", interactive=False, verbosity=0)
    return settings.STATIC_ROOT


@pytest.mark.django_db
def test_pages_name_hashed_static_files_that_whitenoise_serves_for_a_year(
    client, collected_static
):
    PublishedArticleFactory(headline="A story on the front page")
    hashed = json.loads((collected_static / "staticfiles.json").read_text())["paths"][
        "css/site.css"
    ]

    page = BeautifulSoup(client.get("/").content, "html.parser")
    stylesheets = [link["href"] for link in page.select('link[rel="stylesheet"]')]
    assert f"{settings.STATIC_URL}{hashed}".replace("//", "/") in [
        href.replace("//", "/") for href in stylesheets
    ]

    response = client.get(f"/static/{hashed}", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "immutable" in response["Cache-Control"]
    assert "max-age=315360000" in response["Cache-Control"]


@pytest.mark.django_db
def test_pages_still_render_before_collectstatic_has_run(client, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "never-collected"
    PublishedArticleFactory(headline="A story on the front page")
    response = client.get("/")
    assert response.status_code == 200
    assert b"css/site.css" in response.content


# --- Two app processes, one PostgreSQL, one Redis -----------------------------------------

POSTGRES_ADMIN_URL = os.environ.get(
    "NEWSROOM_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
REDIS_TEST_URL = os.environ.get("NEWSROOM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PASSWORD = "two-apps-" + secrets.token_hex(8)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_admin_connection():
    psycopg = pytest.importorskip("psycopg")
    try:
        return psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc}")


def redis_client():
    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_TEST_URL}: {exc}")
    return client


@pytest.fixture
def shared_backends(tmp_path):
    """A fresh PostgreSQL database (migrated) and a private key space in Redis."""
    cache = redis_client()
    admin = postgres_admin_connection()
    name = f"newsroom_twoapps_{secrets.token_hex(6)}"
    prefix = f"twoapps-{secrets.token_hex(6)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    database_url = urllib.parse.urlunsplit(
        urllib.parse.urlsplit(POSTGRES_ADMIN_URL)._replace(path=f"/{name}")
    )
    env = clean_environ(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=database_url,
        REDIS_URL=REDIS_TEST_URL,
        CACHE_KEY_PREFIX=prefix,
        ALLOWED_HOSTS="127.0.0.1",
        NEWSROOM_DOMAIN="127.0.0.1",
        STATIC_ROOT=str(tmp_path / "static"),
        MEDIA_ROOT=str(tmp_path / "media"),
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="2",
        GUNICORN_ACCESS_LOG="",
    )
    try:
        migrated = run([sys.executable, "manage.py", "migrate", "--noinput"], env, timeout=300)
        assert migrated.returncode == 0, migrated.stderr
        yield env
    finally:
        for key in cache.scan_iter(match=f"{prefix}:*", count=1000):
            cache.delete(key)
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@contextlib.contextmanager
def app_server(env: dict[str, str], log: Path):
    """One gunicorn app server (DEBUG off) on a free port; yields its base URL."""
    port = free_port()
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603 - our own gunicorn and config
            [str(GUNICORN), "-c", "gunicorn.conf.py"],
            cwd=BASE_DIR,
            env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(f"{base}/robots.txt", timeout=5):  # noqa: S310
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert time.monotonic() < deadline, f"gunicorn did not start:\n{log.read_text()}"
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class Browser:
    """A reader or an editor: cookies kept, redirects followed, errors returned not raised."""

    def __init__(self, base: str):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(f"{self.base}{path}", data=body, timeout=15) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def csrf_token(self) -> str:
        return next(c.value for c in self.cookies if c.name == settings.CSRF_COOKIE_NAME)

    def log_in(self, username: str, password: str) -> None:
        self.request("/admin/login/")
        status, html = self.request(
            "/admin/login/?next=/admin/",
            {"username": username, "password": password, "csrfmiddlewaretoken": self.csrf_token()},
        )
        assert status == 200 and "Log out" in html, html[:500]

    def transition(self, pk: int, action: str, **fields: str) -> None:
        path = reverse("admin:articles_article_transition", args=[pk, action])
        data = {"comment": "", "notice": "", "publish_at_0": "", "publish_at_1": "", **fields}
        status, html = self.request(path, {**data, "csrfmiddlewaretoken": self.csrf_token()})
        assert status == 200, html[:500]


HEADLINE = "Harbour bridge reopens after two-year rebuild"
READY_STORY = f"""
from django.contrib.auth import get_user_model
from articles import workflow
from articles.models import Article, Section
user = get_user_model().objects.create_superuser("desk", "desk@news.example", {PASSWORD!r})
section = Section.objects.create(name="City", slug="city")
article = Article.objects.create(headline={HEADLINE!r}, body="<p>Traffic flows again.</p>",
                                 section=section)
workflow.submit(article, by=user)
workflow.approve(article, by=user)
print(article.pk)
"""


def story_link(html: str) -> str | None:
    page = BeautifulSoup(html, "html.parser")
    link = next((a for a in page.find_all("a") if HEADLINE in a.get_text()), None)
    return link["href"] if link else None


def test_a_publish_on_one_app_server_is_seen_by_another_at_once(shared_backends, tmp_path):
    made = run([sys.executable, "manage.py", "shell", "-c", READY_STORY], shared_backends)
    assert made.returncode == 0, made.stderr
    pk = int(made.stdout.strip().splitlines()[-1])

    with (
        app_server(shared_backends, tmp_path / "a.log") as server_a,
        app_server(shared_backends, tmp_path / "b.log") as server_b,
    ):
        editor, reader = Browser(server_a), Browser(server_b)
        # The reader's server has rendered (and, with a page cache, stored) the front page
        # without the story.
        status, home = reader.request("/")
        assert status == 200 and story_link(home) is None

        editor.log_in("desk", PASSWORD)
        editor.transition(pk, "publish")

        status, home = reader.request("/")
        assert status == 200
        address = story_link(home)
        assert address, "the story published on server A is missing from server B's front page"
        status, story = reader.request(address)
        assert status == 200 and HEADLINE in story

        editor.transition(pk, "withdraw", notice="Withdrawn while we check a detail.")

        status, gone = reader.request(address)
        assert status == 410
        assert "Withdrawn while we check a detail." in gone
        status, home = reader.request("/")
        assert status == 200 and story_link(home) is None
