import os
import secrets
from pathlib import Path

import pytest

# Password of every staff user the tests make (browser tests type it in).
STAFF_PASSWORD = "correct-horse-battery"  # noqa: S105

# The wire copy the sample fixture was made from, kept beside the fixture.
SAMPLE_STORY_TXT = Path(__file__).resolve().parent / "fixtures" / "sample_story.txt"


@pytest.fixture
def sample_story_text() -> str:
    return SAMPLE_STORY_TXT.read_text(encoding="utf-8")


@pytest.fixture
def sample_story(db):
    """The seed story, loaded from its fixture as an operator would."""
    from django.core.management import call_command

    from articles.models import Article

    call_command("loaddata", "sample_story", verbosity=0)
    return Article.objects.get(slug="xi-build-model-general-offices-of-party-governments")


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    """Uploads land in the test's own folder; passwords hash fast (tests make many users)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    # The content generation of this test alone (newsroom.near_cache.FileGeneration).
    settings.NEWSROOM_GENERATION_FILE = tmp_path / "content-generation"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache(settings):
    """Each test starts with an empty cache, and with the public page cache off.

    The page cache (newsroom.cache) is tested in newsroom/tests/test_cache.py, which turns it
    on. Elsewhere it is off, so query budgets measure the views (a miss also costs the cache
    one query per content generation) and tests that change rows behind the signals' back
    (``QuerySet.update()``) see the change.
    """
    from django.core.cache import cache

    settings.NEWSROOM_CACHE_ENABLED = False
    cache.clear()
    yield
    cache.clear()


REDIS_TEST_URL = os.environ.get("NEWSROOM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_cache(settings):
    """Django's Redis cache (as with ``REDIS_URL``) under a key prefix of this test's own.

    Skips when no Redis answers. The prefix's keys are deleted afterwards; nothing else in
    the Redis database is touched (``cache.clear()`` would empty all of it).
    """
    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_TEST_URL}: {exc}")
    prefix = f"test-{secrets.token_hex(6)}"
    before = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_TEST_URL,
            "KEY_PREFIX": prefix,
        }
    }
    yield client
    # Back to the local cache before the other fixtures' teardown clears "the" cache.
    settings.CACHES = before
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        client.delete(key)
    client.close()


@pytest.fixture
def make_staff(db, django_user_model):
    """Make a staff user in one of the role groups: make_staff("Editor", "eddie")."""
    from django.apps import apps
    from django.contrib.auth.models import Group

    from articles.roles import apply_roles

    def make(role: str | None = None, username: str | None = None, **extra):
        if role and not Group.objects.filter(name=role).exists():
            # A transactional test flushed the groups the data migration made.
            apply_roles(apps)
        user = django_user_model.objects.create_user(
            username=username or (role or "staff").lower(),
            password=STAFF_PASSWORD,
            is_staff=True,
            **extra,
        )
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def reporter(make_staff):
    return make_staff("Reporter", "rita")


@pytest.fixture
def editor(make_staff):
    return make_staff("Editor", "eddie")


@pytest.fixture
def publisher(make_staff):
    return make_staff("Publisher", "paula")
