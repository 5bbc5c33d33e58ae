"""``{% page_meta as meta %}``: what this page tells search engines and social sites.

Reads the template context to tell which page it is on and hands the rest to
:mod:`articles.structured_data`. A view names its page through the context it already sets:

- ``article`` — a story's page; with ``preview`` or ``is_preview`` also set, its preview;
- ``person``, ``section``, ``tag``, ``flatpage`` — those pages;
- the URL named ``home`` — the front page;
- the URL named ``search`` — result pages, kept out of the index;
- Django's "page not found" page — kept out of the index;
- anything else may set ``meta_title``, ``meta_description`` and ``meta_robots`` (a page
  whose robots say ``noindex`` gets no canonical, social tags or JSON-LD).

``page_obj`` (set by paginated list views) puts the page number in the canonical URL.
"""

from django import template
from django.utils.safestring import SafeString

from articles import structured_data as sd

register = template.Library()


@register.simple_tag(takes_context=True)
def page_meta(context) -> sd.PageMeta | None:
    """The page's meta tags, or None where there is no request to make URLs absolute."""
    request = context.get("request")
    if request is None:
        return None
    article = context.get("article")
    if article is not None:
        if "preview" in context or context.get("is_preview"):
            # Seen before readers can: nothing that would get it indexed or shared.
            return sd.private_meta(
                robots=sd.PREVIEW_ROBOTS, description=sd.article_description(article)
            )
        if not article.is_live:
            # A withdrawn story's notice (410): the story is gone, so is its description.
            return sd.private_meta(robots=sd.NOINDEX_ROBOTS)
        return sd.article_meta(article, request)

    page = context.get("page_obj")
    page_number = page.number if page is not None else None
    if (person := context.get("person")) is not None:
        return sd.person_meta(person, request, page_number)
    if (section := context.get("section")) is not None:
        return sd.section_meta(section, request, page_number)
    if (tag := context.get("tag")) is not None:
        return sd.tag_meta(tag, request, page_number)
    if (flatpage := context.get("flatpage")) is not None:
        return sd.flatpage_meta(flatpage, request)
    match = request.resolver_match
    if match is None or "request_path" in context:
        # Django's "page not found" page (its view sets request_path), for an address
        # nothing answers or a view that raised Http404: nothing there to index.
        return sd.private_meta(robots=sd.NOINDEX_ROBOTS)
    if match.view_name == "home":
        return sd.home_meta(request, page_number)
    robots = context.get("meta_robots") or (
        sd.SEARCH_ROBOTS if match.view_name == "search" else ""
    )
    if "noindex" in robots:
        return sd.private_meta(robots=robots, description=context.get("meta_description", ""))
    return sd.generic_meta(
        request,
        page_number,
        title=context.get("meta_title", ""),
        description=context.get("meta_description", ""),
    )


@register.simple_tag(takes_context=True)
def page_meta_tags(context) -> SafeString:
    """The page's description, robots, canonical, Open Graph, Twitter and JSON-LD tags
    (``PageMeta.head_html()``); nothing where ``page_meta`` finds no request."""
    meta = page_meta(context)
    return meta.head_html() if meta is not None else SafeString("")


@register.filter
def json_ld(data) -> str:
    """``data`` as a <script type="application/ld+json"> element, safe inside HTML."""
    return sd.json_ld_script(data)
