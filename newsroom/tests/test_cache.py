import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.contrib.flatpages.models import FlatPage
from django.contrib.sites.models import Site
from django.core.cache import cache
from django.http import HttpResponse

from articles import corrections, previews, workflow
from articles.models import Article, State
from articles.tests.factories import (
    ArticleFactory,
    ContributionFactory,
    PublishedArticleFactory,
)
from newsroom import cache as public_cache

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)
CACHE_HEADER = public_cache.CACHE_STATUS_HEADER


@pytest.fixture(autouse=True, params=["local-memory", "redis"])
def _page_cache_on(request, settings):
    """Every case on both backends: one local cache, and Redis with each process's copies
    of pages kept true by the generation Redis pushes (newsroom.near_cache)."""
    # The root conftest turns it off for every other test file.
    settings.NEWSROOM_CACHE_ENABLED = True
    if request.param == "redis":
        request.getfixturevalue("redis_cache")


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def story(clock, publisher):
    """A live story, bylined and tagged, published through the workflow."""
    story = ArticleFactory(headline="Harbour bridge reopens", section__name="City")
    ContributionFactory(article=story, person__name="Wang Lei", person__slug="wang-lei")
    story.tags.add("transport")
    for step in (workflow.submit, workflow.approve, workflow.publish):
        step(story, by=publisher)
    return story


def publish(article, publisher, at=None):
    for step in (workflow.submit, workflow.approve):
        step(article, by=publisher)
    return workflow.publish(article, by=publisher, at=at)


def warm(client, url: str):
    """GET ``url`` until it comes from the cache; returns that cached response."""
    first = client.get(url)
    assert first.status_code in public_cache.CACHEABLE_STATUSES
    second = client.get(url)
    assert second[CACHE_HEADER] == "hit", url
    return second


def public_urls(story) -> list[str]:
    return [
        story.get_absolute_url(),
        "/",
        story.section.get_absolute_url(),
        "/tags/transport/",
        "/people/wang-lei/",
        "/feeds/rss/",
        "/feeds/atom/",
        "/sitemap.xml",
        "/sitemap-articles.xml",
        "/news-sitemap.xml",
        "/robots.txt",
        "/api/",
        "/api/stories/",
        f"/api/stories/{story.uuid}/",
        "/search/?q=bridge",
    ]


# --- Hits cost nothing --------------------------------------------------------------------


def test_second_anonymous_request_is_served_without_a_query(
    client, story, django_assert_num_queries
):
    for url in public_urls(story):
        first = client.get(url)
        assert first.status_code == 200, url
        assert first[CACHE_HEADER] == "miss", url
        with django_assert_num_queries(0):
            second = client.get(url)
        assert second[CACHE_HEADER] == "hit", url
        assert second.status_code == 200
        assert second.content == first.content
        assert second["Content-Type"] == first["Content-Type"]


def test_no_public_page_sets_a_cookie_or_varies_on_one(client, story):
    for url in public_urls(story):
        response = client.get(url)
        assert not response.cookies, url
        assert "Cookie" not in response.get("Vary", ""), url
    assert not client.cookies


def test_query_strings_are_separate_entries(client, story):
    warm(client, "/api/stories/")
    response = client.get("/api/stories/?page_size=1")
    assert response[CACHE_HEADER] == "miss"
    assert len(response.json()["items"]) == 1


def test_head_is_answered_from_the_cache_but_never_fills_it(client, story):
    url = story.get_absolute_url()
    assert CACHE_HEADER not in client.head(url)
    assert client.get(url)[CACHE_HEADER] == "miss"
    assert client.head(url)[CACHE_HEADER] == "hit"


def test_missing_pages_and_redirects_are_cached_until_content_changes(client, story):
    assert warm(client, "/no-such-section/").status_code == 404
    assert warm(client, "/feeds/rss").status_code == 301


def test_posts_are_never_cached(client, story):
    url = story.get_absolute_url()
    client.post(url)
    assert client.get(url)[CACHE_HEADER] == "miss"


# --- Every publish-relevant change is seen at once ------------------------------------------


def test_publishing_a_story_shows_on_the_home_page_at_once(client, story, publisher):
    warm(client, "/")
    fresh = ArticleFactory(headline="Typhoon warning raised", section=story.section)
    assert client.get("/")[CACHE_HEADER] == "hit"  # A draft changes nothing public.

    publish(fresh, publisher)

    response = client.get("/")
    assert response[CACHE_HEADER] == "miss"
    assert "Typhoon warning raised" in response.text
    assert "Typhoon warning raised" in client.get("/feeds/rss/").text
    assert client.get(fresh.get_absolute_url()).status_code == 200


def test_withdrawing_a_story_takes_it_down_at_once(client, story, publisher):
    url = story.get_absolute_url()
    for page in ("/", url, f"/api/stories/{story.uuid}/"):
        warm(client, page)

    workflow.withdraw(story, by=publisher, notice="Based on a false report.")

    assert client.get(url).status_code == 410
    assert "Harbour bridge reopens" not in client.get("/").text
    assert client.get(f"/api/stories/{story.uuid}/").json()["pubStatus"] == "canceled"


def test_a_correction_shows_at_once(client, story, publisher):
    url = story.get_absolute_url()
    warm(client, url)

    corrections.add_correction(
        story, kind="correction", text="The bridge is 2 km long, not 3.", by=publisher
    )

    assert "The bridge is 2 km long, not 3." in client.get(url).text


def test_editing_a_live_story_shows_at_once(client, story):
    warm(client, "/")
    warm(client, story.get_absolute_url())

    story = Article.objects.get(pk=story.pk)
    story.headline = "Harbour bridge reopens after repairs"
    story.save()

    assert "Harbour bridge reopens after repairs" in client.get("/").text
    assert "Harbour bridge reopens after repairs" in client.get(story.get_absolute_url()).text


def test_renaming_a_person_section_or_tag_shows_at_once(client, story):
    url = story.get_absolute_url()
    warm(client, url)
    person = story.contributions.get().person
    person.name = "Wang Lei-Ming"
    person.save()
    assert "Wang Lei-Ming" in client.get(url).text

    warm(client, url)
    story.section.name = "Metro"
    story.section.save()
    assert "Metro" in client.get(url).text

    warm(client, "/tags/transport/")
    tag = story.tags.get()
    tag.name = "Public transport"
    tag.save()
    assert "Public transport" in client.get("/tags/transport/").text


def test_a_new_flat_page_is_served_at_once(client, story):
    assert warm(client, "/about-us/").status_code == 404
    page = FlatPage.objects.create(url="/about-us/", title="About us", content="We report.")
    page.sites.add(Site.objects.get_current())

    response = client.get("/about-us/")
    assert response.status_code == 200
    assert "We report." in response.text


def test_editing_a_draft_keeps_the_cache(story):
    draft = ArticleFactory(headline="Not yet")
    generation = public_cache.current_generation()

    draft.headline = "Still not yet"
    draft.save()
    ContributionFactory(article=draft, person=story.contributions.get().person)
    draft.tags.add("transport")
    draft.tags.clear()

    assert public_cache.current_generation() == generation


def test_a_change_saved_in_another_process_is_seen_at_once(client, story, settings):
    """Another gunicorn worker, app server or management command: a real second process.

    Without Redis the processes of a host share the generation through a file; with Redis,
    Redis announces it. Either way this process's kept page must not be served again.
    """
    url = story.get_absolute_url()
    warm(client, url)
    # The row changes as a save elsewhere would; this process is not told.
    Article.objects.filter(pk=story.pk).update(headline="Harbour bridge reopens at dawn")
    assert "at dawn" not in client.get(url).text
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": "test-only-secret-key-not-for-production",
        "DJANGO_DEBUG": "1",
        "NEWSROOM_GENERATION_FILE": str(settings.NEWSROOM_GENERATION_FILE),
    }
    env.pop("REDIS_URL", None)
    if "redis" in settings.CACHES["default"]["BACKEND"].lower():
        env["REDIS_URL"] = settings.CACHES["default"]["LOCATION"]
        env["CACHE_KEY_PREFIX"] = settings.CACHES["default"]["KEY_PREFIX"]
    bumped = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from newsroom.cache import bump_generation; bump_generation()",
        ],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bumped.returncode == 0, bumped.stderr

    response = client.get(url)
    assert response[CACHE_HEADER] == "miss"
    assert "Harbour bridge reopens at dawn" in response.text


def test_the_generation_is_raised_again_after_commit(story, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        story.headline = "Harbour bridge reopens at dawn"
        story.save()
        during = public_cache.current_generation()
    assert callbacks  # A reader's request before the commit may have stored the old page.
    for callback in callbacks:
        callback()
    assert public_cache.current_generation() > during


def test_a_lost_generation_starts_above_every_earlier_one(story, clock, settings):
    before = public_cache.current_generation()
    clock.shift(timedelta(seconds=1))
    # Redis evicted or restarted; the host's file removed.
    cache.delete(public_cache.GENERATION_KEY)
    Path(settings.NEWSROOM_GENERATION_FILE).unlink(missing_ok=True)
    public_cache.bump_generation()
    assert public_cache.current_generation() > before


# --- Scheduled stories ---------------------------------------------------------------------


def test_a_scheduled_story_appears_at_its_time_with_a_warm_cache(client, story, publisher, clock):
    go_live = NOW + timedelta(minutes=2)
    scheduled = ArticleFactory(headline="Embargoed budget figures", section=story.section)
    publish(scheduled, publisher, at=go_live)
    url = scheduled.get_absolute_url()
    assert "Embargoed budget figures" not in warm(client, "/").text
    assert warm(client, url).status_code == 404

    clock.move_to(go_live + timedelta(seconds=1), tick=False)

    assert "Embargoed budget figures" in client.get("/").text
    assert client.get(url).status_code == 200


def test_responses_are_kept_no_later_than_the_next_scheduled_story(
    story, publisher, clock, settings
):
    settings.NEWSROOM_CACHE_SECONDS = 300
    generation = public_cache.current_generation()
    assert public_cache.entry_timeout(generation) == 300

    publish(ArticleFactory(), publisher, at=NOW + timedelta(seconds=90))

    generation = public_cache.current_generation()
    assert public_cache.entry_timeout(generation) == 90
    clock.move_to(NOW + timedelta(seconds=91), tick=False)
    # The story is live now; nothing else is scheduled.
    assert public_cache.entry_timeout(generation) == 300


def test_the_next_scheduled_time_costs_one_query_per_generation(
    story, publisher, django_assert_num_queries
):
    publish(ArticleFactory(), publisher, at=NOW + timedelta(hours=1))
    generation = public_cache.current_generation()
    with django_assert_num_queries(1):
        public_cache.entry_timeout(generation)
        public_cache.entry_timeout(generation)


# --- Never cached ---------------------------------------------------------------------------


def test_logged_in_staff_never_get_nor_fill_the_cache(client, story, editor):
    url = story.get_absolute_url()
    client.force_login(editor)
    for _ in range(2):
        response = client.get(url)
        assert CACHE_HEADER not in response
        assert response["Cache-Control"] == "private, no-cache"
    api = client.get("/api/stories/")
    assert "public" not in api["Cache-Control"]
    assert "private" in api["Cache-Control"]

    client.logout()
    assert client.get(url)[CACHE_HEADER] == "miss"


def test_a_cached_page_is_not_served_to_a_logged_in_reader(client, story, editor):
    warm(client, "/")
    client.force_login(editor)
    assert CACHE_HEADER not in client.get("/")


def test_pending_flash_messages_bypass_the_cache(client, story):
    warm(client, "/")
    client.cookies["messages"] = "something"
    assert CACHE_HEADER not in client.get("/")


def test_previews_and_the_admin_are_never_cached(client, story, editor):
    draft = ArticleFactory(headline="Draft for the lawyers")
    link = previews.make_link(draft, by=editor, expires_in=timedelta(days=1))
    url = previews.url_for(link)
    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200
        assert CACHE_HEADER not in response
        assert "no-store" in response["Cache-Control"]
    for _ in range(2):
        assert CACHE_HEADER not in client.get("/admin/login/")


def test_responses_that_are_private_or_set_cookies_are_not_stored():
    assert public_cache.storable(HttpResponse("ok"))
    with_cookie = HttpResponse("ok")
    with_cookie.set_cookie("csrftoken", "x")
    private = HttpResponse("ok")
    private["Cache-Control"] = "private, max-age=60"
    no_cache = HttpResponse("ok")
    no_cache["Cache-Control"] = "no-cache"
    varies = HttpResponse("ok")
    varies["Vary"] = "Accept-Language, Cookie"
    for response in (with_cookie, private, no_cache, varies, HttpResponse(status=500)):
        assert not public_cache.storable(response)


def test_api_errors_are_not_stored(client, story):
    for _ in range(2):
        response = client.get("/api/stories/?page_size=zero")
        assert response.status_code == 400
        assert CACHE_HEADER not in response


def test_the_cache_can_be_turned_off(client, story, settings):
    settings.NEWSROOM_CACHE_ENABLED = False
    for _ in range(2):
        assert CACHE_HEADER not in client.get("/")


# --- Headers --------------------------------------------------------------------------------


def test_cacheable_responses_tell_shared_caches_how_long(client, story):
    for url in ("/", story.get_absolute_url(), "/feeds/rss/", "/sitemap.xml"):
        for response in (client.get(url), client.get(url)):
            assert response["Cache-Control"] == (
                "public, max-age=60, s-maxage=300, stale-while-revalidate=60"
            ), url
            assert response["ETag"]
            assert response["Last-Modified"]


def test_header_numbers_follow_the_settings_and_the_schedule(client, story, publisher, settings):
    settings.NEWSROOM_CACHE_MAX_AGE = 30
    settings.NEWSROOM_CACHE_S_MAXAGE = 600
    settings.NEWSROOM_CACHE_SECONDS = 600
    settings.NEWSROOM_CACHE_STALE_WHILE_REVALIDATE = 15
    assert client.get("/")["Cache-Control"] == (
        "public, max-age=30, s-maxage=600, stale-while-revalidate=15"
    )
    publish(ArticleFactory(), publisher, at=NOW + timedelta(seconds=20))
    assert client.get("/")["Cache-Control"] == (
        "public, max-age=20, s-maxage=20, stale-while-revalidate=15"
    )


def test_if_none_match_gets_304_from_the_cache(client, story):
    url = story.get_absolute_url()
    etag = client.get(url)["ETag"]
    assert client.get(url)["ETag"] == etag

    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_if_modified_since_gets_304(client, story):
    url = "/feeds/rss/"
    last_modified = client.get(url)["Last-Modified"]
    response = client.get(url, headers={"If-Modified-Since": last_modified})
    assert response.status_code == 304


def test_the_etag_changes_with_the_content(client, story):
    url = story.get_absolute_url()
    etag = warm(client, url)["ETag"]
    story = Article.objects.get(pk=story.pk)
    story.headline = "Harbour bridge reopens, with tolls"
    story.save()
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag


def test_a_cached_conditional_answer_keeps_cors(client, story):
    url = f"/api/stories/{story.uuid}/"
    etag = warm(client, url)["ETag"]
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response[CACHE_HEADER] == "hit"


def test_the_api_keeps_its_own_etag_and_cache_control(client, story):
    first = client.get("/api/stories/")
    assert first["Cache-Control"] == "public, max-age=60"
    assert client.get("/api/stories/")["Cache-Control"] == "public, max-age=60"
    assert client.get("/api/stories/", headers={"If-None-Match": first["ETag"]}).status_code == 304
    assert client.get("/api/stories/")["ETag"] == first["ETag"]
    assert first["Access-Control-Allow-Origin"] == "*"
    assert client.get("/api/stories/")["Access-Control-Allow-Origin"] == "*"


def test_a_stale_draft_state_never_leaks(client, story):
    # A never-public story that is saved stays invisible: caching did not change the rule.
    draft = ArticleFactory(headline="Secret draft", section=story.section)
    assert draft.state == State.DRAFT
    assert "Secret draft" not in client.get("/").text
    assert "Secret draft" not in client.get(story.section.get_absolute_url()).text


def test_published_factory_story_saved_directly_counts(client):
    # Stories saved straight to published (fixtures, imports) are public changes too.
    first = PublishedArticleFactory(headline="First wire story")
    warm(client, "/")
    PublishedArticleFactory(headline="Second wire story", section=first.section)
    assert "Second wire story" in client.get("/").text


def test_pages_kept_in_the_cache_itself_when_processes_keep_none(client, story, settings):
    settings.NEWSROOM_LOCAL_PAGES_MB = 0
    near = public_cache.near_cache()
    assert near.pages is None and near.pages_in_cache
    url = story.get_absolute_url()
    warm(client, url)
    story.headline = "Harbour bridge reopens at dawn"
    story.save()
    assert "at dawn" in client.get(url).text
