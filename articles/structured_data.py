"""What a page tells machines: schema.org JSON-LD, Open Graph and Twitter tags, canonical URLs.

Pure functions of what the view already loaded and the request. They never query: an
article comes from ``Article.objects.for_page()`` (section, source and lead image joined;
bylines, credits, tags and corrections prefetched), so its page keeps its query budget.
Absolute URLs come from the request, so they carry the host and scheme readers used; behind
a proxy Django must be told to trust its forwarded headers (``SECURE_PROXY_SSL_HEADER``,
``USE_X_FORWARDED_HOST``).

Only public pages get a canonical URL, social tags and JSON-LD. Previews and withdrawn
stories get ``noindex`` and nothing that would describe them to search engines. Related
links are never carried: the page shows them, and leaving them out means no JSON-LD block
can name a story readers cannot see.

Syndicated copy (a story with an ``original_url``) takes one of the two treatments search
engines document for partners: ``rel=canonical`` to the original, or ``noindex`` (with no
canonical, which would contradict it). Both name the source in the JSON-LD.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from html import unescape
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html, strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language, to_locale

from newsroom.site import absolute_url
from people.models import Person

from .images import rendition_url
from .models import Article, ArticleType, Correction, Image, Section, Syndication, Tag

SCHEMA_CONTEXT = "https://schema.org"
# Google shows at most this much of a headline and advises no longer.
HEADLINE_MAX = 110
# Long enough for a full summary; search engines cut what they show themselves.
DESCRIPTION_MAX = 300
# Rendition sets of articles.images offered to machines, best first, each as (set, least
# width). Google asks for wide (16:9), 4:3 and square pictures of 50,000 pixels or more, and
# 1,200 pixels wide for large previews; the 3:2 card stands in for 4:3. A width beyond any
# rendition asks for the set's widest.
WIDEST = 100_000
ARTICLE_IMAGE_SETS = (("lead", 1200), ("card", WIDEST), ("square", WIDEST))
PORTRAIT_IMAGE_SETS = (("square", WIDEST),)

# Lets large image previews in search and Discover; indexable pages carry it.
INDEXABLE_ROBOTS = "max-image-preview:large"
PREVIEW_ROBOTS = "noindex, nofollow"
NOINDEX_ROBOTS = "noindex"
# Search results are endless variations of the site's own pages: followed, not indexed.
SEARCH_ROBOTS = "noindex, follow"

# Wordmark for schema.org's publisher logo (a raster fitting 600x60) and a square mark for
# the Organization and for social cards of pages without a picture. Settings may swap them.
DEFAULT_LOGO = {"path": "img/logo.png", "width": 600, "height": 60}
DEFAULT_MARK = {"path": "img/logo-square.png", "width": 512, "height": 512}
DEFAULT_STANDARDS_URL = "/standards/"

# The article type as schema.org's NewsArticle subtypes; the rest are plain NewsArticle.
SCHEMA_TYPES = {
    ArticleType.NEWS: "ReportageNewsArticle",
    ArticleType.ANALYSIS: "AnalysisNewsArticle",
    ArticleType.OPINION: "OpinionNewsArticle",
    ArticleType.EXPLAINER: "BackgroundNewsArticle",
    ArticleType.REVIEW: "ReviewNewsArticle",
    # Paid-for copy is not journalism: schema.org's type for it is an Article, not news.
    ArticleType.SPONSORED: "AdvertiserContentArticle",
}

# Corrections and clarifications both amend what the story said, so both are schema.org
# CorrectionComments. Updates add news rather than fix it: they move dateModified instead.
CORRECTION_KINDS = (Correction.Kind.CORRECTION, Correction.Kind.CLARIFICATION)

# Credited roles that are editing (schema.org ``editor``); any other credit is a contributor.
EDITOR_ROLE = re.compile(r"\beditor\b", re.IGNORECASE)

# Where one block of sanitised HTML ends and the next begins: a space there keeps words apart.
_BLOCK_END = re.compile(r"</(?:p|h[1-6]|li|blockquote)>|<br\s*/?>", re.IGNORECASE)

# Escapes that keep JSON inside <script> from closing it or opening a comment, as Django's
# json_script filter does; the JSON means the same.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@dataclass(frozen=True)
class ImageRef:
    """An image as pages describe it to machines: absolute URL, size when known, alt text."""

    url: str
    width: int | None = None
    height: int | None = None
    alt: str = ""
    caption: str = ""
    credit: str = ""

    def as_schema(self) -> dict[str, Any]:
        data: dict[str, Any] = {"@type": "ImageObject", "url": self.url, "contentUrl": self.url}
        if self.width and self.height:
            data.update(width=self.width, height=self.height)
        if self.caption or self.alt:
            data["caption"] = self.caption or self.alt
        if self.credit:
            data["creditText"] = self.credit
        return data


@dataclass
class PageMeta:
    """What ``includes/page_meta.html`` prints in a page's <head>.

    ``url`` is set only for public pages: without it no Open Graph, Twitter or canonical tag
    is printed. ``canonical`` may be another site's address (syndicated copy) or None.
    """

    site_name: str
    title: str
    description: str
    robots: str = ""
    url: str = ""
    canonical: str | None = None
    og_type: str = "website"
    image: ImageRef | None = None
    # Further Open Graph properties in order, e.g. ("article:tag", "Governance").
    og_properties: list[tuple[str, str]] = field(default_factory=list)
    json_ld: list[dict[str, Any]] = field(default_factory=list)
    # A picture worth the large social card (a story's photo, not the site's mark).
    large_image: bool = False

    @property
    def locale(self) -> str:
        return to_locale(get_language() or settings.LANGUAGE_CODE)

    @property
    def twitter_card(self) -> str:
        return "summary_large_image" if self.image and self.large_image else "summary"

    def head_html(self) -> SafeString:
        """The tags, as ``includes/page_meta.html`` prints them after its icons.

        Printed here rather than in the template: some forty lookups a page, on every page,
        cost a tenth of an article page's time. ``articles/tests/test_page_meta_html.py``
        holds the template this replaced and proves every kind of page prints the same.
        """
        esc = conditional_escape
        out = [f'<meta name="description" content="{esc(self.description)}">\n  ']
        if self.robots:
            out.append(f'<meta name="robots" content="{esc(self.robots)}">\n  ')
        if not self.url:
            return SafeString("".join(out))
        if self.canonical:
            out.append(f'<link rel="canonical" href="{esc(self.canonical)}">\n  ')
        out.append(
            f'<meta property="og:site_name" content="{esc(self.site_name)}">\n  '
            f'<meta property="og:locale" content="{esc(self.locale)}">\n  '
            f'<meta property="og:type" content="{esc(self.og_type)}">\n  '
            f'<meta property="og:title" content="{esc(self.title)}">\n  '
            f'<meta property="og:description" content="{esc(self.description)}">\n  '
            f'<meta property="og:url" content="{esc(self.url)}">\n  '
        )
        image = self.image
        if image:
            out.append(f'<meta property="og:image" content="{esc(image.url)}">\n  ')
            if image.width and image.height:
                out.append(
                    f'<meta property="og:image:width" content="{esc(localize(image.width))}">'
                    f'\n  <meta property="og:image:height" '
                    f'content="{esc(localize(image.height))}">\n  '
                )
            if image.alt:
                out.append(f'<meta property="og:image:alt" content="{esc(image.alt)}">\n  ')
        out.extend(
            f'<meta property="{esc(name)}" content="{esc(value)}">\n  '
            for name, value in self.og_properties
        )
        out.append(
            f'<meta name="twitter:card" content="{esc(self.twitter_card)}">\n  '
            f'<meta name="twitter:title" content="{esc(self.title)}">\n  '
            f'<meta name="twitter:description" content="{esc(self.description)}">\n  '
        )
        if image:
            out.append(f'<meta name="twitter:image" content="{esc(image.url)}">\n  ')
            if image.alt:
                out.append(f'<meta name="twitter:image:alt" content="{esc(image.alt)}">\n  ')
        out.extend(f"{json_ld_script(data)}\n  " for data in self.json_ld)
        return SafeString("".join(out))


# --- Small helpers -------------------------------------------------------------------------


def site_name() -> str:
    return settings.NEWSROOM_NAME


def site_description() -> str:
    given = getattr(settings, "NEWSROOM_DESCRIPTION", "")
    return given or f"The latest stories from {site_name()}."


def absolute(request, url: str) -> str:
    """``url`` on the public site (see ``newsroom.site``); absolute URLs pass through."""
    return absolute_url(url)


def iso(value: datetime) -> str:
    """ISO 8601 in the newsroom's time with its offset, as the page's dateline prints it."""
    return timezone.localtime(value).isoformat(timespec="seconds")


def language_tag() -> str:
    """The site's language as a BCP 47 tag: "en-us" becomes "en-US"."""
    language, _, region = (get_language() or settings.LANGUAGE_CODE).partition("-")
    return f"{language}-{region.upper()}" if region else language


def plain(text: str, limit: int = DESCRIPTION_MAX) -> str:
    """Plain text for a description: one line, at most ``limit`` characters."""
    return Truncator(" ".join(text.split())).chars(limit)


def text_of_html(html: str, limit: int = DESCRIPTION_MAX) -> str:
    """The words of sanitised HTML (a body, a flat page), blocks kept apart by a space."""
    return plain(unescape(strip_tags(_BLOCK_END.sub(r"\g<0> ", html))), limit)


def with_page(path: str, page_number: int | None) -> str:
    """A listing's address: page 1 has none of the query string, later pages keep theirs."""
    return f"{path}?page={page_number}" if page_number and page_number > 1 else path


def json_ld_script(data: dict[str, Any]) -> SafeString:
    """``data`` as a JSON-LD <script> element that no string inside it can break out of."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    return format_html(
        '<script type="application/ld+json">{}</script>',
        mark_safe(text.translate(_SCRIPT_ESCAPES)),  # noqa: S308 - escaped for <script> above
    )


def site_logo(request, *, square: bool = False) -> ImageRef:
    if square:
        conf = getattr(settings, "NEWSROOM_LOGO_SQUARE", DEFAULT_MARK)
    else:
        conf = getattr(settings, "NEWSROOM_LOGO", DEFAULT_LOGO)
    return ImageRef(
        url=absolute(request, static(conf["path"])),
        width=conf["width"],
        height=conf["height"],
        alt=f"{site_name()} logo",
    )


def home_url(request) -> str:
    return absolute(request, reverse("home"))


def publisher(request) -> dict[str, Any]:
    """The newsroom as a schema.org NewsMediaOrganization, with its logo and its standards."""
    home = home_url(request)
    standards = absolute(
        request, getattr(settings, "NEWSROOM_STANDARDS_URL", DEFAULT_STANDARDS_URL)
    )
    return {
        "@type": "NewsMediaOrganization",
        "@id": f"{home}#publisher",
        "name": site_name(),
        "url": home,
        "logo": site_logo(request).as_schema(),
        # The standards page is also the corrections policy (a Trust Project indicator).
        "publishingPrinciples": standards,
        "correctionsPolicy": standards,
    }


# --- Images --------------------------------------------------------------------------------


def image_refs(image: Image | None, request, sets=ARTICLE_IMAGE_SETS) -> list[ImageRef]:
    """``image`` as machines should take it: one JPEG of each rendition set in ``sets``
    (set name, least width), or the original upload until its renditions are made.
    """
    if image is None or not image.file:
        return []
    about = {"alt": image.alt_text, "caption": image.caption, "credit": image.credit}
    refs = []
    for set_name, min_width in sets:
        found = rendition_url(image, set_name, min_width)
        if found is not None:
            url = absolute(request, found["url"])
            refs.append(ImageRef(url, found["width"], found["height"], **about))
    if not refs:
        url = absolute(request, image.file.url)
        refs.append(ImageRef(url, image.width or None, image.height or None, **about))
    return refs


# --- Articles ------------------------------------------------------------------------------


def is_syndicated(article: Article) -> bool:
    return bool(article.original_url)


def canonical_url(article: Article, request, *, own_url: str | None = None) -> str | None:
    """Where search engines should index this story: the original for syndicated copy with
    the canonical treatment, nowhere (None) with the noindex treatment, else its own page
    (``own_url``, its absolute address, when the caller has it).
    """
    if is_syndicated(article):
        if article.syndication == Syndication.NOINDEX:
            return None
        return article.original_url
    return own_url or absolute(request, article.get_absolute_url())


def article_robots(article: Article) -> str:
    if is_syndicated(article) and article.syndication == Syndication.NOINDEX:
        return NOINDEX_ROBOTS
    return INDEXABLE_ROBOTS


def article_description(article: Article) -> str:
    """The summary, else the deck, else the opening of the story."""
    return (
        plain(article.summary)
        or plain(article.deck)
        or text_of_html(article.body)
        or site_description()
    )


def date_modified(article: Article) -> datetime:
    # A story edited before its scheduled time was modified "before" it was published.
    return max(article.updated_at, article.published_at)


def person_schema(person: Person, request) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@type": "Person",
        "name": person.name,
        "url": absolute(request, person.get_absolute_url()),
    }
    if person.job_title:
        data["jobTitle"] = person.job_title
    if person.affiliation:
        data["worksFor"] = {"@type": "Organization", "name": person.affiliation}
    return data


def _people(people: Iterable[Person], request) -> list[dict[str, Any]]:
    seen: set[int] = set()
    listed = []
    for person in people:
        if person.pk not in seen:
            seen.add(person.pk)
            listed.append(person_schema(person, request))
    return listed


def news_article(
    article: Article,
    request,
    *,
    own_url: str | None = None,
    description: str | None = None,
    pictures: list[ImageRef] | None = None,
) -> dict[str, Any]:
    """The story as schema.org NewsArticle (or the subtype its label names), for JSON-LD.

    ``article`` must be live and loaded with ``for_page()``. ``own_url`` (absolute),
    ``description`` and ``pictures`` (``image_refs``) spare working them out again when the
    caller has them.
    """
    if own_url is None:
        own_url = absolute(request, article.get_absolute_url())
    page_url = canonical_url(article, request, own_url=own_url) or own_url
    data: dict[str, Any] = {
        "@context": SCHEMA_CONTEXT,
        "@type": SCHEMA_TYPES.get(article.article_type, "NewsArticle"),
        "headline": Truncator(article.headline).chars(HEADLINE_MAX),
        "description": article_description(article) if description is None else description,
        "url": page_url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": page_url},
        "datePublished": iso(article.published_at),
        "dateModified": iso(date_modified(article)),
        "author": _people((c.person for c in article.bylines), request),
        "publisher": publisher(request),
        "articleSection": article.section.name,
        "keywords": [tag.name for tag in article.tag_list],
        "inLanguage": language_tag(),
        "isAccessibleForFree": True,
    }
    editors = [c.person for c in article.credits if EDITOR_ROLE.search(c.role)]
    if editors:
        data["editor"] = _people(editors, request)
    contributors = [c.person for c in article.credits if not EDITOR_ROLE.search(c.role)]
    if contributors:
        data["contributor"] = _people(contributors, request)
    if pictures is None:
        pictures = image_refs(article.lead_image, request)
    if pictures:
        data["image"] = [ref.as_schema() for ref in pictures]
    if article.dateline_place and data["@type"].endswith("NewsArticle"):
        data["dateline"] = article.dateline_place
    if article.source:
        organization = {"@type": "Organization", "name": article.source.name}
        if article.source.url:
            organization["url"] = article.source.url
        data["sourceOrganization"] = organization
    if is_syndicated(article):
        data["isBasedOn"] = article.original_url
    corrections = [
        {
            "@type": "CorrectionComment",
            "name": correction.get_kind_display(),
            "text": correction.text,
            "datePublished": iso(correction.created_at),
        }
        for correction in article.corrections.all()
        if correction.kind in CORRECTION_KINDS
    ]
    if corrections:
        data["correction"] = corrections
    return data


def article_meta(article: Article, request) -> PageMeta:
    """A live story's page: canonical (per its syndication), social tags and NewsArticle."""
    pictures = image_refs(article.lead_image, request)
    own_url = absolute(request, article.get_absolute_url())
    canonical = canonical_url(article, request, own_url=own_url)
    description = article_description(article)
    authors = [absolute(request, c.person.get_absolute_url()) for c in article.bylines]
    properties = [
        ("article:published_time", iso(article.published_at)),
        ("article:modified_time", iso(date_modified(article))),
        ("article:section", article.section.name),
        *(("article:author", url) for url in authors),
        *(("article:tag", tag.name) for tag in article.tag_list),
    ]
    return PageMeta(
        site_name=site_name(),
        title=article.headline,
        description=description,
        robots=article_robots(article),
        url=canonical or own_url,
        canonical=canonical,
        og_type="article",
        image=pictures[0] if pictures else site_logo(request, square=True),
        large_image=bool(pictures),
        og_properties=properties,
        json_ld=[
            news_article(
                article, request, own_url=own_url, description=description, pictures=pictures
            )
        ],
    )


def private_meta(*, robots: str, description: str = "") -> PageMeta:
    """A page search engines must not index (a preview, a withdrawn story): no canonical, no
    social tags, no structured data.
    """
    return PageMeta(
        site_name=site_name(),
        title=site_name(),
        description=description or site_description(),
        robots=robots,
    )


# --- Other pages ---------------------------------------------------------------------------


def listing_meta(
    request,
    *,
    title: str,
    description: str,
    page_number: int | None = None,
    og_type: str = "website",
    image: ImageRef | None = None,
    json_ld: Iterable[dict[str, Any]] = (),
) -> PageMeta:
    """Any other public page: its own address (with its page number) is canonical."""
    url = absolute(request, with_page(request.path, page_number))
    return PageMeta(
        site_name=site_name(),
        title=title,
        description=plain(description),
        robots=INDEXABLE_ROBOTS,
        url=url,
        canonical=url,
        og_type=og_type,
        image=image or site_logo(request, square=True),
        json_ld=list(json_ld),
    )


def home_meta(request, page_number: int | None = None) -> PageMeta:
    """The front page, with the site and its publisher described for search engines."""
    home = home_url(request)
    organization = publisher(request)
    organization["logo"] = site_logo(request, square=True).as_schema()
    website = {
        "@type": "WebSite",
        "@id": f"{home}#website",
        "name": site_name(),
        "url": home,
        "description": site_description(),
        "inLanguage": language_tag(),
        "publisher": {"@id": organization["@id"]},
    }
    return listing_meta(
        request,
        title=site_name(),
        description=site_description(),
        page_number=page_number,
        json_ld=[{"@context": SCHEMA_CONTEXT, "@graph": [website, organization]}],
    )


def section_meta(section: Section, request, page_number: int | None = None) -> PageMeta:
    return listing_meta(
        request,
        title=section.name,
        description=section.description or f"{section.name} stories from {site_name()}.",
        page_number=page_number,
    )


def tag_meta(tag: Tag, request, page_number: int | None = None) -> PageMeta:
    return listing_meta(
        request,
        title=tag.name,
        description=f"Stories tagged “{tag.name}” from {site_name()}.",
        page_number=page_number,
    )


def flatpage_meta(flatpage, request) -> PageMeta:
    """A page of the site's own (the standards page, say)."""
    return listing_meta(request, title=flatpage.title, description=text_of_html(flatpage.content))


def generic_meta(request, page_number: int | None = None, **given: str) -> PageMeta:
    """A page without a builder of its own; a view may name its ``title`` and
    ``description``.
    """
    return listing_meta(
        request,
        title=given.get("title") or site_name(),
        description=given.get("description") or site_description(),
        page_number=page_number,
    )


def person_meta(person: Person, request, page_number: int | None = None) -> PageMeta:
    """A person's page: a profile, described as schema.org ProfilePage for their bylines."""
    about = ", ".join(part for part in (person.job_title, person.affiliation) if part)
    description = person.bio or (
        f"{person.name}{f', {about}' if about else ''}: stories on {site_name()}."
    )
    photos = image_refs(person.photo, request, PORTRAIT_IMAGE_SETS) if person.photo_id else []
    subject = person_schema(person, request)
    if person.bio:
        subject["description"] = plain(person.bio)
    if person.expertise:
        subject["knowsAbout"] = person.expertise
    if photos:
        subject["image"] = photos[0].as_schema()
    profile = {
        "@context": SCHEMA_CONTEXT,
        "@type": "ProfilePage",
        "url": absolute(request, person.get_absolute_url()),
        "mainEntity": subject,
    }
    return listing_meta(
        request,
        title=person.name,
        description=description,
        page_number=page_number,
        og_type="profile",
        image=photos[0] if photos else None,
        json_ld=[profile],
    )
