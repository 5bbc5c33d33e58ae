"""Stories as IPTC ninjs 3.1 documents ("news in JSON"), for partners taking our copy.

Pure functions of what the view loaded: an article from ``Article.objects.for_page()``
(section, source and lead image joined; bylines, credits, tags, visible related links and
corrections prefetched), so building a document never queries. Only properties the ninjs 3.1
schema defines are used (it forbids any other), in its camelCase names; the tests validate
every document against IPTC's schema.

How the newsroom maps onto ninjs, where the standard leaves it to the provider:

- ``uri`` is the story's UUID as ``urn:uuid:…``, the id feeds use too, so it survives changes
  of slug, section or date; ``version`` is ``Article.version``.
- ``versionCreated`` is when the story last changed as readers see it: its last save, or its
  publication time if that came later (a story edited before its scheduled time). The API's
  ``updated_since`` sync orders by the same time.
- Bylines and credits are ``people``; ``rel`` is the role the desk gave (“Web editor”), else
  ``author`` for a byline and ``contributor`` for a credit. ``by`` names the byline.
- The section and the tags are ``subjects`` with ``rel`` ``section`` and ``keyword`` (ninjs
  3.1 has no keywords property); the article type is a ``genre`` with its IPTC genre code.
- The source (agency copy) is the ``copyrightHolder`` and an ``infoSources`` entry; the
  newsroom's own copy is the newsroom's.
- The lead image is the ``mainpic`` association with every rendition; related stories are
  ``related`` associations; corrections, updates and clarifications are ``descriptions``
  whose role is their kind.

A story the public could once see and no longer can (withdrawn) is a :func:`tombstone`:
``pubStatus: canceled`` and nothing of its content, so partners who took it take it down.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from django.conf import settings
from django.urls import reverse

from newsroom.site import absolute_url
from people.models import Person

from .images import RENDITION_FORMATS, RENDITION_SETS
from .models import Article, ArticleType, Image
from .structured_data import iso, language_tag, text_of_html

NINJS_VERSION = "3.1"
# The schema's own $id: where IPTC publishes it.
NINJS_SCHEMA = "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json#"
STANDARD = {"name": "ninjs", "version": NINJS_VERSION, "schema": NINJS_SCHEMA}

# IPTC's genre NewsCodes for the article types that have one; the rest go by name only.
GENRE_SCHEME = "http://cv.iptc.org/newscodes/genre/"
GENRES = {
    ArticleType.NEWS: "Current",
    ArticleType.ANALYSIS: "Analysis",
    ArticleType.OPINION: "Opinion",
    ArticleType.FEATURE: "Feature",
    ArticleType.INTERVIEW: "Interview",
    ArticleType.EXPLAINER: "Background",
    ArticleType.REVIEW: "Review",
    ArticleType.OBITUARY: "Obituary",
}
# IPTC's trust indicator for a publisher's editorial policy (our standards page, which is
# also the corrections policy).
EDITORIAL_POLICY = "http://cv.iptc.org/newscodes/trustindicator/editorialPolicy"

BYLINE_REL = "author"
CREDIT_REL = "contributor"
SECTION_REL = "section"
TAG_REL = "keyword"
PICTURE_ASSOCIATION = "mainpic"
RELATED_ASSOCIATION = "related"


def story_uri(article: Article) -> str:
    return article.uuid.urn


def version_created(article: Article):
    """When the story last changed as readers see it (see the module docstring)."""
    if article.published_at is None:
        return article.updated_at
    return max(article.updated_at, article.published_at)


def page_url(article: Article) -> str:
    return absolute_url(article.get_absolute_url())


def document(article: Article) -> dict[str, Any]:
    """``article``, live and loaded with ``for_page()``, as a full ninjs 3.1 document."""
    first = article.first_published_at or article.published_at
    data: dict[str, Any] = {
        "uri": story_uri(article),
        "standard": STANDARD,
        "type": "text",
        "representationType": "full",
        "profile": "text-photo" if _has_picture(article.lead_image) else "text-only",
        "version": str(article.version),
        "firstCreated": iso(first),
        "versionCreated": iso(version_created(article)),
        "pubStatus": "usable",
        "language": language_tag(),
        "slugline": article.slug,
        "headlines": _headlines(article),
    }
    if descriptions := _descriptions(article):
        data["descriptions"] = descriptions
    if article.body:
        text = text_of_html(article.body, limit=len(article.body))
        data["bodies"] = [
            {
                "role": "main",
                "contentType": "text/html",
                "value": article.body,
                "charCount": len(text),
                "wordCount": len(text.split()),
            }
        ]
    if by := byline_statement(article):
        data["by"] = by
    if people := _people(article):
        data["people"] = people
    data["subjects"] = _subjects(article)
    data["genres"] = [_genre(article)]
    if article.dateline_place:
        data["located"] = article.dateline_place
    data.update(_provenance(article))
    data["altIds"] = _alt_ids(article)
    data["trustIndicators"] = [
        {
            "role": EDITORIAL_POLICY,
            "title": "Standards and corrections policy",
            "href": absolute_url(settings.NEWSROOM_STANDARDS_URL),
        }
    ]
    associations = [picture] if (picture := picture_association(article.lead_image)) else []
    associations += [_related(link) for link in article.visible_related_links]
    if associations:
        data["associations"] = associations
    return data


def tombstone(article: Article) -> dict[str, Any]:
    """What is left of a story withdrawn after publication: its identity and that it is
    cancelled, as of the withdrawal (its last change), with the public withdrawal notice for
    the partner's editors. No headline, body, people or pictures: whatever made the desk
    withdraw it may be in any of them.
    """
    data: dict[str, Any] = {
        "uri": story_uri(article),
        "standard": STANDARD,
        "type": "text",
        "version": str(article.version),
        "versionCreated": iso(article.updated_at),
        "pubStatus": "canceled",
    }
    if article.withdrawal_notice:
        data["edNote"] = article.withdrawal_notice
    return data


def byline_statement(article: Article) -> str:
    """The byline's names as a sentence: "A", "A and B", "A, B and C"."""
    names = [c.person.name for c in article.bylines]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _headlines(article: Article) -> list[dict[str, str]]:
    headlines = [{"role": "main", "value": article.headline}]
    if article.deck:
        # IPTC's user guide names the role of a subheadline "subhead".
        headlines.append({"role": "subhead", "value": article.deck})
    return headlines


def _descriptions(article: Article) -> list[dict[str, str]]:
    descriptions = []
    if article.summary:
        descriptions.append(
            {"role": "summary", "contentType": "text/plain", "value": article.summary}
        )
    # Newest first, as the page prints them; each dated in the corrections feed.
    descriptions += [
        {"role": correction.kind, "contentType": "text/plain", "value": correction.text}
        for correction in article.corrections.all()
    ]
    return descriptions


def _person(person: Person, rel: str) -> dict[str, str]:
    return {
        "name": person.name,
        "rel": rel,
        "uri": absolute_url(person.get_absolute_url()),
        "literal": person.slug,
    }


def _people(article: Article) -> list[dict[str, str]]:
    return [_person(c.person, c.role or BYLINE_REL) for c in article.bylines] + [
        _person(c.person, c.role or CREDIT_REL) for c in article.credits
    ]


def _subjects(article: Article) -> list[dict[str, str]]:
    section = article.section
    subjects = [
        {
            "name": section.name,
            "rel": SECTION_REL,
            "uri": absolute_url(section.get_absolute_url()),
            "literal": section.slug,
        }
    ]
    subjects += [
        {
            "name": tag.name,
            "rel": TAG_REL,
            "uri": absolute_url(tag.get_absolute_url()),
            "literal": tag.slug,
        }
        for tag in article.tag_list
    ]
    return subjects


def _genre(article: Article) -> dict[str, str]:
    genre = {"name": article.get_article_type_display(), "literal": article.article_type}
    if code := GENRES.get(article.article_type):
        genre["uri"] = f"{GENRE_SCHEME}{code}"
    return genre


def _provenance(article: Article) -> dict[str, Any]:
    """Who holds the copyright and where the copy comes from."""
    newsroom = {
        "name": settings.NEWSROOM_NAME,
        "role": "publisher",
        "uri": absolute_url(reverse("home")),
    }
    source = article.source
    if source is None:
        return {"copyrightHolder": settings.NEWSROOM_NAME, "infoSources": [newsroom]}
    origin = {"name": source.name, "role": "originator", "literal": source.slug}
    if source.url:
        origin["uri"] = source.url
    return {"copyrightHolder": source.name, "infoSources": [origin, newsroom]}


def _alt_ids(article: Article) -> list[dict[str, str]]:
    ids = [{"role": "url", "value": page_url(article)}]
    if article.original_url:
        ids.append({"role": "original-url", "value": article.original_url})
    return ids


def _has_picture(image: Image | None) -> bool:
    return image is not None and bool(image.file)


def picture_association(image: Image | None) -> dict[str, Any] | None:
    """The lead image as a ninjs picture: its original and every recorded rendition."""
    if not _has_picture(image):
        return None
    picture: dict[str, Any] = {
        "name": PICTURE_ASSOCIATION,
        "uri": image.uuid.urn,
        "type": "picture",
        "versionCreated": iso(image.created_at),
    }
    if image.credit:
        picture["by"] = image.credit
    descriptions = []
    if image.caption:
        descriptions.append(
            {"role": "caption", "contentType": "text/plain", "value": image.caption}
        )
    if image.alt_text:
        descriptions.append({"role": "alt", "contentType": "text/plain", "value": image.alt_text})
    if descriptions:
        picture["descriptions"] = descriptions
    picture["renditions"] = [_original(image), *_renditions(image)]
    return picture


def _original(image: Image) -> dict[str, Any]:
    original: dict[str, Any] = {"name": "original", "href": absolute_url(image.file.url)}
    if content_type := mimetypes.guess_type(image.file.name)[0]:
        original["contentType"] = content_type
    if image.width and image.height:
        original.update(
            width=image.width,
            height=image.height,
            # The focal point the crops keep in view, in pixels of the original.
            poi={
                "x": round(image.focal_x * image.width),
                "y": round(image.focal_y * image.height),
            },
        )
    return original


def _renditions(image: Image) -> list[dict[str, Any]]:
    storage = image.file.storage
    renditions = []
    for set_name, recorded in (image.renditions or {}).items():
        spec = RENDITION_SETS.get(set_name)
        for entry in recorded.get("sizes", []):
            for key, _, _, content_type in RENDITION_FORMATS:
                if not entry.get(key):
                    continue
                rendition = {
                    "name": f"{set_name}-{entry['width']}-{key}",
                    "href": absolute_url(storage.url(entry[key])),
                    "contentType": content_type,
                    "width": entry["width"],
                    "height": entry["height"],
                }
                if spec is not None and spec.ratio:
                    rendition["aspectRatio"] = f"{spec.ratio[0]}:{spec.ratio[1]}"
                renditions.append(rendition)
    return renditions


def _related(link) -> dict[str, Any]:
    """A related story here (by its uri, as the API serves it) or a page elsewhere."""
    if link.target_id:
        target = link.target
        return {
            "name": RELATED_ASSOCIATION,
            "uri": story_uri(target),
            "type": "text",
            "representationType": "partial",
            "headlines": [{"role": "main", "value": link.display_title}],
            "altIds": [{"role": "url", "value": page_url(target)}],
        }
    return {
        "name": RELATED_ASSOCIATION,
        "uri": link.url,
        "headlines": [{"role": "main", "value": link.display_title}],
        "altIds": [{"role": "url", "value": link.url}],
    }
