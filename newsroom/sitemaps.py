"""Sitemaps for search engines, and the robots.txt that announces them.

``/sitemap.xml`` is an index over the sitemaps that have entries: pages (the front page and
flat pages), stories, sections, tags and people; ``/news-sitemap.xml`` is the Google News
sitemap of the last two days' stories. Everything here starts from
``Article.objects.published()``, built when a request asks: each request makes its own
Sitemap instances, so nothing (times, paginators) carries over between requests.

Addresses are absolute: the current Site's domain with ``https``, or with ``http`` only when
DEBUG is on (local work has no TLS). They do not follow the scheme of the request, because a
sitemap names canonical addresses, and those must not change with how a crawler, a health
check or a proxy happened to reach the app.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from django.conf import settings
from django.contrib.flatpages import views as flatpage_views
from django.contrib.flatpages.models import FlatPage
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.core.paginator import Paginator
from django.db.models import DateTimeField, Max, OuterRef, QuerySet, Subquery
from django.db.models.functions import Greatest
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.views.generic import TemplateView

from articles.models import Article, Section, Tag
from newsroom.site import absolute_url, site_protocol
from people.models import Person

# Google News takes stories published in the last two days, at most 1,000 per sitemap.
NEWS_WINDOW = timedelta(days=2)
NEWS_LIMIT = 1000


def modified_at() -> Greatest:
    """When a story's page last changed for readers.

    ``updated_at`` alone is not enough: a story saved days before its scheduled time only
    appears when ``published_at`` comes.
    """
    return Greatest("published_at", "updated_at", output_field=DateTimeField())


def to_the_second(when: datetime | None) -> datetime | None:
    # W3C datetimes with microseconds are valid but noisy; crawlers need no more than seconds.
    return when.replace(microsecond=0) if when else None


def indexable_stories() -> QuerySet[Article]:
    """Public stories whose canonical address is here.

    Syndicated copy (with an ``original_url``) points search engines to the original or asks
    them not to index it; a sitemap lists canonical addresses only.
    """
    return Article.objects.published().filter(original_url="")


def newest_story_time(**lookups) -> Subquery:
    """When the newest public story matching ``lookups`` (using ``OuterRef``) last changed.

    Built on ``published()``, so a draft or a scheduled story never moves a listing's lastmod.
    """
    return Subquery(
        Article.objects.published()
        .filter(**lookups)
        .annotate(modified=modified_at())
        .order_by("-modified")
        .values("modified")[:1],
        output_field=DateTimeField(),
    )


class PublicSitemap(Sitemap):
    # The schema wants at least one <url>: an empty sitemap is left out of the index and
    # answers 404.
    allow_empty = False

    @property
    def protocol(self) -> str:
        return site_protocol()

    def get_domain(self, site=None) -> str:
        return settings.NEWSROOM_DOMAIN

    @cached_property
    def paginator(self) -> Paginator:
        # Kept for the request: the index and the view ask for it more than once.
        return Paginator(self.items(), self.limit, allow_empty_first_page=self.allow_empty)


@dataclass(frozen=True)
class Page:
    path: str
    lastmod: datetime | None = None


def serves_flatpage(path: str) -> bool:
    try:
        return resolve(path).func is flatpage_views.flatpage
    except Resolver404:
        return False


class PageSitemap(PublicSitemap):
    """The front page, and the flat pages the site serves (the standards page).

    Never empty, so the index always has a sitemap to name. It gives the index no lastmod:
    flat pages keep no time of change.
    """

    def items(self) -> list[Page]:
        newest = Article.objects.published().aggregate(latest=Max(modified_at()))["latest"]
        flatpages = FlatPage.objects.filter(
            sites__id=settings.SITE_ID, registration_required=False
        ).order_by("url")
        return [
            Page(reverse("home"), to_the_second(newest)),
            *(Page(page.url) for page in flatpages if serves_flatpage(page.url)),
        ]

    def location(self, page: Page) -> str:
        return page.path

    def lastmod(self, page: Page) -> datetime | None:
        return page.lastmod

    def get_latest_lastmod(self) -> None:
        return None


class ArticleSitemap(PublicSitemap):
    """Every public story; Django pages it past 50,000 and the index lists each page."""

    def items(self):
        # Oldest first, so pages stay stable as stories are added at the end.
        return (
            indexable_stories()
            .select_related("section")
            .only("slug", "published_at", "created_at", "updated_at", "section__slug")
            .order_by("published_at", "pk")
        )

    def lastmod(self, article: Article) -> datetime:
        return to_the_second(max(article.published_at, article.updated_at))

    def get_latest_lastmod(self) -> datetime | None:
        # One aggregate instead of Django's default, which loads every story to compare.
        latest = indexable_stories().aggregate(latest=Max(modified_at()))["latest"]
        return to_the_second(latest)


class ListingSitemap(PublicSitemap):
    """Listing pages that have public stories, dated by the newest of them."""

    def listings(self) -> QuerySet:
        raise NotImplementedError

    def items(self):
        return self.listings().filter(lastmod__isnull=False)

    def lastmod(self, listing) -> datetime:
        return to_the_second(listing.lastmod)

    def get_latest_lastmod(self) -> datetime | None:
        return to_the_second(self.items().aggregate(latest=Max("lastmod"))["latest"])


class SectionSitemap(ListingSitemap):
    def listings(self):
        return Section.objects.annotate(
            lastmod=newest_story_time(section=OuterRef("pk"))
        ).order_by("position", "name")


class TagSitemap(ListingSitemap):
    def listings(self):
        return Tag.objects.annotate(
            lastmod=newest_story_time(tagged_items__tag=OuterRef("pk"))
        ).order_by("name", "pk")


class PersonSitemap(ListingSitemap):
    def listings(self):
        return Person.objects.annotate(
            lastmod=newest_story_time(contributions__person=OuterRef("pk"))
        ).order_by("name", "pk")


def news_language() -> str:
    """The publication's language as Google News wants it: ISO 639, or zh-cn / zh-tw."""
    code = settings.LANGUAGE_CODE.lower()
    return code if code in {"zh-cn", "zh-tw"} else code.split("-")[0]


class NewsSitemap(PublicSitemap):
    """Stories published in the last two days, newest first, for Google News.

    After two quiet days it is an empty urlset, which the schema does not allow but Google
    reads as "no news"; robots.txt names this address, so it must not answer 404.
    """

    limit = NEWS_LIMIT
    allow_empty = True

    def items(self):
        since = timezone.now() - NEWS_WINDOW
        return (
            indexable_stories()
            .filter(published_at__gte=since)
            .select_related("section")
            .only("headline", "slug", "published_at", "created_at", "updated_at", "section__slug")
            .order_by("-published_at", "-pk")[:NEWS_LIMIT]
        )

    def lastmod(self, article: Article) -> datetime:
        return to_the_second(max(article.published_at, article.updated_at))

    def get_urls(self, page=1, site=None, protocol=None):
        publication = {"name": settings.NEWSROOM_NAME, "language": news_language()}
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        for url in urls:
            url["publication"] = publication
            url["publication_date"] = to_the_second(url["item"].published_at)
        return urls


SITEMAPS = {
    "pages": PageSitemap,
    "articles": ArticleSitemap,
    "sections": SectionSitemap,
    "tags": TagSitemap,
    "people": PersonSitemap,
}
NEWS_SITEMAPS = {"news": NewsSitemap}


def sitemap_index(request, sitemaps, **kwargs):
    """Django's sitemap index, over the sitemaps that have entries."""
    present = {}
    for name, sitemap_class in sitemaps.items():
        sitemap = sitemap_class()
        if sitemap.paginator.count:
            present[name] = sitemap
    return sitemap_views.index(request, present, **kwargs)


class RobotsTxtView(TemplateView):
    """robots.txt: keep crawlers out of the desk and previews, and name the sitemaps."""

    template_name = "robots.txt"
    content_type = "text/plain; charset=utf-8"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            sitemap_urls=[
                absolute_url(reverse("sitemap_index")),
                absolute_url(reverse("news_sitemap")),
            ],
            **kwargs,
        )
