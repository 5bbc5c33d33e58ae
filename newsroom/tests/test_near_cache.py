"""Pages kept in each app process with Redis, served while Redis' pushed generation vouches
for them (newsroom.near_cache). Every invalidation case of test_cache.py runs on this path
too; these tests cover what is particular to it: no round trip on a hit, a change made by
another process, and what happens when the subscription cannot be trusted.
"""

import os
import time

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from articles.models import Article
from articles.tests.factories import PublishedArticleFactory
from newsroom import cache as public_cache
from newsroom import near_cache
from newsroom.near_cache import LocalPages, SharedGeneration

pytestmark = pytest.mark.django_db

CACHE_HEADER = public_cache.CACHE_STATUS_HEADER


@pytest.fixture(autouse=True)
def _redis_and_page_cache(settings, redis_cache):
    settings.NEWSROOM_CACHE_ENABLED = True


@pytest.fixture
def near():
    near = public_cache.near_cache()
    assert near is not None and near.watch is not None
    return near


@pytest.fixture
def story():
    return PublishedArticleFactory(headline="Harbour bridge reopens")


def wait_for(condition, seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.01)


def vouched(near) -> None:
    """Let the watch subscribe and hear back, as it does within a request or two."""
    wait_for(lambda: near.generation() is not None)


class RoundTrips:
    """Every call this process's Redis cache makes, by method name."""

    def __init__(self, monkeypatch):
        self.calls: list[str] = []
        backend = caches["default"]
        for name in ("get", "get_many", "set", "add", "incr"):
            real = getattr(backend, name)
            monkeypatch.setattr(backend, name, self._counting(name, real))

    def _counting(self, name, real):
        def call(*args, **kwargs):
            self.calls.append(name)
            return real(*args, **kwargs)

        return call


def another_server() -> SharedGeneration:
    """The generation as another app server sees it: its own client, the same Redis."""
    return SharedGeneration(caches.create_connection("default"), public_cache.GENERATION_KEY)


def rename_behind_the_signals(story, headline: str) -> None:
    # As a save on another app server would: the row changes, this process is not told.
    Article.objects.filter(pk=story.pk).update(headline=headline)


def test_a_page_this_process_holds_costs_no_round_trip(client, story, near, monkeypatch):
    url = story.get_absolute_url()
    assert client.get(url)[CACHE_HEADER] == "miss"
    vouched(near)
    trips = RoundTrips(monkeypatch)

    response = client.get(url)

    assert response[CACHE_HEADER] == "hit"
    assert "Harbour bridge reopens" in response.text
    assert trips.calls == []


def test_a_page_another_process_stored_is_fetched_once_then_held(client, story, near, monkeypatch):
    url = story.get_absolute_url()
    client.get(url)
    near.pages.clear()  # As on a second app server: the page is only in Redis.
    vouched(near)
    trips = RoundTrips(monkeypatch)

    assert client.get(url)[CACHE_HEADER] == "hit"
    assert trips.calls == ["get"]  # The page alone: the generation came pushed.
    assert client.get(url)[CACHE_HEADER] == "hit"
    assert trips.calls == ["get"]


def test_a_change_announced_by_another_server_is_seen_by_the_next_request(client, story, near):
    url = story.get_absolute_url()
    client.get(url)
    vouched(near)
    rename_behind_the_signals(story, "Harbour bridge reopens at dawn")
    # Until it is announced, the kept page is still what this process serves.
    assert "at dawn" not in client.get(url).text

    another_server().bump(time.time_ns())

    response = client.get(url)
    assert response[CACHE_HEADER] == "miss"
    assert "Harbour bridge reopens at dawn" in response.text


def kill_watch_connection(redis_client) -> None:
    name = f"newsroom-watch-{os.getpid()}"
    killed = redis_client.execute_command("CLIENT", "KILL", "TYPE", "pubsub", "SKIPME", "yes")
    assert killed >= 1
    assert not any(c.get("name") == name for c in redis_client.client_list(_type="pubsub"))


def test_with_the_subscription_lost_pages_come_from_redis_and_stay_current(
    client, story, near, redis_cache, monkeypatch
):
    url = story.get_absolute_url()
    client.get(url)
    vouched(near)
    kill_watch_connection(redis_cache)
    rename_behind_the_signals(story, "Harbour bridge reopens at dawn")
    # Announced while this process cannot hear it.
    another_server().bump(time.time_ns())

    response = client.get(url)
    assert "Harbour bridge reopens at dawn" in response.text

    # It subscribes again (after RECONNECT_SECONDS) and serves from its own copy once more.
    monkeypatch.setattr(near_cache, "RECONNECT_SECONDS", 0)
    vouched(near)
    client.get(url)
    trips = RoundTrips(monkeypatch)
    assert client.get(url)[CACHE_HEADER] == "hit"
    assert trips.calls == []


def test_a_watch_that_has_not_heard_from_redis_lately_is_not_trusted(
    client, story, near, monkeypatch
):
    url = story.get_absolute_url()
    client.get(url)
    vouched(near)
    monkeypatch.setattr(near_cache, "TRUST_SECONDS", -1)
    trips = RoundTrips(monkeypatch)

    assert client.get(url)[CACHE_HEADER] == "hit"
    assert trips.calls == ["get_many"]  # The generation and the page read from Redis.


def test_a_new_subscription_reads_what_was_published_before_it(near):
    another_server().bump(time.time_ns())
    before = another_server().read()
    vouched(near)
    assert near.generation() == before


def test_a_forked_worker_subscribes_on_its_own(near, monkeypatch):
    vouched(near)
    inherited = near.watch._connection
    monkeypatch.setattr(near_cache.os, "getpid", lambda: -1)
    # The parent's socket is never read in the child: nothing is vouched for until its own
    # subscription is confirmed.
    assert near.generation() is None
    assert near.watch._connection is not inherited
    vouched(near)


def test_with_redis_down_the_site_answers_without_the_cache(client, story, near, monkeypatch):
    url = story.get_absolute_url()
    client.get(url)
    vouched(near)
    monkeypatch.setattr(near.watch.shared, "url", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(near_cache, "RECONNECT_SECONDS", 0)
    near.watch.close()

    def unreachable(*args, **kwargs):
        raise ConnectionError("cache server unreachable")

    for name in ("get", "get_many", "set"):
        monkeypatch.setattr(caches["default"], name, unreachable)
    rename_behind_the_signals(story, "Harbour bridge reopens at dawn")

    response = client.get(url)
    assert response.status_code == 200
    assert "Harbour bridge reopens at dawn" in response.text
    assert CACHE_HEADER not in response


def test_bumps_keep_every_digit_of_the_generation(redis_cache, near):
    shared = near.shared
    caches["default"].delete(public_cache.GENERATION_KEY)
    fresh = time.time_ns()  # Beyond a double's 53 bits: Lua numbers would round it.
    assert shared.bump(fresh) == fresh
    assert shared.bump(fresh) == fresh + 1
    assert shared.read() == fresh + 1
    assert public_cache.current_generation() == fresh + 1


def test_sites_on_other_redis_databases_hear_their_own_announcements(settings):
    def channel(location: str) -> str:
        backend = RedisCache(location, {"KEY_PREFIX": "newsroom"})
        return SharedGeneration(backend, public_cache.GENERATION_KEY).channel

    assert channel("redis://127.0.0.1:6379/1") != channel("redis://127.0.0.1:6379/2")


def test_local_pages_can_be_turned_off(client, story, settings):
    settings.NEWSROOM_LOCAL_PAGES_MB = 0
    near = public_cache.near_cache()
    assert near is not None and near.watch is None and near.pages is None
    url = story.get_absolute_url()
    assert client.get(url)[CACHE_HEADER] == "miss"
    assert client.get(url)[CACHE_HEADER] == "hit"  # From Redis.


# --- LocalPages ------------------------------------------------------------------------------


def entry(generation: int, size: int, expires: float | None = None) -> dict:
    return {
        "generation": generation,
        "expires": expires if expires is not None else time.time() + 60,
        "status": 200,
        "headers": [("Content-Type", "text/html")],
        "content": b"x" * size,
    }


def test_local_pages_drop_the_least_recently_used_past_their_bound():
    pages = LocalPages(max_bytes=3_200)  # Three of these entries.
    for name in "abc":
        pages.put(name, entry(1, 800))
    assert pages.get("a", 1) is not None  # Used: "b" is now the oldest.
    pages.put("d", entry(1, 800))
    assert pages.get("b", 1) is None
    assert {name for name in "acd" if pages.get(name, 1)} == {"a", "c", "d"}
    pages.put("huge", entry(1, 5_000))  # Larger than the bound: not kept at all.
    assert pages.get("huge", 1) is None
    assert len(pages) == 3


def test_local_pages_serve_only_the_current_generation_until_their_expiry():
    pages = LocalPages(max_bytes=10_000)
    pages.put("page", entry(1, 10))
    assert pages.get("page", 2) is None
    assert len(pages) == 0  # Another generation: dropped, never served again.
    pages.put("old", entry(1, 10, expires=time.time() - 1))
    assert pages.get("old", 1) is None
