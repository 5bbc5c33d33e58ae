"""Values pages keep between requests under the content generation, with the page cache off:
the section navigation and the number of stories in a listing ("Page 1 of N").

Each must follow what readers may see at once: a new section, a publish, a withdrawal, and a
scheduled story whose time comes with nothing saved.
"""

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from django.core.cache import caches

from articles import workflow
from articles.models import Article, Section, State
from articles.tests.factories import ArticleFactory, PublishedArticleFactory, SectionFactory
from newsroom import cache as public_cache
from newsroom.views import PAGE_SIZE
from people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)


@pytest.fixture(autouse=True, params=["local-memory", "redis"])
def _backend(request):
    """Every case with the local cache and with Redis (as with ``REDIS_URL``)."""
    if request.param == "redis":
        request.getfixturevalue("redis_cache")


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def nav(client) -> list[str]:
    soup = BeautifulSoup(client.get("/").content, "html.parser")
    return [a.get_text(strip=True) for a in soup.select("nav.site-nav a")]


def pages(client, url: str) -> int | None:
    """The N of "Page 1 of N" on ``url``; None when the listing has one page."""
    response = client.get(url)
    assert response.status_code == 200
    found = re.search(r"Page 1 of (\d+)", response.content.decode())
    return int(found[1]) if found else None


def publish(article, publisher, at=None):
    for step in (workflow.submit, workflow.approve):
        step(article, by=publisher)
    return workflow.publish(article, by=publisher, at=at)


def stories(count: int, **fields) -> list:
    return [
        PublishedArticleFactory(published_at=NOW - timedelta(minutes=i + 1), **fields)
        for i in range(count)
    ]


def test_navigation_follows_sections_at_once(client, clock):
    SectionFactory(name="World", position=1)
    assert "World" in nav(client)
    business = SectionFactory(name="Business", position=2)
    assert "Business" in nav(client)
    business.name = "Markets"
    business.save()
    names = nav(client)
    assert "Markets" in names and "Business" not in names
    Section.objects.filter(pk=business.pk).delete()
    assert "Markets" not in nav(client)


def test_front_page_count_follows_publishing_and_withdrawal(client, clock, publisher):
    stories(PAGE_SIZE)
    assert pages(client, "/") is None
    extra = ArticleFactory()
    publish(extra, publisher)
    assert pages(client, "/") == 2
    workflow.withdraw(extra, by=publisher, comment="Legal advice")
    assert pages(client, "/") is None


def test_listing_counts_follow_a_scheduled_story_going_live(client, clock, publisher):
    world = SectionFactory(name="World", slug="world")
    stories(PAGE_SIZE, section=world)
    scheduled = ArticleFactory(section=world)
    publish(scheduled, publisher, at=NOW + timedelta(minutes=1))
    assert pages(client, "/") is None
    assert pages(client, "/world/") is None
    # Nothing is saved when the time comes: the kept counts must not outlive it.
    clock.move_to(NOW + timedelta(minutes=1, seconds=1), tick=False)
    assert pages(client, "/") == 2
    assert pages(client, "/world/") == 2


@pytest.mark.parametrize("listing", ["section", "tag", "person"])
def test_each_listing_keeps_a_count_of_its_own(client, clock, publisher, listing):
    world, business = SectionFactory(slug="world"), SectionFactory(slug="business")
    person = PersonFactory(slug="wang-lei")
    many = stories(PAGE_SIZE + 1, section=world)
    for story in many:
        story.tags.add("harbours")
        story.contributions.create(person=person, kind="byline")
    stories(1, section=business)[0].tags.add("markets")
    urls = {
        "section": ("/world/", "/business/"),
        "tag": ("/tags/harbours/", "/tags/markets/"),
        "person": ("/people/wang-lei/", None),
    }[listing]
    assert pages(client, urls[0]) == 2
    if urls[1]:
        assert pages(client, urls[1]) is None
    workflow.withdraw(many[0], by=publisher, comment="Duplicate")
    assert pages(client, urls[0]) is None


def related(client, story) -> list[str]:
    soup = BeautifulSoup(client.get(story.get_absolute_url()).content, "html.parser")
    return [a.get_text(strip=True) for a in soup.select(".related a")]


def test_related_fallback_follows_publishing_and_withdrawal_at_once(client, clock, publisher):
    story, neighbour = stories(2)
    neighbour.headline = "Ferry timetable changes"
    neighbour.save()
    for article in (story, neighbour):
        article.tags.add("harbours")
    assert related(client, story) == ["Ferry timetable changes"]
    newcomer = ArticleFactory(headline="New pier opens")
    newcomer.tags.add("harbours")
    publish(newcomer, publisher)
    assert related(client, story) == ["New pier opens", "Ferry timetable changes"]
    workflow.withdraw(neighbour, by=publisher, comment="Legal advice")
    assert related(client, story) == ["New pier opens"]


def test_kept_neighbours_are_only_candidates(client, clock):
    """Even if a change reached the database without a new generation, the page applies
    the visibility rule to the kept ids."""
    story, neighbour = stories(2)
    for article in (story, neighbour):
        article.tags.add("harbours")
    assert related(client, story) == [neighbour.headline]
    Article.objects.filter(pk=neighbour.pk).update(state=State.DRAFT)  # no signal
    assert related(client, story) == []


def test_addresses_without_a_story_keep_nothing(client, clock):
    assert client.get("/world/2025/03/10/no-such-story/").status_code == 404
    assert public_cache.kept("neighbours:no-such-story") is public_cache.MISSING


def front_headlines(client) -> list[str]:
    soup = BeautifulSoup(client.get("/").content, "html.parser")
    return [a.get_text(strip=True) for a in soup.select(".story-item__headline a")]


def test_front_page_follows_publishing_withdrawal_and_the_schedule(client, clock, publisher):
    world = SectionFactory(name="World")
    older = stories(3, section=world)
    first = front_headlines(client)
    assert first[0] == older[0].headline
    fresh = ArticleFactory(headline="Harbour reopens", section=world)
    publish(fresh, publisher)
    assert front_headlines(client)[0] == "Harbour reopens"
    workflow.withdraw(fresh, by=publisher, comment="Legal advice")
    assert front_headlines(client) == first
    later = ArticleFactory(headline="Bridge opens at noon", section=world)
    publish(later, publisher, at=NOW + timedelta(minutes=1))
    assert "Bridge opens at noon" not in front_headlines(client)
    clock.move_to(NOW + timedelta(minutes=1, seconds=1), tick=False)
    assert front_headlines(client)[0] == "Bridge opens at noon"


def test_the_kept_front_page_is_only_candidates(client, clock):
    lead = stories(3)[0]
    assert front_headlines(client)[0] == lead.headline
    Article.objects.filter(pk=lead.pk).update(state=State.DRAFT)  # no signal
    assert lead.headline not in front_headlines(client)


class UnreachableCache:
    """A cache whose server is down: every call fails, as django-redis' would."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("cache server unreachable")

        return fail


@pytest.mark.parametrize("page_cache", [False, True])
def test_pages_are_served_while_the_cache_is_down(
    client, clock, settings, monkeypatch, page_cache
):
    settings.NEWSROOM_CACHE_ENABLED = page_cache
    world = SectionFactory(name="World", slug="world")
    story = stories(1, section=world)[0]
    story.tags.add("harbours")
    monkeypatch.setattr(public_cache, "cache", UnreachableCache())
    for url in ("/", "/world/", "/tags/harbours/", story.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 200, url
        assert story.headline in response.content.decode()


def test_a_request_reads_the_generation_once(client, settings, monkeypatch):
    """Several kept values a page, one read of the generation (a round trip on Redis)."""
    settings.NEWSROOM_CACHE_ENABLED = False
    story = PublishedArticleFactory()
    story.tags.add("harbours")
    client.get(story.get_absolute_url())
    near = public_cache.near_cache()
    generations, reads = [], []
    real_generation, real_get = near.generation, caches["default"].get

    def counting_generation():
        generations.append(1)
        return real_generation()

    def counting_get(key, *args, **kwargs):
        reads.append(key)
        return real_get(key, *args, **kwargs)

    monkeypatch.setattr(near, "generation", counting_generation)
    monkeypatch.setattr(caches["default"], "get", counting_get)
    assert client.get(story.get_absolute_url()).status_code == 200
    kept_reads = [key for key in reads if key.startswith("newsroom:kept:")]
    assert len(kept_reads) >= 2  # the navigation and the story's neighbours
    assert len(generations) == 1
    # Redis pushes the number to the process; without Redis it is in the host's file.
    assert reads.count(public_cache.GENERATION_KEY) <= (1 if near.watch else 0)


def wait_for(condition, seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.01)


def test_a_change_within_a_request_is_seen_by_what_follows_it(monkeypatch):
    scope = public_cache._request_generation.set({})
    try:
        before = public_cache.current_generation()
        public_cache.keep("answer", 1, clock=False)
        assert public_cache.kept("answer") == 1
        public_cache.bump_generation()
        assert public_cache.current_generation() != before
        assert public_cache.kept("answer") is public_cache.MISSING
    finally:
        public_cache._request_generation.reset(scope)
