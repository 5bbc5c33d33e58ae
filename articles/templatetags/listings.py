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
"""

from django import template
from django.utils.dates import MONTHS
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime

from articles.images import picture_html, printed

register = template.Library()

CARD_SIZES = "(min-width: 40rem) 10rem, 6.5rem"
LEAD_SIZES = "(min-width: 64rem) 46rem, calc(100vw - 2rem)"


def _flags(context) -> dict:
    return {
        name: context.get(name)
        for name in ("heading_level", "show_section", "show_summary", "show_image", "lead")
    }


def _names(bylines) -> str:
    """Escaped names, joined as "A", "A and B" or "A, B and C"."""
    names = [printed(c.person.name) for c in bylines]
    if len(names) < 2:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _time(value) -> str:
    """The ``<time>`` of a story: ``{{ value|date:"c" }}`` and ``{{ value|date:"H:i, F j, Y" }}``.

    As the ``date`` filter prints them (in the current time zone, month names in the current
    language), built from the same pieces ``DateFormat`` uses (``c`` is ``isoformat()``,
    ``F`` is ``MONTHS``) without its per-call set-up, which cost more than the rest of a
    card's line.
    """
    if value is None:
        return '<time datetime=""></time>'
    local = template_localtime(value)
    return (
        f'<time datetime="{printed(local.isoformat())}">{local.hour:02d}:{local.minute:02d}, '
        f"{printed(str(MONTHS[local.month]))} {local.day}, {local.year:04d}</time>"
    )


def card_html(
    article,
    *,
    heading_level=None,
    show_section=None,
    show_summary=None,
    show_image=None,
    lead=None,
    section_urls: dict | None = None,
) -> str:
    """One story of a list: headline, type, section, time, bylines, summary, picture.

    As ``includes/story_card.html`` printed it, less that file's final newline.

    ``section_urls`` (section pk -> URL) spares reversing the same section's URL for every
    story of a page.
    """
    esc = printed
    tag = "h3" if heading_level == 3 else "h2"
    parts = [
        f'\n<{tag} class="story-item__headline"><a href="{esc(article.get_absolute_url())}">'
        f"{esc(article.headline)}</a></{tag}>\n"
        f'<p class="story-item__meta"><span class="label label--{esc(article.article_type)}">'
        f"{esc(article.get_article_type_display())}</span>"
    ]
    if show_section:
        section = article.section
        if section_urls is None:
            section_url = section.get_absolute_url()
        elif (section_url := section_urls.get(section.pk)) is None:
            section_url = section_urls[section.pk] = section.get_absolute_url()
        parts.append(f' · <a href="{esc(section_url)}">{esc(section.name)}</a>')
    parts.append(f" · {_time(article.published_at)}")
    if bylines := getattr(article, "listing_bylines", None):
        parts.append(f" · By {_names(bylines)}")
    parts.append("</p>\n")
    if article.summary and show_summary is not False:
        parts.append(f'<p class="story-item__summary">{esc(article.summary)}</p>')
    parts.append("\n")
    if (image := article.lead_image) and show_image is not False:
        if lead:
            picture = picture_html(image, "lead", sizes=LEAD_SIZES, css_class="card-image")
        else:
            picture = picture_html(image, "card", sizes=CARD_SIZES, css_class="card-image")
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
    section_urls: dict = {}
    items = []
    # None is an empty list, as for {% for %}.
    for article in articles if articles is not None else ():
        opening = "story-item story-item--with-image" if article.lead_image else "story-item"
        items.append(f'\n  <li class="{opening}">\n    ')
        items.append(card_html(article, section_urls=section_urls, **flags))
        items.append("\n\n  </li>\n  ")
    if not items:
        return SafeString('\n  <li class="story-item story-item--empty">No stories yet.</li>\n  ')
    return SafeString("".join(items))


@register.simple_tag
def search_items(hits) -> SafeString:
    """The ``<li>`` items of a search results page (``search/results.html``).

    Each ``articles.search.Hit``: the story's headline, section, time and bylines, and its
    snippet (safe HTML with the matched words marked). Names are joined with commas only, as
    the results page always printed them.
    """
    esc = printed
    section_urls: dict = {}
    items = []
    for hit in hits if hits is not None else ():
        article = hit.article
        section = article.section
        if (section_url := section_urls.get(section.pk)) is None:
            section_url = section_urls[section.pk] = section.get_absolute_url()
        items.append(
            '\n  <li class="story-item">\n    <h2 class="story-item__headline">'
            f'<a href="{esc(article.get_absolute_url())}">{esc(article.headline)}</a></h2>\n'
            f'    <p class="story-item__meta"><a href="{esc(section_url)}">{esc(section.name)}</a>'
            f" · {_time(article.published_at)}"
        )
        if bylines := getattr(article, "listing_bylines", None):
            items.append(" · By " + ", ".join(esc(c.person.name) for c in bylines))
        items.append("</p>\n    ")
        if hit.snippet:
            items.append(f'<p class="search-snippet">{esc(hit.snippet)}</p>')
        items.append("\n  </li>\n  ")
    return SafeString("".join(items))
