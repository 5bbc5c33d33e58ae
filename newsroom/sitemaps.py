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

Cost, at 100,000 stories: no query reads a story per listing row (sections, tags and people
are dated by one GROUP BY over the public stories), the index dates each sitemap from two
index walks rather than a scan, and a page of stories is built from plain rows (no model
instances, no ``reverse()`` per story, no filter per row in the template).
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
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.core.paginator import Page as PaginatorPage
from django.db.models import DateTimeField, Exists, Max, OuterRef, QuerySet, Subquery
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
# Stories per page of the article sitemap. The protocol allows 50,000 (and 50 MB), but one
# page is one request, rendered again after every publish: 1,000 addresses (about 140 KB)
# render in about 15 ms and keep the OFFSET of the last page small, a cached page answers
# in a fraction of a millisecond, and 100,000 stories still need only 100 pages in the
# index.
ARTICLES_PER_PAGE = 1000


def modified_at() -> Greatest:
    """When a story's page last changed for readers.

    ``updated_at`` alone is not enough: a story saved days before its scheduled time only
    appears when ``published_at`` comes.
    """
    return Greatest("published_at", "updated_at", output_field=DateTimeField())


def to_the_second(when: datetime | None) -> datetime | None:
    # W3C datetimes with microseconds are valid but noisy; crawlers need no more than seconds.
    return when.replace(microsecond=0) if when else None


def w3c(when: datetime) -> str:
    """``when`` as the templates print it: local time, ISO 8601, what ``|date:"c"`` gives."""
    return timezone.localtime(when).isoformat()


def indexable_stories() -> QuerySet[Article]:
    """Public stories whose canonical address is here.

    Syndicated copy (with an ``original_url``) points search engines to the original or asks
    them not to index it; a sitemap lists canonical addresses only.
    """
    return Article.objects.published().filter(original_url="")


def newest_change(stories: QuerySet[Article]) -> datetime | None:
    """When the newest of ``stories`` last changed (``modified_at``), to the second.

    The newest ``max(published_at, updated_at)`` is the later of the newest ``published_at``
    and the newest ``updated_at``, and each of those is the first entry of an ordered index
    where ``Max(modified_at())`` reads every story: the newest publication from
    ``published()``'s own index, the newest update by walking ``article_updated_idx`` from
    the top until a story is one of ``stories`` (asked as ``Exists``, so the database walks
    that index rather than sorting every public story). One query: the newest update rides
    along as a scalar subquery of the newest publication.
    """
    newest_update = (
        Article.objects.filter(Exists(stories.filter(pk=OuterRef("pk"))))
        .order_by("-updated_at")
        .values("updated_at")[:1]
    )
    row = (
        stories.order_by("-published_at")
        .annotate(newest_update=Subquery(newest_update, output_field=DateTimeField()))
        .values_list("published_at", "newest_update")
        .first()
    )
    return to_the_second(max(row)) if row else None


class SitemapPaginator(Paginator):
    """Django's paginator, except that a page is read without counting the whole sitemap.

    The index needs the count (how many pages to list); a page needs only its own rows, and
    is past the end when it has none. Counting first would cost a scan of every public story
    (or a second GROUP BY of the listings) on each page request.
    """

    def page(self, number) -> PaginatorPage:
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError) as error:
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from error
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page])
        if not rows and (number > 1 or not self.allow_empty_first_page):
            raise EmptyPage(self.error_messages["no_results"])
        return self._get_page(rows, number, self)


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
        return SitemapPaginator(self.items(), self.limit, allow_empty_first_page=self.allow_empty)

    def get_urls(self, page=1, site=None, protocol=None) -> list[dict]:
        """The page's entries, with what the templates print already formatted.

        Django's own version also asks every item for a priority, a change frequency and
        translations, which these sitemaps do not have; this one keeps its contract (the
        ``item``, ``location`` and ``lastmod`` of each entry, and ``latest_lastmod`` for the
        view's Last-Modified header when every entry has a date).
        """
        prefix = f"{self.get_protocol(protocol)}://{self.get_domain(site)}"
        urls = []
        for item in self.paginator.page(page).object_list:
            lastmod = self.lastmod(item)
            urls.append(
                {
                    "item": item,
                    "location": prefix + self.location(item),
                    "lastmod": lastmod,
                    "lastmod_w3c": w3c(lastmod) if lastmod else "",
                }
            )
        lastmods = [url["lastmod"] for url in urls]
        if lastmods and None not in lastmods:
            self.latest_lastmod = max(lastmods)
        return urls


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
        flatpages = FlatPage.objects.filter(
            sites__id=settings.SITE_ID, registration_required=False
        ).order_by("url")
        return [
            Page(reverse("home"), newest_change(Article.objects.published())),
            *(Page(page.url) for page in flatpages if serves_flatpage(page.url)),
        ]

    def location(self, page: Page) -> str:
        return page.path

    def lastmod(self, page: Page) -> datetime | None:
        return page.lastmod

    def get_latest_lastmod(self) -> None:
        return None


class Addresses:
    """``reverse(viewname, kwargs=...)`` for many rows at the cost of string formatting.

    ``reverse()`` costs about 20 µs, most of an entry's cost. The route's pattern is taken
    from the URLconf once, by reversing a sample whose parts are recognisable path segments,
    and used only if it gives ``reverse()``'s own answer for a second, different set of
    values; otherwise every address goes through ``reverse()``.
    """

    def __init__(self, viewname: str, sample: dict, check: dict):
        self.viewname = viewname
        fields = {str(value): f"{{{name}}}" for name, value in sample.items()}
        pattern = "/".join(
            fields.get(part, part.replace("{", "{{").replace("}", "}}"))
            for part in reverse(viewname, kwargs=sample).split("/")
        )
        works = pattern.format(**check) == reverse(viewname, kwargs=check)
        self.pattern = pattern if works else None

    def __call__(self, **kwargs) -> str:
        if self.pattern is None:
            return reverse(self.viewname, kwargs=kwargs)
        return self.pattern.format(**kwargs)


def story_addresses() -> Addresses:
    """Addresses of stories, as ``articles.models.article_path`` makes them."""
    return Addresses(
        "articles:detail",
        sample={"section": "s-a_m", "year": 1987, "month": "11", "day": "29", "slug": "p-l_e"},
        check={"section": "c-h_k", "year": 2003, "month": "02", "day": "05", "slug": "x-y_z0"},
    )


def story_path(addresses: Addresses, section_slug: str, published_at: datetime, slug: str) -> str:
    """``article_path(section_slug, published_at, slug)``, through ``addresses``."""
    local = timezone.localtime(published_at)
    return addresses(
        section=section_slug,
        year=local.year,
        month=f"{local.month:02d}",
        day=f"{local.day:02d}",
        slug=slug,
    )


class ArticleSitemap(PublicSitemap):
    """Every indexable public story, oldest first, ``ARTICLES_PER_PAGE`` to a page; the index
    lists each page.

    Entries are rows of (section slug, publication time, slug, update time): a story's
    address and date need nothing else.
    """

    limit = ARTICLES_PER_PAGE

    @cached_property
    def addresses(self) -> Addresses:
        return story_addresses()

    def items(self):
        # Oldest first, so pages stay stable as stories are added at the end.
        return (
            indexable_stories()
            .order_by("published_at", "pk")
            .values_list("section__slug", "published_at", "slug", "updated_at")
        )

    def location(self, row: tuple) -> str:
        section_slug, published_at, slug, _ = row
        return story_path(self.addresses, section_slug, published_at, slug)

    def lastmod(self, row: tuple) -> datetime:
        _, published_at, _, updated_at = row
        return to_the_second(max(published_at, updated_at))

    def get_latest_lastmod(self) -> datetime | None:
        # Django's default would load every story to compare.
        return newest_change(indexable_stories())


class ListingSitemap(PublicSitemap):
    """Listing pages that have public stories, dated by the newest of them.

    A page is two queries: the listings (those with a public story, asked with ``Exists``,
    which stops at the first one), and the date of every listing from one GROUP BY over the
    public stories, where a subquery per listing would read its stories again for each row.
    The index needs neither the dates nor the GROUP BY: it counts the listings and takes the
    newest change of their stories from the indexes (``newest_change``).
    """

    model: type
    # The path from a story to its listing ("section"), and the listing page's route name.
    listed_by: str
    viewname: str
    ordering: tuple[str, ...]

    def public_stories(self, listing=None) -> QuerySet[Article]:
        """The public stories on ``listing`` (an ``OuterRef``), or on any of these listings."""
        on = (
            {self.listed_by: listing}
            if listing is not None
            else {f"{self.listed_by}__isnull": False}
        )
        return Article.objects.published().filter(**on)

    def items(self):
        public = self.public_stories(OuterRef("pk"))
        return (
            self.model.objects.filter(Exists(public))
            .order_by(*self.ordering)
            .values_list("pk", "slug")
        )

    @cached_property
    def newest_changes(self) -> dict[int, datetime]:
        """Each listing's newest public change, by listing id: one GROUP BY."""
        return dict(
            self.public_stories()
            .values(self.listed_by)
            .annotate(lastmod=Max(modified_at()))
            .values_list(self.listed_by, "lastmod")
            .order_by()
        )

    @cached_property
    def addresses(self) -> Addresses:
        return Addresses(self.viewname, sample={"slug": "s-a_m"}, check={"slug": "c-h_k0"})

    def location(self, listing: tuple) -> str:
        _, slug = listing
        return self.addresses(slug=slug)

    def lastmod(self, listing: tuple) -> datetime | None:
        pk, _ = listing
        return to_the_second(self.newest_changes.get(pk))

    def get_latest_lastmod(self) -> datetime | None:
        return newest_change(self.public_stories())


class SectionSitemap(ListingSitemap):
    model = Section
    listed_by = "section"
    viewname = "articles:section"
    ordering = ("position", "name")


class TagSitemap(ListingSitemap):
    model = Tag
    listed_by = "tagged_items__tag"
    viewname = "articles:tag"
    ordering = ("name", "pk")


class PersonSitemap(ListingSitemap):
    model = Person
    listed_by = "contributions__person"
    viewname = "people:detail"
    ordering = ("name", "pk")


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

    @cached_property
    def addresses(self) -> Addresses:
        return story_addresses()

    def items(self):
        since = timezone.now() - NEWS_WINDOW
        return (
            indexable_stories()
            .filter(published_at__gte=since)
            .order_by("-published_at", "-pk")
            .values("headline", "section__slug", "published_at", "slug", "updated_at")[:NEWS_LIMIT]
        )

    def location(self, story: dict) -> str:
        return story_path(
            self.addresses, story["section__slug"], story["published_at"], story["slug"]
        )

    def lastmod(self, story: dict) -> datetime:
        return to_the_second(max(story["published_at"], story["updated_at"]))

    def get_urls(self, page=1, site=None, protocol=None):
        publication = {"name": settings.NEWSROOM_NAME, "language": news_language()}
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        for url in urls:
            url["publication"] = publication
            url["publication_date"] = to_the_second(url["item"]["published_at"])
            url["publication_date_w3c"] = w3c(url["publication_date"])
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
