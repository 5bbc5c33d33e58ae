"""``reverse()`` for the addresses public pages print by the dozen.

A page prints forty or so links (bylines, tags, sections, related stories); Django's
``reverse()`` rebuilds each from the URL patterns every time, about 25 µs apiece. The answer
depends only on the URLconf, the script prefix and the arguments, so it is remembered, up to
``MAX_REMEMBERED`` addresses a process (least recently used go first).
"""

from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

MAX_REMEMBERED = 20_000


@lru_cache(maxsize=MAX_REMEMBERED)
def _reverse(urlconf: str, prefix: str, viewname: str, kwargs: tuple) -> str:
    # ``prefix`` is part of the key only: reverse() reads the same script prefix itself.
    return reverse(viewname, urlconf=urlconf, kwargs=dict(kwargs))


def path_to(viewname: str, **kwargs) -> str:
    """``reverse(viewname, kwargs=kwargs)``, remembered."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    return _reverse(urlconf, get_script_prefix(), viewname, tuple(sorted(kwargs.items())))
