"""``{% story_items articles %}`` and ``{% story_card %}``: the story lists of public pages.

Section, tag, person, archive and home pages print 20 or more stories each. As templates, a
story was an include (``story_card.html``) with a nested include (``card_image.html``) and an
inclusion tag rendering ``picture.html`` inside it: three context pushes and dozens of
variable lookups a story. On the 10,000-story database that was about 3 ms of a 12 ms section
page whose SQL takes 2 ms. Here a story is a few formatted strings, printing exactly what
those templates printed (newlines included), so pages are byte-for-byte the same.

Both tags read the same flags from the template context, as the include did:
``heading_level`` (3 prints ``<h3>``, anything else ``<h2>``), ``show_section`` (the story's
section after its type), ``show_summary`` and ``show_image`` (printed unless False), ``lead``
(the front page's top story: the 16:9 "lead" picture, loaded eagerly). ``story_items`` also
takes the list; ``story_card`` prints the story in the context's ``article``.
``{% front_lead %}`` and ``{% front_sections %}`` print the front page's lead story and its
section blocks, as ``home.html`` printed them around the same card.

Stories are printed from ``ListedStory`` rows (``listed_stories()``): only the columns a
card prints, without model instances. ``story_items`` reads a listing query it is given
that way (a ``ListView`` page's ``object_list``); a list of ``for_listing()`` model
instances prints the same. What every card of a list shares is looked up once
(``_Shared``), and what depends only on a story's columns (its address, its picture) is
remembered per process. Before, the 52 stories of the front page cost about 20 ms of a
22 ms page on the 10,000-story database; the page now takes about 5.5 ms.
"""

import json
from collections import defaultdict
from datetime import datetime
from functools import lru_cache

from django import template
from django.conf import settings
from django.db.models import QuerySet, TextField
from django.db.models.fields.files import FieldFile
from django.db.models.functions import Cast
from django.urls import get_script_prefix, get_urlconf
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.safestring import SafeString

from articles.images import picture_html, printed, url_base
from articles.models import Article, Contribution, Image, Section, article_path
from newsroom.prepared import PreparedQuery

register = template.Library()

CARD_SIZES = "(min-width: 40rem) 10rem, 6.5rem"
LEAD_SIZES = "(min-width: 64rem) 46rem, calc(100vw - 2rem)"


# --- The rows a list prints ----------------------------------------------------------------
# A list of stories read as model instances cost more than the rest of its page: every story
# came with its section, lead image, bylines and their people, each a model instance with
# its signals, and with columns no card prints (the body, the search document, the image's
# every rendition). ``listed_stories()`` reads only what a card prints, as plain values, in
# as many queries as ``for_listing()``: the stories, then their bylines.

STORY_COLUMNS = (
    "pk",
    "headline",
    "slug",
    "summary",
    "article_type",
    "published_at",
    "section_id",
    "section__name",
    "section__slug",
    "section__position",
    "lead_image_id",
    "lead_image__file",
    "lead_image__width",
    "lead_image__height",
    "lead_image__alt_text",
)
# The image's renditions as the column's text, decoded by ``_renditions``.
RENDITIONS_TEXT = Cast("lead_image__renditions", TextField())
SECTION_FIELDS = ("id", "name", "slug", "position")

_ARTICLE_TYPES = dict(Article._meta.get_field("article_type").flatchoices)
_IMAGE_FILE = Image._meta.get_field("file")


@lru_cache(maxsize=2048)
def _renditions(text: str | None) -> dict:
    """``Image.renditions`` from its JSON text, decoded once per process for each text.

    A page prints the same few dozen images request after request, and decoding their
    renditions cost more than the rest of reading them. The dict is shared: read it only.
    """
    return json.loads(text) if text else {}


class ListedImage:
    """A story's lead image as lists print it: what ``picture_html`` reads of an ``Image``.

    ``file`` is the stored file as the model has it (its storage gives the URLs);
    ``renditions`` is shared between requests (see ``_renditions``): read it only.
    """

    __slots__ = ("alt_text", "file_name", "height", "pk", "renditions_text", "width")

    def __init__(self, pk, file_name, width, height, alt_text, renditions_text):
        self.pk = pk
        self.file_name = file_name
        self.width = width
        self.height = height
        self.alt_text = alt_text
        self.renditions_text = renditions_text

    @property
    def file(self) -> FieldFile:
        return FieldFile(self, _IMAGE_FILE, self.file_name)

    @property
    def renditions(self) -> dict:
        return _renditions(self.renditions_text)


def _picture(image, set_name: str, sizes: str, picture_base: str | None) -> str:
    """``picture_html(image, set_name, sizes=sizes, css_class="card-image")``.

    For a ``ListedImage``, remembered (see ``_remembered_picture``) when ``picture_base``
    (``_Shared.picture_base``) is not None.
    """
    if picture_base is not None and image.__class__ is ListedImage:
        return _remembered_picture(
            picture_base,
            image.file_name,
            image.width,
            image.height,
            image.alt_text,
            image.renditions_text,
            set_name,
            sizes,
        )
    return picture_html(image, set_name, sizes=sizes, css_class="card-image")


@lru_cache(maxsize=2048)
def _remembered_picture(
    base_url, file_name, width, height, alt_text, renditions_text, set_name, sizes
) -> str:
    """A card's ``<picture>``, printed once per process for each image as it is.

    ``picture_html`` reads nothing else: the image's columns (its renditions as recorded),
    the set and the sizes, and URLs that a storage with ``url_base()`` makes from
    ``base_url`` and names alone; widths and heights print as plain numbers without
    thousand separators. A page prints the same two dozen pictures request after request.
    """
    image = ListedImage(None, file_name, width, height, alt_text, renditions_text)
    return picture_html(image, set_name, sizes=sizes, css_class="card-image")


class ListedStory:
    """A published story as lists print it (see ``card_html``), read by ``listed_stories()``.

    ``section`` is a ``Section`` with its name, slug and position (one instance for all the
    page's stories of that section), ``lead_image`` a ``ListedImage`` or None,
    ``byline_names`` the names of the byline in order.
    """

    __slots__ = (
        "__dict__",  # what the query annotated, when asked for (see ``listed_stories``)
        "article_type",
        "byline_names",
        "headline",
        "lead_image",
        "pk",
        "published_at",
        "section",
        "slug",
        "summary",
    )

    def get_absolute_url(self) -> str:
        # Published stories always have their publication time.
        return article_path(self.section.slug, self.published_at, self.slug)

    def get_article_type_display(self) -> str:
        return _ARTICLE_TYPES.get(self.article_type, self.article_type)

    def __repr__(self) -> str:
        return f"<ListedStory {self.pk}: {self.headline}>"


def listed_stories(stories: QuerySet, *annotations: str) -> list[ListedStory]:
    """The stories of ``stories`` (``published()``, filtered, ordered or sliced as the page
    needs; ``for_listing()``'s related objects are not used) as ``ListedStory`` rows, in
    its order, in two queries: the stories (with their section and lead image), then their
    bylines (only when there are stories), as ``for_listing()`` and its prefetch.

    ``annotations`` names values the query annotated (e.g. row numbers), set on each row.
    """
    rows = stories.prefetch_related(None).values_list(
        *STORY_COLUMNS, RENDITIONS_TEXT, *annotations
    )
    return _listed(rows, stories.db, annotations)


# The front page's stories by their kept ids, and any list's bylines: the same shape on
# every request, so compiled once (newsroom.prepared) per number of ids.
_STORIES_BY_ID = PreparedQuery(
    lambda ids, now: (
        Article.objects.published(now)
        .filter(pk__in=ids)
        .order_by()
        .values_list(*STORY_COLUMNS, RENDITIONS_TEXT)
    )
)
_BYLINES = PreparedQuery(
    lambda ids: (
        Contribution.objects.filter(kind=Contribution.Kind.BYLINE, article__in=ids)
        .order_by("position", "pk")
        .values_list("article_id", "person__name")
    )
)


def listed_stories_by_id(ids: list[int], now: datetime | None = None) -> list[ListedStory]:
    """The published stories (at ``now``, the current time unless given) among ``ids`` as
    ``ListedStory`` rows, in no particular order; ``listed_stories()`` as prepared queries.
    """
    if not ids:
        return []
    rows = _STORIES_BY_ID(ids=list(ids), now=now or timezone.now())
    return _listed(rows, rows.db, ())


def _listed(rows, db: str, annotations: tuple[str, ...]) -> list[ListedStory]:
    sections: dict[int, Section] = {}
    listed = []
    for row in rows:
        story = ListedStory()
        (
            story.pk,
            story.headline,
            story.slug,
            story.summary,
            story.article_type,
            story.published_at,
            section_id,
            section_name,
            section_slug,
            section_position,
            image_id,
            file_name,
            width,
            height,
            alt_text,
            renditions_text,
            *annotated,
        ) = row
        if (section := sections.get(section_id)) is None:
            section = sections[section_id] = Section.from_db(
                db, SECTION_FIELDS, (section_id, section_name, section_slug, section_position)
            )
        story.section = section
        if image_id is None:
            story.lead_image = None
        else:
            story.lead_image = ListedImage(
                image_id, file_name, width, height, alt_text, renditions_text
            )
        for name, value in zip(annotations, annotated, strict=True):
            setattr(story, name, value)
        listed.append(story)
    if listed:
        names = defaultdict(list)
        for article_id, name in _BYLINES(ids=[story.pk for story in listed], using=db):
            names[article_id].append(name)
        for story in listed:
            story.byline_names = names.get(story.pk, [])
    return listed


def _as_listed(articles):
    """``articles`` ready to print: a query of stories not run yet is read as rows
    (``listed_stories``); a list, or a query already run, is printed as it is.
    """
    if (
        isinstance(articles, QuerySet)
        and articles.model is Article
        and articles._result_cache is None
    ):
        return listed_stories(articles)
    return articles if articles is not None else ()


def _flags(context) -> dict:
    return {
        name: context.get(name)
        for name in ("heading_level", "show_section", "show_summary", "show_image", "lead")
    }


def _byline_names(article) -> list[str]:
    """The names of a story's byline: a ``ListedStory``'s, or a model's ``listing_bylines``."""
    if article.__class__ is ListedStory:
        return article.byline_names
    return [c.person.name for c in getattr(article, "listing_bylines", None) or ()]


def _names(names: list[str]) -> str:
    """Escaped names, joined as "A", "A and B" or "A, B and C"."""
    names = [printed(name) for name in names]
    if len(names) < 2:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


class _Shared:
    """What the cards of one list look up once rather than per story: the current time
    zone, URLconf and script prefix (for story addresses, see ``_story_url``), month names
    in the current language, section addresses (section pk -> URL), and what pictures
    depend on (see ``_remembered_picture``).
    """

    __slots__ = ("months", "picture_base", "prefix", "section_urls", "urlconf", "zone")

    def __init__(self):
        self.zone = timezone.get_current_timezone() if settings.USE_TZ else None
        self.urlconf = get_urlconf()
        self.prefix = get_script_prefix()
        self.months: dict[int, str] = {}
        self.section_urls: dict[int, str] = {}
        # What a listed image's printed picture depends on besides its columns, when that is
        # all: the storage's base URL, and widths printed without thousand separators.
        self.picture_base = (
            None if settings.USE_THOUSAND_SEPARATOR else url_base(_IMAGE_FILE.storage)
        )

    def story_url(self, article) -> str:
        """The story's address, escaped (see ``_story_url``)."""
        if article.__class__ is ListedStory:
            return _story_url(
                self.urlconf,
                self.prefix,
                self.zone,
                article.section.slug,
                article.published_at,
                article.slug,
            )
        return printed(article.get_absolute_url())

    def time(self, value) -> str:
        """The ``<time>`` of a story (see ``_time``)."""
        if value is None:
            return '<time datetime=""></time>'
        # template_localtime(): aware datetimes in the current time zone, when USE_TZ.
        if (
            self.zone is not None
            and isinstance(value, datetime)
            and value.utcoffset() is not None
            and getattr(value, "convert_to_local_time", True)
        ):
            value = value.astimezone(self.zone)
        if (month := self.months.get(value.month)) is None:
            month = self.months[value.month] = printed(str(MONTHS[value.month]))
        return (
            f'<time datetime="{printed(value.isoformat())}">{value.hour:02d}:{value.minute:02d}, '
            f"{month} {value.day}, {value.year:04d}</time>"
        )

    def section_url(self, section) -> str:
        if (url := self.section_urls.get(section.pk)) is None:
            url = self.section_urls[section.pk] = printed(section.get_absolute_url())
        return url


@lru_cache(maxsize=20_000)
def _story_url(urlconf, prefix, zone, section_slug: str, published_at, slug: str) -> str:
    """A listed story's address (``article_path``), escaped, remembered per process.

    The address depends only on these: the URLconf and script prefix it is reversed with,
    the time zone its date is taken in, and the story's section, time and slug. Looking up
    the first three for each story cost more than the rest of printing its card.
    """
    return printed(article_path(section_slug, published_at, slug))


def _time(value) -> str:
    """The ``<time>`` of a story: ``{{ value|date:"c" }}`` and ``{{ value|date:"H:i, F j, Y" }}``.

    As the ``date`` filter prints them (in the current time zone, month names in the current
    language), built from the same pieces ``DateFormat`` uses (``c`` is ``isoformat()``,
    ``F`` is ``MONTHS``) without its per-call set-up, which cost more than the rest of a
    card's line.
    """
    return _Shared().time(value)


def card_html(
    article,
    *,
    heading_level=None,
    show_section=None,
    show_summary=None,
    show_image=None,
    lead=None,
    shared: _Shared | None = None,
) -> str:
    """One story of a list: headline, type, section, time, bylines, summary, picture.

    As ``includes/story_card.html`` printed it, less that file's final newline. ``article``
    is a ``ListedStory`` or an ``Article`` from ``for_listing()``.

    ``shared`` is what the cards of a list look up once (see ``_Shared``).
    """
    esc = printed
    if shared is None:
        shared = _Shared()
    tag = "h3" if heading_level == 3 else "h2"
    parts = [
        f'\n<{tag} class="story-item__headline"><a href="{shared.story_url(article)}">'
        f"{esc(article.headline)}</a></{tag}>\n"
        f'<p class="story-item__meta"><span class="label label--{esc(article.article_type)}">'
        f"{esc(article.get_article_type_display())}</span>"
    ]
    if show_section:
        section = article.section
        parts.append(f' · <a href="{shared.section_url(section)}">{esc(section.name)}</a>')
    parts.append(f" · {shared.time(article.published_at)}")
    if names := _byline_names(article):
        parts.append(f" · By {_names(names)}")
    parts.append("</p>\n")
    if article.summary and show_summary is not False:
        parts.append(f'<p class="story-item__summary">{esc(article.summary)}</p>')
    parts.append("\n")
    if (image := article.lead_image) and show_image is not False:
        if lead:
            picture = _picture(image, "lead", LEAD_SIZES, shared.picture_base)
        else:
            picture = _picture(image, "card", CARD_SIZES, shared.picture_base)
        parts.append(f'<div class="story-item__image">{picture}\n\n</div>')
    return "".join(parts)


@register.simple_tag(takes_context=True)
def story_card(context) -> SafeString:
    """The story in the context's ``article`` (``includes/story_card.html``); "" for none."""
    article = context.get("article")
    if article is None:
        return SafeString("")
    return SafeString(card_html(article, **_flags(context)))


@register.simple_tag(takes_context=True)
def story_items(context, articles) -> SafeString:
    """The ``<li>`` items of ``includes/article_list.html``, or its "No stories yet." item."""
    flags = _flags(context)
    shared = _Shared()
    items = []
    # None is an empty list, as for {% for %}.
    for article in _as_listed(articles):
        opening = "story-item story-item--with-image" if article.lead_image else "story-item"
        items.append(f'\n  <li class="{opening}">\n    ')
        items.append(card_html(article, shared=shared, **flags))
        items.append("\n\n  </li>\n  ")
    if not items:
        return SafeString('\n  <li class="story-item story-item--empty">No stories yet.</li>\n  ')
    return SafeString("".join(items))


@register.simple_tag
def front_lead(article) -> SafeString:
    """The front page's top story: an ``<article>`` with the story's card, its picture the
    16:9 "lead" crop, loaded eagerly.
    """
    opening = "story-item story-item--lead"
    if article.lead_image:
        opening += " story-item--with-image"
    card = card_html(article, heading_level=3, lead=True)
    return SafeString(f'<article class="{opening}">\n    {card}\n\n  </article>')


@register.simple_tag
def front_sections(blocks) -> SafeString:
    """The front page's section blocks: for each ``(section, stories)``, a ``<section>``
    with the section's name, its stories (the first with its summary and picture, the
    others headline and meta only) and a link to the section's page.
    """
    esc = printed
    shared = _Shared()
    parts = []
    for section, stories in blocks:
        slug, name, url = esc(section.slug), esc(section.name), shared.section_url(section)
        parts.append(
            f'\n<section class="section-block" aria-labelledby="section-{slug}-heading">\n'
            f'  <h2 id="section-{slug}-heading" class="section-heading"><a href="{url}">'
            f"{name}</a></h2>\n"
            '  <ol class="story-list story-list--compact">\n    '
        )
        for i, article in enumerate(stories):
            if i == 0:
                opening = (
                    "story-item story-item--with-image" if article.lead_image else "story-item"
                )
                card = card_html(article, heading_level=3, shared=shared)
            else:
                opening = "story-item"
                card = card_html(
                    article, heading_level=3, show_summary=False, show_image=False, shared=shared
                )
            parts.append(f'\n    <li class="{opening}">\n      {card}\n\n    </li>\n    ')
        parts.append(
            '\n  </ol>\n  <p class="section-block__more">'
            f'<a href="{url}">More from {name}<span class="visually-hidden"> stories</span>'
            "</a></p>\n</section>\n"
        )
    return SafeString("".join(parts))


@register.simple_tag
def search_items(hits) -> SafeString:
    """The ``<li>`` items of a search results page (``search/results.html``).

    Each ``articles.search.Hit``: the story's headline, section, time and bylines, and its
    snippet (safe HTML with the matched words marked). Names are joined with commas only, as
    the results page always printed them.
    """
    esc = printed
    shared = _Shared()
    items = []
    for hit in hits if hits is not None else ():
        article = hit.article
        section = article.section
        items.append(
            '\n  <li class="story-item">\n    <h2 class="story-item__headline">'
            f'<a href="{esc(article.get_absolute_url())}">{esc(article.headline)}</a></h2>\n'
            f'    <p class="story-item__meta"><a href="{shared.section_url(section)}">'
            f"{esc(section.name)}</a> · {shared.time(article.published_at)}"
        )
        if bylines := getattr(article, "listing_bylines", None):
            items.append(" · By " + ", ".join(esc(c.person.name) for c in bylines))
        items.append("</p>\n    ")
        if hit.snippet:
            items.append(f'<p class="search-snippet">{esc(hit.snippet)}</p>')
        items.append("\n  </li>\n  ")
    return SafeString("".join(items))
