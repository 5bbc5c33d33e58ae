"""RSS and Atom feeds: what an item carries, who may appear in one, and what they cost."""

import calendar
import html
import io
from datetime import UTC, timedelta

import feedparser
import pytest
from bs4 import BeautifulSoup
from django.contrib.sites.models import Site
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image as PillowImage

from articles.feeds import FEED_SIZE
from articles.images import ensure_renditions
from articles.models import Image, State
from articles.tests.factories import (
    ArticleFactory,
    ContributionFactory,
    CreditFactory,
    PublishedArticleFactory,
    SectionFactory,
    SourceFactory,
)
from people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

DOMAIN = "news.example"
FORMATS = ("rss", "atom")
# Site, the section, tag or person, the stories, their bylines, their tags.
FEED_QUERIES = 5


@pytest.fixture(autouse=True)
def public_domain(db, settings):
    """The public host name, as an operator sets it under Sites."""
    settings.NEWSROOM_DOMAIN = DOMAIN
    site = Site.objects.get_current()
    site.domain = DOMAIN
    site.save()
    yield
    Site.objects.clear_cache()


def jpeg_bytes(width=64, height=48) -> bytes:
    buffer = io.BytesIO()
    PillowImage.new("RGB", (width, height), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def make_image(width=64, height=48) -> Image:
    return Image.objects.create(
        file=ContentFile(jpeg_bytes(width, height), name="summit.jpg"),
        alt_text="Leaders at the summit",
    )


@pytest.fixture
def story():
    """A live story with two bylines, a credit, two tags, a source and a lead image."""
    section = SectionFactory(name="World", slug="world")
    article = PublishedArticleFactory(
        headline="Trade & tariffs: a <new> era",
        summary="Leaders met on Friday & agreed on <tariffs>.",
        section=section,
        source=SourceFactory(name="China Daily"),
        lead_image=make_image(),
    )
    ContributionFactory(article=article, person__name="Cao Desheng", position=0)
    ContributionFactory(article=article, person__name="Liang Jun", position=1)
    CreditFactory(article=article, person__name="Zhong Wenxing")
    article.tags.add("Trade", "Diplomacy")
    return article


def feed_url(kind: str, fmt: str, slug: str | None = None) -> str:
    return reverse(f"feeds:{kind}_{fmt}", kwargs={"slug": slug} if slug else {})


def every_feed(section_slug: str, tag_slug: str, person_slug: str) -> list[str]:
    return [
        url
        for fmt in FORMATS
        for url in (
            feed_url("site", fmt),
            feed_url("section", fmt, section_slug),
            feed_url("tag", fmt, tag_slug),
            feed_url("person", fmt, person_slug),
        )
    ]


def fetch(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, url
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, (url, parsed.get("bozo_exception"))
    return parsed


def entry_for(parsed, article):
    ids = {entry.id: entry for entry in parsed.entries}
    return ids[article.uuid.urn]


def page_url(path: str) -> str:
    return f"https://{DOMAIN}{path}"


def test_every_feed_parses_and_carries_the_story(client, story):
    for url in every_feed("world", "trade", "cao-desheng"):
        parsed = fetch(client, url)
        assert [entry.title for entry in parsed.entries] == [story.headline], url
        assert parsed.feed.title.startswith("Newsroom")
        assert parsed.feed.link.startswith(f"https://{DOMAIN}/")


@pytest.mark.parametrize("fmt", FORMATS)
def test_feed_type_and_self_link(client, story, fmt):
    url = feed_url("section", fmt, "world")
    response = client.get(url)
    assert response["Content-Type"].startswith(f"application/{fmt}+xml")
    parsed = fetch(client, url)
    assert parsed.version == ("rss20" if fmt == "rss" else "atom10")
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links["self"] == page_url(url)
    assert links["alternate"] == page_url("/world/")
    assert parsed.feed.title == "Newsroom: World"


@pytest.mark.parametrize("fmt", FORMATS)
def test_item_names_every_author_in_byline_order(client, story, fmt):
    entry = entry_for(fetch(client, feed_url("site", fmt)), story)
    assert [author["name"] for author in entry.authors] == ["Cao Desheng", "Liang Jun"]
    # Credits (the web editor) are not authors.
    assert "Zhong Wenxing" not in str(entry.authors)


def test_atom_authors_link_to_their_pages(client, story):
    entry = entry_for(fetch(client, feed_url("site", "atom")), story)
    assert [author.get("href") for author in entry.authors] == [
        page_url("/people/cao-desheng/"),
        page_url("/people/liang-jun/"),
    ]


def test_rss_gives_one_dc_creator_per_author(client, story):
    xml = client.get(feed_url("site", "rss")).content.decode()
    assert xml.count("<dc:creator>") == 2
    assert "<dc:creator>Cao Desheng</dc:creator><dc:creator>Liang Jun</dc:creator>" in xml


@pytest.mark.parametrize("fmt", FORMATS)
def test_unsigned_agency_copy_is_credited_to_the_agency(client, fmt):
    article = PublishedArticleFactory(source=SourceFactory(name="Xinhua"))
    entry = entry_for(fetch(client, feed_url("site", fmt)), article)
    assert [author["name"] for author in entry.authors] == ["Xinhua"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_item_has_link_stable_id_summary_and_categories(client, story, fmt):
    entry = entry_for(fetch(client, feed_url("site", fmt)), story)
    assert entry.title == "Trade & tariffs: a <new> era"
    assert entry.link == page_url(story.get_absolute_url())
    assert entry.id == f"urn:uuid:{story.uuid}"
    # The summary is text, carried as escaped HTML: readers show it exactly.
    assert html.unescape(entry.summary) == "Leaders met on Friday & agreed on <tariffs>."
    assert [tag.term for tag in entry.tags] == ["World", "Diplomacy", "Trade"]


def test_rss_guid_is_not_a_permalink(client, story):
    entry = entry_for(fetch(client, feed_url("site", "rss")), story)
    assert entry.guidislink is False
    assert '<guid isPermaLink="false">urn:uuid:' in client.get(feed_url("site", "rss")).text


def test_item_id_survives_a_slug_change(client, story):
    before = entry_for(fetch(client, feed_url("site", "atom")), story)
    story.slug = "trade-and-tariffs"
    story.save()
    after = entry_for(fetch(client, feed_url("site", "atom")), story)
    assert after.id == before.id
    assert after.link != before.link


def utc_tuple(when):
    return when.astimezone(UTC).timetuple()[:6]


def test_rss_item_has_publication_time(client, story):
    entry = entry_for(fetch(client, feed_url("site", "rss")), story)
    assert tuple(entry.published_parsed)[:6] == utc_tuple(story.published_at)


def test_atom_entry_has_published_and_updated_times(client, story, time_machine):
    time_machine.move_to(timezone.now() + timedelta(hours=3), tick=False)
    story.summary = "Updated summary."
    story.save()
    entry = entry_for(fetch(client, feed_url("site", "atom")), story)
    assert tuple(entry.published_parsed)[:6] == utc_tuple(story.published_at)
    assert tuple(entry.updated_parsed)[:6] == utc_tuple(story.updated_at)
    assert calendar.timegm(entry.updated_parsed) > calendar.timegm(entry.published_parsed)


def test_updated_is_never_before_published(client, time_machine):
    # Saved (and so "updated") an hour before its scheduled time.
    article = PublishedArticleFactory(published_at=timezone.now() + timedelta(hours=1))
    time_machine.move_to(timezone.now() + timedelta(hours=2))
    entry = entry_for(fetch(client, feed_url("site", "atom")), article)
    assert entry.updated_parsed == entry.published_parsed


@pytest.mark.parametrize("fmt", FORMATS)
def test_image_without_renditions_is_enclosed_as_its_original(client, story, fmt):
    entry = entry_for(fetch(client, feed_url("site", fmt)), story)
    image = story.lead_image
    (enclosure,) = entry.enclosures
    assert enclosure.href == page_url(image.file.url)
    assert enclosure.type == "image/jpeg"
    assert int(enclosure.length) == image.file.size > 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_lead_image_is_enclosed_as_the_jpeg_the_story_page_shows(client, fmt):
    image = make_image(1000, 600)
    ensure_renditions(image)
    article = PublishedArticleFactory(lead_image=image)
    (enclosure,) = entry_for(fetch(client, feed_url("site", fmt)), article).enclosures
    # The 16:9 lead crop, 800 wide (the page's <img src>), not the 1000-pixel original.
    (jpeg,) = [size["jpeg"] for size in image.renditions["lead"]["sizes"] if size["width"] == 800]
    assert enclosure.href == page_url(default_storage.url(jpeg))
    assert enclosure.type == "image/jpeg"
    assert int(enclosure.length) == default_storage.size(jpeg)


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_image_file_leaves_the_item_without_an_enclosure(client, story, fmt):
    story.lead_image.file.storage.delete(story.lead_image.file.name)
    entry = entry_for(fetch(client, feed_url("site", fmt)), story)
    assert entry.enclosures == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_story_without_summary_is_described_by_its_deck(client, fmt):
    article = PublishedArticleFactory(summary="", deck="The deck & more.")
    entry = entry_for(fetch(client, feed_url("site", fmt)), article)
    assert html.unescape(entry.summary) == "The deck & more."


@pytest.mark.parametrize("fmt", FORMATS)
def test_story_without_summary_or_deck_is_described_by_its_opening(client, fmt):
    article = PublishedArticleFactory(
        summary="", deck="", body="<p>Rain &amp; wind</p><p>hit the <b>coast</b>.</p>"
    )
    entry = entry_for(fetch(client, feed_url("site", fmt)), article)
    assert html.unescape(entry.summary) == "Rain & wind hit the coast."


@pytest.fixture
def hidden(story):
    """One of each kind of story the public must not see, in the story's section, tag and
    with its first author credited."""
    kinds = {
        "draft": ArticleFactory(state=State.DRAFT),
        "review": ArticleFactory(state=State.REVIEW),
        "ready": ArticleFactory(state=State.READY),
        "scheduled": PublishedArticleFactory(published_at=timezone.now() + timedelta(hours=1)),
        "withdrawn": PublishedArticleFactory(state=State.WITHDRAWN),
    }
    author = story.bylines[0].person
    for article in kinds.values():
        article.section = story.section
        article.save()
        article.tags.add("Trade")
        ContributionFactory(article=article, person=author)
    return kinds


def test_no_feed_carries_an_unpublished_story(client, story, hidden):
    for url in every_feed("world", "trade", "cao-desheng"):
        parsed = fetch(client, url)
        ids = {entry.id for entry in parsed.entries}
        assert ids == {story.uuid.urn}, url


def test_scheduled_story_enters_the_feeds_when_its_time_comes(client, story, hidden, time_machine):
    scheduled = hidden["scheduled"]
    time_machine.move_to(scheduled.published_at + timedelta(minutes=1))
    for url in every_feed("world", "trade", "cao-desheng"):
        ids = [entry.id for entry in fetch(client, url).entries]
        assert ids == [scheduled.uuid.urn, story.uuid.urn], url


def test_person_feed_has_stories_they_are_credited_on_once_each(client, story):
    editor = story.credits[0].person
    ContributionFactory(article=story, person=editor, role="Photographer")
    other = PublishedArticleFactory()
    for fmt in FORMATS:
        ids = [entry.id for entry in fetch(client, feed_url("person", fmt, editor.slug)).entries]
        assert ids == [story.uuid.urn]
    assert other.uuid.urn not in client.get(feed_url("person", "rss", editor.slug)).text


def test_section_and_tag_feeds_keep_to_their_stories(client, story):
    elsewhere = PublishedArticleFactory(section=SectionFactory(slug="sport"))
    elsewhere.tags.add("Football")
    for fmt in FORMATS:
        section = fetch(client, feed_url("section", fmt, "world"))
        tag = fetch(client, feed_url("tag", fmt, "football"))
        assert [entry.id for entry in section.entries] == [story.uuid.urn]
        assert [entry.id for entry in tag.entries] == [elsewhere.uuid.urn]


def test_feed_shows_the_newest_stories_newest_first(client):
    now = timezone.now()
    articles = [
        PublishedArticleFactory(published_at=now - timedelta(minutes=i))
        for i in range(FEED_SIZE + 2)
    ]
    for fmt in FORMATS:
        ids = [entry.id for entry in fetch(client, feed_url("site", fmt)).entries]
        assert ids == [article.uuid.urn for article in articles[:FEED_SIZE]]


@pytest.mark.parametrize("kind", ["section", "tag", "person"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_feed_of_unknown_section_tag_or_person_is_404(client, story, kind, fmt):
    assert client.get(feed_url(kind, fmt, "no-such-thing")).status_code == 404


def test_empty_feed_is_still_valid(client):
    SectionFactory(slug="quiet")
    for fmt in FORMATS:
        assert fetch(client, feed_url("section", fmt, "quiet")).entries == []


def test_feed_answers_with_last_modified(client, story):
    response = client.get(feed_url("site", "rss"))
    assert response.has_header("Last-Modified")


def make_stories(n: int, section, person):
    for _ in range(n):
        article = PublishedArticleFactory(section=section, lead_image=make_image())
        ContributionFactory(article=article, person=person)
        ContributionFactory(article=article)
        CreditFactory(article=article)
        article.tags.add("Budget", f"Extra {article.pk}")


def feed_queries(client, url: str) -> int:
    Site.objects.clear_cache()
    with CaptureQueriesContext(connection) as queries:
        fetch(client, url)
    return len(queries)


@pytest.mark.parametrize("n", [1, FEED_SIZE])
def test_feed_query_budget_is_fixed(client, django_assert_max_num_queries, n):
    section, person = SectionFactory(slug="economy"), PersonFactory(name="Ann Author")
    make_stories(n, section, person)
    for url in every_feed("economy", "budget", person.slug):
        with django_assert_max_num_queries(FEED_QUERIES):
            assert len(fetch(client, url).entries) == n


def test_feed_queries_do_not_grow_with_stories(client):
    section, person = SectionFactory(slug="economy"), PersonFactory(name="Ann Author")
    make_stories(1, section, person)
    urls = every_feed("economy", "budget", person.slug)
    few = [feed_queries(client, url) for url in urls]
    make_stories(FEED_SIZE - 1, section, person)
    many = [feed_queries(client, url) for url in urls]
    assert few == many


# --- Links from pages ---------------------------------------------------------------------


def alternates(client, path: str) -> list[tuple[str, str]]:
    response = client.get(path)
    assert response.status_code == 200, path
    soup = BeautifulSoup(response.content, "html.parser")
    return [
        (link["type"], link["href"])
        for link in soup.head.select('link[rel="alternate"]')
        if link.get("type") in {"application/rss+xml", "application/atom+xml"}
    ]


SITE_FEEDS = [
    ("application/rss+xml", "/feeds/rss/"),
    ("application/atom+xml", "/feeds/atom/"),
]


def test_home_page_links_the_site_feeds(client, story):
    assert alternates(client, "/") == SITE_FEEDS


@pytest.mark.parametrize(
    ("path", "feeds"),
    [
        ("/world/", "/feeds/sections/world/"),
        ("/tags/trade/", "/feeds/tags/trade/"),
        ("/people/cao-desheng/", "/feeds/people/cao-desheng/"),
    ],
)
def test_listing_pages_link_their_own_feeds(client, story, path, feeds):
    assert alternates(client, path) == [
        *SITE_FEEDS,
        ("application/rss+xml", f"{feeds}rss/"),
        ("application/atom+xml", f"{feeds}atom/"),
    ]


def test_article_page_links_its_section_feeds(client, story):
    assert alternates(client, story.get_absolute_url()) == [
        *SITE_FEEDS,
        ("application/rss+xml", "/feeds/sections/world/rss/"),
        ("application/atom+xml", "/feeds/sections/world/atom/"),
    ]


def test_linked_feeds_answer(client, story):
    for path in ["/", "/world/", "/tags/trade/", "/people/cao-desheng/"]:
        for _, href in alternates(client, path):
            fetch(client, href)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/feeds/rss/", "/feeds/atom/"])
def test_a_feed_goes_to_the_server_in_one_piece(client, url):
    """The syndication framework writes a feed in hundreds of pieces; a WSGI server sends
    each piece it is given, so the response hands over one."""
    for _ in range(3):
        story = PublishedArticleFactory()
        story.tags.add("harbours")
    response = client.get(url)
    assert response.status_code == 200
    assert len(list(response)) == 1
