"""Publish-aware caching of what anonymous readers get: pages, feeds, sitemaps and the API.

Every stored response carries the *content generation* it was rendered under, a number
that ``bump_generation()`` raises on every publish-relevant change (see
``articles.signals``) and that every app process shares: in a file per host without Redis,
in Redis (announced to every process over pub/sub) with it (``newsroom.near_cache``). A
response is served only while that number is current, so a publish, withdrawal, correction
or rename reaches readers at once: the next request finds a newer number and misses. Each
process keeps the pages it served, so a hit costs no round trip; with Redis pages are stored
there too, and while a process cannot vouch for the number it reads the number and the
page in one round trip (``get_many``: one MGET). The one change no save announces is the
clock reaching a scheduled story's time, so no response is kept past the next scheduled
publication (``entry_timeout()``; each entry carries its expiry).

Only anonymous GET/HEAD requests are served from or stored in the cache, decided from the
cookies before anything reads the session, so a hit costs no SQL query. Responses that set
cookies, vary on them, stream, or say ``private``/``no-cache``/``no-store`` are never stored;
the admin, previews, static and media files are never cached. Stored responses carry an ETag
(the body's hash unless the view set one), Last-Modified, and, unless the view set its own
(the API does), ``Cache-Control: public`` with ``s-maxage`` and ``stale-while-revalidate``
for shared caches in front; conditional requests get 304. Logged-in users get
``private, no-cache``.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TypeVar

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.exceptions import DisallowedHost
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import (
    get_conditional_response,
    has_vary_header,
    patch_cache_control,
    set_response_etag,
)
from django.utils.http import http_date, parse_http_date_safe

from newsroom.near_cache import NearCache

GENERATION_KEY = "newsroom:content-generation"
PAGE_KEY = "newsroom:page:{digest}"
NEXT_PUBLICATION_KEY = "newsroom:next-publication:{generation}"
# "kept": values stored with their expiry (a value of an earlier form is never read back).
DATA_KEY = "newsroom:kept:{generation}:{name}"
# Stored for "no scheduled story" so that answer is cached too.
NO_SCHEDULED_STORY = 0
# A redirect to a story's new address, a missing page and a withdrawn story's notice are
# content too: they change only with a publish-relevant save, like a 200.
CACHEABLE_STATUSES = frozenset({200, 301, 404, 410})
CACHE_STATUS_HEADER = "X-Newsroom-Cache"

logger = logging.getLogger(__name__)


def _setting(name: str, default):
    return getattr(settings, name, default)


# --- The content generation ---------------------------------------------------------------


def _fresh_generation() -> int:
    # Time-based (nanoseconds; bumps add one), so a generation lost from the cache (eviction,
    # a Redis restart) starts above every number used before and never meets responses
    # stored under an old one.
    return time.time_ns()


# Within a request (PublicCacheMiddleware opens the scope) the generation is read once: a
# page reads several kept values, and on Redis each read would be a round trip.
_request_generation: ContextVar[dict | None] = ContextVar("newsroom_generation", default=None)


# --- How the generation is shared; the pages each process keeps ----------------------------

_near_lock = threading.Lock()
_near_state: list[NearCache] = []


def near_cache() -> NearCache:
    """This process's ``NearCache`` (built once): how the generation is shared, and pages."""
    if not _near_state:
        with _near_lock:
            if not _near_state:
                megabytes = _setting("NEWSROOM_LOCAL_PAGES_MB", 64)
                _near_state.append(
                    NearCache(
                        caches[DEFAULT_CACHE_ALIAS],
                        GENERATION_KEY,
                        int(megabytes * 1024 * 1024),
                        settings.NEWSROOM_GENERATION_FILE,
                    )
                )
    return _near_state[0]


def _forget_near_cache(*, setting: str, **kwargs) -> None:
    if setting in {"CACHES", "NEWSROOM_LOCAL_PAGES_MB", "NEWSROOM_GENERATION_FILE"}:
        with _near_lock:
            if _near_state:
                _near_state[0].close()
            _near_state.clear()


setting_changed.connect(_forget_near_cache, dispatch_uid="newsroom-near-cache")


def current_generation() -> int:
    scope = _request_generation.get()
    if scope is not None and "generation" in scope:
        return scope["generation"]
    near = near_cache()
    # From the host's file, or pushed by Redis when the watch can vouch for it.
    generation = near.generation()
    if generation is None:
        generation = cache.get(GENERATION_KEY)
    if generation is None:
        # Lost from Redis: set afresh and announced, so every process's pages follow.
        generation = near.shared.ensure(_fresh_generation())
    if scope is not None:
        scope["generation"] = generation
    return generation


def _remember_generation(generation: int) -> None:
    scope = _request_generation.get()
    if scope is not None:
        scope["generation"] = generation


def bump_generation() -> None:
    """Make every stored response stale, on every app server sharing the cache."""
    scope = _request_generation.get()
    if scope is not None:
        scope.pop("generation", None)
    near = near_cache()
    # In the host's file, or in Redis and announced to every app server in the same step.
    generation = near.shared.bump(_fresh_generation())
    if near.watch is not None:
        near.watch.saw(generation)


# --- How long a response may be kept ------------------------------------------------------


def next_scheduled_publication(generation: int) -> datetime | None:
    """The earliest publication time still ahead; one query per generation, not per request."""
    from articles.models import Article

    key = NEXT_PUBLICATION_KEY.format(generation=generation)
    stored = cache.get(key)
    now = time.time()
    if stored is not None and (stored == NO_SCHEDULED_STORY or stored > now):
        return None if stored == NO_SCHEDULED_STORY else datetime.fromtimestamp(stored, tz=UTC)
    upcoming = (
        Article.objects.scheduled()
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    cache.set(
        key,
        upcoming.timestamp() if upcoming else NO_SCHEDULED_STORY,
        timeout=_setting("NEWSROOM_CACHE_SECONDS", 300),
    )
    return upcoming


def entry_timeout(generation: int) -> int:
    """Seconds a response may be kept: the setting, but never past the next scheduled story."""
    seconds = _setting("NEWSROOM_CACHE_SECONDS", 300)
    upcoming = next_scheduled_publication(generation)
    if upcoming is not None:
        seconds = min(seconds, math.floor((upcoming - timezone.now()).total_seconds()))
    return max(seconds, 0)


# --- Values derived from public content -------------------------------------------------


MISSING = object()
T = TypeVar("T")


def kept(name: str):
    """The value kept under ``name`` for the current content generation, or ``MISSING``
    (also when the cache cannot be reached: the caller computes it, the page still works).
    """
    try:
        stored = cache.get(DATA_KEY.format(generation=current_generation(), name=name))
    except Exception:
        logger.warning("Cache unavailable; %s is computed again.", name, exc_info=True)
        return MISSING
    # Kept with its expiry: the app's clock decides when a scheduled story is due, whatever
    # the cache server's clock says.
    if stored is None or stored[0] <= time.time():
        return MISSING
    return stored[1]


def keep(name: str, value, *, clock: bool = True) -> None:
    """Keep ``value`` under ``name`` until the next publish-relevant change.

    ``name`` must say everything the value depends on (e.g. ``"count:section:7"``).
    ``clock`` is for values that the clock alone can change, because they count or list
    published stories: those are not kept past the next scheduled publication either.
    """
    try:
        generation = current_generation()
        timeout = entry_timeout(generation) if clock else _setting("NEWSROOM_CACHE_SECONDS", 300)
        if timeout > 0:
            key = DATA_KEY.format(generation=generation, name=name)
            cache.set(key, (time.time() + timeout, value), timeout=timeout)
    except Exception:
        logger.warning("Cache unavailable; %s not kept.", name, exc_info=True)


def kept_for_generation(name: str, compute: Callable[[], T], *, clock: bool = True) -> T:
    """``compute()``, kept in the cache until the next publish-relevant change (see ``keep``).

    For what every page needs and few changes alter (the section navigation, the number of
    stories in a listing): rendered pages reuse it whether or not the page cache is on.
    """
    value = kept(name)
    if value is MISSING:
        value = compute()
        keep(name, value, clock=clock)
    return value


# --- Which requests and responses ---------------------------------------------------------


def _excluded(path: str) -> bool:
    prefixes = _setting(
        "NEWSROOM_CACHE_EXCLUDED_PATHS", ("/admin/", "/preview/", "/static/", "/media/")
    )
    return path.startswith(tuple(prefixes))


def is_anonymous(request: HttpRequest) -> bool:
    """No session (so no login) and nothing personal to show, judged from cookies alone."""
    cookies = request.COOKIES
    return not (
        settings.SESSION_COOKIE_NAME in cookies
        # A pending flash message is shown (and used up) by the next page.
        or CookieStorage.cookie_name in cookies
        or "HTTP_AUTHORIZATION" in request.META
    )


def _cache_control(response: HttpResponse) -> set[str]:
    return {
        part.split("=", 1)[0].strip().lower()
        for part in response.get("Cache-Control", "").split(",")
        if part.strip()
    }


def storable(response: HttpResponse) -> bool:
    return (
        response.status_code in CACHEABLE_STATUSES
        and not response.streaming
        and not response.cookies
        and not has_vary_header(response, "Cookie")
        and not _cache_control(response) & {"private", "no-cache", "no-store"}
    )


def _address(request: HttpRequest) -> str:
    # The host is part of the address: a response must not be served for another site name.
    return f"{request.scheme}://{request.get_host()}{request.get_full_path()}"


def _page_key(address: str) -> str:
    digest = hashlib.sha256(address.encode()).hexdigest()
    return PAGE_KEY.format(digest=digest)


# --- Headers ------------------------------------------------------------------------------


def _public_headers(response: HttpResponse, timeout: int) -> None:
    if response.has_header("Cache-Control"):
        # The view set its own policy (the API's minute for partners' pollers): keep it.
        return
    patch_cache_control(
        response,
        public=True,
        max_age=min(_setting("NEWSROOM_CACHE_MAX_AGE", 60), timeout),
        s_maxage=min(_setting("NEWSROOM_CACHE_S_MAXAGE", 300), timeout),
        stale_while_revalidate=_setting("NEWSROOM_CACHE_STALE_WHILE_REVALIDATE", 60),
    )


def _conditional(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    answer = get_conditional_response(
        request,
        etag=response.get("ETag"),
        last_modified=parse_http_date_safe(response.get("Last-Modified", "")),
        response=response,
    )
    if answer is not response:
        # A 304 keeps what is not about the body: CORS (the API's partners read the ETag
        # from script) and whether it came from the cache.
        for name, value in response.headers.items():
            if name.lower().startswith("access-control-") or name == CACHE_STATUS_HEADER:
                answer[name] = value
    return answer


def _freeze(response: HttpResponse, generation: int, timeout: int) -> dict:
    return {
        "generation": generation,
        # For copies kept outside the cache (``near_cache.LocalPages``): Redis' own expiry
        # does not travel with the value.
        "expires": time.time() + timeout,
        "status": response.status_code,
        "headers": list(response.headers.items()),
        "content": response.content,
    }


def _thaw(entry: dict) -> HttpResponse:
    response = HttpResponse(entry["content"], status=entry["status"])
    for name, value in entry["headers"]:
        response[name] = value
    return response


# --- The middleware -----------------------------------------------------------------------


class PublicCacheMiddleware:
    """Serve and store anonymous responses under the content generation.

    Sits before the session middleware: a hit returns before the session or the user is
    looked at, and a miss sees the response after every inner middleware has had its say
    (a session cookie, ``Vary: Cookie``, a CSRF cookie), so none of those is ever stored.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        scope = _request_generation.set({})
        try:
            return self._answer(request)
        finally:
            _request_generation.reset(scope)

    def _answer(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method not in ("GET", "HEAD")
            or _excluded(request.path_info)
            or not _setting("NEWSROOM_CACHE_ENABLED", True)
        ):
            return self.get_response(request)
        if not is_anonymous(request):
            return self._personal(request, self.get_response(request))

        try:
            address = _address(request)
        except DisallowedHost:  # Let the usual handling answer it (400).
            return self.get_response(request)
        key = _page_key(address)
        near = near_cache()
        try:
            entry, generation = self._lookup(key, near)
        except Exception:
            # The cache being down slows the site; it must not take it down.
            logger.exception("Public cache unavailable; answering without it.")
            return self.get_response(request)
        if entry is not None:
            response = _thaw(entry)
            response[CACHE_STATUS_HEADER] = "hit"
            return _conditional(request, response)

        response = self.get_response(request)
        # Only a GET's body is stored; a HEAD is answered from one but never fills the cache.
        if request.method != "GET" or not storable(response):
            return response
        try:
            timeout = entry_timeout(generation)
        except Exception:
            logger.exception("Public cache unavailable; response not stored.")
            return response
        if timeout <= 0:  # A scheduled story goes live within the second.
            return response
        if not response.has_header("ETag"):
            set_response_etag(response)
        if not response.has_header("Last-Modified"):
            response["Last-Modified"] = http_date()
        _public_headers(response, timeout)
        # Marked with the generation read before the view ran: if a change landed while
        # the view was rendering, this response carries the old number, never served.
        entry = _freeze(response, generation, timeout)
        if near.pages is not None:
            near.pages.put(key, entry)
        if near.pages_in_cache:
            try:
                cache.set(key, entry, timeout=timeout)
            except Exception:
                logger.exception("Public cache unavailable; response not stored.")
        response[CACHE_STATUS_HEADER] = "miss"
        return _conditional(request, response)

    @staticmethod
    def _lookup(key: str, near: NearCache) -> tuple[dict | None, int]:
        """The stored entry for ``key`` if it is current, and the current generation."""
        generation = near.generation()
        if generation is not None:
            # Known without a round trip: a page this process already holds costs none.
            _remember_generation(generation)
            entry = near.pages.get(key, generation) if near.pages is not None else None
            if entry is not None:
                return entry, generation
            entry = cache.get(key) if near.pages_in_cache else None
        else:
            # One round trip to a shared cache: the generation and the entry together.
            found = cache.get_many([GENERATION_KEY, key])
            generation = found.get(GENERATION_KEY)
            if generation is None:
                generation = current_generation()
            _remember_generation(generation)
            entry = found.get(key)
        if (
            entry is None
            or entry.get("generation") != generation
            # The app's clock decides when a scheduled story is due, not the cache server's.
            or entry.get("expires", math.inf) <= time.time()
        ):
            return None, generation
        if near.pages is not None:
            near.pages.put(key, entry)
        return entry, generation

    @staticmethod
    def _personal(request: HttpRequest, response: HttpResponse) -> HttpResponse:
        """A signed-in reader's page is theirs: no shared cache may keep it."""
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and "no-store" not in _cache_control(response)
        ):
            patch_cache_control(response, private=True, no_cache=True)
        return response
