import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from newsroom import settings as settings_module


def load_settings(**env: str) -> subprocess.CompletedProcess:
    """Import the settings module in a fresh interpreter with exactly this environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    clean.pop("REDIS_URL", None)
    clean.update(env)
    code = (
        "import json, newsroom.settings as s; "
        "print(json.dumps({'debug': s.DEBUG, 'engine': s.DATABASES['default']['ENGINE'], "
        "'name': str(s.DATABASES['default']['NAME']), "
        "'cache': s.CACHES['default']['BACKEND'], "
        "'cache_options': s.CACHES['default'].get('OPTIONS', {}), 'tz': s.TIME_ZONE, "
        "'hosts': s.ALLOWED_HOSTS, 'db_options': s.DATABASES['default'].get('OPTIONS', {})}))"
    )
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_mode_refuses_the_default_secret_key():
    result = load_settings()
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_local_defaults_are_sqlite_and_local_memory():
    import json

    result = load_settings(DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["debug"] is True
    assert loaded["engine"] == "newsroom.sqlite3"
    assert loaded["cache"].endswith("LocMemCache")
    assert loaded["cache_options"] == {"MAX_ENTRIES": 5000}
    assert loaded["tz"] == "Asia/Shanghai"


def test_production_reads_database_redis_and_hosts_from_the_environment():
    import json

    result = load_settings(
        DJANGO_SECRET_KEY="a-real-secret",
        DATABASE_URL="postgres://user@db.internal:5432/news",
        REDIS_URL="redis://cache.internal:6379/1",
        ALLOWED_HOSTS="news.example,www.news.example",
        TIME_ZONE="Europe/London",
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["debug"] is False
    assert loaded["engine"] == "django.db.backends.postgresql"
    assert loaded["name"] == "news"
    assert loaded["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert loaded["hosts"] == ["news.example", "www.news.example"]
    assert loaded["tz"] == "Europe/London"
    # Statements bound and prepared by the server, unless a pooler forbids it.
    assert loaded["db_options"] == {"server_side_binding": True}


def test_server_side_binding_can_be_turned_off_for_a_pooler():
    import json

    result = load_settings(
        DJANGO_SECRET_KEY="a-real-secret",
        DATABASE_URL="postgres://user@db.internal:5432/news",
        DATABASE_SERVER_SIDE_BINDING="0",
    )
    assert result.returncode == 0, result.stderr
    assert "server_side_binding" not in json.loads(result.stdout)["db_options"]


def test_times_are_stored_in_utc():
    assert settings_module.USE_TZ is True


@pytest.mark.django_db
def test_local_accounts_refuse_production_mode(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="production mode"):
        call_command("local_accounts")


@pytest.mark.django_db
def test_local_accounts_print_a_working_password(settings, capsys):
    from django.contrib.auth import authenticate

    settings.DEBUG = True
    settings.NEWSROOM_DOMAIN = "127.0.0.1:8771"  # make run PORT=8771
    call_command("local_accounts")
    out = capsys.readouterr().out
    assert "sign in at http://127.0.0.1:8771/admin/" in out
    passwords = dict(re.findall(r"username: (\w+)\s+password: (\S+)", out))
    assert set(passwords) == {"admin", "reporter", "editor", "publisher"}
    admin = authenticate(username="admin", password=passwords["admin"])
    assert admin is not None and admin.is_superuser
    for role in ("reporter", "editor", "publisher"):
        user = authenticate(username=role, password=passwords[role])
        assert user is not None and not user.is_superuser
        assert [g.name.lower() for g in user.groups.all()] == [role]


@pytest.mark.django_db
def test_migrations_match_the_models():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
