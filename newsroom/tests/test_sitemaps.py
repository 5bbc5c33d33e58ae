"""Sitemaps and robots.txt: valid against the published schemas, public stories only, and
dated by when readers last saw something change."""

from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
from django.contrib.flatpages.models import FlatPage
from django.contrib.sites.models import Site
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date
from lxml import etree

from articles.models import State, article_path
from articles.tests.factories import (
    ArticleFactory,
    ContributionFactory,
    CreditFactory,
    PublishedArticleFactory,
    SectionFactory,
)
from newsroom import sitemaps
from people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

DOMAIN = "news.example"
SCHEMAS = Path(__file__).resolve().parent / "data" / "sitemaps"
NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}
SITEMAP_URLS = ["/sitemap-articles.xml", "/sitemap-sections.xml", "/sitemap-tags.xml"]
SITEMAP_URLS.append("/sitemap-people.xml")
PAGES_SITEMAP = "/sitemap-pages.xml"
# Site; the pages (newest story, flat pages); each of the four others' size and newest time.
INDEX_QUERIES = 11
# At most: Site, the entries, and their dates (listings) or the flat pages (pages). A page is
# never counted first.
SITEMAP_QUERIES = 3

T0 = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def public_domain(db, settings):
    settings.NEWSROOM_DOMAIN = DOMAIN
    site = Site.objects.get_current()
    site.domain = DOMAIN
    site.save()
    yield
    Site.objects.clear_cache()


@cache
def schema(name: str) -> etree.XMLSchema:
    # The copies kept with the tests; imports resolve beside them, never on the network.
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


def fetch(client, url: str, schema_name: str) -> etree._Element:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/xml"
    document = etree.fromstring(response.content)
    schema(schema_name).assertValid(document)
    return document


def urlset(client, url: str) -> dict[str, datetime | None]:
    """loc → lastmod of a sitemap, validated against sitemaps.org's schema."""
    document = fetch(client, url, "sitemap.xsd")
    return {
        node.findtext("sm:loc", namespaces=NS): parse_time(node.findtext("sm:lastmod", None, NS))
        for node in document.findall("sm:url", NS)
    }


def index(client) -> dict[str, datetime | None]:
    document = fetch(client, "/sitemap.xml", "siteindex.xsd")
    return {
        node.findtext("sm:loc", namespaces=NS): parse_time(node.findtext("sm:lastmod", None, NS))
        for node in document.findall("sm:sitemap", NS)
    }


def parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def public(path: str) -> str:
    return f"https://{DOMAIN}{path}"


def seconds(when: datetime) -> datetime:
    return when.replace(microsecond=0)


@pytest.fixture
def at(time_machine):
    """Stop the clock at a moment: at(T0 + timedelta(hours=1))."""

    def move(when: datetime) -> datetime:
        time_machine.move_to(when, tick=False)
        return when

    return move


@pytest.fixture
def newsroom(at):
    """Two live stories, and the kinds of story the public must not see, sharing their
    section, tag and author, each changed later than the live ones."""
    world, sport = SectionFactory(name="World", slug="world"), SectionFactory(slug="sport")
    ann = PersonFactory(name="Ann Author")
    at(T0)
    old = PublishedArticleFactory(section=world, published_at=T0 - timedelta(hours=1))
    old.tags.add("Trade")
    ContributionFactory(article=old, person=ann)
    at(T0 + timedelta(hours=2))
    new = PublishedArticleFactory(section=sport, published_at=T0 + timedelta(hours=1))
    new.tags.add("Trade", "Football")
    ContributionFactory(article=new)
    at(T0 + timedelta(hours=3))
    hidden = {
        "draft": ArticleFactory(state=State.DRAFT),
        "ready": ArticleFactory(state=State.READY),
        "scheduled": PublishedArticleFactory(published_at=T0 + timedelta(hours=5)),
        "withdrawn": PublishedArticleFactory(state=State.WITHDRAWN),
    }
    lurker = PersonFactory(name="Only Drafts")
    for article in hidden.values():
        article.section = world
        article.save()
        article.tags.add("Trade", "Secret plans")
        ContributionFactory(article=article, person=ann)
        CreditFactory(article=article, person=lurker)
    SectionFactory(slug="drafts-only")
    ArticleFactory(section__slug="drafts-only")
    at(T0 + timedelta(hours=4))
    return {"old": old, "new": new, "hidden": hidden, "ann": ann, "lurker": lurker}


def test_index_lists_the_sitemaps_dated_by_their_newest_change(client, newsroom):
    newest = T0 + timedelta(hours=2)  # the Sport story's save
    assert index(client) == {
        # Flat pages keep no time of change, so the pages sitemap has no date to give.
        public(PAGES_SITEMAP): None,
        **{public(url): newest for url in SITEMAP_URLS},
    }


def test_pages_sitemap_has_the_front_page_and_the_flat_pages_served(client, newsroom):
    # A flat page with no address routed to it would only answer 404.
    FlatPage.objects.create(url="/unrouted/", title="Not served").sites.add(Site.objects.get())
    assert urlset(client, PAGES_SITEMAP) == {
        # Dated by the newest public story, not by the hidden ones changed since.
        public("/"): T0 + timedelta(hours=2),
        public("/standards/"): None,
    }


def test_pages_sitemap_leaves_out_flat_pages_for_members(client):
    FlatPage.objects.filter(url="/standards/").update(registration_required=True)
    assert list(urlset(client, PAGES_SITEMAP)) == [public("/")]


def test_articles_sitemap_lists_public_stories_with_their_last_change(client, newsroom):
    old, new = newsroom["old"], newsroom["new"]
    assert urlset(client, "/sitemap-articles.xml") == {
        public(old.get_absolute_url()): T0,
        public(new.get_absolute_url()): T0 + timedelta(hours=2),
    }


def test_sections_are_dated_by_their_newest_public_story(client, newsroom):
    # Hidden stories in World changed after the live one; they must not date the section.
    assert urlset(client, "/sitemap-sections.xml") == {
        public("/world/"): T0,
        public("/sport/"): T0 + timedelta(hours=2),
    }


def test_tags_with_public_stories_only(client, newsroom):
    assert urlset(client, "/sitemap-tags.xml") == {
        public("/tags/football/"): T0 + timedelta(hours=2),
        public("/tags/trade/"): T0 + timedelta(hours=2),
    }


def test_people_with_public_stories_only(client, newsroom):
    sitemap = urlset(client, "/sitemap-people.xml")
    assert sitemap[public("/people/ann-author/")] == T0
    assert public(newsroom["lurker"].get_absolute_url()) not in sitemap
    assert len(sitemap) == 2


def test_no_sitemap_lists_an_unpublished_story(client, newsroom):
    listed = " ".join(loc for url in SITEMAP_URLS for loc in urlset(client, url)) + " ".join(
        news(client)
    )
    for article in newsroom["hidden"].values():
        assert article.slug not in listed
    assert "secret-plans" not in listed
    assert "drafts-only" not in listed


def test_scheduled_story_enters_the_sitemaps_when_its_time_comes(client, newsroom, at):
    scheduled = newsroom["hidden"]["scheduled"]
    live_at = at(scheduled.published_at + timedelta(minutes=1))
    articles = urlset(client, "/sitemap-articles.xml")
    # Saved before its time: dated from when readers first could see it.
    assert articles[public(scheduled.get_absolute_url())] == scheduled.published_at
    assert urlset(client, "/sitemap-sections.xml")[public("/world/")] == scheduled.published_at
    assert public("/tags/secret-plans/") in urlset(client, "/sitemap-tags.xml")
    assert index(client)[public("/sitemap-articles.xml")] == scheduled.published_at
    assert public(scheduled.get_absolute_url()) in news(client)
    assert live_at > scheduled.published_at


def test_an_edit_moves_the_story_section_and_index_lastmod(client, newsroom, at):
    old = newsroom["old"]
    edited_at = at(T0 + timedelta(hours=6, microseconds=123456))
    old.summary = "A corrected summary."
    old.save()
    assert urlset(client, "/sitemap-articles.xml")[public(old.get_absolute_url())] == seconds(
        edited_at
    )
    assert urlset(client, "/sitemap-sections.xml")[public("/world/")] == seconds(edited_at)
    assert index(client)[public("/sitemap-articles.xml")] == seconds(edited_at)


def test_syndicated_copy_is_left_to_its_original(client, newsroom):
    copy = PublishedArticleFactory(original_url="https://agency.example/story")
    assert public(copy.get_absolute_url()) not in urlset(client, "/sitemap-articles.xml")
    assert public(copy.get_absolute_url()) not in news(client)


def test_empty_site_lists_only_its_front_page(client):
    assert index(client) == {public(PAGES_SITEMAP): None}
    assert public("/") in urlset(client, PAGES_SITEMAP)
    for url in SITEMAP_URLS:
        assert client.get(url).status_code == 404


def test_quiet_news_sitemap_is_an_empty_urlset_not_a_404(client):
    # robots.txt names it, so it answers; the schema wants one <url>, Google reads "no news".
    PublishedArticleFactory(published_at=timezone.now() - timedelta(days=3))
    response = client.get("/news-sitemap.xml")
    assert response.status_code == 200
    document = etree.fromstring(response.content)
    assert document.tag == f"{{{NS['sm']}}}urlset"
    assert len(document) == 0


def test_unknown_sitemap_is_404(client):
    assert client.get("/sitemap-drafts.xml").status_code == 404


def test_articles_sitemap_is_paged_and_the_index_lists_every_page(client, monkeypatch):
    monkeypatch.setattr(sitemaps.ArticleSitemap, "limit", 2)
    stories = [
        PublishedArticleFactory(published_at=timezone.now() - timedelta(hours=5 - i))
        for i in range(5)
    ]
    listed = index(client)
    pages = [public("/sitemap-articles.xml")] + [
        public(f"/sitemap-articles.xml?p={n}") for n in (2, 3)
    ]
    assert all(page in listed for page in pages)
    seen = []
    for page in pages:
        seen.extend(urlset(client, page.removeprefix(f"https://{DOMAIN}")))
    assert seen == [public(story.get_absolute_url()) for story in stories]
    for past_the_end in ("4", "0", "-1", "two", "2.5"):
        assert client.get(f"/sitemap-articles.xml?p={past_the_end}").status_code == 404


def test_articles_sitemap_pages_are_a_few_thousand_stories():
    # Small enough to render in one quick request, large enough that 100,000 stories need
    # only 50 pages; far under the protocol's 50,000.
    assert 1000 <= sitemaps.ArticleSitemap.limit <= 5000


def test_index_counts_the_same_entries_the_listing_pages_show(client, newsroom):
    for name, url in [("sections", SITEMAP_URLS[1]), ("tags", SITEMAP_URLS[2])]:
        assert sitemaps.SITEMAPS[name]().paginator.count == len(urlset(client, url))
    assert sitemaps.PersonSitemap().paginator.count == len(urlset(client, SITEMAP_URLS[3]))


def test_article_page_says_when_it_last_changed(client, newsroom):
    response = client.get("/sitemap-articles.xml")
    assert response["Last-Modified"] == http_date((T0 + timedelta(hours=2)).timestamp())
    # Dates are printed in the site's time zone, as the |date:"c" filter printed them.
    assert f"<lastmod>{timezone.localtime(T0).isoformat()}</lastmod>" in response.content.decode()


def test_story_addresses_follow_the_local_date(client, at):
    # 20:30 UTC is the next morning in Shanghai: the address carries the local date.
    late = PublishedArticleFactory(published_at=T0.replace(hour=20, minute=30))
    at(T0 + timedelta(days=1))
    path = article_path(late.section.slug, late.published_at, late.slug)
    assert "/2024/03/02/" in path
    assert public(path) in urlset(client, "/sitemap-articles.xml")
    assert sitemaps.story_addresses().pattern is not None


def test_addresses_fall_back_to_reverse_when_the_pattern_is_unclear():
    # Month and day share a sample value, so the pattern cannot be read from the sample: the
    # check fails and every address goes through reverse().
    addresses = sitemaps.Addresses(
        "articles:detail",
        sample={"section": "s", "year": 1987, "month": "11", "day": "11", "slug": "x"},
        check={"section": "c", "year": 2003, "month": "02", "day": "05", "slug": "y"},
    )
    assert addresses.pattern is None
    kwargs = {"section": "world", "year": 2024, "month": "03", "day": "01", "slug": "a-b"}
    assert addresses(**kwargs) == reverse("articles:detail", kwargs=kwargs)


def test_addresses_are_http_only_when_debugging(client, settings, newsroom):
    settings.DEBUG = True
    assert all(loc.startswith(f"http://{DOMAIN}/") for loc in index(client))
    assert all(loc.startswith(f"http://{DOMAIN}/") for loc in urlset(client, SITEMAP_URLS[0]))


# --- Google News -------------------------------------------------------------------------


def news(client) -> dict[str, dict[str, str]]:
    """loc → the news:* fields of the news sitemap, validated with the News schema."""
    document = fetch(client, "/news-sitemap.xml", "urlset-news.xsd")
    result = {}
    for node in document.findall("sm:url", NS):
        item = node.find("news:news", NS)
        result[node.findtext("sm:loc", namespaces=NS)] = {
            "name": item.findtext("news:publication/news:name", namespaces=NS),
            "language": item.findtext("news:publication/news:language", namespaces=NS),
            "date": item.findtext("news:publication_date", namespaces=NS),
            "title": item.findtext("news:title", namespaces=NS),
        }
    return result


def test_news_sitemap_has_the_last_two_days_stories(client, settings):
    settings.NEWSROOM_NAME = "The Daily Example"
    now = timezone.now()
    fresh = PublishedArticleFactory(
        headline="Ministers agree <deal> & go home", published_at=now - timedelta(hours=47)
    )
    PublishedArticleFactory(published_at=now - timedelta(hours=49))
    assert news(client) == {
        public(fresh.get_absolute_url()): {
            "name": "The Daily Example",
            "language": "en",
            "date": timezone.localtime(seconds(fresh.published_at)).isoformat(),
            "title": "Ministers agree <deal> & go home",
        }
    }


def test_news_sitemap_keeps_the_newest_thousand(client, monkeypatch):
    monkeypatch.setattr(sitemaps, "NEWS_LIMIT", 3)
    monkeypatch.setattr(sitemaps.NewsSitemap, "limit", 3)
    now = timezone.now()
    stories = [PublishedArticleFactory(published_at=now - timedelta(hours=i)) for i in range(5)]
    assert list(news(client)) == [public(story.get_absolute_url()) for story in stories[:3]]


def test_news_schema_rejects_an_entry_without_a_title(client):
    # The News schema is really applied: a news sitemap missing a required field fails.
    PublishedArticleFactory()
    document = etree.fromstring(client.get("/news-sitemap.xml").content)
    title = document.find("sm:url/news:news/news:title", NS)
    title.getparent().remove(title)
    assert not schema("urlset-news.xsd").validate(document)


def test_news_language_follows_the_site_language(settings):
    settings.LANGUAGE_CODE = "zh-cn"
    assert sitemaps.news_language() == "zh-cn"
    settings.LANGUAGE_CODE = "fr-ca"
    assert sitemaps.news_language() == "fr"


# --- robots.txt ----------------------------------------------------------------------------


def test_robots_txt_names_the_sitemaps_and_keeps_crawlers_out_of_the_desk(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    assert {"Disallow: /admin/", "Disallow: /preview/"} <= set(lines)
    assert [line for line in lines if line.startswith("Sitemap:")] == [
        f"Sitemap: https://{DOMAIN}/sitemap.xml",
        f"Sitemap: https://{DOMAIN}/news-sitemap.xml",
    ]


def test_sitemaps_named_in_robots_txt_answer(client):
    for line in client.get("/robots.txt").content.decode().splitlines():
        if line.startswith("Sitemap: "):
            path = line.removeprefix(f"Sitemap: https://{DOMAIN}")
            assert client.get(path).status_code == 200


# --- Query budgets -------------------------------------------------------------------------


def make_stories(n: int):
    section = SectionFactory(slug="economy")
    for i in range(n):
        article = PublishedArticleFactory(section=section)
        ContributionFactory(article=article)
        ContributionFactory(article=article)
        CreditFactory(article=article)
        article.tags.add("Budget", f"Extra {i}")


def queries(client, url: str) -> int:
    Site.objects.clear_cache()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


ALL_SITEMAPS = ["/sitemap.xml", PAGES_SITEMAP, *SITEMAP_URLS, "/news-sitemap.xml"]


@pytest.mark.parametrize("n", [1, 30])
def test_sitemap_query_budget_is_fixed(client, django_assert_max_num_queries, monkeypatch, n):
    make_stories(n)
    # The last page of stories costs what the first does, however far into them it is.
    monkeypatch.setattr(sitemaps.ArticleSitemap, "limit", 7)
    last_page = "/sitemap-articles.xml" + ("?p=5" if n > 28 else "")
    with django_assert_max_num_queries(INDEX_QUERIES):
        assert public(last_page) in index(client)
    for url in [PAGES_SITEMAP, *SITEMAP_URLS, last_page, "/news-sitemap.xml"]:
        with django_assert_max_num_queries(SITEMAP_QUERIES):
            assert client.get(url).status_code == 200
    assert len(urlset(client, "/sitemap-people.xml")) == 3 * n


def test_sitemap_queries_do_not_grow_with_stories(client):
    make_stories(1)
    few = [queries(client, url) for url in ALL_SITEMAPS]
    make_stories(29)
    many = [queries(client, url) for url in ALL_SITEMAPS]
    assert few == many
