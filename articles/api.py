"""The content API under /api/: read-only JSON for partners, in IPTC ninjs 3.1.

- ``GET /api/`` lists the endpoints and their parameters.
- ``GET /api/stories/`` lists public stories, newest first by publication time, filtered by
  ``section``, ``tag``, ``person`` (slugs), ``type``, ``published_after``/``published_before``;
  with ``updated_since`` it becomes a sync feed instead: oldest change first, tombstones
  included. Keyset pagination: ``next`` carries a signed cursor, so pages stay stable while
  stories arrive.
- ``GET /api/stories/<uuid>/`` is one story, or its tombstone if it was withdrawn.
- ``GET /api/corrections/`` lists corrections on public stories as they are made, newest
  first, with ``since``.

Nothing the public cannot see is served: stories come from ``Article.objects.published()``,
queried per request. The one exception is the tombstone (see ``ninjs.tombstone``) of a story
readers once saw and no longer can, so partners learn to take it down.

Every answer is JSON (``application/json; charset=utf-8``) with a strong ETag (a hash of the
body: a document depends on more than the story's row, such as people's names and image
renditions) answered with 304 on ``If-None-Match``, ``Cache-Control: public`` for a minute,
and ``Access-Control-Allow-Origin: *`` (public data, no credentials). Bad input is a 400 with
``{"error": {"code", "message", "parameter"}}``, never a 500; unknown stories and paths are
404, other methods 405, all in the same shape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.core import signing
from django.core.validators import slug_re
from django.db.models import BooleanField, Case, ExpressionWrapper, F, Q, Value, When
from django.db.models.functions import Greatest
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, set_response_etag
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from newsroom.site import absolute_url
from people.models import Person

from . import ninjs
from .models import Article, ArticleType, Contribution, Correction, Section, Tag, TaggedArticle
from .structured_data import iso

JSON_TYPE = "application/json; charset=utf-8"
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Partners poll; a minute of caching spares the database and delays news by at most that.
MAX_AGE = 60
ALLOWED_METHODS = "GET, HEAD, OPTIONS"
CURSOR_SALT = "articles.api.cursor"
PAGE_SIZE_RE = re.compile(r"[0-9]{1,4}")

STORY_FILTERS = ("section", "tag", "person", "type", "published_after", "published_before")
STORY_PARAMETERS = (*STORY_FILTERS, "updated_since", "page_size", "cursor")
CORRECTION_PARAMETERS = ("since", "page_size", "cursor")

# The two orders of the story list, named in cursors so one cannot be used for the other.
BY_PUBLICATION = "published"
BY_CHANGE = "changed"
CORRECTIONS = "corrections"


class BadParameter(Exception):
    """A query parameter the API cannot honour: answered 400, naming the parameter."""

    def __init__(self, parameter: str | None, message: str, code: str = "invalid_value"):
        super().__init__(message)
        self.parameter = parameter
        self.message = message
        self.code = code


# --- Responses ----------------------------------------------------------------------------


def json_response(data: Any, status: int = 200) -> HttpResponse:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(body.encode(), status=status, content_type=JSON_TYPE)


def error_response(
    status: int, code: str, message: str, parameter: str | None = None
) -> HttpResponse:
    error = {"code": code, "message": message}
    if parameter is not None:
        error["parameter"] = parameter
    response = json_response({"error": error}, status=status)
    # An error can stop being one (a scheduled story goes live): never serve it from a cache.
    patch_cache_control(response, no_cache=True)
    return response


def _cors(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = "ETag"
    return response


def _preflight() -> HttpResponse:
    response = HttpResponse(status=204)
    response["Allow"] = ALLOWED_METHODS
    response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
    response["Access-Control-Allow-Headers"] = "If-None-Match, If-Modified-Since"
    response["Access-Control-Max-Age"] = "86400"
    return response


def api_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """JSON errors, methods, caching, ETag with conditional GET and CORS for an API view.

    The view returns a 200 response (its ``last_modified`` attribute, if set, becomes the
    Last-Modified header) or raises ``BadParameter`` or ``Http404``.
    """

    @csrf_exempt  # Read-only: nothing to forge, and a POST deserves a 405, not a 403 page.
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "OPTIONS":
            return _cors(_preflight())
        if request.method not in ("GET", "HEAD"):
            response = error_response(
                405,
                "method_not_allowed",
                f"{request.method} is not allowed; the API is read-only.",
            )
            response["Allow"] = ALLOWED_METHODS
            return _cors(response)
        try:
            response = view(request, *args, **kwargs)
        except BadParameter as bad:
            return _cors(error_response(400, bad.code, bad.message, bad.parameter))
        except Http404 as missing:
            return _cors(error_response(404, "not_found", str(missing) or "Nothing here."))
        patch_cache_control(response, public=True, max_age=MAX_AGE)
        set_response_etag(response)
        last_modified = getattr(response, "last_modified", None)
        timestamp = int(last_modified.timestamp()) if last_modified else None
        if timestamp is not None:
            response["Last-Modified"] = http_date(timestamp)
        response = get_conditional_response(
            request, etag=response.get("ETag"), last_modified=timestamp, response=response
        )
        return _cors(response)

    return wrapper


# --- Parameters ---------------------------------------------------------------------------


def _parameters(request: HttpRequest, allowed: tuple[str, ...]) -> dict[str, str]:
    """The query string as one value per name; unknown or repeated names are refused, so a
    misspelt filter is an error rather than a silently unfiltered list.
    """
    values = {}
    for name in request.GET:
        if name not in allowed:
            raise BadParameter(
                name,
                f"Unknown parameter “{name}”. Known: {', '.join(allowed) or 'none'}.",
                "unknown_parameter",
            )
        given = request.GET.getlist(name)
        if len(given) > 1:
            raise BadParameter(name, f"Give “{name}” once.", "repeated_parameter")
        values[name] = given[0].strip()
    return values


def _slug(name: str, value: str) -> str:
    if not slug_re.fullmatch(value):
        raise BadParameter(name, f"“{name}” takes a slug (letters, digits, - and _).")
    return value


def _lookup(model, name: str, value: str):
    found = model.objects.filter(slug=_slug(name, value)).first()
    if found is None:
        raise BadParameter(name, f"No {name} “{value}”.", "unknown_value")
    return found


def _moment(name: str, value: str) -> datetime:
    """An ISO 8601 date-time or date as an aware datetime.

    A date is its first moment in the newsroom's time zone, as is a date-time without an
    offset. A ``+`` left unencoded in a URL arrives as a space; it is read as the ``+`` it was.
    """
    try:
        moment = parse_datetime(value)
        if moment is None and " " in value:
            moment = parse_datetime(value.replace(" ", "+"))
        if moment is None and (day := parse_date(value)) is not None:
            moment = datetime.combine(day, time.min)
        if moment is None:
            raise ValueError(value)
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        # The database stores UTC: a moment that has no UTC equivalent cannot be compared.
        moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise BadParameter(
            name,
            f"“{name}” takes an ISO 8601 date (2023-09-15) or date-time "
            "(2023-09-15T08:55:00+08:00).",
        ) from None
    return moment


def _page_size(params: dict[str, str]) -> int:
    value = params.get("page_size")
    if value is None:
        return DEFAULT_PAGE_SIZE
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
    if not PAGE_SIZE_RE.fullmatch(value) or not 1 <= int(value) <= MAX_PAGE_SIZE:
        raise BadParameter(
            "page_size",
            f"“page_size” is a whole number from 1 to {MAX_PAGE_SIZE}.",
            "out_of_range",
        )
    return int(value)


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the order it was in and the last item's sort key and pk."""

    order: str
    at: datetime
    pk: int

    def dumps(self) -> str:
        return signing.dumps([self.order, self.at.isoformat(), self.pk], salt=CURSOR_SALT)

    @classmethod
    def loads(cls, value: str, order: str) -> Cursor:
        try:
            kind, at, pk = signing.loads(value, salt=CURSOR_SALT)
            moment = datetime.fromisoformat(at)
            if kind != order or not isinstance(pk, int) or timezone.is_naive(moment):
                raise ValueError(value)
        except (signing.BadSignature, ValueError, TypeError):
            raise BadParameter(
                "cursor",
                "This cursor is not valid here; follow the “next” link of a page from the "
                "same list, or start again without one.",
                "invalid_cursor",
            ) from None
        return cls(kind, moment, pk)


def _next_link(name: str, params: dict[str, str], cursor: Cursor) -> str:
    query = {key: value for key, value in params.items() if key != "cursor"}
    query["cursor"] = cursor.dumps()
    return f"{absolute_url(reverse(name))}?{urlencode(query)}"


def _page(rows, size: int) -> tuple[list, bool]:
    """The first ``size`` of ``rows`` (a queryset), and whether more follow."""
    found = list(rows[: size + 1])
    return found[:size], len(found) > size


# --- Stories ------------------------------------------------------------------------------


def partner_stories():
    """Public stories, and those the public once saw and no longer can (tombstones).

    ``is_public`` tells them apart, in the same query, against the same moment. A story is
    a tombstone when it first went live in the past and is not published now: withdrawn, or
    withdrawn and back on the desk, or withdrawn and scheduled again. A story scheduled for
    the first time has ``first_published_at`` ahead, so nothing of it shows.
    """
    public = Article.objects.published().values("pk")
    return (
        Article.objects.filter(Q(pk__in=public) | Q(first_published_at__lte=timezone.now()))
        .annotate(is_public=ExpressionWrapper(Q(pk__in=public), output_field=BooleanField()))
        .for_page()
    )


def changed_at():
    """The sync order's key, equal to each document's ``versionCreated``."""
    return Case(
        When(is_public=True, then=Greatest("updated_at", "published_at")),
        default=F("updated_at"),
    )


def _story_document(article: Article) -> dict[str, Any]:
    return ninjs.document(article) if article.is_public else ninjs.tombstone(article)


def _filtered(stories, params: dict[str, str]):
    """``stories`` narrowed by the list's filters; each names its parameter when refused."""
    if "section" in params:
        stories = stories.filter(section=_lookup(Section, "section", params["section"]))
    if "tag" in params:
        tag = _lookup(Tag, "tag", params["tag"])
        stories = stories.filter(
            pk__in=TaggedArticle.objects.filter(tag=tag).values("content_object")
        )
    if "person" in params:
        # Bylines and credits alike; a subquery, so someone credited twice lists once.
        person = _lookup(Person, "person", params["person"])
        stories = stories.filter(
            pk__in=Contribution.objects.filter(person=person).values("article")
        )
    if "type" in params:
        if params["type"] not in ArticleType.values:
            raise BadParameter(
                "type", f"“type” is one of: {', '.join(ArticleType.values)}.", "unknown_value"
            )
        stories = stories.filter(article_type=params["type"])
    after = before = None
    if "published_after" in params:
        after = _moment("published_after", params["published_after"])
        stories = stories.filter(published_at__gte=after)
    if "published_before" in params:
        before = _moment("published_before", params["published_before"])
        stories = stories.filter(published_at__lt=before)
    if after and before and after >= before:
        raise BadParameter(
            "published_before",
            "“published_before” must come after “published_after”.",
            "bad_range",
        )
    return stories


@api_view
def index(request: HttpRequest) -> HttpResponse:
    _parameters(request, ())
    stories = absolute_url(reverse("api:stories"))
    return json_response(
        {
            "format": ninjs.STANDARD,
            "endpoints": {
                "stories": {
                    "href": stories,
                    "parameters": list(STORY_PARAMETERS),
                    "types": list(ArticleType.values),
                    "max_page_size": MAX_PAGE_SIZE,
                },
                "story": {"href": f"{stories}{{uuid}}/"},
                "corrections": {
                    "href": absolute_url(reverse("api:corrections")),
                    "parameters": list(CORRECTION_PARAMETERS),
                },
            },
        }
    )


@api_view
def story_list(request: HttpRequest) -> HttpResponse:
    """Public stories by publication time (newest first), or with ``updated_since`` every
    change since then, oldest first, tombstones included: what a partner needs to stay in
    step. Both orders page by keyset, so new stories never shift a page already served.
    """
    params = _parameters(request, STORY_PARAMETERS)
    size = _page_size(params)
    if "updated_since" in params:
        since = _moment("updated_since", params["updated_since"])
        order = BY_CHANGE
        stories = (
            partner_stories()
            .annotate(changed=changed_at())
            .filter(changed__gte=since)
            .order_by("changed", "pk")
        )
    else:
        order = BY_PUBLICATION
        stories = (
            Article.objects.published()
            .annotate(is_public=Value(True, output_field=BooleanField()))
            .for_page()
            .order_by("-published_at", "-pk")
        )
    stories = _filtered(stories, params)
    if "cursor" in params:
        cursor = Cursor.loads(params["cursor"], order)
        if order == BY_CHANGE:
            stories = stories.filter(
                Q(changed__gt=cursor.at) | Q(changed=cursor.at, pk__gt=cursor.pk)
            )
        else:
            stories = stories.filter(
                Q(published_at__lt=cursor.at) | Q(published_at=cursor.at, pk__lt=cursor.pk)
            )
    page, more = _page(stories, size)
    next_link = None
    if more:
        last = page[-1]
        key = last.changed if order == BY_CHANGE else last.published_at
        next_link = _next_link("api:stories", params, Cursor(order, key, last.pk))
    return json_response({"items": [_story_document(story) for story in page], "next": next_link})


@api_view
def story_detail(request: HttpRequest, uuid) -> HttpResponse:
    _parameters(request, ())
    story = partner_stories().filter(uuid=uuid).first()
    if story is None:
        raise Http404("No published story has this id.")
    response = json_response(_story_document(story))
    response.last_modified = ninjs.version_created(story) if story.is_public else story.updated_at
    return response


# --- Corrections --------------------------------------------------------------------------


def _correction_item(correction: Correction) -> dict[str, Any]:
    story = correction.article
    return {
        "uri": correction.uuid.urn,
        "kind": correction.kind,
        "label": correction.get_kind_display(),
        "text": correction.text,
        "created": iso(correction.created_at),
        "story": {
            "uri": ninjs.story_uri(story),
            "version": str(story.version),
            "headline": story.headline,
            "url": ninjs.page_url(story),
            "href": absolute_url(reverse("api:story", kwargs={"uuid": story.uuid})),
        },
    }


@api_view
def correction_list(request: HttpRequest) -> HttpResponse:
    """Corrections, updates and clarifications on public stories, newest first."""
    params = _parameters(request, CORRECTION_PARAMETERS)
    size = _page_size(params)
    corrections = (
        Correction.objects.filter(article__in=Article.objects.published())
        .select_related("article__section")
        .defer("article__body", "article__search_vector")
        .order_by("-created_at", "-pk")
    )
    if "since" in params:
        corrections = corrections.filter(created_at__gte=_moment("since", params["since"]))
    if "cursor" in params:
        cursor = Cursor.loads(params["cursor"], CORRECTIONS)
        corrections = corrections.filter(
            Q(created_at__lt=cursor.at) | Q(created_at=cursor.at, pk__lt=cursor.pk)
        )
    page, more = _page(corrections, size)
    next_link = None
    if more:
        last = page[-1]
        next_link = _next_link(
            "api:corrections", params, Cursor(CORRECTIONS, last.created_at, last.pk)
        )
    return json_response({"items": [_correction_item(c) for c in page], "next": next_link})


@api_view
def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    raise Http404(f"No API endpoint at /api/{path}; see /api/ for the list.")
