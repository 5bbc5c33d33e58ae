"""RSS 2.0 and Atom feeds of public stories: the whole site, and each section, tag and person.

Every feed shows the newest ``FEED_SIZE`` stories from ``Article.objects.published()``,
queried per request, in a fixed number of queries (stories with section, source and lead
image; bylines with people; tags). Items are partial: headline, link, summary, authors,
categories (section and tags), times and the lead image; the full text stays on the page,
where corrections, credits and related links go with it, and where agency copy is shown
under the terms it was licensed for.

An item's id is the story's UUID (``urn:uuid:…``), so it survives changes of slug, section
or date. Links are absolute on the public site (see ``newsroom.site.absolute_url``).
"""

from __future__ import annotations

import html
import mimetypes
import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.cache import cache
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Enclosure, Rss201rev2Feed
from django.utils.html import escape, strip_tags
from django.utils.text import Truncator

from newsroom.site import absolute_url
from people.models import Person

from .images import RENDITION_SETS
from .models import Article, Contribution, Image, Section, Tag, TaggedArticle

FEED_SIZE = 30
# The enclosure is the lead crop at the width the story page prints as its <img src>.
ENCLOSURE_RENDITION = "lead"
DC_NAMESPACE = "http://purl.org/dc/elements/1.1/"
BLOCK_END = re.compile(r"</(?:p|h[1-6]|li|blockquote)>|<br\s*/?>", re.IGNORECASE)


@dataclass(frozen=True)
class Author:
    name: str
    url: str | None = None


class NewsRssFeed(Rss201rev2Feed):
    """RSS 2.0 with one ``<dc:creator>`` per author.

    RSS's own ``<author>`` holds one e-mail address; Dublin Core's creator is what readers
    show for a name, and repeating it is how RSS gives a story several authors.
    """

    def rss_attributes(self):
        return {**super().rss_attributes(), "xmlns:dc": DC_NAMESPACE}

    def add_item_elements(self, handler, item):
        authors = item.get("authors")
        if not authors:
            super().add_item_elements(handler, item)
            return
        super().add_item_elements(handler, {**item, "author_name": None})
        for author in authors:
            handler.addQuickElement("dc:creator", author.name)


class NewsAtomFeed(Atom1Feed):
    """Atom with one ``<author>`` (name and page) per author, as RFC 4287 allows."""

    def add_item_elements(self, handler, item):
        authors = item.get("authors")
        if not authors:
            super().add_item_elements(handler, item)
            return
        super().add_item_elements(handler, {**item, "author_name": None})
        for author in authors:
            handler.startElement("author", {})
            handler.addQuickElement("name", author.name)
            if author.url:
                handler.addQuickElement("uri", author.url)
            handler.endElement("author")


def feed_stories(stories: QuerySet[Article]) -> QuerySet[Article]:
    """The newest public stories of ``stories``, with all an item prints."""
    tags = Prefetch(
        "tagged_items", queryset=TaggedArticle.objects.select_related("tag").order_by("tag__name")
    )
    # The search document is the biggest column and no feed prints it.
    return stories.for_listing().defer("search_vector").prefetch_related(tags)[:FEED_SIZE]


def body_text(body: str, words: int = 60) -> str:
    """The opening words of a story's HTML body, as plain text."""
    # Blocks end in a space, so paragraphs do not run into each other.
    spaced = BLOCK_END.sub(" ", body)
    return Truncator(" ".join(html.unescape(strip_tags(spaced)).split())).words(words)


def lead_image_enclosure(image: Image | None) -> Enclosure | None:
    """The lead image as an enclosure: its JPEG lead rendition, else the original file.

    An enclosure must state its length in bytes, which only storage knows. A rendition's
    name is never reused for other bytes (it carries the image's UUID and a signature of
    how it was made), so its size is cached for good and storage is asked once. An image
    without renditions (just uploaded, they are made after the save commits) falls back to
    the original file, asked each time; if storage cannot tell (the file is gone), the item
    goes out without an enclosure rather than with a wrong one.
    """
    if image is None or not image.file:
        return None
    storage = image.file.storage
    name = lead_jpeg_name(image)
    try:
        if name is not None:
            mime_type = "image/jpeg"
            size = cache.get_or_set(
                f"feeds:rendition-size:{name}", lambda: storage.size(name), timeout=None
            )
        else:
            name = image.file.name
            mime_type = mimetypes.guess_type(name)[0] or ""
            if not mime_type.startswith("image/"):
                return None
            size = storage.size(name)
    except (OSError, NotImplementedError):
        return None
    return Enclosure(absolute_url(storage.url(name)), str(size), mime_type)


def lead_jpeg_name(image: Image) -> str | None:
    """The stored name of the JPEG of the lead crop that the story page uses for ``src``."""
    spec = RENDITION_SETS[ENCLOSURE_RENDITION]
    sizes = (image.renditions or {}).get(spec.name, {}).get("sizes") or []
    fitting = [entry for entry in sizes if entry["width"] <= spec.src_width]
    entry = fitting[-1] if fitting else (sizes[0] if sizes else None)
    return entry.get("jpeg") if entry else None


class StoryFeed(Feed):
    """Feeds of the whole site; subclasses narrow the stories to one section, tag or person.

    One instance serves every request to its URL, so nothing per request is kept on it.
    """

    feed_type = NewsRssFeed
    url_name = "feeds:site_rss"

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        # The framework writes the XML into the response in a thousand small pieces, and
        # the WSGI server sends each piece as it comes: one piece, one send.
        response.content = response.content
        return response

    def stories(self, obj) -> QuerySet[Article]:
        return Article.objects.published()

    def items(self, obj):
        return feed_stories(self.stories(obj))

    def title(self, obj) -> str:
        return settings.NEWSROOM_NAME

    def description(self, obj) -> str:
        return f"The latest stories from {settings.NEWSROOM_NAME}."

    def link(self, obj) -> str:
        return absolute_url(obj.get_absolute_url() if obj else reverse("home"))

    def feed_url(self, obj) -> str:
        kwargs = {"slug": obj.slug} if obj else {}
        return absolute_url(reverse(self.url_name, kwargs=kwargs))

    def author_name(self, obj) -> str:
        # Atom needs an author for every entry; stories without a byline are the newsroom's.
        return settings.NEWSROOM_NAME

    def item_title(self, article: Article) -> str:
        return article.headline

    def item_description(self, article: Article) -> str:
        # RSS descriptions and Atom summaries (type="html") are HTML; the summary is text.
        text = article.summary or article.deck or body_text(article.body)
        return escape(text)

    def item_link(self, article: Article) -> str:
        return absolute_url(article.get_absolute_url())

    def item_guid(self, article: Article) -> str:
        return article.uuid.urn

    item_guid_is_permalink = False

    def item_pubdate(self, article: Article):
        return article.published_at

    def item_updateddate(self, article: Article):
        return max(article.published_at, article.updated_at)

    def item_author_name(self, article: Article) -> str | None:
        """All the names, for generators that print one author (the feeds here print each)."""
        return ", ".join(author.name for author in self.item_authors(article)) or None

    def item_authors(self, article: Article) -> list[Author]:
        bylines = article.listing_bylines
        if bylines:
            return [
                Author(c.person.name, absolute_url(c.person.get_absolute_url())) for c in bylines
            ]
        if article.source:
            # Unsigned agency copy: the agency is the author.
            return [Author(article.source.name, article.source.url or None)]
        return []

    def item_categories(self, article: Article) -> list[str]:
        return [article.section.name, *(tag.name for tag in article.tag_list)]

    def item_enclosures(self, article: Article) -> list[Enclosure]:
        enclosure = lead_image_enclosure(article.lead_image)
        return [enclosure] if enclosure else []

    def item_extra_kwargs(self, article: Article) -> dict:
        return {"authors": self.item_authors(article)}


class AtomFeedMixin:
    """The same feed in Atom, whose subtitle plays the part of RSS's description."""

    feed_type = NewsAtomFeed

    def subtitle(self, obj) -> str:
        return self.description(obj)


class SiteFeed(StoryFeed):
    pass


class SiteAtomFeed(AtomFeedMixin, SiteFeed):
    url_name = "feeds:site_atom"


class SectionFeed(StoryFeed):
    url_name = "feeds:section_rss"

    def get_object(self, request, slug: str) -> Section:
        # DoesNotExist becomes a 404 in Feed.__call__.
        return Section.objects.get(slug=slug)

    def stories(self, section: Section) -> QuerySet[Article]:
        return Article.objects.published().filter(section=section)

    def title(self, section: Section) -> str:
        return f"{settings.NEWSROOM_NAME}: {section.name}"

    def description(self, section: Section) -> str:
        return section.description or (
            f"The latest {section.name} stories from {settings.NEWSROOM_NAME}."
        )


class SectionAtomFeed(AtomFeedMixin, SectionFeed):
    url_name = "feeds:section_atom"


class TagFeed(StoryFeed):
    url_name = "feeds:tag_rss"

    def get_object(self, request, slug: str) -> Tag:
        return Tag.objects.get(slug=slug)

    def stories(self, tag: Tag) -> QuerySet[Article]:
        return Article.objects.published().filter(tagged_items__tag=tag)

    def title(self, tag: Tag) -> str:
        return f"{settings.NEWSROOM_NAME}: {tag.name}"

    def description(self, tag: Tag) -> str:
        return f"The latest stories tagged “{tag.name}” from {settings.NEWSROOM_NAME}."


class TagAtomFeed(AtomFeedMixin, TagFeed):
    url_name = "feeds:tag_atom"


class PersonFeed(StoryFeed):
    url_name = "feeds:person_rss"

    def get_object(self, request, slug: str) -> Person:
        return Person.objects.get(slug=slug)

    def stories(self, person: Person) -> QuerySet[Article]:
        # As on the person's page: every story they are credited on, byline or credit.
        credited = Contribution.objects.filter(person=person).values("article_id")
        return Article.objects.published().filter(pk__in=credited)

    def title(self, person: Person) -> str:
        return f"{settings.NEWSROOM_NAME}: {person.name}"

    def description(self, person: Person) -> str:
        return f"The latest stories from {settings.NEWSROOM_NAME} credited to {person.name}."


class PersonAtomFeed(AtomFeedMixin, PersonFeed):
    url_name = "feeds:person_atom"
